// SPDX-License-Identifier: MIT
#pragma once
// One open session: the authoritative state, its sequence number, the connected members. Requests
// are checked (role, path, range, rate), applied in arrival order, given the next sequence
// number, appended to the op log and committed in batches (one commit per event-loop pass); only
// then is the sender acknowledged and the edit broadcast to every member.
// Thread: control thread.
#include "engine/model/Session.h"
#include "protocol/Messages.h"
#include "protocol/SessionOps.h"
#include "server/ClientSocket.h"
#include "server/Metrics.h"
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

    // Loads the session: the latest snapshot plus the ops after it, replayed.
    struct Services {
        Store& store;
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
    // Commits what is pending now (before shutdown). Returns false if the commit failed.
    bool flush();

    static constexpr int kPresenceIntervalMs = 200; // presence: at most one message this often

  private:
    explicit SessionRoom(const Services& s) : m_store(s.store), m_stems(s.stemExists), m_metrics(s.metrics), m_stemFrames(s.stemFrames)
    {
        m_presenceTimer.setSingleShot(true);
        m_presenceTimer.setInterval(kPresenceIntervalMs);
        connect(&m_presenceTimer, &QTimer::timeout, this, &SessionRoom::sendPresence);
    }
    void applyEdit(ClientSocket* c, const protocol::Message& msg);
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
    void refuse(ClientSocket* c, const QString& code, const QString& message, const QJsonObject& extra = {});

    struct Pending {
        OpRow row;
        QPointer<ClientSocket> sender;
        qint64 receivedNs = 0;
        bool duplicate = false; // a resend of an op already in this batch
    };

    Store& m_store;
    protocol::StemExists m_stems;
    Metrics& m_metrics;
    QString m_id, m_name;
    engine::Session m_state;     // applied, including the pending batch
    engine::Session m_committed; // as of the last commit (welcome sends this)
    qint64 m_seq = 0;            // last assigned
    qint64 m_committedSeq = 0;
    qint64 m_snapshotSeq = 0;
    QList<ClientSocket*> m_clients;
    QList<Pending> m_pending;
    bool m_flushScheduled = false;
    QTimer m_presenceTimer;
    QHash<QString, QJsonObject> m_presenceSent;
    RateLimiter m_limiter;
    QElapsedTimer m_clock;
    std::function<qint64(const QString&)> m_stemFrames;
    std::unique_ptr<ReviewService> m_review;
    std::unique_ptr<PreviewHub> m_preview;
};

} // namespace mixroom::server
