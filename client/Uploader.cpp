// SPDX-License-Identifier: MIT
#include "client/Uploader.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

namespace mixroom::client {

namespace {
struct Answer {
    int status = 0;
    QJsonObject body;
    QString networkError;
};

Answer sendOnce(QNetworkAccessManager& nam, const QByteArray& verb, const QNetworkRequest& req, const QByteArray& data, int* retryAfter)
{
    QNetworkReply* reply = nam.sendCustomRequest(req, verb, data);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(120000, &loop, &QEventLoop::quit);
    loop.exec();
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = QJsonDocument::fromJson(reply->readAll()).object();
    if (a.status == 0) a.networkError = reply->isFinished() ? reply->errorString() : QString("no answer from the server");
    *retryAfter = std::clamp(reply->rawHeader("Retry-After").toInt(), 1, 30);
    reply->abort();
    reply->deleteLater();
    return a;
}

// The server takes a few large bodies at a time and answers 503 with Retry-After to the rest:
// those wait their turn (for up to ten minutes) instead of failing.
Answer send(QNetworkAccessManager& nam, const QByteArray& verb, const QNetworkRequest& req, const QByteArray& data)
{
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        int retryAfter = 1;
        Answer a = sendOnce(nam, verb, req, data, &retryAfter);
        if (a.status != 503 || waited.elapsed() > 600'000) return a;
        QEventLoop pause;
        QTimer::singleShot(retryAfter * 1000, &pause, &QEventLoop::quit);
        pause.exec();
    }
}
} // namespace

Uploader::Uploader(const QUrl& server, QString token) : m_base(server), m_token(std::move(token))
{
    m_base.setScheme(m_base.scheme() == "wss" ? "https" : "http");
    m_base.setPath("");
}

UploadResult Uploader::upload(const QString& file, const QString& resumeId, const std::function<void(qint64, qint64)>& progress,
                              qint64 stopAfterBytes)
{
    UploadResult res;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        res.code = "unreadable";
        res.message = QString("cannot read %1: %2").arg(file, f.errorString());
        return res;
    }
    const qint64 total = f.size();
    QNetworkAccessManager nam;
    auto request = [&](const QString& path) {
        QUrl u = m_base;
        u.setPath(path);
        QNetworkRequest req(u);
        req.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
        return req;
    };
    auto failFrom = [&](const Answer& a) {
        if (a.status != 0 && a.status != 409) res.uploadId.clear(); // the server refused it: nothing to resume
        res.code = a.networkError.isEmpty() ? a.body.value("error").toString() : QString("unreachable");
        res.message = a.networkError.isEmpty() ? a.body.value("message").toString() : a.networkError;
        return res;
    };
    qint64 offset = 0;
    if (!resumeId.isEmpty()) {
        const Answer a = send(nam, "GET", request("/uploads/" + resumeId), {});
        if (a.status == 200 && static_cast<qint64>(a.body.value("length").toDouble()) == total) {
            res.uploadId = resumeId;
            offset = static_cast<qint64>(a.body.value("offset").toDouble());
            res.resumedAt = offset;
        }
    }
    if (res.uploadId.isEmpty()) {
        QNetworkRequest req = request("/uploads");
        req.setRawHeader("Upload-Name", QFileInfo(file).fileName().toUtf8().toPercentEncoding());
        req.setRawHeader("Upload-Length", QByteArray::number(total));
        const Answer a = send(nam, "POST", req, {});
        if (a.status != 201) return failFrom(a);
        res.uploadId = a.body.value("id").toString();
    }
    if (m_started) m_started(res.uploadId);
    if (progress) progress(offset, total);
    while (offset < total) {
        if (stopAfterBytes >= 0 && offset >= stopAfterBytes) {
            res.code = "interrupted";
            res.message = "stopped before the end";
            return res;
        }
        f.seek(offset);
        const QByteArray chunk = f.read(kChunkBytes);
        QNetworkRequest req = request("/uploads/" + res.uploadId);
        req.setRawHeader("Upload-Offset", QByteArray::number(offset));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/octet-stream");
        const Answer a = send(nam, "PATCH", req, chunk);
        if (a.status == 409) { // the server stands elsewhere: continue from there
            offset = static_cast<qint64>(a.body.value("offset").toDouble());
            continue;
        }
        if (a.status != 200) return failFrom(a);
        offset = static_cast<qint64>(a.body.value("offset").toDouble());
        if (progress) progress(offset, total);
        if (a.body.contains("stem")) {
            res.ok = true;
            res.stem = a.body.value("stem").toObject();
            return res;
        }
    }
    res.code = "incomplete";
    res.message = "the server did not confirm the stem";
    return res;
}

} // namespace mixroom::client
