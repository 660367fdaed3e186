// SPDX-License-Identifier: MIT
#pragma once
// Lookahead brickwall limiter with true-peak detection (4x oversampling). For each sample the
// required gain is min(1, ceiling / truePeak); a sliding minimum over the lookahead window, a
// one-pole release and a moving average over the same window give a smooth gain that has reached
// the required value when the peak leaves the delay line. Fixed latency: latencySamples().
// The lookahead is fixed at prepare() (changing it changes latency, so it is structural).
// Thread: prepare() off the audio thread; setParams()/process() on the audio thread.
#include "engine/dsp/Ramp.h"
#include "engine/dsp/TruePeak.h"
#include "engine/model/Session.h"

#include <vector>

namespace mixroom::engine {

class LimiterDsp {
  public:
    // The largest lookahead (the field table's maximum): the latency is always that of this
    // lookahead, so graphs with different lookaheads put their output at the same time.
    static constexpr double kMaxLookaheadMs = 10.0;
    void prepare(double sampleRate, double lookaheadMs);
    void setParams(const Limiter& l);
    void process(float* left, float* right, int n);
    void reset();
    // The gain for a sample is settled over the window - 1 samples after its detection; a shorter
    // window is padded by delaying the input, so the latency does not depend on the lookahead.
    int latencySamples() const { return m_maxWindow - 1 + TruePeakDetector::kLatency; }
    // Whether `other` was prepared with the same rate and lookahead, so its state fits this one.
    bool sameShape(const LimiterDsp& other) const { return m_fs == other.m_fs && m_window == other.m_window; }
    // Largest gain reduction (dB, >= 0) since the last call. [audio thread]
    float takeMaxReduction();

  private:
    void processChunk(float* left, float* right, int n, const float* tpL, const float* tpR);
    double m_fs = 48000.0;
    int m_window = 1; // lookahead in samples
    int m_maxWindow = 1;
    std::vector<float> m_padL, m_padR; // input delay of m_maxWindow - m_window samples
    int m_padPos = 0;
    bool m_first = true;
    Ramp m_ceiling; // linear
    Ramp m_mix;     // 1 = limiting, 0 = bypassed (delay is kept for constant latency)
    float m_releaseCoef = 0.0f;
    TruePeakDetector m_tpL, m_tpR;
    std::vector<float> m_delayL, m_delayR; // audio delay: window + detector latency
    int m_delayPos = 0;
    // Sliding minimum (monotonic deque in a ring of m_window + 1 entries).
    std::vector<float> m_dqVal;
    std::vector<long long> m_dqIdx;
    int m_dqHead = 0, m_dqSize = 0;
    long long m_n = 0;
    std::vector<float> m_avgRing; // moving average of the released gain
    double m_avgSum = 0.0;
    int m_avgPos = 0;
    float m_env = 1.0f;
    float m_prevTp = 0.0f;
    float m_minGain = 1.0f; // smallest gain since takeMaxReduction()
    int m_rampSamples = 0;
};

} // namespace mixroom::engine
