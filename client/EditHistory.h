// SPDX-License-Identifier: MIT
#pragma once
// Undo and redo of this client's own edits, as inverse requests through the server (so everyone
// sees an undo like any other edit, and the server checks it like any other). Records what the
// client sends through its Connection: parameter sets (a drag on one control within a second is
// one step), EQ bands added or removed, sends added or removed. The inverse is computed from the
// session as the server last confirmed it. Others' edits are never undone.
// Thread: the Connection's thread.
#include "client/Connection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>

namespace mixroom::client {

class EditHistory : public QObject {
    Q_OBJECT
  public:
    explicit EditHistory(Connection* conn, QObject* parent = nullptr);
    bool canUndo() const { return !m_undo.isEmpty(); }
    bool canRedo() const { return !m_redo.isEmpty(); }
    QString undoText() const { return m_undo.isEmpty() ? QString() : m_undo.last().label; }
    QString redoText() const { return m_redo.isEmpty() ? QString() : m_redo.last().label; }
    void undo();
    void redo();
    void clear();

  signals:
    void changed();

  private:
    struct Request {
        protocol::Kind kind;
        QJsonObject fields;
    };
    struct Step {
        QString label;
        QList<Request> forward, inverse;
        QString path; // a parameter set's path, to merge a drag into one step
        qint64 at = 0;
    };
    void observe(protocol::Kind kind, const QJsonObject& fields);
    // A value as this client last set it (sent, not yet echoed), else as the server confirmed it.
    QJsonValue latest(const QString& path) const;
    void send(const QList<Request>& requests);

    Connection* m_conn;
    QList<Step> m_undo, m_redo;
    bool m_replaying = false;
    QHash<QString, QJsonValue> m_inFlight; // own sets not yet echoed: path -> value
    QElapsedTimer m_clock;
};

} // namespace mixroom::client
