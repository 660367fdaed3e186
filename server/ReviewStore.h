// SPDX-License-Identifier: MIT
#pragma once
// Notes, versions, approvals and approval policies in the server's SQLite database (the same
// connection as Store). A call that returns true has committed.
// Thread: the store's thread.
#include "server/Store.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <optional>

namespace mixroom::server {

struct NoteRow {
    QString id, session, version, parent; // version empty: live mix; parent empty: top level
    QString author, authorName, role;
    double at = 0, to = -1; // ms; to < 0: a point
    QString text;
    bool resolved = false;
    double created = 0, edited = 0;
    QJsonObject toJson() const;
};

struct VersionRow {
    QString session, name, message, author, authorName, parent;
    double time = 0;
    qint64 seq = 0;
    QByteArray state;   // session document
    QJsonObject hashes; // render SHA-256 per format, once rendered
};

class ReviewStore {
  public:
    explicit ReviewStore(Store& store);
    bool ok() const { return m_ok; }
    QString lastError() const { return m_error; }

    bool addNote(const NoteRow& n);
    bool updateNote(const NoteRow& n);
    bool deleteNote(const QString& id); // and its replies
    std::optional<NoteRow> note(const QString& id);
    QList<NoteRow> notes(const QString& session);

    bool addVersion(const VersionRow& v);
    std::optional<VersionRow> version(const QString& session, const QString& name);
    QList<VersionRow> versions(const QString& session); // oldest first
    // The same without the documents (state stays empty): for lists and statuses.
    QList<VersionRow> versionList(const QString& session);
    bool setVersionHashes(const QString& session, const QString& name, const QJsonObject& hashes);

    bool setApproval(const QString& session, const QString& version, const QString& member, bool approved);
    QStringList approvals(const QString& session, const QString& version);  // member ids
    QHash<QString, QStringList> approvalsByVersion(const QString& session); // every version's, in one query

    QStringList policyRoles(const QString& session); // default {"artist", "client"}
    bool setPolicyRoles(const QString& session, const QStringList& roles);

  private:
    bool exec(const QString& sql);
    QString m_connection, m_error;
    bool m_ok = true;
};

} // namespace mixroom::server
