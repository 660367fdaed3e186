// SPDX-License-Identifier: MIT
#pragma once
// True-peak detection at 4x oversampling (ITU-R BS.1770-4 Annex 2 style): a 4-phase polyphase
// windowed-sinc interpolator, 12 taps per phase. For each input sample it returns the largest
// absolute value among the sample and the three interpolated points after it, for a point
// kLatency samples in the past.
// Thread: audio thread (no allocation).
#include <array>

namespace mixroom::engine {

class TruePeakDetector {
  public:
    static constexpr int kTaps = 12;
    static constexpr int kLatency = kTaps / 2;
    TruePeakDetector();
    void reset();
    // Pushes one sample; returns the oversampled peak magnitude around x[n - kLatency].
    float push(float x);
    // Pushes n samples; peaks[i] is what push(x[i]) would return, bit for bit. The filter runs
    // across time (vectorised over samples) instead of across phases.
    void pushBlock(const float* x, int n, float* peaks);

  private:
    using F4 = float __attribute__((vector_size(16)));
    std::array<F4, kTaps> m_lanes{};       // tap j of phases 1, 2, 3 (and 0) side by side: one vector per tap
    std::array<float, 2 * kTaps> m_hist{}; // doubled history: a contiguous window without wrapping
    int m_pos = 0;
};

} // namespace mixroom::engine
