// SPDX-License-Identifier: MIT
#include "client/desk/StripWidget.h"

#include "engine/model/Session.h"

#include <QDoubleSpinBox>
#include <QDoubleValidator>
#include <QJsonValue>
#include <QMenu>
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
    setMinimumWidth(96);
    auto* lay = new QVBoxLayout(this);
    m_name = new QLabel(name, this);
    m_name->setAlignment(Qt::AlignCenter);
    m_name->setToolTip(prefix);
    // A colour per kind of strip, as on a console: tracks blue, groups green, returns purple.
    const QString kind = prefix.section('/', 0, 0);
    const QColor colour = kind == "groups" ? QColor(60, 150, 90) : kind == "returns" ? QColor(140, 90, 170) : QColor(60, 110, 180);
    m_name->setAutoFillBackground(true);
    m_name->setStyleSheet(QString("QLabel { background: %1; color: white; border-radius: 3px; padding: 2px; }").arg(colour.name()));
    m_name->setProperty("stripColour", colour.name());
    m_solo = new QToolButton(this);
    m_solo->setText("S");
    m_solo->setCheckable(true);
    m_solo->setToolTip("solo in place");
    // On: unmistakable (solo yellow, mute red); off: plain.
    m_solo->setStyleSheet("QToolButton:checked { background: #e8c020; color: black; font-weight: bold; }");
    m_mute = new QToolButton(this);
    m_mute->setText("M");
    m_mute->setCheckable(true);
    m_mute->setToolTip("mute");
    m_mute->setStyleSheet("QToolButton:checked { background: #d83030; color: white; font-weight: bold; }");
    m_pan = new QDial(this);
    m_pan->setRange(-100, 100);
    m_pan->setNotchesVisible(true);
    m_pan->setFixedSize(48, 48);
    m_pan->setToolTip("pan (double-click: centre)");
    m_panValue = new QLabel("C", this);
    m_panValue->setAlignment(Qt::AlignCenter);
    m_panValue->setToolTip("pan: L100 .. C .. R100");
    m_fader = new FaderSlider(this);
    m_fader->setMinimumHeight(160);
    m_scale = new FaderScale(m_fader, this);
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
    if (kind != "master") {
        m_more = new QToolButton(this);
        m_more->setText("⋯");
        m_more->setToolTip("sends, effect, remove");
        m_more->setPopupMode(QToolButton::InstantPopup);
        buttons->addWidget(m_more);
    }
    m_auto = new QToolButton(this);
    m_auto->setPopupMode(QToolButton::InstantPopup);
    m_auto->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_auto->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto* autoMenu = new QMenu(m_auto);
    for (const char* mode : {"off", "read", "touch", "latch", "write"})
        connect(autoMenu->addAction(QString(mode)), &QAction::triggered, this, [this, mode] {
            setAutomation(mode, m_automated);
            emit automationModeChosen(m_prefix, mode);
        });
    m_auto->setMenu(autoMenu);
    lay->addWidget(m_name);
    lay->addLayout(buttons);
    lay->addWidget(m_auto);
    lay->addWidget(m_pan, 0, Qt::AlignHCenter);
    lay->addWidget(m_panValue);
    // Routing: a track chooses the master or a group; groups and returns play into the master
    // (shown the same way, so every strip's fader starts at the same height).
    m_output = new QComboBox(this);
    m_output->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_output->setMinimumContentsLength(6);
    if (kind == "tracks") {
        m_output->setToolTip("where the track plays: the master or a group");
        connect(m_output, &QComboBox::activated, this, [this] { emit edit(m_prefix + "/output", m_output->currentData().toString()); });
    } else {
        m_output->addItem("→ master", "master");
        m_output->setEnabled(false);
        m_output->setToolTip(kind == "groups" ? "a group plays into the master" : "a return plays into the master");
    }
    lay->addWidget(m_output);
    if (kind == "master") { // the master has no pan and no routing
        m_output->hide();
        m_panValue->hide();
    }
    m_meter = new LevelMeter(this);
    auto* faderRow = new QHBoxLayout;
    faderRow->setSpacing(2);
    faderRow->addWidget(m_scale);
    faderRow->addWidget(m_fader, 0, Qt::AlignHCenter);
    faderRow->addWidget(m_meter);
    lay->addLayout(faderRow, 1);
    lay->addWidget(m_db);
    // Sends below the fader, in an area as tall in every strip (setSendRows), so faders line up.
    m_sendArea = new QWidget(this);
    m_sendLayout = new QVBoxLayout(m_sendArea);
    m_sendLayout->setContentsMargins(0, 0, 0, 0);
    m_sendLayout->setSpacing(1);
    m_sendLayout->addStretch(1);
    lay->addWidget(m_sendArea);
    setSendRows(0);
    setAutomation("read", {});

    connect(m_fader, &FaderSlider::dbChanged, this, [this](double db) {
        m_db->setText(dbText(db));
        emit edit(m_prefix + "/fader", db);
    });
    connect(m_fader, &QSlider::sliderPressed, this, [this] { emit touch(m_prefix + "/fader"); });
    connect(m_fader, &QSlider::sliderReleased, this, [this] { emit touch({}); });
    connect(m_pan, &QDial::sliderPressed, this, [this] { emit touch(m_prefix + "/pan"); });
    connect(m_pan, &QDial::sliderReleased, this, [this] { emit touch({}); });
    connect(m_pan, &QDial::valueChanged, this, [this](int v) {
        m_panValue->setText(v == 0 ? QString("C") : QString("%1%2").arg(v < 0 ? "L" : "R").arg(std::abs(v)));
        emit edit(m_prefix + "/pan", v / 100.0);
    });
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
    const int p = m_pan->value();
    m_panValue->setText(p == 0 ? QString("C") : QString("%1%2").arg(p < 0 ? "L" : "R").arg(std::abs(p)));
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
            m_sendLayout->insertWidget(m_sendLayout->count() - 1, box);
        }
        if (!box->hasFocus()) {
            const QSignalBlocker block(box);
            box->setValue(level);
        }
    }
}

void StripWidget::setSendRows(int rows)
{
    if (rows == m_sendRows) return; // called on every edit: only a change of the count resizes
    m_sendRows = rows;
    static const int row = QDoubleSpinBox().sizeHint().height() + 1;
    m_sendArea->setFixedHeight(rows * row);
}

void StripWidget::setMeter(double peakLeftDb, double peakRightDb, double rmsDb)
{
    m_meter->setLevels(peakLeftDb, peakRightDb, rmsDb);
}

int StripWidget::meterValue() const
{
    return static_cast<int>(std::clamp(m_meter->peakDb(), -60.0, 0.0) * 10);
}

void StripWidget::setOutputs(const QStringList& groupIds, const QStringList& groupNames, const QString& current)
{
    if (!m_prefix.startsWith("tracks/")) return;
    const QStringList choices = QStringList{"master"} + groupIds + groupNames;
    if (choices == m_outputChoices && m_output->currentData().toString() == current) return; // called on every edit
    m_outputChoices = choices;
    const QSignalBlocker block(m_output);
    m_output->clear();
    m_output->addItem("→ master", "master");
    for (int i = 0; i < groupIds.size(); ++i)
        m_output->addItem("→ " + groupNames.value(i, groupIds[i]), groupIds[i]);
    m_output->setCurrentIndex(std::max(0, m_output->findData(current)));
}

void StripWidget::setEditable(const QString& reasonIfNot)
{
    m_notEditable = reasonIfNot;
    for (auto& [to, box] : m_sends) {
        box->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) box->setToolTip(reasonIfNot);
    }
    if (m_prefix.startsWith("tracks/")) {
        m_output->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) m_output->setToolTip(reasonIfNot);
    }
    for (QWidget* w : std::initializer_list<QWidget*>{m_fader, m_pan, m_mute, m_solo, m_db, m_auto}) {
        w->setEnabled(reasonIfNot.isEmpty());
        if (!reasonIfNot.isEmpty()) w->setToolTip(reasonIfNot);
    }
}

void StripWidget::setAutomation(const QString& mode, const QStringList& automated)
{
    if (mode == m_autoMode && automated == m_automated && !m_auto->text().isEmpty()) return; // called on every playhead tick
    m_autoMode = mode;
    m_automated = automated;
    QString text = "auto: " + mode;
    m_auto->setText(text);
    // Lit when the strip has lanes (green), and red while a writing mode is armed.
    const bool writing = mode == "touch" || mode == "latch" || mode == "write";
    m_auto->setStyleSheet(writing               ? "QToolButton { background: #c03030; color: white; }"
                          : automated.isEmpty() ? QString()
                                                : "QToolButton { background: #2f8f4f; color: white; }");
    QString tip = "automation mode: off and read play the lanes' values (off: the static ones); touch, latch and write record "
                  "what you do with the fader and pan while the transport plays";
    if (!automated.isEmpty()) tip += "\nautomated: " + automated.join(", ");
    m_auto->setToolTip(tip);
    setProperty("automated", !automated.isEmpty());
}

void StripWidget::setTouchedBy(const QString& who)
{
    setStyleSheet(who.isEmpty() ? QString() : QString("QFrame#%1 { border: 2px solid #e0a020; border-radius: 4px; }").arg(objectName()));
    m_name->setToolTip(who.isEmpty() ? m_prefix : QString("%1 — %2 is touching this").arg(m_prefix, who));
    setProperty("touchedBy", who);
}

} // namespace mixroom::desk
