// SPDX-License-Identifier: MIT
#include "client/Connection.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace mixroom::client {

using namespace protocol;

Connection::Connection(QUrl url, QString token, QString clientId, QObject* parent)
    : QObject(parent), m_url(std::move(url)), m_token(std::move(token)), m_clientId(std::move(clientId)),
      // clientSeq must never repeat for this clientId, also across runs: start from the clock.
      m_nextSeq(QDateTime::currentMSecsSinceEpoch() * 1000)
{
    m_socket.setMaxAllowedIncomingMessageSize(16 * 1024 * 1024); // welcome carries the whole session
    connect(&m_socket, &QWebSocket::connected, this, &Connection::onConnected);
    connect(&m_socket, &QWebSocket::disconnected, this, &Connection::onDisconnected);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &Connection::onText);
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this, &Connection::audioFrame);
    // wss://: certificates are verified; why one was not is kept for the error message.
    connect(&m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError>& errors) {
        QStringList why;
        for (const QSslError& e : errors)
            why << e.errorString();
        m_tlsError = why.join("; ");
    });
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] { m_socket.open(m_url); });
}

void Connection::applyPresence(const QJsonArray& changed, const QJsonArray& left)
{
    for (const QJsonValue& v : left) {
        m_presence.remove(v.toString());
        m_presenceOrder.removeAll(v.toString());
    }
    for (const QJsonValue& v : changed) {
        const QString id = v.toObject().value("id").toString();
        if (!m_presence.contains(id)) m_presenceOrder.append(id);
        m_presence.insert(id, v.toObject());
    }
    QJsonArray members;
    for (const QString& id : std::as_const(m_presenceOrder))
        members.append(m_presence.value(id));
    emit presence(QJsonObject{{"type", "presence"}, {"members", members}});
}

Connection::~Connection()
{
    m_socket.disconnect(this);
}

void Connection::setState(State s)
{
    if (s != m_state) {
        m_state = s;
        emit stateChanged(s);
    }
}

void Connection::open()
{
    m_closing = false;
    setState(State::Connecting);
    m_socket.open(m_url);
}

void Connection::close()
{
    m_closing = true;
    m_retry.stop();
    m_socket.close();
    setState(State::Disconnected);
}

void Connection::simulateDrop()
{
    m_socket.abort();
}

bool Connection::tracked(Kind kind)
{
    for (const Field& f : spec(kind).fields)
        if (QLatin1String(f.name) == QLatin1String("clientSeq")) return true;
    return false;
}

qint64 Connection::request(Kind kind, QJsonObject fields)
{
    if (m_observer) m_observer(kind, fields);
    qint64 seq = -1;
    if (tracked(kind)) {
        seq = ++m_nextSeq;
        fields.insert("clientSeq", seq);
    }
    const QByteArray msg = encode(kind, fields);
    if (seq >= 0) m_pending.insert(seq, msg);
    if (m_state == State::Connected) m_socket.sendTextMessage(QString::fromUtf8(msg));
    return seq;
}

void Connection::onConnected()
{
    QJsonArray features{"edits", "presence", "replay"};
    if (m_quiet) features.append("quiet");
    QJsonObject hello{{"major", kProtocolMajor}, {"features", features}, {"token", m_token}, {"clientId", m_clientId}};
    if (m_mirror.hasState()) hello.insert("lastSeq", m_mirror.seq());
    m_socket.sendTextMessage(QString::fromUtf8(encode(Kind::Hello, hello)));
}

void Connection::onDisconnected()
{
    if (m_closing || m_state == State::Failed) {
        setState(m_state == State::Failed ? State::Failed : State::Disconnected);
        return;
    }
    if (!m_autoReconnect) {
        setState(State::Disconnected);
        return;
    }
    setState(State::Reconnecting);
    m_retry.start(m_backoffMs);
    m_backoffMs = std::min(m_backoffMs * 2, 5000);
}

void Connection::onText(const QString& text)
{
    auto decoded = decode(text.toUtf8(), Direction::ServerToClient);
    if (std::holds_alternative<DecodeError>(decoded)) return; // a newer server's message kind we do not know: ignore
    const Message& msg = std::get<Message>(decoded);
    const QJsonObject& b = msg.body;
    const qint64 clientSeq = b.contains("clientSeq") ? static_cast<qint64>(b.value("clientSeq").toDouble()) : -1;
    switch (msg.kind) {
    case Kind::Welcome: {
        m_backoffMs = 250;
        m_admin = b.value("admin").toBool();
        QString error;
        if (!m_admin && !m_mirror.applyWelcome(b, &error)) {
            // Could not catch up from the replay: ask for the full state.
            m_mirror = SessionMirror{};
            m_socket.abort();
            return;
        }
        m_welcome = b;
        m_presence.clear();
        m_presenceOrder.clear();
        applyPresence(b.value("presence").toArray(), {});
        setState(State::Connected);
        // Re-send what was never acknowledged; resends are answered with the original result.
        for (const QByteArray& pending : std::as_const(m_pending))
            m_socket.sendTextMessage(QString::fromUtf8(pending));
        emit welcomed(b);
        return;
    }
    case Kind::Edit: {
        QString error;
        if (!m_mirror.applyEdit(b, &error)) {
            m_socket.abort(); // reconnect with lastSeq and catch up
            return;
        }
        emit edit(b);
        return;
    }
    case Kind::Snapshot: m_mirror.applySnapshot(b); return;
    case Kind::Presence: applyPresence(b.value("members").toArray(), b.value("left").toArray()); return;
    case Kind::Ack:
        m_pending.remove(clientSeq);
        emit acked(clientSeq, static_cast<qint64>(b.value("seq").toDouble()));
        return;
    case Kind::Error: {
        const QString code = b.value("code").toString();
        if (m_state != State::Connected && (code == codes::BadToken || code == codes::VersionUnsupported || code == codes::BadMessage)) {
            setState(State::Failed);
            emit failed(code, b.value("message").toString());
            return;
        }
        m_pending.remove(clientSeq);
        emit refused(clientSeq, b);
        return;
    }
    default:
        m_pending.remove(clientSeq);
        emit reply(clientSeq, b);
        return;
    }
}

} // namespace mixroom::client
