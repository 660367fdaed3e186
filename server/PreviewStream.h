// SPDX-License-Identifier: MIT
#pragma once
// One preview stream: render -> (resample to 48 kHz) -> Opus, with a transport and meters.
// Thread: the preview render thread only.
#include "engine/dsp/Ramp.h"
#include "engine/dsp/TruePeak.h"
#include "engine/render/GraphPlayer.h"
#include "engine/render/LoudnessMeter.h"
#include "engine/stems/StemPrefetcher.h"
#include "protocol/Messages.h"
#include "server/PreviewEngine.h"
#include "server/SharedRender.h"

#include <QElapsedTimer>
#include <QJsonObject>

#include <opus.h>
#include <soxr.h>

#include <vector>

namespace mixroom::server {

class PreviewStream {
  public:
    // The Opus encoder's delay in 48 kHz samples (its lookahead): decoded audio lags each frame's
    // header position by this much. Clients drop it, as an Ogg Opus pre-skip does.
    static int encoderDelay();
    // Retired graphs go to `retire`, which frees them off this thread.
    // `playhead` is where StemPrefetcher reads ahead from: this stream writes it as it renders.
    PreviewStream(quint32 id, std::shared_ptr<MixGraph> graph, const StreamSettings& s, engine::GraphPlayer::Retire retire,
                  std::shared_ptr<engine::StemPrefetcher::Cursor> playhead);
    ~PreviewStream();
    PreviewStream(const PreviewStream&) = delete;
    PreviewStream& operator=(const PreviewStream&) = delete;

    // Renders and encodes every frame due by `nowNs` (or reads them from the shared render);
    // calls emitPacket for each. `liveSlots`: how many more streams of this render thread may
    // start rendering themselves when their shared render is behind (an edit); decremented here.
    template <typename Emit> void run(qint64 nowNs, Emit&& emitPacket, int& liveSlots);
    // The shared render of the stream's current document (null: none), and the cursor through
    // which this stream tells the producer where it plays.
    void setShared(std::shared_ptr<SharedRender> render, std::shared_ptr<SharedRender::Cursor> cursor);
    bool cached() const { return m_cacheMode; } // the last frame came from a shared render
    // Producer side (SharedRenderer): the next frame's packet and meters, and a seek by frame.
    SharedFrame produceFrame(bool encode = true);
    void seekFrame(int64_t sessionFrame);
    // Plays `graph` from the next frame with the current graph's state (crossfaded when the sound
    // changes). A/B switches mark the next frame as a discontinuity.
    void swapGraph(std::shared_ptr<MixGraph> graph, int64_t lengthFrames, const QString& source, double gainDb, bool crossfade);
    void transport(const QString& action, double atMs, double fromMs, double toMs, qint64 nowNs);
    QJsonObject state() const;
    bool playing() const { return m_playing; }
    // Meters since the last call (about every 100 ms).
    bool metersDue(qint64 nowNs) const { return nowNs - m_lastMetersNs >= 100'000'000; }
    QJsonObject takeMeters(qint64 nowNs);
    quint32 id() const { return m_id; }

  private:
    QByteArray encodeFrame(int& liveSlots); // one frame: from the shared render, or rendered and encoded here
    // Renders one frame of 48 kHz audio and encodes it into `payload`; sets the header's position and flags.
    bool liveFrame(protocol::AudioFrameHeader& h, QByteArray& payload, bool encode = true);
    // The shared render's frame at this stream's position, when it may play it.
    bool cachedFrame(protocol::AudioFrameHeader& h, QByteArray& payload, int& liveSlots);
    // Back to rendering itself from shared frame k: the graph seeks there with a short pre-roll.
    void leaveCache(int64_t k);
    int64_t gridFrames() const; // session frames per output frame, 0 when they are not whole
    void renderSession(float* l, float* r, int n);
    double positionMs() const;
    int latency() const; // the graph's, in session frames
    // Seeks the graph and renders through its latency, so the next frame heard is `frame`'s.
    void seekTo(int64_t frame);
    int64_t heardPosition() const; // session frames

    quint32 m_id;
    engine::GraphPlayer m_player;
    std::shared_ptr<engine::StemPrefetcher::Cursor> m_playhead;
    StreamSettings m_s;
    int m_frameSamples; // at 48 kHz
    bool m_playing = false;
    bool m_discontinuity = true;
    int64_t m_loopFrom = -1, m_loopTo = -1; // session frames
    engine::Ramp m_gain;                    // A/B loudness match, linear
    quint32 m_seq = 0;
    quint64 m_outPosition = 0; // 48 kHz samples of the transport position
    qint64 m_nextDueNs = 0;
    OpusEncoder* m_opus = nullptr;
    soxr_t m_soxr = nullptr;
    std::vector<float> m_l, m_r, m_interleaved, m_fifo, m_outL, m_outR; // fifo: 48 kHz interleaved stereo
    std::vector<unsigned char> m_packet;
    engine::LoudnessMeter m_loudness{48000, engine::LoudnessMeter::Mode::Live};
    engine::TruePeakDetector m_tpL, m_tpR;
    float m_truePeak = 0;
    qint64 m_lastMetersNs = 0;
    // Shared renders: m_shared is the current document's, m_reading the one frames come from
    // (an older one while the current one is behind and this thread has no live slot left).
    std::shared_ptr<SharedRender> m_shared, m_reading;
    static constexpr size_t kOlderRenders = 16;
    std::vector<std::shared_ptr<SharedRender>> m_older; // replaced renders of the same source, newest last
    std::shared_ptr<SharedRender::Cursor> m_cursor;
    bool m_cacheMode = false;
    int64_t m_cacheFrame = 0;
    QJsonObject m_cachedMeters;
    int m_framesSinceMeters = 0; // producer: meters every 100 ms of frames
};

template <typename Emit> void PreviewStream::run(qint64 nowNs, Emit&& emitPacket, int& liveSlots)
{
    const qint64 frameNs = static_cast<qint64>(m_s.frameMs) * 1'000'000;
    if (!m_playing) {
        m_nextDueNs = nowNs;
        if (m_cursor) m_cursor->store(-1, std::memory_order_relaxed);
        return;
    }
    int guard = 0;
    while (m_nextDueNs <= nowNs && guard++ < 50) {
        emitPacket(encodeFrame(liveSlots));
        m_nextDueNs += frameNs;
        if (!m_playing) break;
    }
    if (guard >= 50) // far behind (the machine stalled): skip ahead instead of bursting
        m_nextDueNs = nowNs + frameNs;
}

} // namespace mixroom::server
