// SPDX-License-Identifier: MIT
#include "server/ReviewStore.h"

#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace mixroom::server {

namespace {
// A read that fails is logged with its error (the caller sees no rows).
void readFailed(const QSqlQuery& q)
{
    qCritical("mixroomd: review data could not be read: %s", qPrintable(q.lastError().text()));
}
} // namespace

namespace {
const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    " version TEXT NOT NULL, parent TEXT NOT NULL, author TEXT NOT NULL, author_name TEXT NOT NULL, role TEXT NOT NULL,"
    " at_ms REAL NOT NULL, to_ms REAL NOT NULL, text TEXT NOT NULL, resolved INTEGER NOT NULL, created REAL NOT NULL, edited REAL NOT "
    "NULL)",
    "CREATE INDEX IF NOT EXISTS notes_session ON notes (session, created)",
    "CREATE TABLE IF NOT EXISTS versions (session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, name TEXT NOT NULL,"
    " message TEXT NOT NULL, author TEXT NOT NULL, author_name TEXT NOT NULL, parent TEXT NOT NULL, time REAL NOT NULL,"
    " seq INTEGER NOT NULL, state BLOB NOT NULL, hashes TEXT NOT NULL, PRIMARY KEY (session, name))",
    "CREATE TABLE IF NOT EXISTS approvals (session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, version TEXT NOT NULL,"
    " member TEXT NOT NULL, time REAL NOT NULL, PRIMARY KEY (session, version, member))",
    "CREATE TABLE IF NOT EXISTS policies (session TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE, roles TEXT NOT NULL)",
};

NoteRow noteFrom(const QSqlQuery& q)
{
    NoteRow n;
    n.id = q.value(0).toString();
    n.session = q.value(1).toString();
    n.version = q.value(2).toString();
    n.parent = q.value(3).toString();
    n.author = q.value(4).toString();
    n.authorName = q.value(5).toString();
    n.role = q.value(6).toString();
    n.at = q.value(7).toDouble();
    n.to = q.value(8).toDouble();
    n.text = q.value(9).toString();
    n.resolved = q.value(10).toBool();
    n.created = q.value(11).toDouble();
    n.edited = q.value(12).toDouble();
    return n;
}

VersionRow versionFrom(const QSqlQuery& q)
{
    VersionRow v;
    v.session = q.value(0).toString();
    v.name = q.value(1).toString();
    v.message = q.value(2).toString();
    v.author = q.value(3).toString();
    v.authorName = q.value(4).toString();
    v.parent = q.value(5).toString();
    v.time = q.value(6).toDouble();
    v.seq = q.value(7).toLongLong();
    v.state = q.value(8).toByteArray();
    v.hashes = QJsonDocument::fromJson(q.value(9).toByteArray()).object();
    return v;
}

// A null QString binds as SQL NULL; the columns hold "" for "none".
QString text(const QString& s)
{
    return s.isNull() ? QString("") : s;
}

const char* kNoteColumns = "id, session, version, parent, author, author_name, role, at_ms, to_ms, text, resolved, created, edited";
const char* kVersionColumns = "session, name, message, author, author_name, parent, time, seq, state, hashes";
} // namespace

QJsonObject NoteRow::toJson() const
{
    QJsonObject o{{"id", id},     {"at", at},     {"author", author},     {"authorName", authorName},
                  {"role", role}, {"text", text}, {"resolved", resolved}, {"created", created}};
    o.insert("parent", parent.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(parent));
    o.insert("version", version.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(version));
    o.insert("to", to < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(to));
    o.insert("edited", edited > 0 ? QJsonValue(edited) : QJsonValue(QJsonValue::Null));
    return o;
}

ReviewStore::ReviewStore(Store& store) : m_connection(store.connectionName())
{
    for (const char* sql : kSchema)
        m_ok = m_ok && exec(sql);
}

bool ReviewStore::exec(const QString& sql)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(sql)) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

bool ReviewStore::addNote(const NoteRow& n)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("INSERT INTO notes (%1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").arg(kNoteColumns));
    for (const QVariant& v : {QVariant(n.id), QVariant(n.session), QVariant(text(n.version)), QVariant(text(n.parent)), QVariant(n.author),
                              QVariant(text(n.authorName)), QVariant(n.role), QVariant(n.at), QVariant(n.to), QVariant(n.text),
                              QVariant(n.resolved ? 1 : 0), QVariant(n.created), QVariant(n.edited)})
        q.addBindValue(v);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

bool ReviewStore::updateNote(const NoteRow& n)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("UPDATE notes SET text = ?, resolved = ?, edited = ? WHERE id = ?");
    q.addBindValue(n.text);
    q.addBindValue(n.resolved ? 1 : 0);
    q.addBindValue(n.edited);
    q.addBindValue(n.id);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

bool ReviewStore::deleteNote(const QString& id)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("DELETE FROM notes WHERE id = ? OR parent = ?");
    q.addBindValue(id);
    q.addBindValue(id);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

std::optional<NoteRow> ReviewStore::note(const QString& id)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("SELECT %1 FROM notes WHERE id = ?").arg(kNoteColumns));
    q.addBindValue(id);
    if (!q.exec()) readFailed(q);
    if (q.isActive() && q.next()) return noteFrom(q);
    return std::nullopt;
}

QList<NoteRow> ReviewStore::notes(const QString& session)
{
    QList<NoteRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("SELECT %1 FROM notes WHERE session = ? ORDER BY created, rowid").arg(kNoteColumns));
    q.addBindValue(session);
    if (!q.exec()) readFailed(q);
    while (q.next())
        out.append(noteFrom(q));
    return out;
}

bool ReviewStore::addVersion(const VersionRow& v)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("INSERT INTO versions (%1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").arg(kVersionColumns));
    for (const QVariant& x : {QVariant(v.session), QVariant(v.name), QVariant(text(v.message)), QVariant(v.author),
                              QVariant(text(v.authorName)), QVariant(text(v.parent)), QVariant(v.time), QVariant(v.seq), QVariant(v.state),
                              QVariant(QJsonDocument(v.hashes).toJson(QJsonDocument::Compact))})
        q.addBindValue(x);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

std::optional<VersionRow> ReviewStore::version(const QString& session, const QString& name)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("SELECT %1 FROM versions WHERE session = ? AND name = ?").arg(kVersionColumns));
    q.addBindValue(session);
    q.addBindValue(name);
    if (!q.exec()) readFailed(q);
    if (q.isActive() && q.next()) return versionFrom(q);
    return std::nullopt;
}

QList<VersionRow> ReviewStore::versions(const QString& session)
{
    QList<VersionRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QString("SELECT %1 FROM versions WHERE session = ? ORDER BY seq, time, rowid").arg(kVersionColumns));
    q.addBindValue(session);
    if (!q.exec()) readFailed(q);
    while (q.next())
        out.append(versionFrom(q));
    return out;
}

QList<VersionRow> ReviewStore::versionList(const QString& session)
{
    QList<VersionRow> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT session, name, message, author, author_name, parent, time, seq, x'', hashes FROM versions WHERE session = ? "
              "ORDER BY seq, time, rowid");
    q.addBindValue(session);
    if (!q.exec()) readFailed(q);
    while (q.next())
        out.append(versionFrom(q));
    return out;
}

bool ReviewStore::setVersionHashes(const QString& session, const QString& name, const QJsonObject& hashes)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("UPDATE versions SET hashes = ? WHERE session = ? AND name = ?");
    q.addBindValue(QJsonDocument(hashes).toJson(QJsonDocument::Compact));
    q.addBindValue(session);
    q.addBindValue(name);
    return q.exec();
}

bool ReviewStore::setApproval(const QString& session, const QString& version, const QString& member, bool approved)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (approved)
        q.prepare("INSERT OR REPLACE INTO approvals (session, version, member, time) VALUES (?, ?, ?, julianday('now'))");
    else
        q.prepare("DELETE FROM approvals WHERE session = ? AND version = ? AND member = ?");
    q.addBindValue(session);
    q.addBindValue(version);
    q.addBindValue(member);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

QStringList ReviewStore::approvals(const QString& session, const QString& version)
{
    QStringList out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT member FROM approvals WHERE session = ? AND version = ? ORDER BY time");
    q.addBindValue(session);
    q.addBindValue(version);
    if (!q.exec()) readFailed(q);
    while (q.next())
        out.append(q.value(0).toString());
    return out;
}

QHash<QString, QStringList> ReviewStore::approvalsByVersion(const QString& session)
{
    QHash<QString, QStringList> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT version, member FROM approvals WHERE session = ? ORDER BY time");
    q.addBindValue(session);
    if (!q.exec()) readFailed(q);
    while (q.next())
        out[q.value(0).toString()].append(q.value(1).toString());
    return out;
}

QStringList ReviewStore::policyRoles(const QString& session)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("SELECT roles FROM policies WHERE session = ?");
    q.addBindValue(session);
    if (!q.exec()) readFailed(q);
    if (q.isActive() && q.next()) return q.value(0).toString().split(',', Qt::SkipEmptyParts);
    return {"artist", "client"};
}

bool ReviewStore::setPolicyRoles(const QString& session, const QStringList& roles)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare("INSERT OR REPLACE INTO policies (session, roles) VALUES (?, ?)");
    q.addBindValue(session);
    q.addBindValue(roles.join(','));
    return q.exec();
}

} // namespace mixroom::server
