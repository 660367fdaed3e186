// SPDX-License-Identifier: MIT
#pragma once
// The session server: HTTP (GET /health, GET /metrics) and WebSocket on one port. Accepts
// sockets with frame limits and an authentication deadline, authenticates `hello` (admin or member
// token, protocol major), serves the admin's session management, and hands members to their
// session's room. Defences: caps on unauthenticated sockets (global and per address), a temporary
// ban after repeated failed authentication.
// Thread: control thread.
#include "engine/stems/StemStore.h"
#include "server/AuthThrottle.h"
#include "server/ClientSocket.h"
#include "server/Metrics.h"
#include "server/PreviewEngine.h"
#include "server/RenderCache.h"
#include "server/ReviewStore.h"
#include "server/SessionRoom.h"
#include "server/Store.h"
#include "server/UploadService.h"

#include "server/HttpFront.h"
#include "server/OpLogWriter.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <map>
#include <memory>

namespace mixroom::server {

struct ServerLimits {
    int maxUnauthenticated = 256;
    int maxUnauthenticatedPerAddress = 16;
    int failuresBeforeBan = 10;
    int banSeconds = 60;
    int authTimeoutMs = ClientSocket::kAuthTimeoutMs;
    // Browser origins allowed to open a WebSocket ("https://mix.example.com"). Sockets without an
    // Origin header (native clients) are always allowed; others must be listed.
    QStringList allowedOrigins;
    // Unfinished uploads idle this long are removed (their partial file and its record).
    qint64 uploadExpiryMs = qint64(24) * 3600 * 1000;
    // Uploads are refused (507) when they would leave less than this free on the data disk, counting
    // what unfinished uploads still have to write (`mixroomd serve --keep-free-gb`, default 1 GB).
    qint64 keepFreeBytes = 0;
    // Disk: unreferenced stems and renders are removed (DiskCollector.h) every gcIntervalMs and
    // shortly after a session is deleted, once older than gcGraceMs; renders beyond
    // renderCacheBytes are evicted least recently used first.
    qint64 gcIntervalMs = qint64(3600) * 1000;
    qint64 gcGraceMs = qint64(3600) * 1000;
    qint64 renderCacheBytes = qint64(20) << 30;
    // Own-mode preview streams are admitted while the render threads' measured load stays within
    // this share of their time (PreviewEngine::admit).
    double previewBudget = 0.35;
    // Bytes queued towards one socket before it is closed as not reading (ClientSocket.h).
    qint64 sendQueueBytes = ClientSocket::kMaxSendQueueBytes;
    // HTTP bounds: head size, deadlines, connection shares (HttpFront.h).
    HttpLimits http;
};

class Server : public QObject {
    Q_OBJECT
  public:
    Server(Store& store, QString dataDir, ServerLimits limits = {}, QObject* parent = nullptr);
    ~Server() override;
    // Returns the bound port, 0 on failure. With `tls`, HTTPS and WSS (ServeCommand loads the
    // certificate and key).
    quint16 listen(const QHostAddress& address, quint16 port, std::optional<QSslConfiguration> tls = std::nullopt);
    // Stops accepting, commits pending edits, closes every socket with 1001 (going away).
    void shutdown();

    Store& store() { return m_store; }
    engine::StemStore& stems() { return m_stems; }
    SessionRoom* room(const QString& sessionId); // loads on demand
    const Metrics& metrics() const { return m_metrics; }
    int unauthenticatedCount() const;
    int httpConnections() const { return m_http.connectionCount(); } // TCP connections, WebSockets included
    PreviewEngine& previews() { return m_previews; }
    int activeTransfers() { return m_http.fileSender().active(); } // pulls being sent

  private:
    void onNewWebSocket();
    void onMessage(ClientSocket* c, const protocol::Message& msg);
    void onClosed(ClientSocket* c);
    // Fair turns: one message of each socket with a waiting message per round, rounds of at most
    // kDrainSliceMs, the event loop running between them (so acks go out and sockets are read).
    void drain();
    static constexpr int kDrainSliceMs = 1;
    // A message handled for longer than this is logged by name (and counted as slow_handler).
    static constexpr double kSlowHandlerMs = 20;
    QList<ClientSocket*> m_ready;
    bool m_drainScheduled = false;
    void hello(ClientSocket* c, const protocol::Message& msg);
    void adminRequest(ClientSocket* c, const protocol::Message& msg);
    void authFailed(ClientSocket* c, const QString& code, const QString& message);
    // A member whose token expires is disconnected when it does (1008, "this invitation expired").
    void closeAtExpiry(ClientSocket* c, qint64 expiresMs);
    bool stemExists(const QString& hash) const;
    // A browser's Origin: the server's own (same scheme, host and port as the upgrade request) or
    // one listed with --allow-origin.
    bool originAllowed(const QString& origin, const QUrl& request) const;

    Store& m_store;
    std::unique_ptr<OpLogWriter> m_writer; // outlives the rooms (declared before them)
    QString m_dataDir;
    ServerLimits m_limits;
    engine::StemStore m_stems;
    HttpFront m_http;
    UploadService m_uploads;
    ReviewStore m_review;
    RenderCache m_renders;
    QHash<QString, qint64> m_stemFrames; // stem hash -> frames
    PreviewEngine m_previews;
    quint32 m_nextStream = 1;
    QHash<quint32, QString> m_streamSessions; // preview stream -> session
    void pull(const QHttpServerRequest& req, QHttpServerResponder& r);
    Metrics m_metrics;
    QTimer m_uploadSweep; // removes expired partial uploads
    QTimer m_gcTimer;     // reclaims unreferenced stems and renders
    bool m_gcRunning = false;
    void collectGarbage();
    QTimer m_lagProbe; // fires every 50 ms; how late it fires is the event loop's lag
    QElapsedTimer m_lagClock;
    std::map<QString, std::unique_ptr<SessionRoom>> m_rooms;
    QList<ClientSocket*> m_sockets;
    AuthThrottle m_throttle;
    bool m_stopping = false;
    QThreadPool m_gcPool; // last: destroyed (and waited for) first
};

} // namespace mixroom::server
