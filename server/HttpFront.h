// SPDX-License-Identifier: MIT
#pragma once
// HTTP and WebSocket on one port. In Qt 6.4 an upgrade request is handed to the WebSocket server
// only when handleRequest() returns true for it, and QHttpServer returns true only for a matched
// route; this subclass accepts upgrades on any path and answers plain HTTP through its routes.
//
// Qt's HTTP server reads a whole request (head and body) into memory before a route sees it. So
// every connection is guarded before Qt reads a byte of it:
//  - the socket's read buffer is capped at the head limit until the head has been scanned
//    (HttpHead.h); a head over the limit gets 431, a request line or header the grammar refuses 400;
//  - the route's admission decides from the head alone (method, path, token, Content-Length)
//    whether a body may follow and how large: 401/403/404/413 are answered before the body is
//    read; an admitted body raises the cap to exactly its size (and gets 100 Continue when asked);
//  - large bodies (over 64 KiB) are received a few at a time; beyond that 503 with Retry-After;
//  - deadlines: the head within headTimeoutMs of its first byte, the body without a pause longer
//    than bodyIdleMs and at bodyMinBytesPerSecond on average, idle keep-alive connections closed
//    after idleTimeoutMs, a response the peer does not read for writeStallMs aborted;
//  - connections per address and in total (never more than the descriptor limit allows) with fair
//    shares: when full, a newcomer from an address holding fewer connections than the heaviest one
//    evicts that address's oldest connection that is idle or not yet authenticated.
// Thread: control thread.
#include "server/FileSender.h"
#include "server/HttpHead.h"

#include <QAbstractHttpServer>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTcpSocket>
#include <QTimer>

#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

namespace mixroom::server {

struct HttpLimits {
    HttpHeadLimits head;
    int headTimeoutMs = 10'000;
    int bodyIdleMs = 15'000;
    qint64 bodyMinBytesPerSecond = 16 * 1024;
    int idleTimeoutMs = 15'000;
    int writeStallMs = 30'000;
    int maxConnections = 1024; // and at most the descriptor limit less a reserve
    int maxConnectionsPerAddress = 64;
    int maxLargeBodies = 4;
    qint64 largeBodyBytes = 64 * 1024;
    qint64 defaultMaxBody = 0; // routes that do not say
};

// A route's answer to a request head, before its body is read.
struct Admission {
    int status = 0; // 0: admitted; otherwise the HTTP status of the refusal
    QByteArray code;
    QString message;
    qint64 maxBody = 0;
    QJsonObject extra;  // more fields for the refusal's JSON body (409: where an upload stands)
    int retryAfter = 0; // seconds, for 503
    static Admission refuse(int status, QByteArray code, QString message, QJsonObject extra = {}, int retryAfter = 0)
    {
        return {status, std::move(code), std::move(message), 0, std::move(extra), retryAfter};
    }
    static Admission admit(qint64 maxBody) { return {0, {}, {}, maxBody, {}, 0}; }
};

class HttpFront : public QAbstractHttpServer {
    Q_OBJECT
  public:
    using Route = std::function<void(const QHttpServerRequest&, QHttpServerResponder&)>;
    using Admit = std::function<Admission(const RequestHead&, const QHostAddress& peer)>;
    explicit HttpFront(HttpLimits limits = {}, QObject* parent = nullptr);
    // Listens with TCP_NODELAY on every accepted socket: acks and edits are small and
    // latency-bound, and must not wait for the peer's delayed ACK (Nagle). With `tls`, every
    // connection is TLS (HTTPS and WSS on the port). Returns the port, 0 on failure.
    quint16 listenLowDelay(const QHostAddress& address, quint16 port, std::optional<QSslConfiguration> tls = std::nullopt);
    bool tls() const { return m_tls; }
    // GET (and HEAD) routes by exact path; no request body.
    void get(const QString& path, Route route) { m_get[path] = std::move(route); }
    // Any method under a path prefix ("/uploads"); the handler checks the method. `admit` decides
    // from the head whether a body may follow (none when absent).
    void prefix(const QString& prefix, Route route, Admit admit = {}) { m_prefix[prefix] = {std::move(route), std::move(admit)}; }
    // A route answering later (after a worker job) holds its connection: no idle deadline, not
    // evicted, until release().
    void hold(QTcpSocket* socket) { setHeld(socket, true); }
    void release(QTcpSocket* socket) { setHeld(socket, false); }
    // Answers with a file window from a transfer thread (FileSender.h): `head` is the complete
    // response head (it should say "Connection: close"); the connection ends after the body.
    // False when the file cannot be opened (nothing was sent; answer otherwise).
    bool sendFile(QTcpSocket* socket, QByteArray head, const QString& path, qint64 start, qint64 length);
    FileSender& fileSender() { return m_sender; }
    // A WebSocket on this connection authenticated: no longer evicted to make room for others.
    void markAuthenticated(const QHostAddress& peer, quint16 port);
    int connectionCount() const { return static_cast<int>(m_conns.size()); }
    // The connection cap in force: HttpLimits::maxConnections, lowered to fit RLIMIT_NOFILE.
    int connectionCap() const { return m_cap; }

  signals:
    // A refusal answered by the guard (status, code), for metrics and the failed-login count.
    void refused(int status, const QByteArray& code, const QHostAddress& peer);

  protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

  private:
    friend class GuardedTcpServer;
    enum class Phase { Idle, Head, Body, WebSocket, Sending };
    struct Conn {
        QTcpSocket* socket = nullptr;
        QPointer<QTcpSocket> alive; // null once deleted
        QHostAddress peer;
        quint16 port = 0;
        qint64 accepted = 0, lastRead = 0, writePendingSince = 0, headStart = 0, bodyDeadline = 0;
        Phase phase = Phase::Idle;
        QByteArray head;
        qint64 bodyLeft = 0;
        bool large = false, authenticated = false, closing = false, held = false, closeAfterRelease = false;
    };
    bool admitConnection(QTcpSocket* socket);
    void onReadyRead(Conn& c);
    void onHead(Conn& c, const HeadScan& scan);
    void refuse(Conn& c, int status, const QByteArray& code, const QString& message, int retryAfter = 0, const QJsonObject& extra = {});
    void endBody(Conn& c);
    void tick();
    void prune();
    void setHeld(QTcpSocket* socket, bool held);
    bool evictable(const Conn& c) const;
    Admission admission(const RequestHead& head, const QHostAddress& peer) const;

    struct Prefixed {
        Route route;
        Admit admit;
    };
    HttpLimits m_limits;
    bool m_tls = false;
    int m_cap = 0;
    int m_largeActive = 0;
    std::map<QString, Route> m_get;
    std::map<QString, Prefixed> m_prefix;
    std::unordered_map<QTcpSocket*, Conn> m_conns;
    QElapsedTimer m_clock;
    QTimer m_tick;
    FileSender m_sender;
};

} // namespace mixroom::server
