// SPDX-License-Identifier: MIT
#include "client/desk/EqEditor.h"

#include "client/NameResolver.h"
#include "engine/dsp/Biquad.h"
#include "engine/model/ParamTable.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCursor>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace mixroom::desk {

using protocol::Kind;

double EqCurve::responseDb(double freq) const
{
    double db = 0;
    for (const engine::EqBand& b : bands) {
        if (!b.enabled) continue;
        using engine::BiquadShape;
        using engine::EqType;
        auto one = [&](BiquadShape shape, double q) {
            return engine::biquadMagnitudeDb(engine::designBiquad(shape, sampleRate, b.freq, b.gain, q), sampleRate, freq);
        };
        switch (b.type) {
        case EqType::HighPass12: db += one(BiquadShape::HighPass, b.q); break;
        case EqType::LowPass12: db += one(BiquadShape::LowPass, b.q); break;
        case EqType::HighPass24:
            db += one(BiquadShape::HighPass, engine::kButterworth4Q[0]) + one(BiquadShape::HighPass, engine::kButterworth4Q[1]);
            break;
        case EqType::LowPass24:
            db += one(BiquadShape::LowPass, engine::kButterworth4Q[0]) + one(BiquadShape::LowPass, engine::kButterworth4Q[1]);
            break;
        case EqType::LowShelf: db += one(BiquadShape::LowShelf, b.q); break;
        case EqType::HighShelf: db += one(BiquadShape::HighShelf, b.q); break;
        case EqType::Peak: db += one(BiquadShape::Peak, b.q); break;
        }
    }
    return db;
}

void EqCurve::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), QColor(30, 32, 36));
    const double w = width(), h = height();
    auto x = [&](double f) { return std::log10(f / 20.0) / std::log10(1000.0) * w; }; // 20 Hz .. 20 kHz
    auto y = [&](double db) { return h / 2 - db / 24.0 * (h / 2 - 4); };              // +-24 dB
    p.setPen(QColor(70, 74, 80));
    for (double f : {50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0})
        p.drawLine(QPointF(x(f), 0), QPointF(x(f), h));
    for (double db : {-18.0, -12.0, -6.0, 0.0, 6.0, 12.0, 18.0})
        p.drawLine(QPointF(0, y(db)), QPointF(w, y(db)));
    // Axes: frequency along the bottom, gain on the left.
    p.setPen(QColor(150, 155, 165));
    QFont small = p.font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    for (double f : {50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0})
        p.drawText(QPointF(x(f) + 2, h - 3), f >= 1000 ? QString("%1k").arg(f / 1000) : QString::number(f));
    for (double db : {-18.0, -12.0, -6.0, 0.0, 6.0, 12.0, 18.0})
        p.drawText(QPointF(3, y(db) - 2), QString("%1%2 dB").arg(db > 0 ? "+" : "").arg(db));
    p.drawText(QPointF(w - 24, h - 14), "Hz");
    QPainterPath path;
    for (int i = 0; i <= static_cast<int>(w); ++i) {
        const double f = 20.0 * std::pow(1000.0, i / w);
        const QPointF pt(i, y(std::clamp(responseDb(f), -30.0, 30.0)));
        i == 0 ? path.moveTo(pt) : path.lineTo(pt);
    }
    p.setPen(QPen(QColor(240, 170, 40), 2));
    p.drawPath(path);
}

EqEditor::EqEditor(client::Connection* conn, const QString& strip, bool editable, QWidget* parent)
    : QDialog(parent), m_conn(conn), m_strip(strip), m_editable(editable)
{
    setWindowTitle("EQ — " + strip);
    auto* col = new QVBoxLayout(this);
    m_curve = new EqCurve(this);
    m_curve->sampleRate = conn->mirror().state().sampleRate;
    col->addWidget(m_curve, 1);
    m_table = new QWidget(this);
    m_grid = new QGridLayout(m_table);
    m_grid->setContentsMargins(0, 0, 0, 0);
    col->addWidget(m_table);
    const QJsonObject perms = conn->welcome().value("permissions").toObject();
    m_structural = perms.value("edit_structure").toBool();
    m_structureWhy =
        QString("the %1 role may not add or remove EQ bands").arg(conn->welcome().value("member").toObject().value("role").toString());
    auto* addRow = new QHBoxLayout;
    m_addType = new QComboBox(this);
    for (const char* t : {"peak", "lowshelf", "highshelf", "hp12", "hp24", "lp12", "lp24"})
        m_addType->addItem(t);
    m_add = new QPushButton("Add band", this);
    m_add->setAutoDefault(false); // Enter in a field commits the field, never adds a band
    addRow->addWidget(m_addType);
    addRow->addWidget(m_add);
    addRow->addStretch(1);
    col->addLayout(addRow);
    connect(m_add, &QPushButton::clicked, this, [this] { addBand(m_addType->currentText()); });
    connect(conn, &client::Connection::edit, this, &EqEditor::refresh);
    refresh();
}

const std::vector<engine::EqBand>* EqEditor::bandsOf() const
{
    return client::eqByPath(m_conn->mirror().state(), m_strip);
}

QDoubleSpinBox* EqEditor::gainBox(int band) const
{
    return findChild<QDoubleSpinBox*>(QString("gain%1").arg(band));
}

void EqEditor::keyPressEvent(QKeyEvent* e)
{
    // A dialog's Enter presses its default button; here Enter only commits the field it is in.
    if (e->key() == Qt::Key_Return || e->key() == Qt::Key_Enter) return;
    QDialog::keyPressEvent(e);
}

void EqEditor::leaveEvent(QEvent* e)
{
    QDialog::leaveEvent(e);
    if (m_compactPending) compactRows();
}

void EqEditor::compactRows()
{
    m_compactPending = false;
    m_shownBands = static_cast<size_t>(-1); // rebuild
    refresh();
}

void EqEditor::refresh()
{
    const auto* bands = bandsOf();
    if (!bands) return;
    m_curve->bands = *bands;
    m_curve->update();
    if (m_compactPending) {
        if (m_table->underMouse() || rect().contains(mapFromGlobal(QCursor::pos()))) return; // rows hold still
        m_compactPending = false;
    }
    if (m_shownBands != bands->size()) { // (re)build the rows
        while (QLayoutItem* item = m_grid->takeAt(0)) {
            delete item->widget();
            delete item;
        }
        const QStringList headers = {"Band", "Type", "Freq (Hz)", "Gain (dB)", "Q", "On", ""};
        for (int c = 0; c < headers.size(); ++c)
            m_grid->addWidget(new QLabel(headers[c], this), 0, c);
        for (size_t i = 0; i < bands->size(); ++i) {
            const int n = static_cast<int>(i) + 1;
            const QString path = QString("%1/eq/%2/").arg(m_strip).arg(n);
            auto* type = new QComboBox(this);
            for (const char* t : {"hp12", "hp24", "lp12", "lp24", "lowshelf", "highshelf", "peak"})
                type->addItem(t);
            type->setObjectName(QString("type%1").arg(n));
            auto spin = [&](const char* name, double lo, double hi, int decimals) {
                auto* sb = new QDoubleSpinBox(this);
                sb->setRange(lo, hi);
                sb->setDecimals(decimals);
                sb->setObjectName(QString("%1%2").arg(name).arg(n));
                sb->setKeyboardTracking(false);
                return sb;
            };
            QDoubleSpinBox* freq = spin("freq", 20, 20000, 0);
            QDoubleSpinBox* gain = spin("gain", -24, 24, 1);
            QDoubleSpinBox* q = spin("q", 0.1, 18, 2);
            auto* on = new QCheckBox(this);
            on->setObjectName(QString("on%1").arg(n));
            m_grid->addWidget(new QLabel(QString::number(n), this), n, 0);
            m_grid->addWidget(type, n, 1);
            m_grid->addWidget(freq, n, 2);
            m_grid->addWidget(gain, n, 3);
            m_grid->addWidget(q, n, 4);
            m_grid->addWidget(on, n, 5);
            auto* remove = new QPushButton("Remove", this);
            remove->setAutoDefault(false);
            remove->setObjectName(QString("remove%1").arg(n));
            remove->setEnabled(m_editable && m_structural);
            remove->setToolTip(m_structural ? QString("remove band %1").arg(n) : m_structureWhy);
            m_grid->addWidget(remove, n, 6);
            connect(remove, &QPushButton::clicked, this, [this, n] { removeBand(n); });
            for (QWidget* w : std::initializer_list<QWidget*>{type, freq, gain, q, on})
                w->setEnabled(m_editable);
            connect(type, &QComboBox::textActivated, this, [this, path](const QString& t) {
                m_conn->request(Kind::Set, {{"path", path + "type"}, {"value", t}});
            });
            connect(freq, &QDoubleSpinBox::valueChanged, this, [this, path](double v) {
                m_conn->request(Kind::Set, {{"path", path + "freq"}, {"value", v}});
            });
            connect(gain, &QDoubleSpinBox::valueChanged, this, [this, path](double v) {
                m_conn->request(Kind::Set, {{"path", path + "gain"}, {"value", v}});
            });
            connect(q, &QDoubleSpinBox::valueChanged, this, [this, path](double v) {
                m_conn->request(Kind::Set, {{"path", path + "q"}, {"value", v}});
            });
            connect(on, &QCheckBox::toggled, this, [this, path](bool v) {
                m_conn->request(Kind::Set, {{"path", path + "enabled"}, {"value", v}});
            });
        }
        m_shownBands = bands->size();
    }
    const bool full = bands->size() >= static_cast<size_t>(engine::kMaxEqBands);
    m_add->setEnabled(m_editable && m_structural && !full);
    m_addType->setEnabled(m_add->isEnabled());
    m_add->setToolTip(!m_structural ? m_structureWhy
                      : full        ? QString("a strip has at most %1 EQ bands").arg(engine::kMaxEqBands)
                                    : QString("add a band of the chosen type"));
    for (size_t i = 0; i < bands->size(); ++i) { // values, without echoing them back
        const int n = static_cast<int>(i) + 1;
        const engine::EqBand& b = (*bands)[i];
        auto set = [&](const char* name, double v) {
            if (auto* sb = findChild<QDoubleSpinBox*>(QString("%1%2").arg(name).arg(n)); sb && !sb->hasFocus()) {
                const QSignalBlocker block(sb);
                sb->setValue(v);
            }
        };
        set("freq", b.freq);
        set("gain", b.gain);
        set("q", b.q);
        if (auto* t = findChild<QComboBox*>(QString("type%1").arg(n))) {
            const QSignalBlocker block(t);
            t->setCurrentText(QString::fromStdString(engine::toString(b.type)));
        }
        if (auto* on = findChild<QCheckBox*>(QString("on%1").arg(n))) {
            const QSignalBlocker block(on);
            on->setChecked(b.enabled);
        }
    }
}

void EqEditor::addBand(const QString& type)
{
    m_conn->request(Kind::AddBand, {{"strip", m_strip}, {"bandType", type}});
}

void EqEditor::removeBand(int band)
{
    m_conn->request(Kind::RemoveBand, {{"strip", m_strip}, {"band", band}});
    // The rows stay put until the pointer leaves: the removed one is marked, the others wait
    // (their band numbers are about to change, so they take no edits meanwhile).
    m_compactPending = true;
    for (int c = 0; c < m_grid->columnCount(); ++c)
        for (int r = 1; r < m_grid->rowCount(); ++r)
            if (QLayoutItem* item = m_grid->itemAtPosition(r, c); item && item->widget()) item->widget()->setEnabled(false);
    if (QLayoutItem* item = m_grid->itemAtPosition(band, 6); item && item->widget())
        static_cast<QPushButton*>(item->widget())->setText("removed");
}

} // namespace mixroom::desk
