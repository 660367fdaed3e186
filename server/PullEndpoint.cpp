// SPDX-License-Identifier: MIT
// GET /sessions/<session>/versions/<version>/mix?format=wav24|wav32f|flac24 — the mastering pull.
// Bearer token of a member; role and approval checks in ReviewService::pull(); the render is
// sent from disk by a transfer thread (FileSender.h) with Content-Length, X-Mixroom-SHA256 and byte ranges (206) for resuming.
// 202 while the render is still being made.
#include "server/HttpReply.h"
#include "server/Server.h"

#include "server/HttpHead.h"
#include "server/Tokens.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUrlQuery>

namespace mixroom::server {

namespace {
using Status = QHttpServerResponder::StatusCode;

void error(QHttpServerResponder& r, Status status, const QString& code, const QString& message)
{
    http::error(r, status, code, message);
}
} // namespace

void Server::pull(const QHttpServerRequest& req, QHttpServerResponder& r)
{
    static const QRegularExpression route("^/sessions/([^/]+)/versions/([^/]+)/mix\\z");
    const auto m = route.match(req.url().path());
    if (!m.hasMatch()) return error(r, Status::NotFound, "not_found", "use GET /sessions/<session>/versions/<version>/mix?format=wav24");
    const bool head = req.method() == QHttpServerRequest::Method::Head;
    if (req.method() != QHttpServerRequest::Method::Get && !head)
        return error(r, Status::MethodNotAllowed, "method_not_allowed", "use GET (or HEAD)");
    const QByteArray auth = req.value("authorization");
    const auto member =
        auth.startsWith("Bearer ") ? m_store.memberByToken(tokenHash(QString::fromUtf8(auth.mid(7).trimmed()))) : std::nullopt;
    if (!member || !member->usable(QDateTime::currentMSecsSinceEpoch()))
        return error(r, Status::Unauthorized, "bad_token", "send Authorization: Bearer <member token>");
    const QString session = QUrl::fromPercentEncoding(m.captured(1).toUtf8());
    if (member->session != session) return error(r, Status::NotFound, "not_found", "no such session for this token");
    SessionRoom* room = this->room(session);
    if (!room) return error(r, Status::NotFound, "not_found", "no such session");
    const QString version = QUrl::fromPercentEncoding(m.captured(2).toUtf8());
    const QString format =
        QUrlQuery(req.url()).queryItemValue("format").isEmpty() ? QString("wav24") : QUrlQuery(req.url()).queryItemValue("format");
    const ReviewService::Pull p = room->review().pull(*member, version, format);
    if (p.httpStatus == 202) {
        http::json(r, Status::Accepted, QJsonObject{{"status", "rendering"}, {"message", p.message}}, {{"Retry-After", "1"}});
        return;
    }
    if (p.httpStatus != 200) return error(r, static_cast<Status>(p.httpStatus), p.code, p.message);

    const qint64 total = QFileInfo(p.file).size();
    qint64 start = 0, end = total - 1;
    const QByteArray range = req.value("range");
    const bool partial = !range.isEmpty();
    if (partial) {
        const auto byteRange = parseByteRange(range, total);
        if (byteRange) {
            start = byteRange->start;
            end = byteRange->end;
        } else {
            http::error(r, Status::RequestRangeNotSatisfiable, "bad_range", QString("the file has %1 bytes").arg(total),
                        {{"Content-Range", "bytes */" + QByteArray::number(total)}});
            return;
        }
    }
    const QByteArray mime = format.startsWith("flac") ? "audio/flac" : "audio/wav";
    if (head) { // the headers a GET would get, no body
        r.writeStatusLine(partial ? Status::PartialContent : Status::Ok);
        r.writeHeader("Content-Type", mime);
        r.writeHeader("Content-Length", QByteArray::number(end - start + 1));
        r.writeHeader("X-Mixroom-SHA256", p.sha256.toLatin1());
        r.writeHeader("X-Mixroom-Canonical-SHA256", p.canonicalSha256.toLatin1());
        r.writeHeader("Accept-Ranges", "bytes");
        http::writeSecurityHeaders(r);
        if (partial)
            r.writeHeader("Content-Range",
                          "bytes " + QByteArray::number(start) + "-" + QByteArray::number(end) + "/" + QByteArray::number(total));
        r.writeBody(QByteArray());
        return;
    }
    const QByteArray filename = "attachment; filename=\"" + QUrl::toPercentEncoding(version) + "-" + format.toLatin1() +
                                (format.startsWith("flac") ? ".flac\"" : ".wav\"");
    QByteArray out = partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
    out += "Content-Type: " + mime + "\r\nContent-Length: " + QByteArray::number(end - start + 1) +
           "\r\nX-Mixroom-SHA256: " + p.sha256.toLatin1() + "\r\nX-Mixroom-Canonical-SHA256: " + p.canonicalSha256.toLatin1() +
           "\r\nAccept-Ranges: bytes\r\nContent-Disposition: " + filename + "\r\nConnection: close\r\n";
    if (partial)
        out +=
            "Content-Range: bytes " + QByteArray::number(start) + "-" + QByteArray::number(end) + "/" + QByteArray::number(total) + "\r\n";
    out += http::securityHeaderLines() + "\r\n";
    // The body goes from a transfer thread in large blocks (FileSender.h), not through the control thread.
    if (!m_http.sendFile(r.socket(), out, p.file, start, end - start + 1))
        return error(r, Status::InternalServerError, "internal", "the render could not be read");
}

} // namespace mixroom::server
