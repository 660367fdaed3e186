// SPDX-License-Identifier: MIT
#pragma once
// An aux return's effect: its type (reverb or delay; the owner's to change) and the settings of
// that type, every control built from the parameter table's rows (range, unit, choices), following
// everyone's edits live.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QDialog>
#include <QHash>

class QFormLayout;

namespace mixroom::desk {

class EffectEditor : public QDialog {
    Q_OBJECT
  public:
    // `strip` is "returns/<id>".
    EffectEditor(client::Connection* conn, const QString& strip, const QJsonObject& permissions, QWidget* parent = nullptr);
    void refresh(); // from the session mirror
    QWidget* control(const QString& field) const { return m_controls.value(field); }
    bool shows(const QString& field) const; // the field belongs to the current effect type

  private:
    client::Connection* m_conn;
    QString m_strip;
    QFormLayout* m_form;
    QHash<QString, QWidget*> m_controls; // field -> its control
};

} // namespace mixroom::desk
