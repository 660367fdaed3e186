// SPDX-License-Identifier: MIT
#pragma once
// EBU R 128 / ITU-R BS.1770 loudness through libebur128: momentary, short-term, integrated
// loudness and loudness range of a stereo signal; sample peak and true peak (TruePeakDetector,
// 4x with a long filter and parabolic peaks: within 0.05 dB of a 16x reference) are ours.
// Thread: one non-audio thread (libebur128 may allocate).
#include <cmath>
#include <memory>

namespace mixroom::engine {

struct LoudnessReport {
    double integrated = -HUGE_VAL; // LUFS
    double range = 0;              // LU
    double truePeak = -HUGE_VAL;   // dBTP
    double samplePeak = -HUGE_VAL; // dBFS
    double maxMomentary = -HUGE_VAL;
    double maxShortTerm = -HUGE_VAL;
    double seconds = 0;
};

class LoudnessMeter {
  public:
    // Full: everything in the report. Live (preview streams, read ten times a second): momentary,
    // short-term and integrated only. libebur128 K-weights and measures each 100 ms slice once;
    // momentary and short-term are the means of the last 4 and 30 slice energies (equal-length
    // windows, so the same value as libebur128's 400 ms / 3 s windows at slice boundaries) instead
    // of re-summing 3 s of audio per reading. A preview stream measures its own true peak.
    enum class Mode { Full, Live };
    explicit LoudnessMeter(int sampleRate, Mode mode = Mode::Full);
    ~LoudnessMeter();
    void add(const float* left, const float* right, int n);
    double momentary() const;
    double shortTerm() const;
    double integrated() const; // gated, since construction
    LoudnessReport report() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace mixroom::engine
