// SPDX-License-Identifier: MIT
#pragma once
// Uploads a stem file to mixroomd over HTTP in chunks (POST /uploads, PATCH with Upload-Offset),
// resuming an interrupted upload from the server's offset. Returns the stored stem's hash.
// Thread: the calling thread (runs its own event loop per request).
#include <QJsonObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace mixroom::client {

struct UploadResult {
    bool ok = false;
    QString code, message; // on failure
    QString uploadId;      // to resume with, also on failure
    qint64 resumedAt = 0;  // the server's offset when an earlier upload was continued
    QJsonObject stem;      // {hash, channels, frames, sampleRate, sourceRate, sourceFormat}
};

class Uploader {
  public:
    static constexpr qint64 kChunkBytes = 4 << 20;
    // `server` is the ws:// or http:// URL of mixroomd.
    Uploader(const QUrl& server, QString token);
    // Uploads `file`; continues `resumeId` when given and still known to the server.
    // `progress(sent, total)` is called after every chunk.
    UploadResult upload(const QString& file, const QString& resumeId, const std::function<void(qint64, qint64)>& progress,
                        qint64 stopAfterBytes = -1 /* tests: stop early, as an interruption would */);

    // Called as soon as the upload has its id (new or resumed), before any byte is sent: the CLI
    // saves it there, so even a client killed mid-upload resumes next time.
    void onStarted(std::function<void(const QString& uploadId)> started) { m_started = std::move(started); }

  private:
    std::function<void(const QString&)> m_started;
    QUrl m_base;
    QString m_token;
};

} // namespace mixroom::client
