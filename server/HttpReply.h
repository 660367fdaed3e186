// SPDX-License-Identifier: MIT
#pragma once
// Every HTTP answer of the server goes through these, so every one carries the same security
// headers: a strict Content-Security-Policy (the review page loads only its own scripts, styles,
// worker and worklet, and talks only to its own origin; no inline script), no referrer, no MIME
// sniffing, and no framing. Answers whose head is written by hand (refusals before the body, file
// transfers) append securityHeaderLines().
// Thread: control thread.
#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>

#include <utility>
#include <vector>

namespace mixroom::server::http {

using Status = QHttpServerResponder::StatusCode;
using Headers = std::vector<std::pair<QByteArray, QByteArray>>;

// The security headers as "Name: value\r\n" lines.
const QByteArray& securityHeaderLines();
// Writes the security headers through a responder whose status line was written.
void writeSecurityHeaders(QHttpServerResponder& r);
// While one lives, send() answers a HEAD request: the same headers, no body (GET routes answer
// HEAD through it).
class HeadRequest {
  public:
    explicit HeadRequest(bool head);
    ~HeadRequest();
    HeadRequest(const HeadRequest&) = delete;
    HeadRequest& operator=(const HeadRequest&) = delete;

  private:
    bool m_previous;
};
// A complete answer with Content-Type, Content-Length, the security headers and `extra`.
void send(QHttpServerResponder& r, Status status, const QByteArray& mime, const QByteArray& body, const Headers& extra = {});
void json(QHttpServerResponder& r, Status status, const QJsonObject& body, const Headers& extra = {});
// {"error": code, "message": message}
void error(QHttpServerResponder& r, Status status, const QString& code, const QString& message, const Headers& extra = {});

} // namespace mixroom::server::http
