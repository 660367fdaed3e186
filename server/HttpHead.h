// SPDX-License-Identifier: MIT
#pragma once
// What a request's head says, as far as the server's limits need it, read before Qt's HTTP server
// buffers anything: the request line, the header lines (count and size bounded), Content-Length,
// Expect, Upgrade. Qt's parser still parses every request; this scan only decides whether, and how
// many bytes of, a request may be read at all. Also the byte-range and upload-header parsers.
// Pure functions (no Qt event loop), fuzzed by tests/fuzz.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace mixroom::server {

struct HttpHeadLimits {
    int maxHeadBytes = 16 * 1024; // request line and headers, blank line included
    int maxHeaders = 64;
};

struct RequestHead {
    QByteArray method;
    QByteArray target;                                // as sent: path and query
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-case, values trimmed
    qint64 contentLength = 0;
    bool expectContinue = false;
    bool websocket = false;                      // Upgrade: websocket
    QByteArray value(QByteArrayView name) const; // first header of that name, empty if absent
    QByteArray path() const;                     // target up to '?'
};

struct HeadScan {
    enum Status { Incomplete, Complete, Bad } status = Incomplete;
    int headBytes = 0; // bytes of the head, blank line included, when Complete
    RequestHead head;
    int httpStatus = 0; // when Bad: 400, 411, 431, 501
    QString message;    // when Bad
};

// Scans `data` (the bytes of a connection from a request's first byte on). Incomplete while the
// blank line has not arrived and the head is within limits; Bad with a status and a sentence for
// anything a limit or the grammar refuses: a head over the size, too many headers, a bad request
// line, a repeated or non-numeric Content-Length, a Transfer-Encoding (bodies need Content-Length).
HeadScan scanRequestHead(QByteArrayView data, const HttpHeadLimits& limits = {});

// One byte range of a `total`-byte file from a Range header ("bytes=A-B", "bytes=A-", "bytes=-N").
// Absent on a malformed header or an unsatisfiable range (416); numbers too large for 64 bits are
// malformed, never wrapped.
struct ByteRange {
    qint64 start = 0, end = 0; // inclusive
};
std::optional<ByteRange> parseByteRange(QByteArrayView header, qint64 total);

// A decimal header value in [0, max]; absent on anything else (signs, spaces inside, overflow).
std::optional<qint64> parseDecimal(QByteArrayView value, qint64 max);

// An upload's file name from its (percent-encoded) Upload-Name header: valid UTF-8 without control
// characters (no CR/LF, no NUL), no folders, 1-200 characters. Absent with `why` otherwise.
std::optional<QString> parseUploadName(QByteArrayView header, QString* why);

} // namespace mixroom::server
