// SPDX-License-Identifier: MIT
#include "client/SessionMirror.h"

#include "protocol/SessionCodec.h"
#include "protocol/SessionOps.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace mixroom::client {

namespace {
const protocol::StemExists kTrustServer = [](const QString&) { return true; }; // the server checked stems
}

bool SessionMirror::applyWelcome(const QJsonObject& w, QString* error)
{
    if (w.contains("state")) {
        auto decoded = protocol::decodeSession(QJsonDocument(w.value("state").toObject()).toJson(QJsonDocument::Compact));
        if (!decoded) {
            *error = QString::fromStdString(decoded.error().message);
            return false;
        }
        m_state = decoded.value();
        m_seq = static_cast<qint64>(w.value("seq").toDouble());
        m_hasState = true;
        return true;
    }
    // The replay brings the mirror to the welcome's seq; edits after it come as broadcasts (which
    // applyEdit skips if a replay already brought them). Never move the seq without the ops.
    for (const QJsonValue& e : w.value("replay").toArray())
        if (!applyEdit(e.toObject(), error)) return false;
    const qint64 seq = static_cast<qint64>(w.value("seq").toDouble());
    if (m_seq < seq) {
        *error = QString("the replay ends at %1, before the welcome's %2").arg(m_seq).arg(seq);
        return false;
    }
    return true;
}

bool SessionMirror::applyEdit(const QJsonObject& edit, QString* error)
{
    const qint64 seq = static_cast<qint64>(edit.value("seq").toDouble());
    if (seq <= m_seq) return true; // already have it (replay overlap)
    if (seq != m_seq + 1) {
        *error = QString("missed edits %1-%2").arg(m_seq + 1).arg(seq - 1);
        return false;
    }
    if (auto e = protocol::applyOp(m_state, edit.value("op").toString(), edit.value("args").toObject(), kTrustServer)) {
        *error = QString("edit %1 does not apply: %2").arg(seq).arg(e->message);
        return false;
    }
    m_seq = seq;
    return true;
}

void SessionMirror::applySnapshot(const QJsonObject& s)
{
    auto decoded = protocol::decodeSession(QJsonDocument(s.value("state").toObject()).toJson(QJsonDocument::Compact));
    if (decoded) {
        m_state = decoded.value();
        m_seq = static_cast<qint64>(s.value("seq").toDouble());
        m_hasState = true;
    }
}

QByteArray SessionMirror::stateHash() const
{
    return QCryptographicHash::hash(protocol::encodeSession(m_state), QCryptographicHash::Sha256).toHex();
}

} // namespace mixroom::client
