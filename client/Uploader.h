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

  private:
    QUrl m_base;
    QString m_token;
};

} // namespace mixroom::client
