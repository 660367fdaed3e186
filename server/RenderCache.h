// SPDX-License-Identifier: MIT
#pragma once
// Full-resolution renders of session documents, cached on disk by content: the key is the SHA-256
// of the document (which names its stems by content hash), so equal mixes share one render. A
// render writes the canonical file, wav32f (the engine's float output, bit for bit), on a worker
// thread, hashes it (SHA-256) and publishes the folder atomically (temporary folder, then rename).
// The delivery formats (wav24, flac24; TPDF dither from a fixed seed) are made from the canonical
// file on demand, the first time one is pulled: the same samples through the same writer, so they
// are the bytes a direct render would give. Their hashes join hashes.json as they are made.
// Thread: control thread; the render itself runs on QThreadPool and reports back queued.
#include "engine/model/Session.h"
#include "engine/stems/StemStore.h"

#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <atomic>

#include <optional>

namespace mixroom::server {

class RenderCache : public QObject {
    Q_OBJECT
  public:
    static const QStringList& formats(); // wav24, wav32f, flac24
    static QString canonical() { return "wav32f"; }
    // At most `maxBytes` of renders are kept: after each new render the least recently made or
    // pulled ones are removed (they are made again, bit for bit, when pulled again).
    RenderCache(QString dir, engine::StemStore& stems, qint64 maxBytes = qint64(20) << 30, QObject* parent = nullptr);
    ~RenderCache() override;
    static QString keyOf(const engine::Session& session);
    // SHA-256 per format when the render exists.
    std::optional<QJsonObject> hashes(const QString& key) const;
    QString file(const QString& key, const QString& format) const;
    bool running(const QString& key) const { return m_running.contains(key); }
    // Makes `format` from the canonical render (which must exist) unless it exists or is being made.
    void derive(const QString& key, const QString& format);
    bool deriving(const QString& key, const QString& format) const { return m_running.contains(key + "/" + format); }
    // Marks a render as used now (a pull): the last to be evicted.
    void touch(const QString& key) const;
    // Removes the least recently used renders until at most maxBytes remain, never `keep`.
    // Returns the bytes removed. Any thread (the render job calls it).
    static qint64 evict(const QString& dir, qint64 maxBytes, const QString& keep);
    // Starts rendering unless it exists or runs already.
    void start(const QString& key, const engine::Session& session);

  signals:
    void progress(const QString& key, double fraction);
    void finished(const QString& key, const QJsonObject& hashes, const QString& error);

  private:
    QString m_dir;
    engine::StemStore& m_stems;
    qint64 m_maxBytes;
    QSet<QString> m_running;
    QThreadPool m_pool;                // renders run here; the destructor waits for them
    std::atomic<bool> m_cancel{false}; // set by the destructor: running renders stop early
};

} // namespace mixroom::server
