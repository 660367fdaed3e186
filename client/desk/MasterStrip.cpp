// SPDX-License-Identifier: MIT
#include "client/desk/MasterStrip.h"

#include <QFormLayout>
#include <QJsonValue>

#include <cmath>

namespace mixroom::desk {

namespace {
QString reading(const QJsonValue& v)
{
    return v.isNull() || v.isUndefined() ? QString("—") : QString::number(v.toDouble(), 'f', 1);
}
} // namespace

MasterStrip::MasterStrip(QWidget* parent) : StripWidget("master", "Master", parent)
{
    for (QWidget* w : std::initializer_list<QWidget*>{pan(), muteButton(), soloButton()})
        w->hide(); // the master has no pan, mute or solo
    eqButton()->setToolTip("the master EQ with its frequency response");
    compButton()->setText("Glue");
    compButton()->setToolTip("the master glue compressor and its gain reduction");
    setMinimumWidth(190);

    auto* chain = new QFormLayout;
    chain->setContentsMargins(0, 0, 0, 0);
    m_width = new QDoubleSpinBox(this);
    m_width->setRange(0, 200);
    m_width->setDecimals(0);
    m_width->setSuffix(" %");
    m_width->setKeyboardTracking(false);
    m_width->setToolTip("stereo width (mid/side): 0 % mono, 100 % as mixed, 200 % twice the side signal");
    m_limiterOn = new QCheckBox("limiter", this);
    m_limiterOn->setToolTip("true-peak limiter (4x oversampled detection, lookahead)");
    m_ceiling = new QDoubleSpinBox(this);
    m_ceiling->setRange(-12, 0);
    m_ceiling->setDecimals(1);
    m_ceiling->setSingleStep(0.1);
    m_ceiling->setSuffix(" dBTP");
    m_ceiling->setKeyboardTracking(false);
    m_ceiling->setToolTip("limiter ceiling (true peak)");
    m_release = new QDoubleSpinBox(this);
    m_release->setRange(1, 1000);
    m_release->setDecimals(0);
    m_release->setSuffix(" ms");
    m_release->setKeyboardTracking(false);
    m_release->setToolTip("limiter release");
    m_limiterGr = new QProgressBar(this);
    m_limiterGr->setRange(0, 120); // tenths of a dB, up to 12 dB
    m_limiterGr->setValue(0);
    m_limiterGr->setTextVisible(false);
    m_limiterGr->setFixedHeight(8);
    m_limiterGr->setToolTip("limiter gain reduction (listen to see it move)");
    chain->addRow("Width", m_width);
    chain->addRow(m_limiterOn);
    chain->addRow("Ceiling", m_ceiling);
    chain->addRow("Release", m_release);
    chain->addRow("GR", m_limiterGr);

    auto* loud = new QFormLayout;
    m_m = new QLabel("—", this);
    m_s = new QLabel("—", this);
    m_i = new QLabel("—", this);
    m_tp = new QLabel("—", this);
    m_target = new QComboBox(this);
    m_target->addItem("Streaming -14 LUFS", -14.0);
    m_target->addItem("Broadcast -23 LUFS", -23.0);
    m_target->setToolTip("loudness target: short-term and integrated turn red above it, true peak above -1 dBTP");
    loud->addRow("Momentary", m_m);
    loud->addRow("Short-term", m_s);
    loud->addRow("Integrated", m_i);
    loud->addRow("True peak", m_tp);
    loud->addRow(m_target);
    m_i->setToolTip("integrated loudness since listening started (gated, EBU R 128)");

    // Chain above the fader (signal order: EQ, glue, width, limiter, fader), readout below it.
    auto* lay = static_cast<QVBoxLayout*>(layout());
    lay->insertLayout(2, chain);
    lay->addLayout(loud);

    connect(m_width, &QDoubleSpinBox::valueChanged, this, [this](double v) { emit edit("master/width", v); });
    connect(m_ceiling, &QDoubleSpinBox::valueChanged, this, [this](double v) { emit edit("master/limiter/ceiling", v); });
    connect(m_release, &QDoubleSpinBox::valueChanged, this, [this](double v) { emit edit("master/limiter/release", v); });
    connect(m_limiterOn, &QCheckBox::toggled, this, [this](bool on) { emit edit("master/limiter/enabled", on); });
    connect(m_target, &QComboBox::currentIndexChanged, this, [this] { setMasterMeters(m_last); });
}

void MasterStrip::showMaster(const engine::Master& m)
{
    show(m.fader, 0, false, false);
    auto set = [](QDoubleSpinBox* box, double v) {
        if (box->hasFocus()) return;
        const QSignalBlocker b(box);
        box->setValue(v);
    };
    set(m_width, m.width);
    set(m_ceiling, m.limiter.ceiling);
    set(m_release, m.limiter.release);
    const QSignalBlocker b(m_limiterOn);
    m_limiterOn->setChecked(m.limiter.enabled);
}

void MasterStrip::setMasterEditable(const QString& reasonIfNot)
{
    setEditable(reasonIfNot);
    for (QWidget* w : std::initializer_list<QWidget*>{m_width, m_ceiling, m_release, m_limiterOn}) {
        w->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) w->setToolTip(reasonIfNot);
    }
}

void MasterStrip::setMasterMeters(const QJsonObject& master)
{
    m_last = master;
    if (master.isEmpty()) return;
    const double target = m_target->currentData().toDouble();
    auto style = [](QLabel* l, const QJsonValue& v, bool over) {
        l->setText(reading(v));
        l->setStyleSheet(v.isNull() || v.isUndefined() ? "color: gray" : over ? "color: #c03020; font-weight: bold" : "color: #208040");
    };
    style(m_m, master.value("momentaryLufs"), false);
    m_m->setStyleSheet(QString());
    style(m_s, master.value("shortTermLufs"), master.value("shortTermLufs").toDouble() > target);
    style(m_i, master.value("integratedLufs"), master.value("integratedLufs").toDouble() > target);
    style(m_tp, master.value("truePeakDbtp"), master.value("truePeakDbtp").toDouble() > -1.0);
    if (master.contains("peakDb"))
        setMeter(master.value("peakDb").toDouble(), master.value("peakDb").toDouble(), master.value("peakDb").toDouble());
    m_limiterGr->setValue(static_cast<int>(std::lround(std::clamp(master.value("limiterGrDb").toDouble(), 0.0, 12.0) * 10)));
    m_limiterGr->setToolTip(QString("limiter gain reduction %1 dB").arg(master.value("limiterGrDb").toDouble(), 0, 'f', 1));
}

QString MasterStrip::loudnessText() const
{
    return QString("M %1  S %2  I %3 LUFS  TP %4 dBTP").arg(m_m->text(), m_s->text(), m_i->text(), m_tp->text());
}

} // namespace mixroom::desk
