// SPDX-License-Identifier: MIT
#pragma once
// One accepted WebSocket: frame limits, the authentication deadline, decoding against the message
// table, and who it belongs to once authenticated. Owned by the Server.
// Thread: control thread.
#include "protocol/Messages.h"
#include "server/Permissions.h"

#include <QObject>
#include <QTimer>
#include <QWebSocket>

#include <memory>

namespace mixroom::server {

class ClientSocket : public QObject {
    Q_OBJECT
  public:
    static constexpr int kAuthTimeoutMs = 5000;
    ClientSocket(std::unique_ptr<QWebSocket> socket, int authTimeoutMs, QObject* parent = nullptr);
    ~ClientSocket() override;

    void send(const QByteArray& json);
    void sendBinary(const QByteArray& frame);
    qint64 bytesToWrite() const { return m_socket->bytesToWrite(); }
    void sendError(const QString& code, const QString& message, const QJsonObject& extra = {});
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

  signals:
    void message(mixroom::server::ClientSocket* self, const mixroom::protocol::Message& msg);
    void refused(mixroom::server::ClientSocket* self, const QString& code); // decode errors, for metrics
    void closed(mixroom::server::ClientSocket* self);

  private:
    void onText(const QString& text);
    std::unique_ptr<QWebSocket> m_socket;
    QTimer m_authTimer;
    QString m_peer;
    bool m_closed = false;
    bool m_closing = false; // close() was called
};

} // namespace mixroom::server
