// SPDX-License-Identifier: MIT
#include "client/desk/CompressorEditor.h"

#include "engine/model/ParamTable.h"

#include <QFormLayout>

namespace mixroom::desk {

using protocol::Kind;

CompressorEditor::CompressorEditor(client::Connection* conn, const QString& strip, bool editable, QWidget* parent)
    : QDialog(parent), m_conn(conn), m_strip(strip)
{
    setWindowTitle("Compressor — " + strip);
    auto* form = new QFormLayout(this);
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
    const QSignalBlocker b1(m_enabled), b2(m_detector);
    m_enabled->setChecked(c->enabled);
    m_detector->setCurrentText(QString::fromStdString(engine::toString(c->detector)));
}

void CompressorEditor::setReduction(double db)
{
    m_gr->setValue(static_cast<int>(std::clamp(db, 0.0, 24.0) * 10));
    m_gr->setToolTip(QString("gain reduction %1 dB").arg(db, 0, 'f', 1));
}

} // namespace mixroom::desk
