// SPDX-License-Identifier: MIT
#include "server/HttpFront.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>

namespace mixroom::server {

namespace {
class LowDelayTcpServer : public QTcpServer {
  public:
    using QTcpServer::QTcpServer;

  protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // A modest kernel send buffer keeps a slow reader's backlog in Qt's queue, where the
        // server measures it (bytesToWrite) and drops audio frames instead of letting it grow.
        socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 64 * 1024);
        addPendingConnection(socket);
    }
};
} // namespace

quint16 HttpFront::listenLowDelay(const QHostAddress& address, quint16 port)
{
    auto* tcp = new LowDelayTcpServer(this);
    if (!tcp->listen(address, port)) {
        delete tcp;
        return 0;
    }
    bind(tcp);
    return tcp->serverPort();
}

bool HttpFront::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket)
{
    if (request.value("upgrade").compare("websocket", Qt::CaseInsensitive) == 0)
        return true; // accepted: Qt 6.4 hands the socket to its WebSocket server (newWebSocketConnection)
    auto responder = makeResponder(request, socket);
    const QString path = request.url().path();
    for (const auto& [pre, route] : m_prefix)
        if (path == pre || path.startsWith(pre + "/")) {
            route(request, responder);
            return true;
        }
    auto it = m_get.find(path);
    if (it == m_get.end()) {
        responder.write(
            QJsonDocument(QJsonObject{{"error", "not_found"}, {"message", QString("no such endpoint: %1").arg(path.left(100))}}),
            QHttpServerResponder::StatusCode::NotFound);
        return true;
    }
    if (request.method() != QHttpServerRequest::Method::Get) {
        responder.write(QJsonDocument(QJsonObject{{"error", "method_not_allowed"}, {"message", "use GET"}}),
                        QHttpServerResponder::StatusCode::MethodNotAllowed);
        return true;
    }
    it->second(request, responder);
    return true;
}

void HttpFront::missingHandler(const QHttpServerRequest& request, QTcpSocket* socket)
{
    makeResponder(request, socket).write(QHttpServerResponder::StatusCode::NotFound);
}

} // namespace mixroom::server
