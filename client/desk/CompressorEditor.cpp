// SPDX-License-Identifier: MIT
#include "client/desk/CompressorEditor.h"

#include "engine/dsp/Compressor.h"
#include "engine/model/ParamTable.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QPainter>
#include <QPainterPath>

namespace mixroom::desk {

using protocol::Kind;

void CompressorCurve::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), QColor(30, 32, 36));
    const double w = width(), h = height(), lo = -60.0;
    auto x = [&](double db) { return (db - lo) / -lo * (w - 1); };
    auto y = [&](double db) { return (1.0 - (std::clamp(db, lo - 6, 12.0) - lo) / -lo) * (h - 1); };
    QFont small = p.font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    for (double db = -60; db <= 0; db += 12) {
        p.setPen(QColor(70, 74, 80));
        p.drawLine(QPointF(x(db), 0), QPointF(x(db), h));
        p.drawLine(QPointF(0, y(db)), QPointF(w, y(db)));
        p.setPen(QColor(150, 155, 165));
        p.drawText(QPointF(x(db) + 2, h - 3), QString::number(db));
        if (db > lo) p.drawText(QPointF(3, y(db) - 2), QString::number(db));
    }
    p.drawText(QPointF(w - 64, h - 14), "in (dBFS)");
    p.drawText(QPointF(3, 12), "out");
    p.setPen(QPen(QColor(90, 95, 105), 1, Qt::DashLine));
    p.drawLine(QPointF(x(lo), y(lo)), QPointF(x(0), y(0))); // unity
    p.setPen(QPen(QColor(70, 120, 200), 1, Qt::DotLine));
    p.drawLine(QPointF(x(comp.threshold), 0), QPointF(x(comp.threshold), h));
    QPainterPath path;
    for (int i = 0; i <= static_cast<int>(w); ++i) {
        const double in = lo + -lo * i / w;
        const double out = (comp.enabled ? engine::compressorCurve(in, comp.threshold, comp.ratio, comp.knee) + comp.makeup : in);
        const QPointF pt(i, y(out));
        i == 0 ? path.moveTo(pt) : path.lineTo(pt);
    }
    p.setPen(QPen(comp.enabled ? QColor(240, 170, 40) : QColor(120, 120, 120), 2));
    p.drawPath(path);
    if (reductionDb > 0.05) {
        p.setPen(QColor(230, 80, 60));
        p.drawText(QPointF(w - 90, 14), QString("GR %1 dB").arg(reductionDb, 0, 'f', 1));
    }
}

CompressorEditor::CompressorEditor(client::Connection* conn, const QString& strip, bool editable, QWidget* parent)
    : QDialog(parent), m_conn(conn), m_strip(strip)
{
    setWindowTitle("Compressor — " + strip);
    auto* row = new QHBoxLayout(this);
    m_curve = new CompressorCurve(this);
    auto* form = new QFormLayout;
    row->addLayout(form);
    row->addWidget(m_curve, 1);
    m_enabled = new QCheckBox("in circuit", this);
    form->addRow("Compressor", m_enabled);
    connect(m_enabled, &QCheckBox::toggled, this, [this](bool on) {
        m_conn->request(Kind::Set, {{"path", m_strip + "/comp/enabled"}, {"value", on}});
    });
    // Ranges and units come from the one parameter table.
    for (const char* p : {"threshold", "ratio", "knee", "attack", "release", "makeup"}) {
        const engine::ParamSpec* spec = engine::findSpec(QString("%1/comp/%2").arg(strip, p).toStdString());
        auto* sb = new QDoubleSpinBox(this);
        sb->setRange(spec->min, spec->max);
        sb->setDecimals(1);
        sb->setSuffix(" " + QString::fromStdString(spec->unit));
        sb->setKeyboardTracking(false);
        sb->setEnabled(editable);
        form->addRow(QString(p).replace(0, 1, QString(p).at(0).toUpper()), sb);
        connect(sb, &QDoubleSpinBox::valueChanged, this, [this, p = QString(p)](double v) {
            m_conn->request(Kind::Set, {{"path", m_strip + "/comp/" + p}, {"value", v}});
        });
        m_boxes[p] = sb;
    }
    m_detector = new QComboBox(this);
    m_detector->addItems({"peak", "rms"});
    m_detector->setEnabled(editable);
    form->addRow("Detector", m_detector);
    connect(m_detector, &QComboBox::textActivated, this, [this](const QString& d) {
        m_conn->request(Kind::Set, {{"path", m_strip + "/comp/detector"}, {"value", d}});
    });
    m_enabled->setEnabled(editable);
    m_gr = new QProgressBar(this);
    m_gr->setRange(0, 240); // tenths of a dB of gain reduction
    m_gr->setValue(0);
    m_gr->setFormat("%v");
    m_gr->setTextVisible(false);
    m_gr->setToolTip("gain reduction (listen to see it)");
    form->addRow("Gain reduction", m_gr);
    connect(conn, &client::Connection::edit, this, &CompressorEditor::refresh);
    refresh();
}

const engine::Compressor* CompressorEditor::comp() const
{
    const engine::Session& s = m_conn->mirror().state();
    if (m_strip == "master") return &s.master.comp;
    const QStringList parts = m_strip.split('/');
    const std::string id = parts.value(1).toStdString();
    const engine::Strip* st = parts[0] == "tracks"   ? static_cast<const engine::Strip*>(s.track(id))
                              : parts[0] == "groups" ? static_cast<const engine::Strip*>(s.group(id))
                                                     : static_cast<const engine::Strip*>(s.aux(id));
    return st ? &st->comp : nullptr;
}

void CompressorEditor::refresh()
{
    const engine::Compressor* c = comp();
    if (!c) return;
    const std::map<QString, double> values = {{"threshold", c->threshold}, {"ratio", c->ratio},     {"knee", c->knee},
                                              {"attack", c->attack},       {"release", c->release}, {"makeup", c->makeup}};
    for (const auto& [name, v] : values) {
        QDoubleSpinBox* sb = m_boxes.at(name);
        if (!sb->hasFocus()) {
            const QSignalBlocker b(sb);
            sb->setValue(v);
        }
    }
    m_curve->comp = *c;
    m_curve->update();
    const QSignalBlocker b1(m_enabled), b2(m_detector);
    m_enabled->setChecked(c->enabled);
    m_detector->setCurrentText(QString::fromStdString(engine::toString(c->detector)));
}

void CompressorEditor::setReduction(double db)
{
    m_gr->setValue(static_cast<int>(std::clamp(db, 0.0, 24.0) * 10));
    m_gr->setToolTip(QString("gain reduction %1 dB").arg(db, 0, 'f', 1));
    m_curve->reductionDb = db;
    m_curve->update();
}

} // namespace mixroom::desk
