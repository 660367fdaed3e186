// SPDX-License-Identifier: MIT
#pragma once
// One accepted WebSocket: frame limits, the authentication deadline, decoding against the message
// table, and who it belongs to once authenticated. Owned by the Server.
// Thread: control thread.
#include "protocol/Messages.h"
#include "server/Permissions.h"

#include <QList>
#include <QObject>
#include <QTimer>
#include <QWebSocket>

#include <memory>

namespace mixroom::server {

class ClientSocket : public QObject {
    Q_OBJECT
  public:
    static constexpr int kAuthTimeoutMs = 5000;
    // Messages received and not yet handled: the server handles one message per socket in turn
    // (Server::drain), so a member who floods waits behind everyone else. Past these bounds the
    // socket is closed (1008, "flooding").
    static constexpr int kMaxInboxMessages = 4096;
    static constexpr qint64 kMaxInboxBytes = 1 << 20;
    // Bytes queued towards the peer (control and audio). A socket past this is not reading: it is
    // closed (1008) rather than buffered without bound. A single larger message (a welcome) still
    // goes out when the queue is empty.
    static constexpr qint64 kMaxSendQueueBytes = 1 << 20;
    void setSendQueueLimit(qint64 bytes) { m_sendQueueLimit = bytes; }
    // After close(), a peer that does not complete the closing handshake is cut off.
    static constexpr int kCloseGraceMs = 2000;
    ClientSocket(std::unique_ptr<QWebSocket> socket, int authTimeoutMs, QObject* parent = nullptr);
    ~ClientSocket() override;

    void send(const QByteArray& json);
    void sendBinary(const QByteArray& frame);
    qint64 bytesToWrite() const { return m_socket->bytesToWrite(); }
    void sendError(const QString& code, const QString& message, const QJsonObject& extra = {});
    // Handles the oldest received message (decode, then `message` or a refusal); true while more wait.
    bool handleNext();
    bool hasInbox() const { return !m_inbox.isEmpty(); }
    qsizetype inboxSize() const { return m_inbox.size(); }
    void close(QWebSocketProtocol::CloseCode code, const QString& reason);
    QString peerAddress() const { return m_peer; }
    bool closing() const { return m_closing; }
    QHostAddress peerHost() const { return m_socket->peerAddress(); }
    quint16 peerPort() const { return m_socket->peerPort(); }

    // Set once `hello` was accepted.
    bool authenticated = false;
    bool admin = false;
    QString clientId, sessionId, memberId, memberName;
    Role role = Role::Client;
    QString touching;
    bool quiet = false; // hello feature "quiet": a one-off command, left out of presence

  signals:
    void message(mixroom::server::ClientSocket* self, const mixroom::protocol::Message& msg);
    void refused(mixroom::server::ClientSocket* self, const QString& code); // decode errors, for metrics
    void closed(mixroom::server::ClientSocket* self);
    void received(mixroom::server::ClientSocket* self);                        // a message waits in the inbox
    void overflowed(mixroom::server::ClientSocket* self, const QString& code); // inbox or send queue past its bound

  private:
    void onText(const QString& text);
    bool roomToSend();
    void handle(const QByteArray& text);
    QList<QByteArray> m_inbox;
    qint64 m_inboxBytes = 0;
    std::unique_ptr<QWebSocket> m_socket;
    QTimer m_authTimer;
    QString m_peer;
    bool m_closed = false;
    qint64 m_sendQueueLimit = kMaxSendQueueBytes;
    bool m_closing = false; // close() was called
};

} // namespace mixroom::server
