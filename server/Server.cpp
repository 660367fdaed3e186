// SPDX-License-Identifier: MIT
#include "server/Server.h"
#include "server/HttpReply.h"
#include "server/WebPage.h"

#include "engine/model/ParamTable.h"
#include "engine/stems/StemSource.h"

#include "protocol/SessionCodec.h"
#include "server/DiskCollector.h"
#include "server/Tokens.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTimer>

#include <algorithm>
#include <limits>

#ifndef MIXROOM_VERSION
#define MIXROOM_VERSION "dev"
#endif

namespace mixroom::server {

using namespace protocol;

Server::Server(Store& store, QString dataDir, ServerLimits limits, QObject* parent)
    : QObject(parent), m_store(store), m_writer([&store] {
          QString error;
          auto w = OpLogWriter::open(store.path(), store.durability(), &error);
          if (!w) qFatal("mixroomd: cannot open the op log for writing: %s", qPrintable(error)); // Store::open opened it a moment ago
          return w;
      }()),
      m_dataDir(std::move(dataDir)), m_limits(limits), m_stems((m_dataDir + "/stems").toStdString()), m_http(limits.http),
      m_uploads(
          store, m_stems, m_dataDir + "/uploads",
          [this](const QString& session) {
              SessionRoom* r = room(session);
              return r ? r->state().sampleRate : 48000;
          },
          m_http),
      m_review(store), m_renders(m_dataDir + "/renders", m_stems, limits.renderCacheBytes),
      m_throttle(limits.failuresBeforeBan, limits.banSeconds * 1000LL)
{
    m_uploads.setKeepFree(limits.keepFreeBytes);
    auto route = [this](quint32 stream) -> PreviewHub* {
        const QString session = m_streamSessions.value(stream);
        auto it = m_rooms.find(session);
        return it == m_rooms.end() ? nullptr : &it->second->previews();
    };
    connect(&m_previews, &PreviewEngine::packets, this, [this, route](const QList<quint32>& streams, const QList<QByteArray>& frames) {
        // Each frame is written to its socket here (flushed), so this is what delivery costs the
        // control thread; admission measures it.
        QElapsedTimer took;
        took.start();
        int sent = 0;
        for (qsizetype i = 0; i < streams.size(); ++i)
            if (PreviewHub* h = route(streams[i])) sent += h->onPacket(streams[i], frames[i]);
        m_previews.delivered(took.nsecsElapsed(), sent);
    });
    connect(&m_previews, &PreviewEngine::transportChanged, this, [route](quint32 s, const QJsonObject& st) {
        if (PreviewHub* h = route(s)) h->onTransport(s, st);
    });
    connect(&m_previews, &PreviewEngine::meters, this, [route](quint32 s, const QJsonObject& m) {
        if (PreviewHub* h = route(s)) h->onMeters(s, m);
    });
    // Routes with a bearer token: a banned address is refused before its token is even looked at;
    // a bad token (401) counts toward the ban like a failed `hello`.
    auto banned = [this](const QHostAddress& peer) { return m_throttle.banned(peer.toString()); };
    m_http.prefix(
        "/sessions", [this](const QHttpServerRequest& req, QHttpServerResponder& r) { pull(req, r); },
        [this, banned](const RequestHead&, const QHostAddress& peer) {
            return banned(peer) ? Admission::refuse(429, "banned", m_throttle.banMessage(peer.toString())) : Admission::admit(0);
        });
    m_http.prefix(
        "/uploads", [this](const QHttpServerRequest& req, QHttpServerResponder& r) { m_uploads.handle(req, r); },
        [this, banned](const RequestHead& head, const QHostAddress& peer) {
            return banned(peer) ? Admission::refuse(429, "banned", m_throttle.banMessage(peer.toString())) : m_uploads.admit(head);
        });
    connect(&m_http, &HttpFront::refused, this, [this](int status, const QByteArray& code, const QHostAddress& peer) {
        m_metrics.error(QString::fromLatin1(code));
        if (status == 401 && m_throttle.failed(peer.toString()))
            qWarning("mixroomd: banned %s for %lld minutes after %d failed logins", qPrintable(peer.toString()),
                     static_cast<long long>(m_throttle.banMs() / 60000), m_throttle.failuresBeforeBan());
    });
    connect(&m_http.fileSender(), &FileSender::finished, this, [this](qint64 bytes, bool complete, double seconds) {
        m_metrics.jobDone("pull", seconds * 1000);
        m_metrics.bytesPulled(bytes);
        if (!complete) m_metrics.error("pull_incomplete");
    });
    m_http.get("/health", [](const QHttpServerRequest&, QHttpServerResponder& r) {
        http::json(r, http::Status::Ok, QJsonObject{{"ok", true}, {"version", MIXROOM_VERSION}, {"protocol", kProtocolMajor}});
    });
    m_http.get("/metrics", [this](const QHttpServerRequest&, QHttpServerResponder& r) {
        const PreviewEngine::Load load = m_previews.load();
        QString text = m_metrics.render(static_cast<int>(m_rooms.size()));
        text += QString("# HELP mixroom_preview_render_load Render threads' time in use (threads; admission budget %1 of %2).\n"
                        "# TYPE mixroom_preview_render_load gauge\nmixroom_preview_render_load %3\n"
                        "# HELP mixroom_preview_streams_playing Preview streams playing when the load was measured.\n"
                        "# TYPE mixroom_preview_streams_playing gauge\nmixroom_preview_streams_playing %4\n")
                    .arg(m_limits.previewBudget)
                    .arg(load.threads)
                    .arg(load.busy)
                    .arg(load.playing);
        http::send(r, http::Status::Ok, "text/plain; version=0.0.4", text.toUtf8());
    });
    addWebPage(m_http);
    connect(&m_http, &QAbstractHttpServer::newWebSocketConnection, this, &Server::onNewWebSocket);
    // What a crash in the middle of an import left behind goes first.
    if (const int n = m_stems.removeStaleTemporaries() + m_uploads.removeInterrupted())
        qInfo("mixroomd: removed %d file(s) left by an interrupted import", n);
    // Abandoned uploads expire: swept at start and then a few times per expiry period.
    m_uploads.sweep(m_limits.uploadExpiryMs);
    m_uploadSweep.setInterval(static_cast<int>(std::clamp<qint64>(m_limits.uploadExpiryMs / 4, 50, 10 * 60 * 1000)));
    connect(&m_uploadSweep, &QTimer::timeout, this, [this] { m_uploads.sweep(m_limits.uploadExpiryMs); });
    m_uploadSweep.start();
    m_gcPool.setMaxThreadCount(1);
    m_previews.setBudget(m_limits.previewBudget);
    m_gcTimer.setInterval(static_cast<int>(std::clamp<qint64>(m_limits.gcIntervalMs, 1000, 24 * 3600 * 1000)));
    connect(&m_gcTimer, &QTimer::timeout, this, &Server::collectGarbage);
    m_gcTimer.start();
    m_lagProbe.setTimerType(Qt::PreciseTimer);
    m_lagProbe.setInterval(50);
    connect(&m_lagProbe, &QTimer::timeout, this, [this] {
        const double ms = static_cast<double>(m_lagClock.restart());
        m_metrics.loopLag(std::max(0.0, ms - 50.0));
    });
    // From the event loop's first pass: setting up before it (the demo song) is not lag.
    QTimer::singleShot(0, this, [this] {
        m_lagClock.start();
        m_lagProbe.start();
    });
}

Server::~Server()
{
    for (ClientSocket* c : m_sockets)
        c->disconnect(this);
    for (auto& [id, room] : m_rooms)
        room->flushNow(); // the writer holds pointers to the rooms until their batches are committed
}

bool Server::originAllowed(const QString& origin, const QUrl& request) const
{
    if (m_limits.allowedOrigins.contains(origin)) return true;
    // The server's own origin: the page it served, at the host and port the browser asked for.
    const QUrl o(origin);
    const QString scheme = m_http.tls() ? "https" : "http";
    const int defaultPort = m_http.tls() ? 443 : 80;
    return o.scheme() == scheme && o.path().isEmpty() && o.host().compare(request.host(), Qt::CaseInsensitive) == 0 &&
           !o.host().isEmpty() && o.port(defaultPort) == request.port(defaultPort);
}

quint16 Server::listen(const QHostAddress& address, quint16 port, std::optional<QSslConfiguration> tls)
{
    return m_http.listenLowDelay(address, port, std::move(tls));
}

bool Server::stemExists(const QString& hash) const
{
    static const QRegularExpression re("^[0-9a-f]{64}\\z"); // \z: "$" would also match before a final newline
    return re.match(hash).hasMatch() && m_stems.pathOf(hash.toStdString()).ok();
}

SessionRoom* Server::room(const QString& sessionId)
{
    auto it = m_rooms.find(sessionId);
    if (it != m_rooms.end()) return it->second.get();
    QString error;
    const SessionRoom::Services services{m_store,
                                         *m_writer,
                                         m_review,
                                         m_renders,
                                         m_metrics,
                                         [this](const QString& h) { return stemExists(h); },
                                         [this](const QString& h) -> qint64 {
                                             if (auto it = m_stemFrames.constFind(h); it != m_stemFrames.constEnd()) return it.value();
                                             auto p = m_stems.pathOf(h.toStdString());
                                             if (!p) return -1;
                                             auto src = engine::StemSource::open(p.value());
                                             const qint64 frames = src ? src.value()->frames() : -1;
                                             if (frames >= 0) m_stemFrames.insert(h, frames);
                                             return frames;
                                         },
                                         &m_stems,
                                         &m_previews,
                                         [this] { return m_nextStream++; },
                                         [this](quint32 stream, const QString& session) { m_streamSessions.insert(stream, session); }};
    auto room = SessionRoom::load(sessionId, services, &error);
    if (!room) {
        qWarning("mixroomd: %s", qPrintable(error));
        return nullptr;
    }
    SessionRoom* r = room.get();
    m_rooms.emplace(sessionId, std::move(room));
    return r;
}

int Server::unauthenticatedCount() const
{
    int n = 0;
    for (const ClientSocket* c : m_sockets)
        n += !c->authenticated;
    return n;
}

void Server::onNewWebSocket()
{
    while (m_http.hasPendingWebSocketConnections()) {
        auto ws = m_http.nextPendingWebSocketConnection();
        if (!ws) continue;
        const QString peer = ws->peerAddress().toString();
        QString refusal;
        if (m_stopping)
            refusal = "the server is shutting down";
        else if (!ws->origin().isEmpty() && !originAllowed(ws->origin(), ws->requestUrl()))
            refusal = QString("origin %1 is not allowed (mixroomd serve --allow-origin)").arg(ws->origin().left(80));
        else if (m_throttle.banned(peer))
            refusal = m_throttle.banMessage(peer);
        else {
            QHash<QString, int> waiting; // unauthenticated sockets per address
            int total = 0;
            for (const ClientSocket* c : m_sockets)
                if (!c->authenticated && !c->closing()) {
                    ++total;
                    ++waiting[c->peerAddress()];
                }
            const int fromPeer = waiting.value(peer);
            if (fromPeer >= m_limits.maxUnauthenticatedPerAddress)
                refusal = "too many connections waiting to authenticate from this address";
            else if (total >= m_limits.maxUnauthenticated) {
                // Fair shares: a newcomer from an address with fewer waiting sockets than the
                // heaviest one takes the place of that address's oldest; a few addresses cannot
                // shut everyone else out.
                QString heaviest;
                for (auto it = waiting.cbegin(); it != waiting.cend(); ++it)
                    if (heaviest.isEmpty() || it.value() > waiting.value(heaviest)) heaviest = it.key();
                ClientSocket* oldest = nullptr;
                if (fromPeer + 1 < waiting.value(heaviest))
                    for (ClientSocket* c : m_sockets)
                        if (!c->authenticated && !c->closing() && c->peerAddress() == heaviest) {
                            oldest = c; // m_sockets is in arrival order
                            break;
                        }
                if (oldest)
                    oldest->close(QWebSocketProtocol::CloseCodePolicyViolated, "the server is full of unauthenticated connections");
                else
                    refusal = "too many connections waiting to authenticate";
            }
        }
        if (!refusal.isEmpty()) {
            QWebSocket* raw = ws.release();
            connect(raw, &QWebSocket::disconnected, raw, &QObject::deleteLater);
            raw->close(QWebSocketProtocol::CloseCodePolicyViolated, refusal);
            m_metrics.error("connection_refused");
            continue;
        }
        auto* c = new ClientSocket(std::move(ws), m_limits.authTimeoutMs, this);
        c->setSendQueueLimit(m_limits.sendQueueBytes);
        m_sockets.append(c);
        m_metrics.connectionOpened();
        connect(c, &ClientSocket::message, this, &Server::onMessage);
        connect(c, &ClientSocket::received, this, [this](ClientSocket* s) {
            if (!m_ready.contains(s)) m_ready.append(s);
            if (!m_drainScheduled) {
                m_drainScheduled = true;
                QTimer::singleShot(0, this, &Server::drain);
            }
        });
        connect(c, &ClientSocket::overflowed, this, [this](ClientSocket*, const QString& code) { m_metrics.error(code); });
        connect(c, &ClientSocket::refused, this, [this](ClientSocket*, const QString& code) { m_metrics.error(code); });
        connect(c, &ClientSocket::closed, this, &Server::onClosed);
    }
}

void Server::drain()
{
    m_drainScheduled = false;
    QElapsedTimer slice;
    slice.start();
    while (!m_ready.isEmpty() && slice.elapsed() < kDrainSliceMs) {
        // One round: every waiting socket's oldest message, in turn, the shortest inboxes first (a
        // member with one message waiting is served before one with a thousand).
        QList<ClientSocket*> round = std::exchange(m_ready, {});
        std::stable_sort(round.begin(), round.end(), [](ClientSocket* a, ClientSocket* b) { return a->inboxSize() < b->inboxSize(); });
        for (qsizetype i = 0; i < round.size(); ++i) {
            ClientSocket* c = round[i];
            if (!m_sockets.contains(c)) continue; // closed meanwhile
            if (c->handleNext() && !m_ready.contains(c)) m_ready.append(c);
        }
    }
    if (!m_ready.isEmpty() && !m_drainScheduled) {
        m_drainScheduled = true;
        QTimer::singleShot(0, this, &Server::drain);
    }
}

void Server::onClosed(ClientSocket* c)
{
    m_ready.removeAll(c);
    m_sockets.removeAll(c);
    m_metrics.connectionClosed();
    if (!c->sessionId.isEmpty())
        if (auto it = m_rooms.find(c->sessionId); it != m_rooms.end()) it->second->leave(c);
    c->deleteLater();
}

void Server::authFailed(ClientSocket* c, const QString& code, const QString& message)
{
    m_metrics.error(code);
    if ((code == codes::BadToken || code == codes::TokenRevoked || code == codes::TokenExpired) && m_throttle.failed(c->peerAddress()))
        qWarning("mixroomd: banned %s for %lld minutes after %d failed logins", qPrintable(c->peerAddress()),
                 static_cast<long long>(m_throttle.banMs() / 60000), m_throttle.failuresBeforeBan());
    c->sendError(code, message);
    c->close(QWebSocketProtocol::CloseCodePolicyViolated, message);
}

void Server::onMessage(ClientSocket* c, const Message& msg)
{
    // A handler that holds the control thread long is what everyone else waits for: named in the log.
    QElapsedTimer took;
    took.start();
    const auto slow = qScopeGuard([&] {
        if (const double ms = took.nsecsElapsed() / 1e6; ms > kSlowHandlerMs) {
            m_metrics.error("slow_handler");
            qWarning("mixroomd: %s took %.0f ms on the control thread", qPrintable(protocol::spec(msg.kind).name), ms);
        }
    });
    if (msg.kind == Kind::Hello) {
        if (c->authenticated) {
            m_metrics.error(codes::BadMessage);
            c->sendError(codes::BadMessage, "hello was already accepted on this connection");
            return;
        }
        hello(c, msg);
        return;
    }
    if (c->admin) {
        adminRequest(c, msg);
        return;
    }
    if (SessionRoom* r = room(c->sessionId)) r->handle(c, msg);
}

void Server::hello(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    const int major = b.value("major").toInt();
    if (major != kProtocolMajor)
        return authFailed(c, codes::VersionUnsupported,
                          QString("protocol version %1 is not supported; this server speaks version %2").arg(major).arg(kProtocolMajor));
    const QString clientId = b.value("clientId").toString();
    if (clientId.isEmpty() || clientId.size() > 64) return authFailed(c, codes::BadMessage, "clientId must be 1-64 characters");
    const QByteArray hash = tokenHash(b.value("token").toString());
    const QByteArray admin = m_store.adminTokenHash();
    // Hashes of equal length compared without an early exit.
    bool isAdmin = admin.size() == hash.size();
    unsigned diff = 0;
    for (int i = 0; isAdmin && i < hash.size(); ++i)
        diff |= static_cast<unsigned>(admin[i] ^ hash[i]);
    isAdmin = isAdmin && diff == 0;
    c->clientId = clientId;
    c->quiet = b.value("features").toArray().contains(QJsonValue("quiet"));
    if (isAdmin) {
        c->authenticated = true;
        c->admin = true;
        QFile::remove(pendingAdminTokenPath(m_dataDir)); // used once: from now on only its hash is kept
        m_http.markAuthenticated(c->peerHost(), c->peerPort());
        c->send(encode(Kind::Welcome, {{"major", kProtocolMajor}, {"features", QJsonArray{"admin"}}, {"admin", true}}));
        return;
    }
    const auto member = m_store.memberByToken(hash);
    if (!member) return authFailed(c, codes::BadToken, "the token is not valid (wrong, or for a deleted session)");
    // A revoked or expired token was once real: saying so lets a share link's page explain itself.
    if (member->revoked) return authFailed(c, codes::TokenRevoked, "this invitation was revoked by the session's owner");
    if (member->expired(QDateTime::currentMSecsSinceEpoch()))
        return authFailed(c, codes::TokenExpired,
                          QString("this invitation expired on %1")
                              .arg(QDateTime::fromMSecsSinceEpoch(member->expiresMs, Qt::UTC).toString("yyyy-MM-dd HH:mm 'UTC'")));
    SessionRoom* r = room(member->session);
    if (!r) return authFailed(c, codes::Internal, "the session could not be loaded");
    if (member->expiresMs > 0) closeAtExpiry(c, member->expiresMs);
    c->authenticated = true;
    c->sessionId = member->session;
    c->memberId = member->id;
    c->memberName = member->name;
    c->role = roleFromName(member->role).value_or(Role::Client);
    m_http.markAuthenticated(c->peerHost(), c->peerPort());
    r->join(c, b.contains("lastSeq") ? static_cast<qint64>(b.value("lastSeq").toDouble()) : -1);
}

void Server::closeAtExpiry(ClientSocket* c, qint64 expiresMs)
{
    // A timer's interval is an int: a link valid for longer than ~24 days is looked at again then.
    const qint64 left = expiresMs - QDateTime::currentMSecsSinceEpoch();
    QTimer::singleShot(static_cast<int>(std::clamp<qint64>(left, 0, std::numeric_limits<int>::max())), c, [this, c, expiresMs] {
        if (QDateTime::currentMSecsSinceEpoch() < expiresMs) return closeAtExpiry(c, expiresMs);
        c->close(QWebSocketProtocol::CloseCodePolicyViolated, "this invitation expired");
    });
}

void Server::adminRequest(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    const QJsonObject extra{{"clientSeq", clientSeq}};
    auto refuse = [&](const QString& code, const QString& message) {
        m_metrics.error(code);
        c->sendError(code, message, extra);
    };
    switch (msg.kind) {
    case Kind::Ping: c->send(encode(Kind::Pong, b.contains("id") ? QJsonObject{{"id", b.value("id")}} : QJsonObject{})); return;
    case Kind::ListSessions: {
        QJsonArray list;
        for (const SessionRow& s : m_store.sessions())
            list.append(QJsonObject{{"id", s.id}, {"name", s.name}, {"seq", s.seq}, {"members", m_store.members(s.id).size()}});
        c->send(encode(Kind::SessionList, {{"clientSeq", clientSeq}, {"sessions", list}}));
        return;
    }
    case Kind::CreateSession: {
        const QString name = b.value("name").toString().trimmed();
        if (name.isEmpty() || name.size() > 64 || name.contains(QChar('\n')))
            return refuse(codes::OutOfRange, "name must be 1-64 characters on one line");
        engine::Session s;
        const int rate = b.value("sampleRate").toInt(48000);
        if (auto e = engine::setParam(s, "sampleRate", static_cast<double>(rate)))
            return refuse(codes::OutOfRange, QString::fromStdString(e->message));
        const QString token = newToken();
        const SessionRow row{newId("s_"), name, 0, 0, encodeSession(s)};
        const MemberRow owner{newId("m_"), row.id, "owner", "mix", tokenHash(token), false};
        if (!m_store.createSession(row, owner)) return refuse(codes::Internal, "the session could not be stored: " + m_store.lastError());
        c->send(encode(Kind::SessionCreated, {{"clientSeq", clientSeq},
                                              {"session", QJsonObject{{"id", row.id}, {"name", name}}},
                                              {"owner", QJsonObject{{"id", owner.id}, {"name", owner.name}, {"role", "mix"}}},
                                              {"token", token}}));
        return;
    }
    case Kind::DeleteSession: {
        const QString id = b.value("session").toString();
        if (auto it = m_rooms.find(id); it != m_rooms.end()) {
            it->second->flushNow();
            it->second->disconnectAll(QWebSocketProtocol::CloseCodeNormal, "the session was deleted");
            m_rooms.erase(it);
        }
        if (!m_store.deleteSession(id)) return refuse(codes::NotFound, QString("no session \"%1\"").arg(id.left(40)));
        c->send(encode(Kind::SessionDeleted, {{"clientSeq", clientSeq}, {"session", id}}));
        QTimer::singleShot(5000, this, &Server::collectGarbage); // its stems and renders, once past the grace period
        return;
    }
    default: return refuse(codes::Forbidden, QString("%1 needs a member token of a session, not the admin token").arg(spec(msg.kind).name));
    }
}

void Server::collectGarbage()
{
    if (m_gcRunning) return;
    m_gcRunning = true;
    const QString dir = m_dataDir;
    const qint64 grace = m_limits.gcGraceMs;
    m_gcPool.start([this, dir, grace] {
        QElapsedTimer t;
        t.start();
        const DiskReport r = collectDisk(dir, false, grace);
        const double ms = t.nsecsElapsed() / 1e6;
        QMetaObject::invokeMethod(
            this,
            [this, r, ms] {
                m_gcRunning = false;
                m_metrics.jobDone("gc", ms);
                m_metrics.bytesReclaimed(r.bytes);
                if (!r.error.isEmpty())
                    qWarning("mixroomd: gc: %s; nothing was removed", qPrintable(r.error));
                else if (r.bytes > 0)
                    qInfo("mixroomd: gc removed %lld stem(s) and %lld render(s), %.1f MB", static_cast<long long>(r.stems.size()),
                          static_cast<long long>(r.renders.size()), r.bytes / 1e6);
            },
            Qt::QueuedConnection);
    });
}

void Server::shutdown()
{
    m_stopping = true;
    for (auto& [id, room] : m_rooms)
        room->flushNow();
    for (ClientSocket* c : QList<ClientSocket*>(m_sockets))
        c->close(QWebSocketProtocol::CloseCodeGoingAway, "the server is shutting down");
}

} // namespace mixroom::server
