// SPDX-License-Identifier: MIT
#include "server/Store.h"

#include <QDir>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

#include <iterator>

namespace mixroom::server {

namespace {
const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL, seq INTEGER NOT NULL,"
    " snapshot_seq INTEGER NOT NULL, snapshot BLOB NOT NULL, created REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS ops (session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
    " client_id TEXT NOT NULL, client_seq INTEGER NOT NULL, member TEXT NOT NULL, op TEXT NOT NULL, args TEXT NOT NULL,"
    " time REAL NOT NULL, PRIMARY KEY (session, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_client ON ops (session, client_id, client_seq)",
};
} // namespace

std::unique_ptr<Store> Store::open(const QString& dir, QString* error, Durability durability)
{
    if (!QDir().mkpath(dir)) {
        *error = QString("cannot create the data folder %1").arg(dir);
        return nullptr;
    }
    std::unique_ptr<Store> s(new Store);
    s->m_connection = "mixroom-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    s->m_path = dir + "/mixroom.sqlite";
    s->m_durability = durability;
    if (!openConnection(s->m_connection, s->m_path, durability, error)) return nullptr;
    for (const char* sql : kSchema)
        if (!s->exec(sql)) {
            *error = s->m_error;
            return nullptr;
        }
    if (!s->migrate()) {
        *error = "the database could not be brought to the current schema: " + s->m_error;
        return nullptr;
    }
    return s;
}

// Schema versions (PRAGMA user_version): each step runs once, in order, in one transaction.
//  1: members.expires (ms since the epoch; 0: never), for share links that expire.
bool Store::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    if (!q.exec("PRAGMA user_version") || !q.next()) {
        m_error = q.lastError().text();
        return false;
    }
    const int version = q.value(0).toInt();
    q.finish();
    static const char* kSteps[] = {
        "ALTER TABLE members ADD COLUMN expires INTEGER NOT NULL DEFAULT 0",
    };
    constexpr int kVersion = static_cast<int>(std::size(kSteps));
    if (version >= kVersion) return true;
    db.transaction();
    for (int v = version; v < kVersion; ++v)
        if (!exec(kSteps[v])) {
            db.rollback();
            return false;
        }
    if (!exec(QString("PRAGMA user_version = %1").arg(kVersion)) || !db.commit()) {
        m_error += db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

Store::~Store()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isOpen()) db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

bool Store::exec(const QString& sql)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(sql)) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

QByteArray Store::adminTokenHash()
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT value FROM meta WHERE key = 'admin_token_hash'");
    if (q.exec() && q.next()) return q.value(0).toByteArray();
    return {};
}

bool Store::setAdminTokenHash(const QByteArray& hash)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('admin_token_hash', ?)");
    q.addBindValue(QString::fromLatin1(hash));
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

bool Store::createSession(const SessionRow& s, const MemberRow& owner)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    db.transaction();
    QSqlQuery q(db);
    q.prepare("INSERT INTO sessions (id, name, seq, snapshot_seq, snapshot, created) VALUES (?, ?, 0, 0, ?, julianday('now'))");
    q.addBindValue(s.id);
    q.addBindValue(s.name);
    q.addBindValue(s.snapshot);
    if (!q.exec() || !addMember(owner) || !db.commit()) {
        m_error = q.lastError().text() + db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

QList<SessionRow> Store::sessions()
{
    QList<SessionRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec("SELECT id, name, seq, snapshot_seq, snapshot FROM sessions ORDER BY created"))
        readFailed("the session list", q.lastError().text());
    while (q.next())
        out.append(SessionRow{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(), q.value(3).toLongLong(),
                              q.value(4).toByteArray()});
    return out;
}

std::optional<SessionRow> Store::session(const QString& id)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT id, name, seq, snapshot_seq, snapshot FROM sessions WHERE id = ?");
    q.addBindValue(id);
    if (q.exec() && q.next())
        return SessionRow{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(), q.value(3).toLongLong(),
                          q.value(4).toByteArray()};
    return std::nullopt;
}

bool Store::deleteSession(const QString& id)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("DELETE FROM sessions WHERE id = ?");
    q.addBindValue(id);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return q.numRowsAffected() > 0;
}

bool Store::addMember(const MemberRow& m)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("INSERT INTO members (id, session, name, role, token_hash, revoked, expires) VALUES (?, ?, ?, ?, ?, 0, ?)");
    q.addBindValue(m.id);
    q.addBindValue(m.session);
    q.addBindValue(m.name);
    q.addBindValue(m.role);
    q.addBindValue(QString::fromLatin1(m.tokenHash));
    q.addBindValue(m.expiresMs);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

QList<MemberRow> Store::members(const QString& session)
{
    QList<MemberRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT id, session, name, role, token_hash, revoked, expires FROM members WHERE session = ? ORDER BY rowid");
    q.addBindValue(session);
    if (!q.exec()) readFailed("the member list", q.lastError().text());
    while (q.next())
        out.append(MemberRow{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                             q.value(4).toByteArray(), q.value(5).toBool(), q.value(6).toLongLong()});
    return out;
}

std::optional<MemberRow> Store::memberByToken(const QByteArray& tokenHash)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT id, session, name, role, token_hash, revoked, expires FROM members WHERE token_hash = ?");
    q.addBindValue(QString::fromLatin1(tokenHash));
    if (q.exec() && q.next())
        return MemberRow{q.value(0).toString(),    q.value(1).toString(), q.value(2).toString(),  q.value(3).toString(),
                         q.value(4).toByteArray(), q.value(5).toBool(),   q.value(6).toLongLong()};
    return std::nullopt;
}

bool Store::revokeMember(const QString& memberId)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("UPDATE members SET revoked = 1 WHERE id = ?");
    q.addBindValue(memberId);
    return q.exec() && q.numRowsAffected() > 0;
}

QString Store::creatorOf(const QString& session)
{
    // The session's first member is the one createSession() stored with it.
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT id FROM members WHERE session = ? ORDER BY rowid LIMIT 1");
    q.addBindValue(session);
    return q.exec() && q.next() ? q.value(0).toString() : QString();
}

bool Store::setMemberToken(const QString& memberId, const QByteArray& tokenHash)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("UPDATE members SET token_hash = ? WHERE id = ? AND revoked = 0"); // a revocation stands
    q.addBindValue(QString::fromLatin1(tokenHash));
    q.addBindValue(memberId);
    return q.exec() && q.numRowsAffected() > 0;
}

bool Store::writeOps(const QString& connection, const OpBatch& batch, QString* error)
{
    QSqlDatabase db = QSqlDatabase::database(connection);
    QSqlQuery ins(db);
    ins.prepare("INSERT INTO ops (session, seq, client_id, client_seq, member, op, args, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    QSqlQuery upd(db);
    upd.prepare("UPDATE sessions SET seq = ? WHERE id = ?");
    for (const OpRow& o : batch.rows) {
        ins.addBindValue(o.session);
        ins.addBindValue(o.seq);
        ins.addBindValue(o.clientId);
        ins.addBindValue(o.clientSeq);
        ins.addBindValue(o.member);
        ins.addBindValue(o.op);
        ins.addBindValue(QString::fromUtf8(QJsonDocument(o.args).toJson(QJsonDocument::Compact)));
        ins.addBindValue(o.time);
        upd.addBindValue(o.seq);
        upd.addBindValue(o.session);
        if (!ins.exec() || !upd.exec()) {
            *error = ins.lastError().text() + upd.lastError().text();
            return false;
        }
        if (upd.numRowsAffected() != 1) {
            *error = QString("session %1 no longer exists").arg(o.session);
            return false;
        }
    }
    if (!batch.snapshotSession.isEmpty()) {
        QSqlQuery snap(db);
        snap.prepare("UPDATE sessions SET snapshot_seq = ?, snapshot = ? WHERE id = ?");
        snap.addBindValue(batch.snapshotSeq);
        snap.addBindValue(batch.snapshot);
        snap.addBindValue(batch.snapshotSession);
        if (!snap.exec()) {
            *error = snap.lastError().text();
            return false;
        }
    }
    return true;
}

bool Store::openConnection(const QString& connection, const QString& path, Durability durability, QString* error)
{
    QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", connection);
    db.setDatabaseName(path);
    if (!db.open()) {
        *error = "cannot open the database: " + db.lastError().text();
        return false;
    }
    const char* sync = durability == Durability::Power ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    for (const char* pragma : {"PRAGMA journal_mode=WAL", sync, "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"}) {
        QSqlQuery q(db);
        if (!q.exec(pragma)) {
            *error = QString("%1: %2").arg(pragma, q.lastError().text());
            return false;
        }
    }
    return true;
}

bool Store::appendOps(const QList<OpRow>& ops, const QString& snapshotSession, qint64 snapshotSeq, const QByteArray& snapshot)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction()) {
        m_error = db.lastError().text();
        return false;
    }
    if (!writeOps(m_connection, OpBatch{ops, snapshotSession, snapshotSeq, snapshot}, &m_error)) {
        db.rollback();
        return false;
    }
    if (!db.commit()) {
        m_error = db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

std::optional<QList<OpRow>> Store::opsAfter(const QString& session, qint64 seq, qint64 upTo)
{
    QList<OpRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT session, seq, client_id, client_seq, member, op, args, time FROM ops WHERE session = ? AND seq > ? AND seq <= ? "
              "ORDER BY seq");
    q.addBindValue(session);
    q.addBindValue(seq);
    q.addBindValue(upTo);
    if (!q.exec()) {
        readFailed("the op log", q.lastError().text());
        return std::nullopt;
    }
    while (q.next())
        out.append(OpRow{q.value(0).toString(), q.value(1).toLongLong(), q.value(2).toString(), q.value(3).toLongLong(),
                         q.value(4).toString(), q.value(5).toString(), QJsonDocument::fromJson(q.value(6).toByteArray()).object(),
                         q.value(7).toDouble()});
    if (q.lastError().isValid()) {
        readFailed("the op log", q.lastError().text());
        return std::nullopt;
    }
    return out;
}

Store::Lookup Store::seqOfClientOp(const QString& session, const QString& clientId, qint64 clientSeq, qint64* seq)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT seq FROM ops WHERE session = ? AND client_id = ? AND client_seq = ?");
    q.addBindValue(session);
    q.addBindValue(clientId);
    q.addBindValue(clientSeq);
    if (q.exec() && q.next()) {
        *seq = q.value(0).toLongLong();
        return Lookup::Found;
    }
    if (!q.lastError().isValid()) return Lookup::Absent;
    readFailed("the op log", q.lastError().text());
    return Lookup::Failed;
}

bool Store::readFailed(const char* what, const QString& error)
{
    m_error = QString("%1 could not be read: %2").arg(QString::fromLatin1(what), error);
    qCritical("mixroomd: %s", qPrintable(m_error));
    return false;
}

} // namespace mixroom::server
