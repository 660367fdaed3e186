// SPDX-License-Identifier: MIT
#pragma once
// True-peak detection (ITU-R BS.1770-4 Annex 2, with a far better interpolator than its example).
// 4x oversampling in two half-band stages: the half-sample points by a Kaiser-windowed sinc of
// 128 or 256 taps (flat within 0.001 dB to 0.95 or 0.975 of Nyquist, images 80 dB down), then the quarter
// points of that 2x signal by a short one of kTapsB taps (its content is below half its Nyquist,
// so a short filter is exact enough). A parabola through each local maximum of the 4x magnitude
// and its two neighbours then recovers the peak between the 4x points: 4x points alone miss up
// to 0.69 dB near Nyquist, the parabola leaves at most 0.073 dB (at Nyquist), under 0.01 dB below
// half Nyquist. For each input sample it returns the peak of the interval from x[n - latency()] to
// the next sample. Checked against an independent 16x reference in tst_limiter.
// Thread: audio thread (no allocation).
#include <array>

namespace mixroom::engine {

class TruePeakDetector {
  public:
    static constexpr int kMaxTapsA = 256;
    static constexpr int kTapsB = 16;
    // Standard: 128 taps in stage A (within 0.04 dB of the 16x reference on white noise, exact
    // on tones). Long: 256 taps, flat to 0.975 of Nyquist, for the limiter's safety stage. On
    // broadband content the last few percent below Nyquist decide the peak, and filters of
    // different lengths read them differently; the stage that guarantees the ceiling uses the
    // longer one.
    enum class Filter { Standard, Long };
    explicit TruePeakDetector(Filter filter = Filter::Standard);
    // The detector's delay: peaks[i] is about x[i - latency()].
    int latency() const { return m_tapsA / 2 + kTapsB / 4; }
    void reset();
    // Pushes one sample; returns the peak magnitude of the interval after x[n - latency()].
    float push(float x);
    // Pushes n samples; peaks[i] is what push(x[i]) would return, bit for bit.
    void pushBlock(const float* x, int n, float* peaks);

    // The half-sample filter's implementations. They do the same operations per output (fused
    // multiply-adds in one order), so every one gives the same bits; Auto picks the fastest this
    // CPU runs. Portable is std::fma per sample (slow where the CPU has no FMA). For tests.
    enum class Kernel { Auto, Avx512, Avx2, Portable };
    static bool kernelAvailable(Kernel kernel);
    bool useKernel(Kernel kernel); // false (and unchanged) when this CPU cannot run it

  private:
    int m_tapsA = 128;
    void (*m_halfSample)(const float* x, const float* a, int taps, float* out, int m) = nullptr;
    std::array<float, kMaxTapsA> m_a{}; // half-sample taps, oldest input first
    std::array<float, kTapsB> m_b{};    // quarter-sample taps on the 2x signal, oldest first
    // Inputs, oldest first: the last m_tapsA - 1 before m_fill are the history; slack after the
    // capacity lets stage A's whole blocks read past a chunk's end.
    static constexpr int kInCapacity = 4096;
    std::array<float, kInCapacity + 128> m_in{};
    int m_fill = kMaxTapsA - 1;
    std::array<float, kTapsB / 2> m_histP{}; // the 2x signal's last even points (delayed inputs)
    std::array<float, kTapsB / 2> m_histM{}; // and its last odd points (half-sample points)
    float m_lastQ = 0.0f;                    // the last 4x point of the previous sample
};

} // namespace mixroom::engine
