// SPDX-License-Identifier: MIT
#include "server/ClientSocket.h"

namespace mixroom::server {

using namespace protocol;

ClientSocket::ClientSocket(std::unique_ptr<QWebSocket> socket, int authTimeoutMs, QObject* parent)
    : QObject(parent), m_socket(std::move(socket))
{
    m_peer = m_socket->peerAddress().toString();
    // Qt accepts ~2 GiB messages by default; control messages are small. Over the limit Qt closes
    // the socket with 1009 (message too big).
    m_socket->setMaxAllowedIncomingFrameSize(kMaxControlMessageBytes);
    m_socket->setMaxAllowedIncomingMessageSize(kMaxControlMessageBytes);
    m_socket->setReadBufferSize(4 * kMaxControlMessageBytes);
    connect(m_socket.get(), &QWebSocket::textMessageReceived, this, &ClientSocket::onText);
    connect(m_socket.get(), &QWebSocket::binaryMessageReceived, this, [this] {
        sendError(codes::BadMessage, "binary frames are reserved for audio from the server");
        emit refused(this, codes::BadMessage);
    });
    connect(m_socket.get(), &QWebSocket::disconnected, this, [this] {
        if (!m_closed) {
            m_closed = true;
            emit closed(this);
        }
    });
    m_authTimer.setSingleShot(true);
    connect(&m_authTimer, &QTimer::timeout, this, [this] {
        if (!authenticated) close(QWebSocketProtocol::CloseCodePolicyViolated, "authentication timeout: send hello first");
    });
    m_authTimer.start(authTimeoutMs);
}

ClientSocket::~ClientSocket()
{
    if (m_socket) m_socket->disconnect(this);
}

void ClientSocket::send(const QByteArray& json)
{
    if (!m_closed) m_socket->sendTextMessage(QString::fromUtf8(json));
}

void ClientSocket::sendBinary(const QByteArray& frame)
{
    if (!m_closed) m_socket->sendBinaryMessage(frame);
}

void ClientSocket::sendError(const QString& code, const QString& message, const QJsonObject& extra)
{
    send(errorMessage(code, message, extra));
}

void ClientSocket::close(QWebSocketProtocol::CloseCode code, const QString& reason)
{
    m_closing = true;
    m_socket->close(code, reason.left(120));
}

void ClientSocket::onText(const QString& text)
{
    auto decoded = decode(text.toUtf8(), Direction::ClientToServer);
    if (auto* err = std::get_if<DecodeError>(&decoded)) {
        QJsonObject extra;
        sendError(err->code, err->message, extra);
        emit refused(this, err->code);
        return;
    }
    const Message& msg = std::get<Message>(decoded);
    if (!authenticated && msg.kind != Kind::Hello) {
        sendError(codes::BadMessage, "the first message must be hello");
        emit refused(this, codes::BadMessage);
        close(QWebSocketProtocol::CloseCodePolicyViolated, "not authenticated");
        return;
    }
    emit message(this, msg);
}

} // namespace mixroom::server
