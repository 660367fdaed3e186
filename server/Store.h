// SPDX-License-Identifier: MIT
#pragma once
// The server's durable state in SQLite (Qt SQL): admin token hash, sessions, members (token
// hashes only), the op log and state snapshots. WAL, synchronous=FULL by default (Durability): a
// call that returns true has committed. Session state = latest snapshot + the ops after it.
// Reads report failure (a query that fails is not an empty answer): optional results are
// nullopt and lastError() says why; list reads that have no failure channel log it.
// Thread: the thread that opened it (one writer connection).
#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <limits>
#include <memory>
#include <optional>

namespace mixroom::server {

struct SessionRow {
    QString id, name;
    qint64 seq = 0;
    qint64 snapshotSeq = 0;
    QByteArray snapshot; // session document at snapshotSeq
};

struct MemberRow {
    QString id, session, name, role;
    QByteArray tokenHash;
    bool revoked = false;
    qint64 expiresMs = 0; // ms since the epoch; 0: the token does not expire (share links do)
    bool expired(qint64 nowMs) const { return expiresMs > 0 && nowMs >= expiresMs; }
    bool usable(qint64 nowMs) const { return !revoked && !expired(nowMs); }
};

struct OpRow {
    QString session;
    qint64 seq = 0;
    QString clientId;
    qint64 clientSeq = 0;
    QString member;
    QString op;
    QJsonObject args;
    double time = 0;
};

// Ops committed together (and optionally a state snapshot).
struct OpBatch {
    QList<OpRow> rows;
    QString snapshotSession; // empty: no snapshot with this batch
    qint64 snapshotSeq = 0;
    QByteArray snapshot;
};

class Store {
  public:
    // How a commit reaches the disk. Power: fsync per commit (synchronous=FULL; an acknowledged
    // edit survives a power cut). Crash: the WAL is written but not synced at each commit
    // (synchronous=NORMAL; an acknowledged edit survives mixroomd crashing or being killed, but the
    // last moments before a power cut or kernel crash may be lost; commits do not wait for the disk).
    enum class Durability { Power, Crash };
    static std::unique_ptr<Store> open(const QString& dir, QString* error, Durability durability = Durability::Power);
    Durability durability() const { return m_durability; }
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    QString lastError() const { return m_error; }
    QString connectionName() const { return m_connection; }

    QByteArray adminTokenHash();
    bool setAdminTokenHash(const QByteArray& hash);

    bool createSession(const SessionRow& s, const MemberRow& owner);
    QList<SessionRow> sessions();
    std::optional<SessionRow> session(const QString& id);
    bool deleteSession(const QString& id);

    bool addMember(const MemberRow& m);
    QList<MemberRow> members(const QString& session);
    std::optional<MemberRow> memberByToken(const QByteArray& tokenHash);
    bool revokeMember(const QString& memberId);
    // The member who created the session (stored with it); nobody else may revoke them.
    QString creatorOf(const QString& session);
    // Replaces a member's token (the demo re-issues its invite tokens at each start).
    bool setMemberToken(const QString& memberId, const QByteArray& tokenHash);

    QString path() const { return m_path; } // the database file
    // Opens a connection named `connection` on the calling thread with the store's settings.
    static bool openConnection(const QString& connection, const QString& path, Durability durability, QString* error);
    // Writes a batch through an open connection, inside the caller's transaction.
    static bool writeOps(const QString& connection, const OpBatch& batch, QString* error);
    // Appends ops (and optionally a snapshot) in one transaction.
    bool appendOps(const QList<OpRow>& ops, const QString& snapshotSession = {}, qint64 snapshotSeq = 0, const QByteArray& snapshot = {});
    // The ops after `seq` up to `upTo`, oldest first; nullopt if the log could not be read. A room
    // reads up to its committed seq: the writer's commit is in the database before the room hears of it.
    std::optional<QList<OpRow>> opsAfter(const QString& session, qint64 seq, qint64 upTo = std::numeric_limits<qint64>::max());
    // The seq an op of (clientId, clientSeq) was stored with: found, absent, or unreadable.
    enum class Lookup { Found, Absent, Failed };
    Lookup seqOfClientOp(const QString& session, const QString& clientId, qint64 clientSeq, qint64* seq);

  private:
    Store() = default;
    bool exec(const QString& sql);
    bool migrate();
    bool readFailed(const char* what, const QString& error); // records and logs a failed read
    QString m_connection;
    QString m_path;
    QString m_error;
    Durability m_durability = Durability::Power;
};

} // namespace mixroom::server
