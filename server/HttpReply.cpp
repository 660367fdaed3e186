// SPDX-License-Identifier: MIT
#include "server/HttpReply.h"

#include <QJsonDocument>

namespace mixroom::server::http {

const QByteArray& securityHeaderLines()
{
    // connect-src 'self' covers ws:// and wss:// to the same host and port (CSP Level 3).
    static const QByteArray lines =
        "Content-Security-Policy: default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; "
        "style-src 'self'; img-src 'self' data:; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Cross-Origin-Opener-Policy: same-origin\r\n"
        "Cross-Origin-Resource-Policy: same-origin\r\n";
    return lines;
}

void writeSecurityHeaders(QHttpServerResponder& r)
{
    // The same lines as name/value pairs, split once.
    static const Headers pairs = [] {
        Headers out;
        for (const QByteArray& line : securityHeaderLines().split('\n')) {
            const QByteArray l = line.trimmed();
            const qsizetype colon = l.indexOf(':');
            if (colon > 0) out.emplace_back(l.left(colon), l.mid(colon + 1).trimmed());
        }
        return out;
    }();
    for (const auto& [name, value] : pairs)
        r.writeHeader(name, value);
}

namespace {
thread_local bool t_head = false;
}

HeadRequest::HeadRequest(bool head) : m_previous(t_head)
{
    t_head = head;
}
HeadRequest::~HeadRequest()
{
    t_head = m_previous;
}

void send(QHttpServerResponder& r, Status status, const QByteArray& mime, const QByteArray& body, const Headers& extra)
{
    r.writeStatusLine(status);
    r.writeHeader("Content-Type", mime);
    r.writeHeader("Content-Length", QByteArray::number(body.size()));
    writeSecurityHeaders(r);
    for (const auto& [name, value] : extra)
        r.writeHeader(name, value);
    r.writeBody(t_head ? QByteArray() : body);
}

void json(QHttpServerResponder& r, Status status, const QJsonObject& body, const Headers& extra)
{
    send(r, status, "application/json", QJsonDocument(body).toJson(QJsonDocument::Compact), extra);
}

void error(QHttpServerResponder& r, Status status, const QString& code, const QString& message, const Headers& extra)
{
    json(r, status, QJsonObject{{"error", code}, {"message", message}}, extra);
}

} // namespace mixroom::server::http
