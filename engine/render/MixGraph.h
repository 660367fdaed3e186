// SPDX-License-Identifier: MIT
#pragma once
// The mix as a processing graph built from a Session: tracks (reading their stems) -> group buses
// -> master, with sends into aux returns (reverb, delay) that return to the master. The structure
// is immutable once built; a structural edit builds a new graph off the audio thread and swaps it
// in. Scalar parameters arrive through setParams() as atomics and glide in the DSP.
// Master chain: EQ -> glue compressor -> width (M/S) -> fader -> true-peak limiter.
//
// Threads: build() and setParams() on a control thread; process()/seek() on the audio thread only
// (never allocate, lock or do I/O); meters readable from any thread.
#include "engine/dsp/Compressor.h"
#include "engine/dsp/Equalizer.h"
#include "engine/dsp/Limiter.h"
#include "engine/dsp/Reverb.h"
#include "engine/dsp/StereoDelay.h"
#include "engine/model/Session.h"
#include "engine/render/StripDsp.h"
#include "engine/stems/StemSource.h"
#include "engine/util/Result.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mixroom::engine {

using StemMap = std::map<std::string, std::shared_ptr<const StemSource>>; // track id -> stem

struct MasterMeter {
    std::atomic<float> peak{0};
    std::atomic<float> compReduction{0};
    std::atomic<float> limiterReduction{0};
};

class MixGraph {
  public:
    static constexpr int kMaxBlock = 4096;
    // Checks routing (outputs, sends) and that every track has its stem at the session rate.
    static Result<std::unique_ptr<MixGraph>> build(const Session& session, const StemMap& stems);
    ~MixGraph();

    // Publishes the scalar parameters of `session` (same structure as built). [control thread]
    void setParams(const Session& session);
    // Renders the next n (<= kMaxBlock) frames into left/right. [audio thread]
    void process(float* left, float* right, int n);
    // Moves the playhead (frames at the session rate). Effects keep ringing. [audio thread]
    void seek(int64_t frame) { m_pos = frame; }
    int64_t position() const { return m_pos; }

    int sampleRate() const { return m_rate; }
    int latency() const { return m_limiter.latencySamples(); }
    int64_t stemFrames() const { return m_stemFrames; } // the longest stem

    struct StripRef {
        std::string kind; // "track", "group", "return"
        std::string id;
        const StripMeter* meter;
    };
    std::vector<StripRef> strips() const;
    const MasterMeter& masterMeter() const { return m_masterMeter; }

  private:
    MixGraph() = default;
    struct Node;
    void pullParams();

    int m_rate = 48000;
    int64_t m_pos = 0;
    int64_t m_stemFrames = 0;
    std::vector<std::unique_ptr<Node>> m_tracks, m_groups, m_returns;
    std::vector<int> m_trackOutput; // index into m_groups, -1 for master
    std::vector<float> m_masterL, m_masterR;
    std::vector<float*> m_sendL, m_sendR; // return input buffers
    // Master
    struct MasterControls;
    std::unique_ptr<MasterControls> m_masterControls;
    int m_masterEqBands = 0;
    Equalizer m_masterEq;
    CompressorDsp m_masterComp;
    Ramp m_width, m_masterFader;
    LimiterDsp m_limiter;
    MasterMeter m_masterMeter;
    std::atomic<unsigned> m_version{0};
    unsigned m_seenVersion = ~0u;
    bool m_firstBlock = true;
};

} // namespace mixroom::engine
