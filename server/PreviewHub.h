// SPDX-License-Identifier: MIT
#pragma once
// A session's listeners: who hears which stream (the shared follow stream or a private one),
// transport requests (editors drive the shared one), A/B switches, parameter updates into the
// streams' graphs after each commit, and delivery of audio frames with the slow-listener policy:
// a socket with more than ~300 ms of audio queued loses audio frames (counted), never control
// messages, and is disconnected after 10 s of continuous dropping.
// Thread: control thread.
#include "engine/stems/StemStore.h"
#include "protocol/Messages.h"
#include "server/ClientSocket.h"
#include "server/PreviewEngine.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <atomic>

#include <functional>
#include <optional>

namespace mixroom::server {

class PreviewHub : public QObject {
    Q_OBJECT
  public:
    struct Host {
        std::function<const engine::Session&()> state;
        std::function<std::optional<engine::Session>(const QString& version)> version;
        std::function<quint32()> newStreamId;
        std::function<void(quint32 stream)> registerStream; // routes engine signals for it here
        engine::StemStore* stems = nullptr;
        PreviewEngine* engine = nullptr;
        std::function<void(const QString& kind, double ms)> jobDone; // durations of worker jobs, for /metrics
        std::function<double(const engine::Session&)> lengthMs;      // a song's length
        // A stream's transport moved other than by playing on (pause, seek, loop set or wrapped,
        // source switched, stream gone): automation passes on it end.
        std::function<void(quint32 stream)> jumped;
    };
    static bool handles(protocol::Kind kind);
    static constexpr double kQueueBudgetSeconds = 0.3;
    static constexpr qint64 kStallDisconnectMs = 10'000;

    PreviewHub(Host host, QObject* parent = nullptr);
    ~PreviewHub() override;
    void handle(ClientSocket* c, const protocol::Message& msg);
    void leave(ClientSocket* c);
    // After a commit: new parameter values (or a new structure) for every live stream.
    void committed(bool structural);

    int onPacket(quint32 stream, const QByteArray& frame); // the socket writes it made
    void onTransport(quint32 stream, const QJsonObject& state);
    void onMeters(quint32 stream, const QJsonObject& meters);
    // The stream `c` hears (its own, another connection's own of the same installation, or the
    // follow stream it listens to): whether it plays the live mix, and the position of the
    // newest frame rendered for it (session-rate frames).
    struct Heard {
        quint32 stream = 0;
        bool playing = false, live = false;
        int64_t frame = 0;
    };
    std::optional<Heard> heard(ClientSocket* c) const;
    qint64 droppedFrames(ClientSocket* c) const { return m_listeners.value(c).dropped; }
    qint64 totalDropped() const { return m_totalDropped; }

  private:
    struct Stream {
        std::shared_ptr<MixGraph> graph; // the newest graph sent to the stream
        engine::Session doc;             // the document it was built from (and its latest values)
        quint64 generation = 0;          // of the newest graph being prepared for it
        bool preparing = false;
        QString source = "live";
        bool own = false;    // a listener's own stream (reads shared renders), not the follow stream
        double gainDb = 0.0; // an A/B level match of its own: no shared render
        int bitrate = 192, frameMs = 20;
        QJsonObject transport;
        int64_t rendered = -1; // position of the newest frame sent (48 kHz frames)
    };
    struct Listener {
        quint32 stream = 0;
        bool follow = false;
        qint64 dropped = 0;
        qint64 stalledSinceMs = -1;
    };
    std::shared_ptr<MixGraph> buildGraph(const engine::Session& s, QString* error);
    // A graph for stream `id` built on a worker (and, with `matchTo`, the gain that levels `doc`
    // to it by integrated loudness); `done` runs on the control thread, with the stream, or with
    // nullptr when the stream is gone or a newer preparation superseded this one.
    struct Prepared {
        std::shared_ptr<MixGraph> graph;
        QString error;
        double gainDb = 0.0;
    };
    void prepare(quint32 id, engine::Session doc, std::optional<engine::Session> matchTo,
                 std::function<void(Stream* st, const Prepared& p)> done);
    // Plays `graph` (built from `doc`) on stream `id` from the next frame.
    void install(quint32 id, Stream& st, std::shared_ptr<MixGraph> graph, const engine::Session& doc, const QString& source, double gainDb,
                 bool abSwitch);
    // Points own stream `id` at the shared render of its document (SharedRender.h); `memo` finds
    // a commit's render once for all streams.
    void share(quint32 id, const Stream& st, double gainDb, QHash<QString, std::shared_ptr<SharedRender>>* memo);
    void peaks(ClientSocket* c, qint64 clientSeq, const QJsonObject& request);
    quint32 startStream(int bitrate, int frameMs, QString* error);
    void stopListening(ClientSocket* c);
    quint32 ownStream(ClientSocket* c) const;
    void refuse(ClientSocket* c, qint64 clientSeq, const QString& code, const QString& message);

    Host m_host;
    QHash<quint32, Stream> m_streams;
    QHash<ClientSocket*, Listener> m_listeners;
    QMultiHash<quint32, ClientSocket*> m_byStream; // the same, by stream
    quint32 m_follow = 0;
    // Waveform overviews: one render per mix document on m_pool (peak and energy per 256 frames),
    // cached by document; any bin count is folded from that, so requests differing only in `bins`
    // never render again.
    struct PeakChunks {
        static constexpr int kFrames = 256; // frames per chunk
        std::vector<float> peak;
        std::vector<double> sq;
        int lastChunkFrames = 0;
        int64_t frames = 0;
        int rate = 48000;
    };
    struct PeakWaiter {
        QPointer<ClientSocket> socket;
        qint64 clientSeq = 0;
        QString source;
        int bins = 1000;
    };
    static QJsonObject foldPeaks(const PeakChunks& chunks, int bins);
    void peaksDone(const QString& key, std::shared_ptr<const PeakChunks> chunks, const QString& error);
    QHash<QString, std::shared_ptr<const PeakChunks>> m_peakCache;
    QStringList m_peakOrder; // oldest first, for eviction
    QHash<QString, QList<PeakWaiter>> m_peakWaiters;
    QThreadPool m_pool;
    QThreadPool m_builds; // live graphs and A/B preparations: never on the control thread
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false);
    qint64 m_totalDropped = 0;
    QElapsedTimer m_clock;
};

} // namespace mixroom::server
