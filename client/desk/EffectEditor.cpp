// SPDX-License-Identifier: MIT
#include "client/desk/EffectEditor.h"

#include "engine/model/ParamTable.h"
#include "protocol/SessionOps.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>

namespace mixroom::desk {

using protocol::Kind;

namespace {
const QStringList kReverb{"size", "decay", "damping", "predelay"};
const QStringList kDelay{"time", "sync", "feedback", "highcut", "pingpong"};
} // namespace

EffectEditor::EffectEditor(client::Connection* conn, const QString& strip, const QJsonObject& permissions, QWidget* parent)
    : QDialog(parent), m_conn(conn), m_strip(strip)
{
    setWindowTitle("Effect — " + strip);
    m_form = new QFormLayout(this);
    const QString role = conn->welcome().value("member").toObject().value("role").toString();
    for (const engine::ParamSpec& spec : engine::paramTable()) {
        const QString pattern = QString::fromStdString(spec.pattern);
        if (!pattern.startsWith("returns/*/effect/")) continue;
        const QString field = pattern.section('/', 3);
        const QString path = strip + "/effect/" + field;
        const bool editable = spec.scope == engine::ParamScope::Structure ? permissions.value("edit_structure").toBool()
                                                                          : permissions.value("edit_strip").toBool();
        QWidget* control = nullptr;
        if (spec.type == engine::ParamType::Bool) {
            auto* box = new QCheckBox(this);
            connect(box, &QCheckBox::toggled, this, [this, path](bool on) { m_conn->request(Kind::Set, {{"path", path}, {"value", on}}); });
            control = box;
        } else if (spec.type == engine::ParamType::Choice) {
            auto* box = new QComboBox(this);
            for (const std::string& c : spec.choices)
                box->addItem(QString::fromStdString(c));
            connect(box, &QComboBox::textActivated, this, [this, path](const QString& v) {
                m_conn->request(Kind::Set, {{"path", path}, {"value", v}});
            });
            control = box;
        } else {
            auto* box = new QDoubleSpinBox(this);
            box->setRange(spec.min, spec.max);
            box->setDecimals(spec.max - spec.min <= 2 ? 2 : 1);
            if (!spec.unit.empty()) box->setSuffix(" " + QString::fromStdString(spec.unit));
            box->setKeyboardTracking(false);
            connect(box, &QDoubleSpinBox::valueChanged, this, [this, path](double v) {
                m_conn->request(Kind::Set, {{"path", path}, {"value", v}});
            });
            control = box;
        }
        control->setObjectName(field);
        control->setEnabled(editable);
        control->setToolTip(editable ? QString::fromStdString(spec.doc)
                                     : QString("the %1 role may not change %2").arg(role, field == "type" ? "the effect type" : "effects"));
        m_form->addRow(field == "type" ? QString("Effect") : QString(field).replace(0, 1, field.at(0).toUpper()), control);
        m_controls.insert(field, control);
    }
    connect(conn, &client::Connection::edit, this, &EffectEditor::refresh);
    refresh();
}

bool EffectEditor::shows(const QString& field) const
{
    const QWidget* w = m_controls.value(field);
    return w && !w->isHidden();
}

void EffectEditor::refresh()
{
    const engine::Session& s = m_conn->mirror().state();
    const engine::Return* r = s.aux(m_strip.section('/', 1).toStdString());
    if (!r) return; // removed meanwhile
    const QString type = QString::fromStdString(engine::toString(r->effect));
    for (auto it = m_controls.cbegin(); it != m_controls.cend(); ++it) {
        const QString field = it.key();
        const bool relevant = field == "type" || (type == "reverb" ? kReverb.contains(field) : kDelay.contains(field));
        m_form->setRowVisible(it.value(), relevant);
        const QJsonValue v = protocol::valueAt(s, m_strip + "/effect/" + field);
        QWidget* w = it.value();
        if (w->hasFocus()) continue;
        const QSignalBlocker block(w);
        if (auto* sb = qobject_cast<QDoubleSpinBox*>(w))
            sb->setValue(v.toDouble());
        else if (auto* cb = qobject_cast<QCheckBox*>(w))
            cb->setChecked(v.toBool());
        else if (auto* co = qobject_cast<QComboBox*>(w))
            co->setCurrentText(v.toString());
    }
}

} // namespace mixroom::desk
