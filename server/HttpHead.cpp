// SPDX-License-Identifier: MIT
#include "server/HttpHead.h"

#include <QStringDecoder>

#include <algorithm>
#include <limits>

namespace mixroom::server {

namespace {
bool isToken(char c)
{
    // RFC 9110 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}
HeadScan bad(int status, const QString& message)
{
    HeadScan s;
    s.status = HeadScan::Bad;
    s.httpStatus = status;
    s.message = message;
    return s;
}
} // namespace

QByteArray RequestHead::value(QByteArrayView name) const
{
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

QByteArray RequestHead::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

std::optional<qint64> parseDecimal(QByteArrayView value, qint64 max)
{
    if (value.isEmpty() || value.size() > 19) return std::nullopt;
    qint64 n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        const int d = c - '0';
        if (n > (max - d) / 10) return std::nullopt;
        n = n * 10 + d;
    }
    return n;
}

HeadScan scanRequestHead(QByteArrayView data, const HttpHeadLimits& limits)
{
    // Leading empty lines before a request line are allowed (RFC 9112 2.2).
    qsizetype begin = 0;
    while (begin + 1 < data.size() && data[begin] == '\r' && data[begin + 1] == '\n')
        begin += 2;
    const qsizetype end = data.indexOf(QByteArrayView("\r\n\r\n"), begin);
    if (end < 0) {
        if (data.size() >= limits.maxHeadBytes)
            return bad(431, QString("the request head is larger than %1 bytes").arg(limits.maxHeadBytes));
        return {};
    }
    const qsizetype headBytes = end + 4;
    if (headBytes > limits.maxHeadBytes) return bad(431, QString("the request head is larger than %1 bytes").arg(limits.maxHeadBytes));

    HeadScan scan;
    scan.status = HeadScan::Complete;
    scan.headBytes = static_cast<int>(headBytes);
    RequestHead& h = scan.head;
    const QByteArrayView head = data.sliced(begin, end - begin);
    qsizetype lineEnd = head.indexOf(QByteArrayView("\r\n"));
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
    // method SP target SP HTTP/1.x
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0) return bad(400, "malformed request line");
    h.method = requestLine.first(sp1).toByteArray();
    for (char c : h.method)
        if (!isToken(c)) return bad(400, "malformed method");
    h.target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1).toByteArray();
    for (char c : h.target)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return bad(400, "the request target has a control or non-ASCII character");
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return bad(505, "only HTTP/1.0 and HTTP/1.1 are served");

    bool haveLength = false;
    while (lineEnd >= 0) {
        const qsizetype start = lineEnd + 2;
        lineEnd = head.indexOf(QByteArrayView("\r\n"), start);
        const QByteArrayView line = lineEnd < 0 ? head.sliced(start) : head.sliced(start, lineEnd - start);
        if (h.headers.size() >= limits.maxHeaders) return bad(431, QString("more than %1 header fields").arg(limits.maxHeaders));
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) return bad(400, "a header line without a name");
        QByteArray name = line.first(colon).toByteArray().toLower();
        for (char c : name)
            if (!isToken(c)) return bad(400, "a header name with a space or control character");
        QByteArray value = line.sliced(colon + 1).toByteArray().trimmed();
        for (char c : value)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return bad(400, "a header value with a control character");
        if (name == "content-length") {
            const auto n = parseDecimal(value, std::numeric_limits<qint64>::max());
            if (!n) return bad(400, "Content-Length must be a decimal number");
            if (haveLength && *n != h.contentLength) return bad(400, "two different Content-Length headers");
            haveLength = true;
            h.contentLength = *n;
        } else if (name == "transfer-encoding") {
            return bad(411, "request bodies must be sent with Content-Length, not Transfer-Encoding");
        } else if (name == "expect") {
            if (value.compare("100-continue", Qt::CaseInsensitive) != 0) return bad(417, "only Expect: 100-continue is understood");
            h.expectContinue = true;
        } else if (name == "upgrade") {
            h.websocket = value.compare("websocket", Qt::CaseInsensitive) == 0;
        }
        h.headers.append({std::move(name), std::move(value)});
    }
    return scan;
}

std::optional<ByteRange> parseByteRange(QByteArrayView header, qint64 total)
{
    if (!header.startsWith("bytes=") || total <= 0) return std::nullopt;
    const QByteArrayView spec = header.sliced(6);
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0 || spec.indexOf(',') >= 0) return std::nullopt; // one range only
    const QByteArrayView a = spec.first(dash), b = spec.sliced(dash + 1);
    const qint64 max = std::numeric_limits<qint64>::max();
    // Digits too many for 64 bits still mean "more than the file has": a last position or a
    // suffix length past the end is the end (RFC 9110 14.1.2), a first position past it is 416.
    auto digits = [](QByteArrayView v) {
        return !v.isEmpty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (a.isEmpty()) { // the last N bytes
        if (!digits(b)) return std::nullopt;
        const qint64 n = parseDecimal(b, max).value_or(max);
        if (n == 0) return std::nullopt;
        return ByteRange{std::max<qint64>(0, total - n), total - 1};
    }
    if (!digits(a)) return std::nullopt;
    const auto start = parseDecimal(a, max);
    if (!start || *start >= total) return std::nullopt;
    qint64 end = total - 1;
    if (!b.isEmpty()) {
        if (!digits(b)) return std::nullopt;
        const qint64 e = parseDecimal(b, max).value_or(max);
        if (e < *start) return std::nullopt;
        end = std::min(end, e);
    }
    return ByteRange{*start, end};
}

std::optional<QString> parseUploadName(QByteArrayView header, QString* why)
{
    const QByteArray raw = QByteArray::fromPercentEncoding(header.toByteArray());
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString name = utf8.decode(raw);
    auto fail = [&](const char* text) -> std::optional<QString> {
        if (why) *why = QString::fromLatin1(text);
        return std::nullopt;
    };
    if (utf8.hasError()) return fail("Upload-Name must be UTF-8 (percent-encoded)");
    name = name.trimmed();
    if (name.isEmpty() || name.size() > 200) return fail("Upload-Name must be 1-200 characters");
    for (QChar c : name)
        if (c.category() == QChar::Other_Control || c.isSurrogate() || c == QChar(0xFFFD))
            return fail("Upload-Name must not hold control characters (CR, LF, NUL) or invalid text");
    if (name.contains('/') || name.contains('\\') || name == "." || name == "..")
        return fail("Upload-Name must be a file name, not a path");
    return name;
}

} // namespace mixroom::server
