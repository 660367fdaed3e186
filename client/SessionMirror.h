// SPDX-License-Identifier: MIT
#pragma once
// The client's copy of the session: filled by `welcome` (state or replay), kept current by
// `edit` broadcasts applied with the same code as the server (protocol::applyOp), so every
// client's state equals the server's at the same sequence number.
// Thread: the thread of its Connection.
#include "engine/model/Session.h"

#include <QByteArray>
#include <QJsonObject>

namespace mixroom::client {

class SessionMirror {
  public:
    bool hasState() const { return m_hasState; }
    qint64 seq() const { return m_seq; }
    const engine::Session& state() const { return m_state; }
    // Applies a welcome: the full state, or a replay on top of the current state.
    bool applyWelcome(const QJsonObject& welcome, QString* error);
    // Applies one broadcast edit; false (and `error`) on a gap or an edit that does not apply.
    bool applyEdit(const QJsonObject& edit, QString* error);
    void applySnapshot(const QJsonObject& snapshot);
    // SHA-256 of the canonical session document: equal states give equal hashes.
    QByteArray stateHash() const;

  private:
    engine::Session m_state;
    qint64 m_seq = 0;
    bool m_hasState = false;
};

} // namespace mixroom::client
