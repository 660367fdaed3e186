// SPDX-License-Identifier: MIT
#pragma once
// Lookahead brickwall limiter that holds a true-peak ceiling (measured by an independent 16x
// meter, tst_limiter) on any input. Two gain stages, each a lookahead stage: a true-peak detector
// (TruePeakDetector: 4x, long filter, parabolic peak) gives for every sample the gain that
// brings it under the stage's ceiling; a sliding minimum over the lookahead window, a one-pole
// release and a moving average over the same window make a smooth gain that has reached the
// required value when the sample leaves the stage's delay line.
// - Stage 1 (the user's lookahead and release, the standard 128-tap detector) aims 0.2 dB under
//   the ceiling.
// - Stage 2, a safety stage with a fixed 2 ms window and the long 256-tap detector, measures
//   stage 1's *output* and takes off what is still over (aiming 0.12 dB under the ceiling): a gain
//   that moves also moves the peaks between samples, by up to a few tenths of a dB with short
//   lookaheads and fast releases, and a detector misses most where its own filter is weakest,
//   which a second, different one does not share. Its corrections are small, so its own movement
//   is too.
// Fixed latency: latencySamples(). The lookahead is fixed at prepare() (changing it changes
// latency, so it is structural).
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
    static constexpr double kSafetyWindowMs = 2.0;
    void prepare(double sampleRate, double lookaheadMs);
    void setParams(const Limiter& l);
    void process(float* left, float* right, int n);
    void reset();
    // Each stage's gain for a sample is settled over its window - 1 samples after detection; a
    // shorter stage-1 window is padded by delaying the input, so the latency does not depend on
    // the lookahead.
    int latencySamples() const { return m_maxWindow - 1 + m_main.tpL.latency() + m_safety.window - 1 + m_safety.tpL.latency(); }
    // Whether `other` was prepared with the same rate and lookahead, so its state fits this one.
    bool sameShape(const LimiterDsp& other) const { return m_fs == other.m_fs && m_main.window == other.m_main.window; }
    // Largest gain reduction (dB, >= 0) since the last call. [audio thread]
    float takeMaxReduction();

  private:
    // One lookahead gain stage on a stereo pair.
    struct Stage {
        int window = 1;
        float releaseCoef = 1.0f; // 1: the gain follows the held minimum at once
        explicit Stage(TruePeakDetector::Filter filter) : tpL(filter), tpR(filter) {}
        TruePeakDetector tpL, tpR;
        std::vector<float> delayL, delayR; // window - 1 + the detector's latency
        int delayPos = 0;
        std::vector<float> dqVal; // sliding minimum: a monotonic deque in a power-of-two ring
        std::vector<long long> dqIdx;
        int dqMask = 0;
        int dqHead = 0, dqSize = 0;
        long long n = 0;
        std::vector<float> avgRing; // moving average of the released gain
        double avgSum = 0.0;
        int avgPos = 0;
        float env = 1.0f;
        float prevTp = 0.0f;
        void prepare(int windowSamples);
        void reset();
        // Limits left/right in place (n <= 256) under `ceiling` (per sample, linear), scaled
        // towards unity by `mix` (1 = limiting); returns the smallest gain applied.
        float process(float* left, float* right, int n, Ramp& ceiling, Ramp* mix);
    };
    double m_fs = 48000.0;
    int m_maxWindow = 1;
    std::vector<float> m_padL, m_padR; // input delay of m_maxWindow - m_main.window samples
    int m_padPos = 0;
    bool m_first = true;
    Ramp m_ceiling;                                   // stage 1's aim, linear
    Ramp m_safetyCeiling;                             // stage 2's
    Ramp m_mix;                                       // 1 = limiting, 0 = bypassed (delay is kept for constant latency)
    Stage m_main{TruePeakDetector::Filter::Standard}; // its misses are the safety stage's work
    Stage m_safety{TruePeakDetector::Filter::Long};
    float m_minGain = 1.0f; // smallest gain since takeMaxReduction()
    int m_rampSamples = 0;
};

} // namespace mixroom::engine
