// SPDX-License-Identifier: MIT
#include "server/WebPage.h"

#include "server/HttpFront.h"
#include "server/HttpReply.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>

namespace mixroom::server {

namespace {
QByteArray mimeOf(const QString& name)
{
    if (name.endsWith(".html")) return "text/html; charset=utf-8";
    if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
    if (name.endsWith(".css")) return "text/css; charset=utf-8";
    if (name.endsWith(".svg")) return "image/svg+xml";
    if (name.endsWith(".png")) return "image/png";
    if (name.endsWith(".json") || name.endsWith(".webmanifest")) return "application/manifest+json";
    return "application/octet-stream";
}

HttpFront::Route staticFile(const QString& resource)
{
    QFile f(resource);
    QByteArray body;
    if (f.open(QIODevice::ReadOnly)) body = f.readAll();
    const QByteArray etag = '"' + QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex().left(20) + '"';
    const QByteArray mime = mimeOf(resource);
    return [body, etag, mime](const QHttpServerRequest& req, QHttpServerResponder& r) {
        if (req.value("if-none-match") == etag) {
            http::send(r, http::Status::NotModified, mime, {}, {{"ETag", etag}, {"Cache-Control", "no-cache"}});
            return;
        }
        http::send(r, http::Status::Ok, mime, body, {{"ETag", etag}, {"Cache-Control", "no-cache"}});
    };
}
} // namespace

int addWebPage(HttpFront& http)
{
    int n = 0;
    for (QDirIterator it(":/web", QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString resource = it.next();
        const QString path = resource.mid(1); // ":/web/app.js" -> "/web/app.js"
        http.get(path, staticFile(resource));
        ++n;
        if (path == "/web/index.html") {
            http.get("/", staticFile(resource));
            http.get("/r", staticFile(resource));
        }
    }
    return n;
}

} // namespace mixroom::server
