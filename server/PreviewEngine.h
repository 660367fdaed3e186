// SPDX-License-Identifier: MIT
#pragma once
// Live previews: one render thread that runs every preview stream in real time. A stream owns a
// MixGraph (shared with the control thread, which publishes parameters into it as atomics), a
// transport (play, pause, seek, loop), a resampler to 48 kHz when the session runs at another
// rate, and an Opus encoder. Frames are paced by the steady clock; the encoded frames of a tick leave as one
// `packets` signal (queued to the control thread, which owns the sockets).
// Threads: the public methods may be called from any thread (they post to the render thread);
// signals arrive on the receiver's thread.
#include "engine/render/GraphPlayer.h"
#include "engine/render/MixGraph.h"
#include "engine/stems/StemPrefetcher.h"

#include <QJsonObject>
#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace mixroom::server {

using engine::MixGraph;

struct StreamSettings {
    int sessionRate = 48000;
    int bitrateKbps = 192;
    int frameMs = 20;
    int64_t lengthFrames = 0; // song length at the session rate
    QString source = "live";
};

class PreviewStream;
class SharedRender;
class SharedRenderer;

class PreviewEngine : public QObject {
    Q_OBJECT
  public:
    PreviewEngine();
    ~PreviewEngine() override;

    void create(quint32 id, std::shared_ptr<MixGraph> graph, const StreamSettings& settings);
    void destroy(quint32 id);
    // Replaces the graph at the next frame; the new graph takes over the old one's position and
    // DSP state (structural edit, A/B switch), crossfaded when `crossfade`.
    void swapGraph(quint32 id, std::shared_ptr<MixGraph> graph, int64_t lengthFrames, const QString& source, double gainDb, bool crossfade);
    // action: play, pause, seek (atMs), loop (fromMs, toMs), unloop
    void transport(quint32 id, const QString& action, double atMs, double fromMs, double toMs);

    const engine::StemPrefetcher& prefetcher() const { return m_prefetch; }

    // Own streams of the same document share one render (SharedRender.h): the render for `doc`
    // (built with `build` on the producer thread), or null when these settings cannot share.
    std::shared_ptr<SharedRender> sharedRender(const engine::Session& doc, const StreamSettings& settings,
                                               std::function<std::shared_ptr<MixGraph>(const engine::Session&, QString*)> build);
    // Stream `id` reads `render` (null: renders itself) from its next frame on.
    void share(quint32 id, std::shared_ptr<SharedRender> render);
    struct SharedStats {
        qint64 cachedFrames = 0, liveFrames = 0;                               // own streams' frames since start, by origin
        qint64 chunksRendered = 0, prerollFrames = 0, renders = 0, chunks = 0; // chunks: of every render made
    };
    SharedStats sharedStats() const;
    // Streams a render thread lets render themselves while their shared render is behind (after
    // an edit), beyond those already doing so; the rest play their old render's frames meanwhile.
    static constexpr int kLiveSlotsPerThread = 12;

    // Admission against a measured render budget. Each render thread measures the share of its
    // time spent rendering and encoding (about a one-second average). The cost of one stream is
    // that load over the streams playing; a stream may start playing (or an own listener join)
    // while the streams told to play, plus this one, at that cost fit in `budget` (a share of the
    // render threads' time). Before anything is measured, kUnmeasured streams are let in. A refused
    // stream never starts, so the admitted ones keep their time. Control thread.
    static constexpr int kUnmeasured = 4;
    void setBudget(double fraction) { m_budget = fraction; }
    struct Load {
        double busy = 0; // render threads' time in use, in threads (0 .. thread count)
        int playing = 0; // streams playing when it was measured
        int threads = 1;
        // The same split by where streams' frames came from: rendered by the stream itself, or
        // read from a shared render (a small fraction of the cost).
        double liveBusy = 0, cachedBusy = 0;
        int live = 0, cached = 0;
    };
    Load load() const;
    // Delivery: `sent` frames written to their sockets in `ns` of the control thread's time,
    // blended into a ~1 s average like the render threads' load. Control thread.
    void delivered(qint64 ns, int sent);
    double deliveryLoad() const { return m_deliveryLoad; }
    // The share of the control thread that frame delivery may take: beyond it a new own listener
    // is refused, since frames late on the control thread are late for every listener.
    static constexpr double kDeliveryBudget = 0.4;
    // Whether stream `id` (0: a new one) may start playing; if not, *why says so for the listener.
    // A stream that will read a shared render (`shared`) is counted at the measured cost of
    // such streams: its own render lasts only until the shared one reaches it, and streams that
    // render themselves after an edit are bounded by kLiveSlotsPerThread.
    bool admit(quint32 id, QString* why, bool shared = false) const;

  signals:
    // The frames one render tick produced, in order (frames[i] belongs to streams[i]): one queued
    // call per tick instead of one per frame, so the control thread wakes (and polls its
    // sockets) a few hundred times a second however many listeners there are.
    void packets(const QList<quint32>& streams, const QList<QByteArray>& frames);
    void transportChanged(quint32 stream, const QJsonObject& state);
    void meters(quint32 stream, const QJsonObject& meters);

  private:
    // One render thread per core; a stream lives on one of them (by id) for its whole life.
    struct Worker {
        QThread thread;
        QObject* context = nullptr;                                // lives in `thread`; runs the timer and the commands
        std::map<quint32, std::unique_ptr<PreviewStream>> streams; // touched on `thread` only
        // Measured on `thread`, read by the control thread.
        std::atomic<double> load{0}; // share of the thread's time spent in tick(), ~1 s average
        std::atomic<int> playing{0};
        std::atomic<double> liveLoad{0}, cachedLoad{0};
        std::atomic<int> livePlaying{0}, cachedPlaying{0};
        qint64 windowStart = 0, busyNs = 0, liveNs = 0, cachedNs = 0; // `thread` only
        std::atomic<qint64> cachedFrames{0}, liveFrames{0};
        int liveNow = 0; // `thread` only: streams playing that rendered themselves in the last tick
    };
    Worker& workerOf(quint32 id) { return *m_workers[id % m_workers.size()]; }
    void tick(Worker& w);
    // Hands a graph the render thread no longer plays to this object's (the control) thread, so
    // its memory is freed there, never on a render thread.
    engine::GraphPlayer::Retire retirer();
    std::vector<std::unique_ptr<Worker>> m_workers;
    // Reads the stems ahead of every stream's playhead, so no render thread waits on the disk.
    engine::StemPrefetcher m_prefetch;
    std::map<quint32, std::shared_ptr<engine::StemPrefetcher::Cursor>> m_playheads; // control thread
    std::unique_ptr<SharedRenderer> m_shared;
    double m_budget = 0.35;
    qint64 m_deliveryNs = 0, m_deliverySent = 0, m_deliveryWindowStart = 0; // control thread
    double m_deliveryLoad = 0, m_deliveryPerSecond = 0;
    std::set<quint32> m_playingIds; // told to play and not paused or destroyed since (control thread)
};

} // namespace mixroom::server
