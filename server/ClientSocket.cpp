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
    // One control message's worth per read: a burst of small frames is taken in slices, so one
    // socket's flood cannot hold the event loop for long.
    m_socket->setReadBufferSize(kMaxControlMessageBytes);
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

bool ClientSocket::roomToSend()
{
    if (m_closed || m_closing) return false;
    if (m_socket->bytesToWrite() <= m_sendQueueLimit) return true;
    emit overflowed(this, "send_queue_full");
    close(QWebSocketProtocol::CloseCodePolicyViolated,
          QString("not reading: more than %1 KiB waiting to be sent").arg(m_sendQueueLimit / 1024));
    return false;
}

void ClientSocket::send(const QByteArray& json)
{
    if (roomToSend()) m_socket->sendTextMessage(QString::fromUtf8(json));
}

void ClientSocket::sendBinary(const QByteArray& frame)
{
    if (!roomToSend()) return;
    m_socket->sendBinaryMessage(frame);
    m_socket->flush(); // written now (audio is due): no write-notifier round per frame
}

void ClientSocket::sendError(const QString& code, const QString& message, const QJsonObject& extra)
{
    send(errorMessage(code, message, extra));
}

void ClientSocket::close(QWebSocketProtocol::CloseCode code, const QString& reason)
{
    if (m_closing) return;
    m_closing = true;
    m_socket->close(code, reason.left(120));
    // A peer that never reads never answers the close frame either.
    QTimer::singleShot(kCloseGraceMs, this, [this] {
        if (!m_closed) m_socket->abort();
    });
}

void ClientSocket::onText(const QString& text)
{
    if (m_closing) return;
    QByteArray utf8 = text.toUtf8();
    if (m_inbox.size() >= kMaxInboxMessages || m_inboxBytes + utf8.size() > kMaxInboxBytes) {
        m_inbox.clear();
        m_inboxBytes = 0;
        emit overflowed(this, "flooding");
        close(QWebSocketProtocol::CloseCodePolicyViolated,
              QString("flooding: more than %1 messages waiting to be handled").arg(kMaxInboxMessages));
        return;
    }
    m_inboxBytes += utf8.size();
    m_inbox.append(std::move(utf8));
    if (m_inbox.size() == 1) emit received(this);
}

bool ClientSocket::handleNext()
{
    if (m_inbox.isEmpty()) return false;
    const QByteArray text = m_inbox.takeFirst();
    m_inboxBytes -= text.size();
    if (!m_closing) handle(text);
    return !m_inbox.isEmpty();
}

void ClientSocket::handle(const QByteArray& text)
{
    auto decoded = decode(text, Direction::ClientToServer);
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
