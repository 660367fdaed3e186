// SPDX-License-Identifier: MIT
#include "client/desk/StripWidget.h"

#include "engine/model/Session.h"

#include <QDoubleValidator>
#include <QJsonValue>
#include <QProgressBar>
#include <QVBoxLayout>

namespace mixroom::desk {

namespace {
QString dbText(double db)
{
    return db <= engine::kSilenceDb ? QString("-inf") : QString::number(db, 'f', 1);
}
} // namespace

StripWidget::StripWidget(const QString& prefix, const QString& name, QWidget* parent) : QFrame(parent), m_prefix(prefix)
{
    setObjectName(QString(prefix).replace('/', '-')); // a valid style-sheet id
    setFrameShape(QFrame::StyledPanel);
    setMinimumWidth(84);
    auto* lay = new QVBoxLayout(this);
    m_name = new QLabel(name, this);
    m_name->setAlignment(Qt::AlignCenter);
    m_name->setToolTip(prefix);
    m_solo = new QToolButton(this);
    m_solo->setText("S");
    m_solo->setCheckable(true);
    m_solo->setToolTip("solo in place");
    m_mute = new QToolButton(this);
    m_mute->setText("M");
    m_mute->setCheckable(true);
    m_mute->setToolTip("mute");
    m_pan = new QDial(this);
    m_pan->setRange(-100, 100);
    m_pan->setNotchesVisible(true);
    m_pan->setFixedSize(48, 48);
    m_pan->setToolTip("pan (double-click: centre)");
    m_fader = new FaderSlider(this);
    m_fader->setMinimumHeight(160);
    m_db = new QLineEdit(this);
    m_db->setAlignment(Qt::AlignCenter);
    m_db->setToolTip("fader in dB: type a value and press Enter (-inf for silence)");
    m_eq = new QToolButton(this);
    m_eq->setText("EQ");
    m_eq->setToolTip("the strip's EQ with its frequency response");
    connect(m_eq, &QToolButton::clicked, this, [this] { emit openEq(m_prefix); });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_solo);
    buttons->addWidget(m_mute);
    buttons->addWidget(m_eq);
    m_comp = new QToolButton(this);
    m_comp->setText("C");
    m_comp->setToolTip("the strip's compressor and its gain reduction");
    connect(m_comp, &QToolButton::clicked, this, [this] { emit openCompressor(m_prefix); });
    buttons->addWidget(m_comp);
    lay->addWidget(m_name);
    lay->addLayout(buttons);
    lay->addWidget(m_pan, 0, Qt::AlignHCenter);
    m_meter = new QProgressBar(this);
    m_meter->setOrientation(Qt::Vertical);
    m_meter->setRange(-600, 0); // tenths of a dB
    m_meter->setValue(-600);
    m_meter->setTextVisible(false);
    m_meter->setFixedWidth(8);
    m_meter->setToolTip("peak / RMS (listen to see them move)");
    auto* faderRow = new QHBoxLayout;
    faderRow->addWidget(m_fader, 1, Qt::AlignHCenter);
    faderRow->addWidget(m_meter);
    lay->addLayout(faderRow, 1);
    lay->addWidget(m_db);
    m_sendLayout = new QVBoxLayout; // below the fader, so faders line up across strips
    m_sendLayout->setSpacing(1);
    lay->addLayout(m_sendLayout);

    connect(m_fader, &FaderSlider::dbChanged, this, [this](double db) {
        m_db->setText(dbText(db));
        emit edit(m_prefix + "/fader", db);
    });
    connect(m_fader, &QSlider::sliderPressed, this, [this] { emit touch(m_prefix + "/fader"); });
    connect(m_fader, &QSlider::sliderReleased, this, [this] { emit touch({}); });
    connect(m_pan, &QDial::valueChanged, this, [this](int v) { emit edit(m_prefix + "/pan", v / 100.0); });
    connect(m_mute, &QToolButton::toggled, this, [this](bool on) { emit edit(m_prefix + "/mute", on); });
    connect(m_solo, &QToolButton::toggled, this, [this](bool on) { emit edit(m_prefix + "/solo", on); });
    connect(m_db, &QLineEdit::editingFinished, this, [this] {
        const QString t = m_db->text().trimmed();
        bool ok = false;
        const double db = t == "-inf" ? engine::kSilenceDb : t.toDouble(&ok);
        if (t != "-inf" && (!ok || db > 12 || db < engine::kSilenceDb)) {
            m_db->setText(dbText(m_fader->db())); // not a fader value: back to the current one
            return;
        }
        m_fader->setDb(db);
        emit edit(m_prefix + "/fader", db);
    });
}

void StripWidget::show(double faderDb, double pan, bool mute, bool solo)
{
    if (!m_fader->isSliderDown()) m_fader->setDb(faderDb); // never fight the user's own drag
    if (!m_db->hasFocus()) m_db->setText(dbText(faderDb));
    const QSignalBlocker b1(m_pan), b2(m_mute), b3(m_solo);
    if (!m_pan->isSliderDown()) m_pan->setValue(static_cast<int>(std::lround(pan * 100)));
    m_mute->setChecked(mute);
    m_solo->setChecked(solo);
}

void StripWidget::showSends(const std::vector<std::pair<QString, double>>& sends)
{
    for (const auto& [to, level] : sends) {
        QDoubleSpinBox*& box = m_sends[to];
        if (!box) {
            box = new QDoubleSpinBox(this);
            box->setRange(engine::kSilenceDb, 6.0);
            box->setDecimals(1);
            box->setSingleStep(0.5);
            box->setPrefix("→" + to + " ");
            box->setSpecialValueText("→" + to + " off");
            box->setKeyboardTracking(false);
            box->setEnabled(m_notEditable.isEmpty());
            box->setToolTip(m_notEditable.isEmpty() ? QString("send level to %1 in dB").arg(to) : m_notEditable);
            connect(box, &QDoubleSpinBox::valueChanged, this,
                    [this, to = to](double v) { emit edit(m_prefix + "/sends/" + to + "/level", v); });
            m_sendLayout->addWidget(box);
        }
        if (!box->hasFocus()) {
            const QSignalBlocker block(box);
            box->setValue(level);
        }
    }
}

void StripWidget::setMeter(double peakDb, double rmsDb)
{
    m_meter->setValue(static_cast<int>(std::clamp(peakDb, -60.0, 0.0) * 10));
    m_meter->setToolTip(QString("peak %1 dBFS, RMS %2 dBFS").arg(peakDb, 0, 'f', 1).arg(rmsDb, 0, 'f', 1));
}

int StripWidget::meterValue() const
{
    return m_meter->value();
}

void StripWidget::setEditable(const QString& reasonIfNot)
{
    m_notEditable = reasonIfNot;
    for (auto& [to, box] : m_sends) {
        box->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) box->setToolTip(reasonIfNot);
    }
    for (QWidget* w : std::initializer_list<QWidget*>{m_fader, m_pan, m_mute, m_solo, m_db}) {
        w->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) w->setToolTip(reasonIfNot);
    }
}

void StripWidget::setTouchedBy(const QString& who)
{
    setStyleSheet(who.isEmpty() ? QString() : QString("QFrame#%1 { border: 2px solid #e0a020; border-radius: 4px; }").arg(objectName()));
    m_name->setToolTip(who.isEmpty() ? m_prefix : QString("%1 — %2 is touching this").arg(m_prefix, who));
    setProperty("touchedBy", who);
}

} // namespace mixroom::desk
