// SPDX-License-Identifier: MIT
#pragma once
// Own listeners share renders. What an own listener hears of a mix document that does not change
// (a saved version, or the live mix while nobody edits) is a function of the document and the
// play position only; rendering and encoding it once per listener cost about 1.6 % of a core
// each, so two cores stopped at some 40-100 listeners. A SharedRender holds the Opus frames of one
// document on the frame grid (frame k starts at 48 kHz sample k * frameSamples), rendered in
// one-second chunks by a producer thread, ahead of the listeners' play positions (nearest first);
// every own stream of that document reads the frames (PreviewStream's cache mode) instead of
// rendering. Frames of a chunk are rendered in sequence after the previous chunk when it was
// rendered (the same audio as one continuous render) or after a two-second pre-roll.
// An edit gives the streams a new render (a new document); each stream goes on rendering itself
// until the new render has its frame (within the engine's live budget; beyond it a stream plays
// its old render's frames a little longer: graceful, not late).
// Threads: SharedRenderer's public methods on the control thread; a render's frames are written
// by the producer thread and read by the render threads after ready() (release/acquire).
#include "engine/model/Session.h"
#include "server/PreviewEngine.h"

#include <QByteArray>
#include <QJsonObject>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mixroom::server {

struct SharedFrame {
    QByteArray payload; // the Opus packet
    quint8 flags = 0;   // AudioFrameHeader::Silence
    QJsonObject meters; // the stream meters due after this frame (every 100 ms), else empty
};

class SharedRender {
  public:
    using Build = std::function<std::shared_ptr<MixGraph>(const engine::Session&, QString* error)>;
    SharedRender(QByteArray key, engine::Session doc, const StreamSettings& settings, Build build);
    const Build& build() const { return m_build; }
    const QByteArray& key() const { return m_key; }
    const engine::Session& doc() const { return m_doc; }
    const StreamSettings& settings() const { return m_settings; }
    int frameSamples() const { return m_frameSamples; } // at 48 kHz
    int64_t frameCount() const { return m_frameCount; } // frames up to the end of the song
    int chunkFrames() const { return m_chunkFrames; }
    int64_t chunkCount() const { return static_cast<int64_t>(m_chunks.size()); }
    int64_t sessionFrameOf(int64_t k) const; // where frame k starts, at the session rate
    // Frame k, once ready (any thread); nullptr before.
    const SharedFrame* frame(int64_t k) const;
    bool chunkReady(int64_t c) const { return m_chunks[static_cast<size_t>(c)]->ready.load(std::memory_order_acquire); }
    // Bytes held (payloads), for the cache's bound.
    qint64 bytes() const { return m_bytes.load(std::memory_order_relaxed); }

    // A listener's next frame (-1: not playing), written by its render thread, read by the producer.
    using Cursor = std::atomic<int64_t>;
    void addCursor(std::shared_ptr<Cursor> c); // control thread
    std::vector<int64_t> positions();          // producer: the live cursors' positions

    // Producer: publishes chunk c's frames (chunkFrames of them, fewer for the last).
    void publish(int64_t c, std::vector<SharedFrame> frames);

  private:
    struct Chunk {
        std::atomic<bool> ready{false};
        std::vector<SharedFrame> frames;
    };
    QByteArray m_key;
    engine::Session m_doc;
    Build m_build;
    StreamSettings m_settings;
    int m_frameSamples = 960, m_chunkFrames = 50;
    int64_t m_frameCount = 0;
    std::vector<std::unique_ptr<Chunk>> m_chunks;
    std::atomic<qint64> m_bytes{0};
    std::mutex m_cursorLock; // control thread and producer only
    std::vector<std::weak_ptr<Cursor>> m_cursors;
};

class SharedRenderer {
  public:
    SharedRenderer();
    ~SharedRenderer();
    SharedRenderer(const SharedRenderer&) = delete;
    SharedRenderer& operator=(const SharedRenderer&) = delete;

    // The shared render of `doc` at these settings, made on first use; null when the settings
    // cannot share (a frame that is not a whole number of session frames). Control thread.
    std::shared_ptr<SharedRender> renderFor(const engine::Session& doc, const StreamSettings& settings, SharedRender::Build build);
    // Wakes the producer (a cursor moved to a chunk that is not ready, a render was added).
    void wake();

    struct Stats {
        qint64 chunksRendered = 0, prerollFrames = 0, renders = 0, chunks = 0; // chunks: of every render made
    };
    Stats stats() const;
    static constexpr int kPrerollMs = 2000;
    static constexpr int kAheadChunks = 6;           // chunks rendered ahead of each listener
    static constexpr qint64 kMaxBytes = 256ll << 20; // renders kept for later listeners, LRU

  private:
    void run();
    struct Producer; // a render's graph and stream on the producer thread
    std::thread m_thread;
    std::mutex m_lock;
    std::condition_variable m_wake;
    bool m_stop = false, m_woken = false;
    std::deque<std::shared_ptr<SharedRender>> m_renders; // newest last; guarded by m_lock
    std::atomic<qint64> m_chunksRendered{0}, m_prerollFrames{0}, m_renderCount{0}, m_chunkCount{0};
};

} // namespace mixroom::server
