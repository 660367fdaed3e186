// SPDX-License-Identifier: MIT
#pragma once
// The mastering pull as a job: GET /sessions/<s>/versions/<v>/mix into OUT.part, resuming from
// what an earlier attempt left (Range), waiting while the server still renders (202), then
// verifying the whole file against the server's SHA-256 before renaming it to OUT. Used by
// `mixroom pull` and by the desk's versions panel.
// Thread: the thread that owns it (event-driven).
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <memory>

class QFile;
class QNetworkReply;

namespace mixroom::client {

class MixPull : public QObject {
    Q_OBJECT
  public:
    struct Request {
        QString server; // ws:// or wss:// URL of the server
        QString token;
        QString session, version;
        QString format = "wav24"; // wav24, wav32f or flac24
        QString outFile;
    };
    explicit MixPull(Request request, QObject* parent = nullptr);
    ~MixPull() override;
    void start();
    void cancel(); // stops; the .part file stays for a later resume
    const Request& request() const { return m_req; }

  signals:
    void rendering(const QString& message); // the server is still making the render; retrying
    void progress(qint64 bytes, qint64 total);
    void finished(const QString& file, const QString& sha256, qint64 bytes);
    // code: a stable machine code (hash_mismatch, unreachable, write_failed, the server's code);
    // exitCode: what a command-line tool should return (1 refused, 3 network).
    void failed(const QString& code, const QString& message, int exitCode);

  private:
    void attempt();
    void done();
    Request m_req;
    QUrl m_url;
    QNetworkAccessManager m_nam;
    QPointer<QNetworkReply> m_reply;
    QFile* m_file = nullptr;
    // SHA-256 of the part file, kept as the bytes arrive (the whole file is not read again).
    std::unique_ptr<QCryptographicHash> m_hash;
    qint64 m_written = 0;
    QElapsedTimer m_lastProgress;
    qint64 m_total = -1;
    int m_status = 0, m_attempts = 0;
    QByteArray m_expected;
    QTimer m_retry;
};

} // namespace mixroom::client
