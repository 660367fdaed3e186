// SPDX-License-Identifier: MIT
// GET /sessions/<session>/versions/<version>/mix?format=wav24|wav32f|flac24 — the mastering pull.
// Bearer token of a member; role and approval checks in ReviewService::pull(); the render is
// streamed from disk with Content-Length, X-Mixroom-SHA256 and byte ranges (206) for resuming.
// 202 while the render is still being made.
#include "server/Server.h"

#include "server/HttpHead.h"
#include "server/Tokens.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUrlQuery>

namespace mixroom::server {

namespace {
using Status = QHttpServerResponder::StatusCode;

// A read-only window [start, start + length) of a file, so a range streams without copying.
class FileWindow : public QIODevice {
  public:
    FileWindow(const QString& path, qint64 start, qint64 length) : m_file(path), m_start(start), m_length(length) {}
    bool open(OpenMode mode) override { return m_file.open(QIODevice::ReadOnly) && m_file.seek(m_start) && QIODevice::open(mode); }
    qint64 size() const override { return m_length; }
    bool isSequential() const override { return false; }
    bool seek(qint64 pos) override { return QIODevice::seek(pos) && m_file.seek(m_start + pos); }

  protected:
    qint64 readData(char* data, qint64 max) override
    {
        const qint64 left = m_length - pos();
        if (left <= 0) return 0;
        return m_file.read(data, std::min(max, left));
    }
    qint64 writeData(const char*, qint64) override { return -1; }

  private:
    QFile m_file;
    qint64 m_start, m_length;
};

void error(QHttpServerResponder& r, Status status, const QString& code, const QString& message)
{
    r.write(QJsonDocument(QJsonObject{{"error", code}, {"message", message}}), status);
}
} // namespace

void Server::pull(const QHttpServerRequest& req, QHttpServerResponder& r)
{
    static const QRegularExpression route("^/sessions/([^/]+)/versions/([^/]+)/mix$");
    const auto m = route.match(req.url().path());
    if (!m.hasMatch()) return error(r, Status::NotFound, "not_found", "use GET /sessions/<session>/versions/<version>/mix?format=wav24");
    const bool head = req.method() == QHttpServerRequest::Method::Head;
    if (req.method() != QHttpServerRequest::Method::Get && !head)
        return error(r, Status::MethodNotAllowed, "method_not_allowed", "use GET (or HEAD)");
    const QByteArray auth = req.value("authorization");
    const auto member =
        auth.startsWith("Bearer ") ? m_store.memberByToken(tokenHash(QString::fromUtf8(auth.mid(7).trimmed()))) : std::nullopt;
    if (!member || member->revoked) return error(r, Status::Unauthorized, "bad_token", "send Authorization: Bearer <member token>");
    const QString session = QUrl::fromPercentEncoding(m.captured(1).toUtf8());
    if (member->session != session) return error(r, Status::NotFound, "not_found", "no such session for this token");
    SessionRoom* room = this->room(session);
    if (!room) return error(r, Status::NotFound, "not_found", "no such session");
    const QString version = QUrl::fromPercentEncoding(m.captured(2).toUtf8());
    const QString format =
        QUrlQuery(req.url()).queryItemValue("format").isEmpty() ? QString("wav24") : QUrlQuery(req.url()).queryItemValue("format");
    const ReviewService::Pull p = room->review().pull(*member, version, format);
    if (p.httpStatus == 202) {
        r.write(QJsonDocument(QJsonObject{{"status", "rendering"}, {"message", p.message}}), {{"Retry-After", "1"}}, Status::Accepted);
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
            r.write(QJsonDocument(QJsonObject{{"error", "bad_range"}, {"message", QString("the file has %1 bytes").arg(total)}}),
                    {{"Content-Range", "bytes */" + QByteArray::number(total)}}, Status::RequestRangeNotSatisfiable);
            return;
        }
    }
    const QByteArray mime = format.startsWith("flac") ? "audio/flac" : "audio/wav";
    if (head) { // the headers a GET would get, no body
        r.writeStatusLine(partial ? Status::PartialContent : Status::Ok);
        r.writeHeader("Content-Type", mime);
        r.writeHeader("Content-Length", QByteArray::number(end - start + 1));
        r.writeHeader("X-Mixroom-SHA256", p.sha256.toLatin1());
        r.writeHeader("Accept-Ranges", "bytes");
        if (partial)
            r.writeHeader("Content-Range",
                          "bytes " + QByteArray::number(start) + "-" + QByteArray::number(end) + "/" + QByteArray::number(total));
        r.writeBody(QByteArray());
        return;
    }
    auto* window = new FileWindow(p.file, start, end - start + 1);
    if (!window->open(QIODevice::ReadOnly)) {
        delete window;
        return error(r, Status::InternalServerError, "internal", "the render could not be read");
    }
    const QByteArray filename = "attachment; filename=\"" + QUrl::toPercentEncoding(version) + "-" + format.toLatin1() +
                                (format.startsWith("flac") ? ".flac\"" : ".wav\"");
    if (partial)
        r.write(window,
                {{"Content-Type", mime},
                 {"X-Mixroom-SHA256", p.sha256.toLatin1()},
                 {"Accept-Ranges", "bytes"},
                 {"Content-Disposition", filename},
                 {"Content-Range", "bytes " + QByteArray::number(start) + "-" + QByteArray::number(end) + "/" + QByteArray::number(total)}},
                Status::PartialContent);
    else
        r.write(window,
                {{"Content-Type", mime},
                 {"X-Mixroom-SHA256", p.sha256.toLatin1()},
                 {"Accept-Ranges", "bytes"},
                 {"Content-Disposition", filename}},
                Status::Ok);
}

} // namespace mixroom::server
