// SPDX-License-Identifier: MIT
#include "client/MixPull.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace mixroom::client {

namespace {
constexpr int kMaxAttempts = 600; // one a second while the server renders
}

MixPull::MixPull(Request request, QObject* parent) : QObject(parent), m_req(std::move(request))
{
    if (m_req.format.isEmpty()) m_req.format = "wav24";
    m_url = QUrl(m_req.server);
    m_url.setScheme(m_url.scheme() == "wss" ? "https" : "http");
    m_url.setPath(QString("/sessions/%1/versions/%2/mix")
                      .arg(QString(QUrl::toPercentEncoding(m_req.session)), QString(QUrl::toPercentEncoding(m_req.version))));
    m_url.setQuery("format=" + m_req.format);
    m_retry.setSingleShot(true);
    m_retry.setInterval(1000);
    connect(&m_retry, &QTimer::timeout, this, &MixPull::attempt);
}

MixPull::~MixPull()
{
    cancel();
}

void MixPull::start()
{
    m_attempts = 0;
    attempt();
}

void MixPull::cancel()
{
    m_retry.stop();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
    delete m_file;
    m_file = nullptr;
}

void MixPull::attempt()
{
    if (++m_attempts > kMaxAttempts) {
        emit failed("timeout", "the render did not finish in time", 1);
        return;
    }
    const QString part = m_req.outFile + ".part";
    delete m_file;
    m_file = new QFile(part);
    if (!m_file->open(QIODevice::Append)) {
        emit failed("write_failed", QString("cannot write %1: %2").arg(part, m_file->errorString()), 1);
        return;
    }
    const qint64 have = m_file->size(); // resume from what an interrupted pull left
    QNetworkRequest req(m_url);
    req.setRawHeader("Authorization", "Bearer " + m_req.token.toUtf8());
    if (have > 0) req.setRawHeader("Range", "bytes=" + QByteArray::number(have) + "-");
    m_total = -1;
    m_status = 0;
    m_reply = m_nam.get(req);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, [this] {
        m_status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        m_expected = m_reply->rawHeader("X-Mixroom-SHA256");
        if (m_status == 206) {
            m_total = m_reply->rawHeader("Content-Range").split('/').value(1).toLongLong();
        } else if (m_status == 200) {
            m_total = m_reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
            m_file->resize(0); // the server sent the whole file
        }
        // The hash runs along with the download; a resumed part is hashed once, first.
        m_hash = std::make_unique<QCryptographicHash>(QCryptographicHash::Sha256);
        m_written = 0;
        if (m_status == 206) {
            QFile earlier(m_file->fileName());
            if (earlier.open(QIODevice::ReadOnly)) m_hash->addData(&earlier);
            m_written = earlier.size();
        }
        m_lastProgress.start();
    });
    connect(m_reply, &QNetworkReply::readyRead, this, [this] {
        if ((m_status != 200 && m_status != 206) || !m_hash) return;
        const QByteArray data = m_reply->readAll();
        if (m_file->write(data) != data.size()) {
            m_reply->abort(); // reported by done(): the disk is full or gone
            return;
        }
        m_hash->addData(data);
        m_written += data.size();
        if (m_total > 0 && (m_lastProgress.elapsed() >= 100 || m_written == m_total)) { // ten times a second is enough to watch
            m_lastProgress.restart();
            emit progress(m_written, m_total);
        }
    });
    connect(m_reply, &QNetworkReply::finished, this, &MixPull::done);
}

void MixPull::done()
{
    QNetworkReply* reply = m_reply;
    m_reply = nullptr;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = (status == 200 || status == 206) ? QByteArray() : reply->readAll();
    const QString networkError = reply->error() == QNetworkReply::NoError || status >= 400 ? QString() : reply->errorString();
    const QString part = m_file->fileName();
    m_file->close();
    if (status == 202) { // still rendering: ask again in a second
        emit rendering(QJsonDocument::fromJson(body).object().value("message").toString("the server is rendering the mix"));
        m_retry.start();
        return;
    }
    if (status == 416) { // the part is longer than the file: start again
        QFile::remove(part);
        m_retry.start();
        return;
    }
    if (status != 200 && status != 206 && QFileInfo(part).size() == 0) QFile::remove(part); // no empty .part behind
    if (status != 200 && status != 206) {
        if (!networkError.isEmpty()) {
            emit failed("unreachable", networkError + QString(" (pull again to resume from %1 bytes)").arg(QFileInfo(part).size()), 3);
            return;
        }
        const QJsonObject e = QJsonDocument::fromJson(body).object();
        emit failed(e.value("error").toString(QString::number(status)), e.value("message").toString(), 1);
        return;
    }
    if (reply->error() != QNetworkReply::NoError) { // cut off, or our disk refused the bytes
        if (QFileInfo(part).size() == 0) QFile::remove(part);
        const QString why = m_file->error() != QFileDevice::NoError ? m_file->errorString() : reply->errorString();
        emit failed(m_file->error() != QFileDevice::NoError ? "write_failed" : "unreachable",
                    why + QString(" (pull again to resume from %1 bytes)").arg(QFileInfo(part).size()), 3);
        return;
    }
    // Verify the whole file against the server's hash before reporting success.
    if (m_total > 0) emit progress(m_written, m_total);
    const QByteArray got = m_hash ? m_hash->result().toHex() : QByteArray();
    m_hash.reset();
    if (got != m_expected) {
        QFile::remove(part);
        emit failed("hash_mismatch",
                    QString("the download's SHA-256 %1 is not the server's %2; the file was removed")
                        .arg(QString::fromLatin1(got), QString::fromLatin1(m_expected)),
                    1);
        return;
    }
    QFile::remove(m_req.outFile);
    if (!QFile::rename(part, m_req.outFile)) {
        emit failed("write_failed", QString("cannot rename %1 to %2").arg(part, m_req.outFile), 1);
        return;
    }
    emit finished(m_req.outFile, QString::fromLatin1(got), QFileInfo(m_req.outFile).size());
}

} // namespace mixroom::client
