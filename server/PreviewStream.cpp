// SPDX-License-Identifier: MIT
#include "server/PreviewStream.h"

#include "protocol/Messages.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace mixroom::server {

namespace {
constexpr int kOutRate = 48000;
constexpr int kBlock = 256;                     // render block at the session rate
constexpr int kMaxFrameSamples = kOutRate / 50; // frames are 10 or 20 ms (the hub refuses others)
double db(double v)
{
    return v > 0 ? 20.0 * std::log10(v) : -144.0;
}
} // namespace

int PreviewStream::encoderDelay()
{
    static const int delay = [] {
        int err = 0;
        OpusEncoder* e = opus_encoder_create(kOutRate, 2, OPUS_APPLICATION_AUDIO, &err);
        opus_int32 lookahead = 0;
        if (e) opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(&lookahead));
        if (e) opus_encoder_destroy(e);
        return static_cast<int>(lookahead);
    }();
    return delay;
}

PreviewStream::PreviewStream(quint32 id, std::shared_ptr<MixGraph> graph, const StreamSettings& s, engine::GraphPlayer::Retire retire,
                             std::shared_ptr<engine::StemPrefetcher::Cursor> playhead)
    : m_id(id), m_player(std::move(graph)), m_playhead(std::move(playhead)), m_s(s),
      m_frameSamples(std::min(kOutRate * s.frameMs / 1000, kMaxFrameSamples))
{
    m_player.setRetire(std::move(retire));
    m_older.reserve(kOlderRenders + 1); // setShared() runs on the render thread: no growth there
    m_gain.reset(1.0);
    int err = 0;
    m_opus = opus_encoder_create(kOutRate, 2, OPUS_APPLICATION_AUDIO, &err);
    opus_encoder_ctl(m_opus, OPUS_SET_BITRATE(s.bitrateKbps * 1000));
    opus_encoder_ctl(m_opus, OPUS_SET_VBR(1));
    opus_encoder_ctl(m_opus, OPUS_SET_COMPLEXITY(5));
    if (s.sessionRate != kOutRate) {
        soxr_error_t e = nullptr;
        const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        m_soxr = soxr_create(s.sessionRate, kOutRate, 2, &e, &io, &q, nullptr);
    }
    m_l.assign(kBlock, 0.0f);
    m_r.assign(kBlock, 0.0f);
    m_interleaved.assign(2 * kBlock, 0.0f);
    m_packet.assign(4000, 0);
    m_outL.assign(static_cast<size_t>(m_frameSamples), 0.0f);
    m_outR.assign(static_cast<size_t>(m_frameSamples), 0.0f);
    m_fifo.reserve(static_cast<size_t>(8 * m_frameSamples));
    seekTo(m_player.position());
}

int PreviewStream::latency() const
{
    return m_player.current()->latency();
}

void PreviewStream::seekTo(int64_t frame)
{
    // The graph runs `latency` frames ahead of what is heard (the limiter's lookahead): render
    // them now and drop them, so the next frame out is the audio at `frame`, as in a render.
    m_cacheMode = false; // a seek leaves the shared render; the next frame may enter it again
    m_reading = nullptr;
    m_cachedMeters = {};
    m_player.seek(frame);
    m_fifo.clear(); // audio from before the seek is never heard after it
    if (m_soxr) soxr_clear(m_soxr);
    m_playhead->store(frame, std::memory_order_relaxed); // the prefetcher reads ahead from here
    for (int left = latency(); left > 0;) {
        const int n = std::min(left, kBlock);
        m_player.process(m_l.data(), m_r.data(), n);
        left -= n;
    }
}

PreviewStream::~PreviewStream()
{
    opus_encoder_destroy(m_opus);
    if (m_soxr) soxr_delete(m_soxr);
}

int64_t PreviewStream::heardPosition() const
{
    if (m_cacheMode) return std::min<int64_t>(m_s.lengthFrames, m_cacheFrame * gridFrames());
    int64_t pos = m_player.position() - latency();
    // Just after a loop wrap the delay line still plays the loop's end.
    if (m_loopFrom >= 0 && pos < m_loopFrom && m_player.position() >= m_loopFrom && m_loopTo > m_loopFrom) pos += m_loopTo - m_loopFrom;
    return std::max<int64_t>(0, pos);
}

double PreviewStream::positionMs() const
{
    return 1000.0 * static_cast<double>(heardPosition()) / m_s.sessionRate;
}

QJsonObject PreviewStream::state() const
{
    QJsonObject o{{"stream", static_cast<double>(m_id)},
                  {"playing", m_playing},
                  {"position", positionMs()},
                  {"source", m_s.source},
                  {"lengthMs", 1000.0 * static_cast<double>(m_s.lengthFrames) / m_s.sessionRate}};
    if (m_loopFrom >= 0)
        o.insert("loop", QJsonObject{{"from", 1000.0 * m_loopFrom / m_s.sessionRate}, {"to", 1000.0 * m_loopTo / m_s.sessionRate}});
    return o;
}

void PreviewStream::transport(const QString& action, double atMs, double fromMs, double toMs, qint64 nowNs)
{
    auto frames = [&](double ms) {
        int64_t f = static_cast<int64_t>(std::llround(ms * m_s.sessionRate / 1000.0));
        // On the frame grid (10 or 20 ms), where the shared render's frames start.
        if (const int64_t grid = gridFrames(); grid > 0) f = (f + grid / 2) / grid * grid;
        return std::clamp<int64_t>(f, 0, m_s.lengthFrames);
    };
    if (action == "play") {
        if (!m_playing) {
            m_playing = true;
            m_nextDueNs = nowNs;
            if (heardPosition() >= m_s.lengthFrames) seekTo(m_loopFrom >= 0 ? m_loopFrom : 0);
        }
    } else if (action == "pause") {
        m_playing = false;
    } else if (action == "seek") {
        seekTo(frames(atMs));
        m_discontinuity = true;
    } else if (action == "loop") {
        m_loopFrom = frames(fromMs);
        m_loopTo = std::max(m_loopFrom + 1, frames(toMs));
        if (heardPosition() < m_loopFrom || heardPosition() >= m_loopTo) {
            seekTo(m_loopFrom);
            m_discontinuity = true;
        }
    } else if (action == "unloop") {
        m_loopFrom = m_loopTo = -1;
    }
    m_outPosition = static_cast<quint64>(heardPosition()) * kOutRate / static_cast<quint64>(m_s.sessionRate);
    m_playhead->store(m_player.position(), std::memory_order_relaxed); // a seek: read ahead from there
}

void PreviewStream::swapGraph(std::shared_ptr<MixGraph> graph, int64_t lengthFrames, const QString& source, double gainDb, bool crossfade)
{
    m_player.swap(std::move(graph), crossfade);
    m_s.lengthFrames = lengthFrames;
    if (source != m_s.source) m_discontinuity = true; // an A/B switch
    m_s.source = source;
    // The loudness match glides like every gain (20 ms), so an A/B switch does not step.
    m_gain.setTarget(std::pow(10.0, gainDb / 20.0), static_cast<int>(engine::kRampSeconds * m_s.sessionRate));
}

void PreviewStream::renderSession(float* l, float* r, int n)
{
    // Loop wrap and the end of the song happen inside the block.
    int done = 0;
    while (done < n) {
        int64_t pos = m_player.position();
        // A loop wraps where the graph reads (the delay line plays the loop's end out first); the
        // song ends when its last frame has been heard.
        int64_t stop = m_loopFrom >= 0 ? m_loopTo : m_s.lengthFrames + latency();
        if (pos >= stop) {
            if (m_loopFrom >= 0) {
                m_player.seek(m_loopFrom);
                m_discontinuity = true;
                pos = m_loopFrom;
            } else {
                std::fill(l + done, l + n, 0.0f);
                std::fill(r + done, r + n, 0.0f);
                m_playing = false; // the end of the song
                return;
            }
        }
        const int take = static_cast<int>(std::min<int64_t>(n - done, stop - pos));
        m_player.process(l + done, r + done, take);
        done += take;
    }
    m_playhead->store(m_player.position(), std::memory_order_relaxed);
}

int64_t PreviewStream::gridFrames() const
{
    const int64_t n = static_cast<int64_t>(m_s.sessionRate) * m_s.frameMs;
    return n % 1000 == 0 ? n / 1000 : 0;
}

void PreviewStream::setShared(std::shared_ptr<SharedRender> render, std::shared_ptr<SharedRender::Cursor> cursor)
{
    // A render of another source (an A/B switch) is never played stale: leave it at once.
    if (m_cacheMode && m_reading && (!render || render->settings().source != m_reading->settings().source)) leaveCache(m_cacheFrame);
    // The renders this one replaces (edits of the same source), newest last: while the newest is
    // behind and no live slot is free, the newest of them that has the frame plays.
    if (render && m_shared && render != m_shared && render->settings().source == m_shared->settings().source) {
        m_older.push_back(m_shared);
        if (m_older.size() > kOlderRenders) m_older.erase(m_older.begin());
    } else if (render != m_shared) {
        m_older.clear();
    }
    m_shared = std::move(render);
    if (!m_cacheMode) m_reading = nullptr;
    m_cursor = std::move(cursor);
}

void PreviewStream::leaveCache(int64_t k)
{
    // The graph and the encoder have not run since the stream entered the cache: seek the graph
    // a short pre-roll before the frame and render and encode the pre-roll (dropped), so its
    // compressors and limiter are settled and the encoder's lookahead holds the audio just before
    // frame k when it is heard.
    const int64_t preroll = std::min<int64_t>(k, std::max(1, 200 / m_s.frameMs));
    seekTo((k - preroll) * gridFrames());
    protocol::AudioFrameHeader h;
    QByteArray dropped;
    for (int64_t i = 0; i < preroll; ++i)
        liveFrame(h, dropped);
}

bool PreviewStream::cachedFrame(protocol::AudioFrameHeader& h, QByteArray& payload, int& liveSlots)
{
    if (!m_shared && !m_cacheMode) return false;
    int64_t k = m_cacheFrame;
    const int64_t grid = gridFrames();
    // A loop on the grid (seeks and loops snap to it) wraps by frames: a discontinuity, as live.
    const bool loopOnGrid = m_loopFrom >= 0 && grid > 0 && m_loopFrom % grid == 0 && m_loopTo % grid == 0;
    if (!m_cacheMode) {
        // Only on the frame grid, and with no gain of its own (A/B level match).
        if ((m_loopFrom >= 0 && !loopOnGrid) || m_gain.active() || m_gain.value() != 1.0 || m_player.crossfading() || grid == 0)
            return false;
        int64_t pos = (m_player.position() - latency()) * kOutRate / m_s.sessionRate - static_cast<int64_t>(m_fifo.size() / 2);
        if (pos < 0 || pos % m_frameSamples != 0) return false;
        k = pos / m_frameSamples;
        if (loopOnGrid && (k < m_loopFrom / grid || k >= m_loopTo / grid)) return false; // the delay line is across a wrap
    } else if (m_loopFrom >= 0 && !loopOnGrid) {
        leaveCache(k);
        return false;
    } else if (loopOnGrid && k >= m_loopTo / grid) {
        k = m_loopFrom / grid;
        m_discontinuity = true;
    }
    if (m_cursor) m_cursor->store(k, std::memory_order_relaxed);
    const SharedFrame* f = m_shared ? m_shared->frame(k) : nullptr;
    if (f) {
        m_reading = m_shared;
    } else if (m_cacheMode && liveSlots <= 0) {
        // The edit's render is behind and no slot is free: an older mix a little longer.
        for (auto it = m_older.rbegin(); it != m_older.rend() && !f; ++it)
            if ((f = (*it)->frame(k))) m_reading = *it;
    }
    if (!f) {
        if (k >= (m_reading ? m_reading->frameCount() : m_shared ? m_shared->frameCount() : INT64_MAX) && m_cacheMode) {
            m_playing = false; // the end of the song
            return true;
        }
        if (m_cacheMode) {
            leaveCache(k);
            --liveSlots;
        }
        return false;
    }
    if (!m_cacheMode) {
        m_cacheMode = true;
        m_fifo.clear();
    }
    h.position = static_cast<quint64>(k * m_frameSamples);
    h.flags |= f->flags;
    payload = f->payload;
    if (!f->meters.isEmpty()) m_cachedMeters = f->meters;
    m_cacheFrame = k + 1;
    m_outPosition = static_cast<quint64>(m_cacheFrame * m_frameSamples);
    return true;
}

QByteArray PreviewStream::encodeFrame(int& liveSlots)
{
    protocol::AudioFrameHeader h;
    h.stream = m_id;
    h.seq = m_seq++;
    QByteArray payload;
    if (!cachedFrame(h, payload, liveSlots)) {
        if (!liveFrame(h, payload)) return {};
        if (m_cursor) m_cursor->store(static_cast<int64_t>(h.position) / m_frameSamples + 1, std::memory_order_relaxed);
    } else if (payload.isEmpty()) {
        return {}; // the end of the song
    }
    if (m_discontinuity) {
        h.flags |= protocol::AudioFrameHeader::Discontinuity;
        m_discontinuity = false;
    }
    return h.encode(payload);
}

SharedFrame PreviewStream::produceFrame(bool encode)
{
    protocol::AudioFrameHeader h;
    SharedFrame f;
    liveFrame(h, f.payload, encode);
    f.flags = h.flags & protocol::AudioFrameHeader::Silence;
    if (++m_framesSinceMeters * m_s.frameMs >= 100) {
        m_framesSinceMeters = 0;
        f.meters = takeMeters(0);
        f.meters.remove("stream");
    }
    return f;
}

void PreviewStream::seekFrame(int64_t sessionFrame)
{
    seekTo(sessionFrame); // clears the FIFO and the resampler
    m_outPosition = static_cast<quint64>(sessionFrame) * kOutRate / static_cast<quint64>(m_s.sessionRate);
}

bool PreviewStream::liveFrame(protocol::AudioFrameHeader& h, QByteArray& payload, bool encode)
{
    // Fill the FIFO with one frame of 48 kHz stereo.
    const size_t need = static_cast<size_t>(2 * m_frameSamples);
    while (m_fifo.size() < need) {
        renderSession(m_l.data(), m_r.data(), kBlock);
        for (int i = 0; i < kBlock; ++i) {
            const double g = m_gain.next();
            m_interleaved[static_cast<size_t>(2 * i)] = static_cast<float>(m_l[static_cast<size_t>(i)] * g);
            m_interleaved[static_cast<size_t>(2 * i + 1)] = static_cast<float>(m_r[static_cast<size_t>(i)] * g);
        }
        if (!m_soxr) {
            m_fifo.insert(m_fifo.end(), m_interleaved.begin(), m_interleaved.end());
        } else {
            float out[4 * kBlock];
            size_t consumed = 0, produced = 0;
            soxr_process(m_soxr, m_interleaved.data(), kBlock, &consumed, out, 2 * kBlock, &produced);
            m_fifo.insert(m_fifo.end(), out, out + 2 * produced);
        }
    }
    // The frame's first sample: the graph's position minus its latency and what waits in the FIFO,
    // at 48 kHz, folded back into the loop when the FIFO or the delay line spans a wrap.
    const int64_t rate = m_s.sessionRate;
    int64_t pos = (m_player.position() - latency()) * kOutRate / rate - static_cast<int64_t>(m_fifo.size() / 2);
    if (m_loopFrom >= 0) {
        const int64_t from = m_loopFrom * kOutRate / rate, to = m_loopTo * kOutRate / rate;
        while (pos < from && to > from)
            pos += to - from;
    }
    h.position = static_cast<quint64>(std::max<int64_t>(0, pos));
    const float* pcm = m_fifo.data();
    bool silent = true;
    for (int i = 0; i < 2 * m_frameSamples; ++i)
        silent = silent && pcm[i] == 0.0f;
    if (silent) h.flags |= protocol::AudioFrameHeader::Silence; // digital silence: players may skip the decode
    for (int i = 0; i < m_frameSamples; ++i) {
        m_outL[static_cast<size_t>(i)] = pcm[2 * i];
        m_outR[static_cast<size_t>(i)] = pcm[2 * i + 1];
    }
    float tpL[kMaxFrameSamples], tpR[kMaxFrameSamples];
    m_tpL.pushBlock(m_outL.data(), m_frameSamples, tpL);
    m_tpR.pushBlock(m_outR.data(), m_frameSamples, tpR);
    for (int i = 0; i < m_frameSamples; ++i)
        m_truePeak = std::max({m_truePeak, tpL[i], tpR[i]});
    m_loudness.add(m_outL.data(), m_outR.data(), m_frameSamples);
    const int bytes =
        encode ? opus_encode_float(m_opus, pcm, m_frameSamples, m_packet.data(), static_cast<opus_int32>(m_packet.size())) : 0;
    m_fifo.erase(m_fifo.begin(), m_fifo.begin() + static_cast<std::ptrdiff_t>(need));
    m_outPosition += static_cast<quint64>(m_frameSamples);
    if (bytes < 0) return false;
    payload = QByteArray(reinterpret_cast<const char*>(m_packet.data()), bytes);
    return true;
}

QJsonObject PreviewStream::takeMeters(qint64 nowNs)
{
    m_lastMetersNs = nowNs;
    if (m_cacheMode && !m_cachedMeters.isEmpty()) { // measured by the shared render at this position
        QJsonObject o = m_cachedMeters;
        o.insert("stream", static_cast<double>(m_id));
        return o;
    }
    QJsonArray strips;
    for (const auto& s : m_player.graph().strips()) {
        auto* meter = const_cast<engine::StripMeter*>(s.meter);
        const float peak = meter->peak.exchange(0.0f);
        strips.append(QJsonObject{{"id", QString::fromStdString(s.id)},
                                  {"kind", QString::fromStdString(s.kind)},
                                  {"peakDb", std::round(db(peak) * 10) / 10},
                                  {"peakLDb", std::round(db(meter->peakL.exchange(0.0f)) * 10) / 10},
                                  {"peakRDb", std::round(db(meter->peakR.exchange(0.0f)) * 10) / 10},
                                  {"rmsDb", std::round(db(meter->rms.load()) * 10) / 10},
                                  {"grDb", std::round(meter->reduction.exchange(0.0f) * 10) / 10}}); // compressor gain reduction
    }
    auto& mm = const_cast<engine::MasterMeter&>(m_player.graph().masterMeter());
    const double tp = db(m_truePeak);
    m_truePeak = 0;
    auto finite = [](double v) { return std::isfinite(v) ? QJsonValue(std::round(v * 10) / 10) : QJsonValue(QJsonValue::Null); };
    return {{"stream", static_cast<double>(m_id)},
            {"strips", strips},
            {"master", QJsonObject{{"momentaryLufs", finite(m_loudness.momentary())},
                                   {"shortTermLufs", finite(m_loudness.shortTerm())},
                                   {"integratedLufs", finite(m_loudness.integrated())}, // since the stream started
                                   {"truePeakDbtp", finite(tp)},
                                   {"peakDb", std::round(db(mm.peak.exchange(0.0f)) * 10) / 10},
                                   {"compGrDb", std::round(mm.compReduction.exchange(0.0f) * 10) / 10},
                                   {"limiterGrDb", std::round(mm.limiterReduction.exchange(0.0f) * 10) / 10}}}};
}

} // namespace mixroom::server
