// SPDX-License-Identifier: MIT
#pragma once
// The review workflow of one session: notes pinned to moments of the live mix or of a version
// (threads, resolve, live broadcast), immutable named versions with diffs, approvals under the
// session's policy, full-resolution renders bound to approvals by SHA-256, and the checks for the
// mastering pull. Owned by its SessionRoom, which passes it the requests it does not handle itself.
// Thread: control thread.
#include "engine/model/Session.h"
#include "protocol/Messages.h"
#include "server/ClientSocket.h"
#include "server/Metrics.h"
#include "server/RenderCache.h"
#include "server/ReviewStore.h"

#include <QObject>

#include <functional>

namespace mixroom::server {

class ReviewService : public QObject {
    Q_OBJECT
  public:
    struct Host {
        std::function<const engine::Session&()> state; // the live mix
        std::function<qint64()> seq;
        std::function<double(const engine::Session&)> lengthMs; // song length of a document
        std::function<void(const QByteArray&)> broadcast;
        std::function<void(ClientSocket*, const QByteArray&)> broadcastExcept; // to everyone but one
    };
    static bool handles(protocol::Kind kind);

    ReviewService(QString session, Store& store, ReviewStore& review, RenderCache& renders, Metrics& metrics, Host host,
                  QObject* parent = nullptr);
    void handle(ClientSocket* c, const protocol::Message& msg);
    // The version's state for a restore, or nullopt.
    std::optional<engine::Session> versionState(const QString& name);
    void restored(const QString& name) { m_lastVersion = name; }

    // Mastering pull: which file to send, or why not.
    struct Pull {
        int httpStatus = 200;
        QString code, message;
        QString file, sha256;
        QString canonicalSha256; // of the canonical render (wav32f) the file was made from
        double progress = 0;     // while rendering (202)
    };
    Pull pull(const MemberRow& member, const QString& version, const QString& format);

  private:
    void refuse(ClientSocket* c, qint64 clientSeq, const QString& code, const QString& message);
    void sendEvent(ClientSocket* c, qint64 clientSeq, protocol::Kind kind, QJsonObject body);
    // Every version's status in one pass (four queries, whatever the number of versions):
    // pending / approved by the policy / superseded by a later approved version.
    struct Statuses {
        QHash<QString, QString> status;
        QHash<QString, QStringList> waiting;   // names of members still to approve
        QHash<QString, QStringList> approvers; // member ids
        QList<MemberRow> members;
    };
    Statuses statuses();
    QJsonObject versionJson(const VersionRow& v, const Statuses& st);
    QString renderKeyOf(const VersionRow& v); // versions are immutable: computed once per name
    // Every version without its document, oldest first, read once and kept up to date here (a
    // version's row is immutable but for its hashes): listing 1,000 versions read every document's
    // pages from SQLite to reach the hashes stored after it.
    const QList<VersionRow>& versions();
    void setHashes(const QString& name, const QJsonObject& hashes);
    QList<VersionRow> m_versions;
    bool m_versionsLoaded = false;
    void startRender(const VersionRow& v);
    void onRendered(const QString& key, const QJsonObject& hashes, const QString& error);
    void notes(ClientSocket* c, const protocol::Message& msg, qint64 clientSeq);
    void versions(ClientSocket* c, const protocol::Message& msg, qint64 clientSeq);
    void approvals(ClientSocket* c, const protocol::Message& msg, qint64 clientSeq);

    QString m_session;
    Store& m_store;
    ReviewStore& m_review;
    RenderCache& m_renders;
    Metrics& m_metrics;
    Host m_host;
    QString m_lastVersion;
    QHash<QString, QStringList> m_renderWaiters; // render key -> version names
    QHash<QString, QString> m_renderKeys;        // version name -> render key
};

} // namespace mixroom::server
