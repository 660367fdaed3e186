// SPDX-License-Identifier: MIT
#pragma once
// EBU R 128 / ITU-R BS.1770 loudness through libebur128: momentary, short-term, integrated
// loudness, loudness range, sample peak and true peak of a stereo signal.
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
    explicit LoudnessMeter(int sampleRate);
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
