// SPDX-License-Identifier: MIT
#pragma once
// HTTP and WebSocket on one port. In Qt 6.4 an upgrade request is handed to the WebSocket server
// only when handleRequest() returns true for it, and QHttpServer returns true only for a matched
// route; this subclass accepts upgrades on any path and answers plain HTTP through its routes.
// Thread: control thread.
#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>

#include <functional>
#include <map>

namespace mixroom::server {

class HttpFront : public QAbstractHttpServer {
  public:
    using Route = std::function<void(const QHttpServerRequest&, QHttpServerResponder&)>;
    using QAbstractHttpServer::QAbstractHttpServer;
    // Listens with TCP_NODELAY on every accepted socket: acks and edits are small and
    // latency-bound, and must not wait for the peer's delayed ACK (Nagle). Returns the port, 0 on failure.
    quint16 listenLowDelay(const QHostAddress& address, quint16 port);
    // GET routes by exact path.
    void get(const QString& path, Route route) { m_get[path] = std::move(route); }
    // Any method under a path prefix ("/uploads"); the handler checks the method.
    void prefix(const QString& prefix, Route route) { m_prefix[prefix] = std::move(route); }

  protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

  private:
    std::map<QString, Route> m_get;
    std::map<QString, Route> m_prefix;
};

} // namespace mixroom::server
