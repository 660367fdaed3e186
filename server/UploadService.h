// SPDX-License-Identifier: MIT
#pragma once
// Resumable stem uploads over HTTP (bearer token of a member allowed to edit structure):
//   POST  /uploads            headers Upload-Name, Upload-Length      -> 201 {id, offset: 0}
//   PATCH /uploads/<id>       header Upload-Offset, body: the next bytes -> 200 {offset} or 409 {offset}
//   GET   /uploads/<id>                                               -> 200 {offset, length, name}
// When the last byte arrives the file is imported through the stem store (format, channels,
// length and header checks; resampled to the session rate) and the answer carries the stem:
// 200 {offset, stem: {hash, channels, frames, sampleRate, sourceFormat}} or 422 {error, message}.
// A rejected or abandoned upload leaves nothing in the stem store; an unfinished upload idle for
// longer than the expiry (mixroomd serve --upload-expiry, default 24 h) is removed.
// Thread: control thread.
#include "engine/stems/StemStore.h"
#include "server/HttpFront.h"
#include "server/Store.h"

#include <QPointer>
#include <QSet>
#include <QString>
#include <QTcpSocket>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace mixroom::server {

class UploadService {
  public:
    static constexpr qint64 kMaxUploadBytes = qint64(2) << 30; // 2 GiB
    static constexpr qint64 kMaxChunkBytes = 16 << 20;
    // `sessionRate` gives a session's sample rate (stems are stored at it).
    // `http` holds a connection while its upload imports on a worker thread.
    UploadService(Store& store, engine::StemStore& stems, QString dir, std::function<int(const QString& session)> sessionRate,
                  HttpFront& http);
    ~UploadService();
    // Bytes every upload must leave free on the disk (ServerLimits::keepFreeBytes).
    void setKeepFree(qint64 bytes) { m_keepFree = bytes; }
    void handle(const QHttpServerRequest& request, QHttpServerResponder& responder);
    // Decides from a request's head alone, before its body is read: the token (401), the role
    // (403), the upload (404), the offset (409), the chunk's size (413) and the disk (507). A PATCH
    // is admitted for exactly the chunk it declares; nothing else takes a body.
    Admission admit(const RequestHead& head) const;
    // Removes the uploads nobody has written to for `idleMs` (partial file and record); returns
    // how many. An upload in progress touches its file with every chunk.
    int sweep(qint64 idleMs);
    // At start: removes files an import interrupted by a crash left (an upload renamed for import).
    int removeInterrupted();

  private:
    // Bytes that open uploads may still write (declared length less what has arrived).
    qint64 reservedBytes() const;
    std::optional<MemberRow> member(const QByteArray& authorization) const;
    Store& m_store;
    engine::StemStore& m_stems;
    qint64 m_keepFree = 0;
    QString m_dir;
    std::function<int(const QString&)> m_sessionRate;
    HttpFront& m_http;
    // Queues a job's answer to the control thread: written unless the client has left.
    void answer(QPointer<QTcpSocket> socket, std::shared_ptr<QHttpServerResponder> responder, const QString& id,
                std::function<void(QHttpServerResponder&)> write);
    // Chunks are appended to their upload's file here (a 16 MiB write may wait on the disk).
    QThreadPool m_writes;
    QSet<QString> m_writing; // uploads with a chunk being written or imported
    // Imports (decode, resample, hash) run here, never on the control thread; the answer is written
    // when the job is done.
    QThreadPool m_imports;
    QObject m_context; // queued results are delivered through it (and dropped once it is gone)
};

} // namespace mixroom::server
