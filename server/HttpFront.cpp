// SPDX-License-Identifier: MIT
#include "server/HttpFront.h"
#include "server/HttpReply.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

#include <sys/resource.h>

namespace mixroom::server {

// Accepts with TCP_NODELAY and a modest kernel send buffer, and puts the guard on every socket
// before Qt's HTTP server connects to it (signals reach slots in connection order). With TLS the
// socket is a QSslSocket in server mode: Qt's HTTP and WebSocket servers read and write it like
// any TCP socket and see only decrypted bytes, so HTTPS and WSS share the port and the guard.
class GuardedTcpServer : public QTcpServer {
  public:
    GuardedTcpServer(HttpFront* front, std::optional<QSslConfiguration> tls) : QTcpServer(front), m_front(front), m_tls(std::move(tls)) {}

  protected:
    void incomingConnection(qintptr descriptor) override
    {
        QTcpSocket* socket = nullptr;
        if (m_tls) {
            auto* ssl = new QSslSocket(this);
            ssl->setSslConfiguration(*m_tls);
            socket = ssl;
        } else {
            socket = new QTcpSocket(this);
        }
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        if (!m_front->admitConnection(socket)) {
            socket->abort();
            delete socket;
            return;
        }
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // A modest kernel send buffer keeps a slow reader's backlog in Qt's queue, where the
        // server measures it (bytesToWrite) and drops audio frames instead of letting it grow.
        socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 64 * 1024);
        if (auto* ssl = qobject_cast<QSslSocket*>(socket)) {
            // A failed handshake (a plain-HTTP client, an untrusted certificate) ends the connection.
            QObject::connect(ssl, &QSslSocket::sslErrors, ssl, [ssl](const QList<QSslError>&) { ssl->abort(); });
            QObject::connect(ssl, &QAbstractSocket::errorOccurred, ssl, [ssl](QAbstractSocket::SocketError e) {
                if (e == QAbstractSocket::SslHandshakeFailedError) ssl->abort();
            });
            ssl->startServerEncryption();
        }
        addPendingConnection(socket);
    }

  private:
    HttpFront* m_front;
    std::optional<QSslConfiguration> m_tls;
};

namespace {
const char* reasonPhrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Error";
    }
}

int descriptorCap(int wanted)
{
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return wanted;
    // Reserve descriptors for the database, stems, renders, uploads and the listening socket.
    const qint64 usable = static_cast<qint64>(rl.rlim_cur) - 64;
    return static_cast<int>(std::clamp<qint64>(usable, 8, wanted));
}
} // namespace

HttpFront::HttpFront(HttpLimits limits, QObject* parent)
    : QAbstractHttpServer(parent), m_limits(limits), m_cap(descriptorCap(limits.maxConnections))
{
    m_clock.start();
    m_tick.setInterval(250);
    connect(&m_tick, &QTimer::timeout, this, &HttpFront::tick);
    m_tick.start();
}

quint16 HttpFront::listenLowDelay(const QHostAddress& address, quint16 port, std::optional<QSslConfiguration> tls)
{
    m_tls = tls.has_value();
    auto* tcp = new GuardedTcpServer(this, std::move(tls));
    tcp->setMaxPendingConnections(256);
    if (!tcp->listen(address, port)) {
        delete tcp;
        return 0;
    }
    bind(tcp);
    return tcp->serverPort();
}

bool HttpFront::evictable(const Conn& c) const
{
    if (c.closing || c.held) return false;
    if (c.phase == Phase::WebSocket) return !c.authenticated;
    return c.phase == Phase::Head || (c.phase == Phase::Idle && c.socket->bytesToWrite() == 0);
}

bool HttpFront::admitConnection(QTcpSocket* socket)
{
    prune();
    const QHostAddress peer = socket->peerAddress();
    std::unordered_map<QString, int> perAddress;
    int mine = 0;
    for (const auto& [s, c] : m_conns) {
        if (c.closing) continue;
        const int n = ++perAddress[c.peer.toString()];
        if (c.peer == peer) mine = n;
    }
    int live = 0;
    for (const auto& [a, n] : perAddress)
        live += n;
    auto evictOldest = [&](const std::function<bool(const Conn&)>& from) {
        Conn* oldest = nullptr;
        for (auto& [s, c] : m_conns)
            if (from(c) && evictable(c) && (!oldest || c.accepted < oldest->accepted)) oldest = &c;
        if (!oldest) return false;
        oldest->closing = true;
        oldest->socket->abort(); // disconnected -> deleted by Qt's server -> destroyed erases it
        return true;
    };
    if (mine >= m_limits.maxConnectionsPerAddress && !evictOldest([&](const Conn& c) { return c.peer == peer; })) return false;
    if (live >= m_cap) {
        QString heaviest;
        int most = 0;
        for (const auto& [a, n] : perAddress)
            if (n > most) {
                most = n;
                heaviest = a;
            }
        // A fair share: only an address holding fewer than the heaviest one may take its place.
        if (mine + 1 >= most || !evictOldest([&](const Conn& c) { return c.peer.toString() == heaviest; })) return false;
    }
    const qint64 now = m_clock.elapsed();
    Conn c;
    c.socket = socket;
    c.peer = peer;
    c.port = socket->peerPort();
    c.accepted = c.lastRead = now;
    c.alive = socket;
    m_conns[socket] = c; // replaces any entry a deleted socket at this address left
    socket->setReadBufferSize(m_limits.head.maxHeadBytes);
    // Context m_tick, not this: a refusal disconnects Qt's own slot (whose context is this) only.
    connect(socket, &QTcpSocket::readyRead, &m_tick, [this, socket] {
        if (auto it = m_conns.find(socket); it != m_conns.end()) onReadyRead(it->second);
    });
    connect(socket, &QTcpSocket::bytesWritten, &m_tick, [this, socket] {
        if (auto it = m_conns.find(socket); it != m_conns.end())
            it->second.writePendingSince = socket->bytesToWrite() > 0 ? m_clock.elapsed() : 0;
    });
    connect(socket, &QObject::destroyed, &m_tick, [this, socket] {
        auto it = m_conns.find(socket);
        if (it == m_conns.end()) return;
        if (it->second.large) --m_largeActive;
        m_conns.erase(it);
    });
    return true;
}

void HttpFront::setHeld(QTcpSocket* socket, bool held)
{
    auto it = m_conns.find(socket);
    if (it == m_conns.end()) return;
    it->second.held = held;
    it->second.lastRead = m_clock.elapsed();   // the idle deadline starts again once released
    if (!held && it->second.closeAfterRelease) // once the answer written right after release() is out
        QTimer::singleShot(0, socket, [this, socket] {
            if (auto c = m_conns.find(socket); c != m_conns.end()) c->second.closing = true;
            socket->disconnectFromHost();
        });
}

bool HttpFront::sendFile(QTcpSocket* socket, QByteArray head, const QString& path, qint64 start, qint64 length)
{
    auto it = m_conns.find(socket);
    if (it == m_conns.end() || !m_sender.send(socket, std::move(head), path, start, length)) return false;
    it->second.phase = Phase::Sending; // Qt's parser reads nothing more from it; no idle deadline
    return true;
}

void HttpFront::markAuthenticated(const QHostAddress& peer, quint16 port)
{
    for (auto& [s, c] : m_conns)
        if (c.port == port && c.peer == peer) c.authenticated = true;
}

void HttpFront::onReadyRead(Conn& c)
{
    if (c.phase == Phase::WebSocket || c.closing || !c.socket->isOpen()) return;
    if (c.phase == Phase::Sending) { // the connection ends with the file: what the peer sends is dropped
        c.socket->skip(c.socket->bytesAvailable());
        return;
    }
    // The bytes Qt's server has not read yet: this slot runs before its own, which reads them all.
    const qint64 available = c.socket->bytesAvailable();
    const qint64 now = m_clock.elapsed();
    if (available > 0) c.lastRead = now;
    // A body is only counted, never copied: peeking at megabytes on every read made the control
    // thread copy an upload many times over.
    qint64 counted = 0;
    if (c.phase == Phase::Body) {
        counted = std::min(c.bodyLeft, available);
        c.bodyLeft -= counted;
        if (c.bodyLeft == 0) endBody(c);
        if (counted == available) return;
    }
    const QByteArray data = c.socket->peek(available); // a head (small), or what follows a body
    qsizetype i = counted;
    while (i < data.size() && !c.closing && c.phase != Phase::WebSocket) {
        if (c.phase == Phase::Body) {
            const qint64 n = std::min<qint64>(c.bodyLeft, data.size() - i);
            c.bodyLeft -= n;
            i += n;
            if (c.bodyLeft == 0) endBody(c);
            continue;
        }
        if (c.phase == Phase::Idle) {
            c.phase = Phase::Head;
            c.headStart = now;
            c.head.clear();
        }
        const qsizetype before = c.head.size();
        const qsizetype take = std::min<qsizetype>(data.size() - i, m_limits.head.maxHeadBytes - before + 1);
        c.head.append(data.constData() + i, take);
        const HeadScan scan = scanRequestHead(c.head, m_limits.head);
        if (scan.status == HeadScan::Incomplete) {
            i += take;
            continue;
        }
        if (scan.status == HeadScan::Bad) return refuse(c, scan.httpStatus, "bad_request", scan.message);
        i += scan.headBytes - before;
        onHead(c, scan);
    }
}

Admission HttpFront::admission(const RequestHead& head, const QHostAddress& peer) const
{
    const QString path = QString::fromLatin1(head.path());
    for (const auto& [pre, p] : m_prefix)
        if (path == pre || path.startsWith(pre + "/")) return p.admit ? p.admit(head, peer) : Admission::admit(m_limits.defaultMaxBody);
    return Admission::admit(m_limits.defaultMaxBody);
}

void HttpFront::onHead(Conn& c, const HeadScan& scan)
{
    const RequestHead& head = scan.head;
    if (head.websocket) {
        c.phase = Phase::WebSocket; // Qt's server hands the socket to its WebSocket server
        return;
    }
    const Admission a = admission(head, c.peer);
    if (a.status != 0) return refuse(c, a.status, a.code, a.message, a.retryAfter, a.extra);
    if (head.contentLength > a.maxBody)
        return refuse(
            c, 413, "too_large",
            a.maxBody == 0
                ? QString("%1 %2 takes no request body").arg(QString::fromLatin1(head.method), QString::fromLatin1(head.path().left(100)))
                : QString("the request body may be at most %1 bytes").arg(a.maxBody));
    c.phase = Phase::Idle;
    c.head.clear();
    if (head.contentLength == 0) return;
    if (head.contentLength > m_limits.largeBodyBytes) {
        if (m_largeActive >= m_limits.maxLargeBodies)
            return refuse(c, 503, "busy", "the server is receiving as many large bodies as it takes at once; retry shortly", 1);
        ++m_largeActive;
        c.large = true;
    }
    c.phase = Phase::Body;
    c.bodyLeft = head.contentLength;
    const qint64 now = m_clock.elapsed();
    c.bodyDeadline = now + m_limits.bodyIdleMs + head.contentLength * 1000 / std::max<qint64>(1, m_limits.bodyMinBytesPerSecond);
    // Room for the head and exactly this body (Qt keeps a request's bytes until it is complete).
    c.socket->setReadBufferSize(scan.headBytes + head.contentLength + m_limits.head.maxHeadBytes);
    if (head.expectContinue) c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
}

void HttpFront::endBody(Conn& c)
{
    c.phase = Phase::Idle;
    c.socket->setReadBufferSize(m_limits.head.maxHeadBytes);
    if (!c.large) return;
    // Qt keeps a request's body until the connection's next request: after a large body the
    // connection closes once the answer has been written, so the memory goes back at once.
    QTcpSocket* s = c.socket;
    QTimer::singleShot(0, s, [this, s] {
        auto it = m_conns.find(s);
        if (it == m_conns.end()) return;
        if (it->second.held) { // the answer comes later (a worker job): close after it
            it->second.closeAfterRelease = true;
            return;
        }
        it->second.closing = true;
        s->disconnectFromHost(); // after the pending answer is written
    });
}

void HttpFront::refuse(Conn& c, int status, const QByteArray& code, const QString& message, int retryAfter, const QJsonObject& extra)
{
    c.closing = true;
    QTcpSocket* s = c.socket;
    emit refused(status, code, c.peer);
    // Qt's server must not parse what follows: this connection ends with the refusal.
    disconnect(s, &QTcpSocket::readyRead, this, nullptr);
    QJsonObject json = extra;
    json.insert("error", QString::fromLatin1(code));
    json.insert("message", message);
    const QByteArray body = QJsonDocument(json).toJson(QJsonDocument::Compact);
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) +
                     "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size()) +
                     "\r\n";
    if (retryAfter > 0) out += "Retry-After: " + QByteArray::number(retryAfter) + "\r\n";
    out += http::securityHeaderLines() + "\r\n" + body;
    s->write(out);
    s->disconnectFromHost();
}

void HttpFront::prune()
{
    // Qt's WebSocket server drops every connection to a socket it upgrades (ours included), so a
    // WebSocket's end is seen here: its socket deleted or unconnected.
    for (auto it = m_conns.begin(); it != m_conns.end();) {
        if (!it->second.alive || it->second.alive->state() == QAbstractSocket::UnconnectedState) {
            if (it->second.large) --m_largeActive;
            it = m_conns.erase(it);
        } else {
            ++it;
        }
    }
}

void HttpFront::tick()
{
    const qint64 now = m_clock.elapsed();
    std::vector<QTcpSocket*> idle;
    prune();
    for (auto& [s, c] : m_conns) {
        if (c.closing || c.phase == Phase::WebSocket || c.phase == Phase::Sending || c.held) continue;
        if (s->bytesToWrite() > 0) {
            if (c.writePendingSince == 0) c.writePendingSince = now;
            if (now - c.writePendingSince > m_limits.writeStallMs) {
                c.closing = true;
                s->abort(); // the peer does not read its answer
                continue;
            }
        } else {
            c.writePendingSince = 0;
        }
        if (c.phase == Phase::Head && now - c.headStart > m_limits.headTimeoutMs) {
            refuse(c, 408, "timeout", QString("the request head did not arrive within %1 s").arg(m_limits.headTimeoutMs / 1000.0));
        } else if (c.phase == Phase::Body && (now - c.lastRead > m_limits.bodyIdleMs || now > c.bodyDeadline)) {
            refuse(c, 408, "timeout", "the request body arrived too slowly");
        } else if (c.phase == Phase::Idle && c.writePendingSince == 0 && now - c.lastRead > m_limits.idleTimeoutMs) {
            idle.push_back(s);
        }
    }
    for (QTcpSocket* s : idle) {
        m_conns[s].closing = true;
        s->disconnectFromHost(); // keep-alive without a request: closed quietly
    }
}

bool HttpFront::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket)
{
    QElapsedTimer took;
    took.start();
    const auto slow = qScopeGuard([&] {
        if (const double ms = took.nsecsElapsed() / 1e6; ms > 20)
            qWarning("mixroomd: %s %s took %.0f ms on the control thread",
                     request.method() == QHttpServerRequest::Method::Get ? "GET" : "HTTP", qPrintable(request.url().path().left(60)), ms);
    });
    if (request.value("upgrade").compare("websocket", Qt::CaseInsensitive) == 0)
        return true; // accepted: Qt 6.4 hands the socket to its WebSocket server (newWebSocketConnection)
    if (auto it = m_conns.find(socket); it != m_conns.end()) it->second.lastRead = m_clock.elapsed();
    auto responder = makeResponder(request, socket);
    const QString path = request.url().path();
    for (const auto& [pre, p] : m_prefix)
        if (path == pre || path.startsWith(pre + "/")) {
            p.route(request, responder);
            return true;
        }
    auto it = m_get.find(path);
    if (it == m_get.end()) {
        http::error(responder, http::Status::NotFound, "not_found", QString("no such endpoint: %1").arg(path.left(100)));
        return true;
    }
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    if (request.method() != QHttpServerRequest::Method::Get && !head) {
        http::error(responder, http::Status::MethodNotAllowed, "method_not_allowed", "use GET", {{"Allow", "GET, HEAD"}});
        return true;
    }
    const http::HeadRequest scope(head);
    it->second(request, responder);
    return true;
}

void HttpFront::missingHandler(const QHttpServerRequest& request, QTcpSocket* socket)
{
    auto responder = makeResponder(request, socket);
    http::error(responder, http::Status::NotFound, "not_found", "no such endpoint");
}

} // namespace mixroom::server
