// SPDX-License-Identifier: MIT
#include "server/UploadService.h"
#include "server/HttpReply.h"

#include "server/Permissions.h"
#include "server/Tokens.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTcpSocket>

namespace mixroom::server {

namespace {
using Status = QHttpServerResponder::StatusCode;

// Upload answers close their connection: after a large body the server closes it anyway (Qt keeps
// a request's body until the connection's next request), and a client told so in advance never
// sends its next request on a connection that is about to close.
void reply(QHttpServerResponder& r, Status status, const QJsonObject& body)
{
    http::json(r, status, body, {{"Connection", "close"}});
}
void error(QHttpServerResponder& r, Status status, const QString& code, const QString& message)
{
    reply(r, status, QJsonObject{{"error", code}, {"message", message}});
}
} // namespace

UploadService::UploadService(Store& store, engine::StemStore& stems, QString dir, std::function<int(const QString&)> sessionRate,
                             HttpFront& http)
    : m_store(store), m_stems(stems), m_dir(std::move(dir)), m_sessionRate(std::move(sessionRate)), m_http(http)
{
    QDir().mkpath(m_dir);
    m_imports.setMaxThreadCount(2);
    m_writes.setMaxThreadCount(2);
}

UploadService::~UploadService()
{
    m_writes.waitForDone(); // may start imports
    m_imports.waitForDone();
}

int UploadService::sweep(qint64 idleMs)
{
    const QDateTime cutoff = QDateTime::currentDateTimeUtc().addMSecs(-idleMs);
    int removed = 0;
    for (const QFileInfo& meta : QDir(m_dir).entryInfoList({"*.json"}, QDir::Files)) {
        const QString base = m_dir + "/" + meta.completeBaseName();
        const QFileInfo part(base + ".part");
        const QDateTime last =
            part.exists() ? std::max(part.lastModified().toUTC(), meta.lastModified().toUTC()) : meta.lastModified().toUTC();
        if (last >= cutoff) continue;
        QFile::remove(base + ".part");
        QFile::remove(meta.filePath());
        ++removed;
    }
    if (removed > 0) qInfo("mixroomd: removed %d abandoned upload(s)", removed);
    return removed;
}

std::optional<MemberRow> UploadService::member(const QByteArray& auth) const
{
    if (!auth.startsWith("Bearer ")) return std::nullopt;
    auto m = m_store.memberByToken(tokenHash(QString::fromUtf8(auth.mid(7).trimmed())));
    if (!m || !m->usable(QDateTime::currentMSecsSinceEpoch())) return std::nullopt;
    return m;
}

qint64 UploadService::reservedBytes() const
{
    qint64 total = 0;
    for (const QFileInfo& meta : QDir(m_dir).entryInfoList({"*.json"}, QDir::Files)) {
        QFile f(meta.filePath());
        if (!f.open(QIODevice::ReadOnly)) continue;
        const qint64 length = static_cast<qint64>(QJsonDocument::fromJson(f.read(4096)).object().value("length").toDouble());
        total += std::max<qint64>(0, length - QFileInfo(m_dir + "/" + meta.completeBaseName() + ".part").size());
    }
    return total;
}

Admission UploadService::admit(const RequestHead& head) const
{
    const QByteArray auth = head.value("authorization");
    if (!auth.startsWith("Bearer ")) return Admission::refuse(401, "bad_token", "send Authorization: Bearer <member token>");
    const auto m = member(auth);
    if (!m) return Admission::refuse(401, "bad_token", "the token is not valid");
    const Role role = roleFromName(m->role).value_or(Role::Client);
    if (!allowed(role, Action::EditStructure)) return Admission::refuse(403, "forbidden", refusal(role, Action::EditStructure));
    if (head.method != "PATCH") return Admission::admit(0);
    static const QRegularExpression idRe("^/uploads/(u_[0-9a-f]{16})\\z");
    const auto match = idRe.match(QString::fromLatin1(head.path()));
    if (!match.hasMatch()) return Admission::refuse(404, "not_found", "no such upload");
    QFile metaFile(m_dir + "/" + match.captured(1) + ".json");
    if (!metaFile.open(QIODevice::ReadOnly))
        return Admission::refuse(404, "not_found", "no such upload (finished, rejected or never started)");
    const QJsonObject meta = QJsonDocument::fromJson(metaFile.read(4096)).object();
    if (meta.value("session").toString() != m->session) return Admission::refuse(404, "not_found", "no such upload in your session");
    const qint64 length = static_cast<qint64>(meta.value("length").toDouble());
    // A chunk still being written (its client may have gone): where the upload stands is known
    // once it is done.
    if (m_writing.contains(match.captured(1)))
        return Admission::refuse(503, "busy", "a chunk of this upload is still being written; retry shortly", {}, 1);
    const qint64 offset = QFileInfo(m_dir + "/" + match.captured(1) + ".part").size();
    const auto at = parseDecimal(head.value("upload-offset"), kMaxUploadBytes);
    if (!at || *at != offset)
        return Admission::refuse(409, "conflict", QString("Upload-Offset must be %1, where the upload stands").arg(offset),
                                 QJsonObject{{"offset", static_cast<double>(offset)}, {"length", static_cast<double>(length)}});
    const qint64 room = std::min(kMaxChunkBytes, length - offset);
    if (head.contentLength > room)
        return Admission::refuse(413, "too_large",
                                 QString("a chunk may be at most %1 bytes here (16 MiB, and no further than Upload-Length)").arg(room));
    if (QStorageInfo(m_dir).bytesAvailable() - m_keepFree < head.contentLength)
        return Admission::refuse(507, "disk_full", "not enough disk space for this chunk");
    return Admission::admit(head.contentLength);
}

int UploadService::removeInterrupted()
{
    int removed = 0;
    for (const QFileInfo& f : QDir(m_dir).entryInfoList(QDir::Files))
        if (f.suffix() != "json" && f.suffix() != "part" && QFile::remove(f.filePath())) ++removed;
    return removed;
}

void UploadService::handle(const QHttpServerRequest& req, QHttpServerResponder& r)
{
    // Bearer token of a member who may change the session's structure.
    const QByteArray auth = req.value("authorization");
    if (!auth.startsWith("Bearer ")) return error(r, Status::Unauthorized, "bad_token", "send Authorization: Bearer <member token>");
    const auto member = this->member(auth);
    if (!member) return error(r, Status::Unauthorized, "bad_token", "the token is not valid");
    const Role role = roleFromName(member->role).value_or(Role::Client);
    if (!allowed(role, Action::EditStructure)) return error(r, Status::Forbidden, "forbidden", refusal(role, Action::EditStructure));

    const QString path = req.url().path();
    static const QRegularExpression idRe("^/uploads/(u_[0-9a-f]{16})\\z");
    if (path == "/uploads") {
        if (req.method() != QHttpServerRequest::Method::Post)
            return error(r, Status::MethodNotAllowed, "method_not_allowed", "POST /uploads starts an upload");
        const qint64 length = parseDecimal(req.value("upload-length"), kMaxUploadBytes).value_or(0);
        if (length <= 0)
            return error(r, Status::BadRequest, "bad_message", QString("Upload-Length must be 1 to %1 bytes").arg(kMaxUploadBytes));
        QString why;
        const auto parsed = parseUploadName(req.value("upload-name"), &why);
        if (!parsed) return error(r, Status::BadRequest, "bad_message", why);
        const QString name = *parsed;
        // Space for this upload and every unfinished one, so twenty 2 GiB uploads cannot all be
        // accepted against the same free space.
        const qint64 reserved = reservedBytes();
        const qint64 usable = QStorageInfo(m_dir).bytesAvailable() - m_keepFree;
        if (usable < length + reserved)
            return error(r, Status::InsufficientStorage, "disk_full",
                         QString("not enough disk space for this upload (%1 MB usable, %2 MB promised to unfinished uploads)")
                             .arg(std::max<qint64>(0, usable) >> 20)
                             .arg(reserved >> 20));
        const QString id = newId("u_");
        QJsonObject meta{{"name", name}, {"length", static_cast<double>(length)}, {"session", member->session}, {"member", member->id}};
        QFile m(m_dir + "/" + id + ".json");
        QFile part(m_dir + "/" + id + ".part");
        if (!m.open(QIODevice::WriteOnly) || m.write(QJsonDocument(meta).toJson()) < 0 || !part.open(QIODevice::WriteOnly))
            return error(r, Status::InternalServerError, "internal", "cannot create the upload");
        return reply(r, Status::Created, QJsonObject{{"id", id}, {"offset", 0}, {"length", static_cast<double>(length)}});
    }
    const auto match = idRe.match(path);
    if (!match.hasMatch()) return error(r, Status::NotFound, "not_found", "no such upload");
    const QString id = match.captured(1);
    QFile metaFile(m_dir + "/" + id + ".json");
    if (!metaFile.open(QIODevice::ReadOnly))
        return error(r, Status::NotFound, "not_found", "no such upload (finished, rejected or never started)");
    const QJsonObject meta = QJsonDocument::fromJson(metaFile.readAll()).object();
    metaFile.close();
    if (meta.value("session").toString() != member->session)
        return error(r, Status::NotFound, "not_found", "no such upload in your session");
    const QString partPath = m_dir + "/" + id + ".part";
    const qint64 length = static_cast<qint64>(meta.value("length").toDouble());
    const qint64 offset = QFileInfo(partPath).size();
    const QJsonObject state{
        {"id", id}, {"offset", static_cast<double>(offset)}, {"length", static_cast<double>(length)}, {"name", meta.value("name")}};
    if (m_writing.contains(id) && req.method() != QHttpServerRequest::Method::Patch) {
        http::error(r, Status::ServiceUnavailable, "busy", "a chunk of this upload is still being written; retry shortly",
                    {{"Connection", "close"}, {"Retry-After", "1"}});
        return;
    }
    if (req.method() == QHttpServerRequest::Method::Get) return reply(r, Status::Ok, state);
    if (req.method() == QHttpServerRequest::Method::Delete) {
        QFile::remove(partPath);
        QFile::remove(m_dir + "/" + id + ".json");
        return reply(r, Status::Ok, QJsonObject{{"id", id}, {"deleted", true}});
    }
    if (req.method() != QHttpServerRequest::Method::Patch)
        return error(r, Status::MethodNotAllowed, "method_not_allowed", "PATCH appends, GET shows the offset, DELETE abandons");
    const auto at = parseDecimal(req.value("upload-offset"), kMaxUploadBytes);
    if (!at || *at != offset) {
        QJsonObject body = state;
        body.insert("error", "conflict");
        body.insert("message", QString("Upload-Offset must be %1, where the upload stands").arg(offset));
        return reply(r, Status::Conflict, body);
    }
    const QByteArray chunk = req.body();
    if (chunk.size() > kMaxChunkBytes || offset + chunk.size() > length)
        return error(r, Status::PayloadTooLarge, "too_large", "the chunk is too large or goes past Upload-Length");
    if (m_writing.contains(id)) {
        QJsonObject body = state;
        body.insert("error", "conflict");
        body.insert("message", "a chunk of this upload is still being written; send the next one after its answer");
        return reply(r, Status::Conflict, body);
    }
    // The chunk is written (and a complete upload imported) on a worker; the connection waits for
    // its answer, nobody else does.
    m_writing.insert(id);
    QPointer<QTcpSocket> socket = r.socket();
    m_http.hold(socket);
    auto responder = std::make_shared<QHttpServerResponder>(std::move(r));
    const QString name = meta.value("name").toString();
    const int rate = m_sessionRate(member->session);
    m_writes.start([this, chunk, partPath, offset, length, id, name, rate, socket, responder] {
        QFile part(partPath);
        if (!part.open(QIODevice::Append) || part.write(chunk) != chunk.size() || !part.flush()) {
            const QString why = part.errorString();
            part.close();
            part.resize(offset); // nothing half-written: back to the last good offset
            return answer(socket, responder, id, [why](QHttpServerResponder& r) {
                error(r, Status::InsufficientStorage, "disk_full", "the chunk could not be written: " + why);
            });
        }
        part.close();
        const qint64 now = offset + chunk.size();
        if (now < length)
            return answer(socket, responder, id, [id, now, length](QHttpServerResponder& r) {
                reply(r, Status::Ok,
                      QJsonObject{{"id", id}, {"offset", static_cast<double>(now)}, {"length", static_cast<double>(length)}});
            });
        // Complete: import (validation, decode, resample) and drop the upload either way.
        const QString suffix = QFileInfo(name).suffix().toLower();
        const QString named = m_dir + "/" + id + (suffix.isEmpty() ? QString() : "." + suffix);
        QFile::rename(partPath, named);
        m_imports.start([this, named, name, id, now, length, rate, socket, responder] {
            auto info = m_stems.import(named.toStdString(), rate);
            QFile::remove(named);
            QFile::remove(m_dir + "/" + id + ".json");
            answer(socket, responder, id, [info = std::move(info), named, name, id, now, length](QHttpServerResponder& r) {
                if (!info)
                    return error(r, Status::UnprocessableEntity, QString::fromStdString(info.error().code),
                                 QString::fromStdString(info.error().message).replace(named, name));
                reply(r, Status::Ok,
                      QJsonObject{{"id", id},
                                  {"offset", static_cast<double>(now)},
                                  {"length", static_cast<double>(length)},
                                  {"stem", QJsonObject{{"hash", QString::fromStdString(info->hash)},
                                                       {"channels", info->channels},
                                                       {"frames", static_cast<double>(info->frames)},
                                                       {"sampleRate", info->sampleRate},
                                                       {"sourceRate", info->sourceRate},
                                                       {"sourceFormat", QString::fromStdString(info->sourceFormat)}}}});
            });
        });
    });
}

void UploadService::answer(QPointer<QTcpSocket> socket, std::shared_ptr<QHttpServerResponder> responder, const QString& id,
                           std::function<void(QHttpServerResponder&)> write)
{
    QMetaObject::invokeMethod(
        &m_context,
        [this, socket, responder, id, write = std::move(write)] {
            m_writing.remove(id);
            if (!socket || socket->state() != QAbstractSocket::ConnectedState) return; // the client left
            m_http.release(socket);
            write(*responder);
        },
        Qt::QueuedConnection);
}

} // namespace mixroom::server
