// SPDX-License-Identifier: MIT
#pragma once
// One open session: the authoritative state, its sequence number, the connected members. Requests
// are checked (role, path, range, rate), applied in arrival order, given the next sequence
// number, appended to the op log and committed in batches by the op-log writer's thread
// (OpLogWriter.h; one batch in flight per room, the edits arriving meanwhile form the next);
// only when its batch is committed is a sender acknowledged and the edit broadcast to every member.
// Requests that read committed state (versions, approvals, previews, notes) wait, in arrival order
// with everything after them, until the edits before them are committed.
// Thread: control thread.
#include "engine/model/Session.h"
#include "protocol/Messages.h"
#include "protocol/SessionOps.h"
#include "server/AutomationPasses.h"
#include "server/ClientSocket.h"
#include "server/Metrics.h"
#include "server/OpLogWriter.h"
#include "server/PreviewHub.h"
#include "server/RateLimiter.h"
#include "server/ReviewService.h"
#include "server/Store.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace mixroom::server {

class SessionRoom : public QObject {
    Q_OBJECT
  public:
    static constexpr int kSnapshotEvery = 200; // ops between state snapshots in the store
    static constexpr int kMaxReplay = 1000;    // further behind than this: a snapshot instead
    static constexpr int kMaxDeferred = 4096;  // requests waiting for a commit, per session

    // Loads the session: the latest snapshot plus the ops after it, replayed.
    struct Services {
        Store& store;
        OpLogWriter& writer;
        ReviewStore& review;
        RenderCache& renders;
        Metrics& metrics;
        protocol::StemExists stemExists;
        std::function<qint64(const QString& hash)> stemFrames; // -1 if unknown
        engine::StemStore* stems = nullptr;
        PreviewEngine* previews = nullptr;
        std::function<quint32()> newStreamId;
        std::function<void(quint32 stream, const QString& session)> registerStream;
    };
    static std::unique_ptr<SessionRoom> load(const QString& id, const Services& services, QString* error);
    ReviewService& review() { return *m_review; }
    PreviewHub& previews() { return *m_preview; }
    // The song's length in ms: the longest stem of `session`.
    double lengthMs(const engine::Session& session) const;

    QString id() const { return m_id; }
    QString name() const { return m_name; }
    qint64 seq() const { return m_seq; }
    const engine::Session& state() const { return m_state; }
    int connectionCount() const { return m_clients.size(); }

    void join(ClientSocket* c, qint64 lastSeq);
    void leave(ClientSocket* c);
    void handle(ClientSocket* c, const protocol::Message& msg);
    // Closes the sockets of a member (revoked) or of everyone (session deleted, shutdown).
    void disconnectMember(const QString& memberId, const QString& reason);
    void disconnectAll(QWebSocketProtocol::CloseCode code, const QString& reason);
    // Commits what is pending and waits for it (deleting the session, shutdown): blocks on the
    // disk, so never on a request's path. Returns false if a commit failed.
    bool flushNow();

    static constexpr int kPresenceIntervalMs = 200; // presence: at most one message this often

  private:
    explicit SessionRoom(const Services& s)
        : m_store(s.store), m_writer(s.writer), m_stems(s.stemExists), m_metrics(s.metrics), m_stemFrames(s.stemFrames)
    {
        m_presenceTimer.setSingleShot(true);
        m_presenceTimer.setInterval(kPresenceIntervalMs);
        connect(&m_presenceTimer, &QTimer::timeout, this, &SessionRoom::sendPresence);
    }
    void applyEdit(ClientSocket* c, const protocol::Message& msg);
    // What the live streams play: the committed state with the automation passes in progress
    // (AutomationPasses.h) put in.
    const engine::Session& liveState() const { return m_passes && m_passes->active() ? m_live : m_committed; }
    void refreshLive();
    void handlePass(ClientSocket* c, const protocol::Message& msg);
    void addValue(QJsonObject& extra, const QString& path) const;
    void handleMembers(ClientSocket* c, const protocol::Message& msg);
    void broadcast(const QByteArray& json);
    // Presence is coalesced (at most one message per kPresenceIntervalMs) and sent as a delta
    // against what was last sent: members that joined or changed, ids that left.
    void presenceChanged();
    void sendPresence();
    std::pair<QStringList, QHash<QString, QJsonObject>> presenceNow() const;
    static QJsonArray presenceList(const std::pair<QStringList, QHash<QString, QJsonObject>>& p);
    void scheduleFlush();
    // Hands the pending edits to the writer unless a batch is in flight already.
    void flush();
    void onCommitted(bool ok, const QString& error);
    // Edits applied but not yet committed (pending or in flight).
    bool uncommitted() const { return !m_pending.isEmpty() || m_inFlight; }
    // Handles the requests that waited for a commit, in order, until one must wait again.
    void runDeferred();
    void dispatch(ClientSocket* c, const protocol::Message& msg);
    void refuse(ClientSocket* c, const QString& code, const QString& message, const QJsonObject& extra = {});

    struct Pending {
        OpRow row;
        QPointer<ClientSocket> sender;
        qint64 receivedNs = 0;
        bool duplicate = false; // a resend of an op already in this batch
    };

    Store& m_store;
    OpLogWriter& m_writer;
    protocol::StemExists m_stems;
    Metrics& m_metrics;
    QString m_id, m_name;
    engine::Session m_state;     // applied, including the pending batch
    engine::Session m_committed; // as of the last commit (welcome sends this)
    qint64 m_seq = 0;            // last assigned
    qint64 m_committedSeq = 0;
    qint64 m_snapshotSeq = 0;
    QList<ClientSocket*> m_clients;
    QList<Pending> m_pending;          // applied, not yet handed to the writer
    QList<Pending> m_committing;       // the batch in flight
    engine::Session m_committingState; // m_state as of the batch in flight's last op
    qint64 m_committingSeq = 0;
    bool m_inFlight = false, m_committingSnapshot = false, m_flushScheduled = false;
    bool m_failed = false; // a commit failed since the last flushNow()
    struct Deferred {
        QPointer<ClientSocket> client;
        protocol::Message msg;
    };
    QList<Deferred> m_deferred; // requests waiting for a commit, in arrival order
    QTimer m_presenceTimer;
    QHash<QString, QJsonObject> m_presenceSent;
    RateLimiter m_limiter;
    QElapsedTimer m_clock;
    std::function<qint64(const QString&)> m_stemFrames;
    std::unique_ptr<ReviewService> m_review;
    std::unique_ptr<PreviewHub> m_preview;
    std::unique_ptr<AutomationPasses> m_passes;
    engine::Session m_live; // liveState() while passes are active
    bool m_livePublishScheduled = false;
};

} // namespace mixroom::server
