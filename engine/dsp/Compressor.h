// SPDX-License-Identifier: MIT
#pragma once
// Feed-forward stereo-linked compressor after Giannoulis, Massberg & Reiss, "Digital Dynamic Range
// Compressor Design — A Tutorial and Analysis" (JAES 2012): a soft-knee gain computer in the log
// domain, then a smooth branching peak detector on the gain reduction (attack/release).
// Peak detection uses max(|L|,|R|); RMS detection a 10 ms mean-square average.
// Thread: prepare() off the audio thread; setParams()/process() on the audio thread.
#include "engine/dsp/Ramp.h"
#include "engine/model/Session.h"

namespace mixroom::engine {

// The static curve: output level in dB for an input level in dB.
double compressorCurve(double inDb, double threshold, double ratio, double knee);

class CompressorDsp {
  public:
    void prepare(double sampleRate);
    void setParams(const Compressor& c);
    // The glide of the next setParams() calls (mix, makeup) in samples; -1: the default.
    void setGlide(int samples) { m_rampSamples = samples < 0 ? m_defaultRamp : samples; }
    void process(float* left, float* right, int n);
    // Several compressors over their own buffers, bit-identical to calling process() on each; the
    // serial smoothing runs four strips per SIMD register. count <= kMaxGroup.
    static constexpr int kMaxGroup = 16;
    static void processGroup(CompressorDsp* const* comps, float* const* left, float* const* right, int count, int n);
    void reset();
    bool bypassed() const { return !m_params.enabled && !m_mix.active() && m_mix.value() == 0.0; }
    // Largest gain reduction (dB, >= 0) since the last call. [audio thread]
    float takeMaxReduction();

  private:
    static constexpr int kChunk = 64;
    static constexpr float kDbPerOctave = 6.0205999f; // 20 log10(2)
    static constexpr float kOctavesPerDb = 1.0f / kDbPerOctave;
    struct Consts {
        float T, W, slope, kneeAt, dbScale, kneeCoef, steadyMakeup;
        bool kneeOn, rms, steadyMix;
    };
    Consts consts() const;
    void detect(const Consts& k, const float* L, const float* R, int m, float* buf);
    void smooth(float* buf, int m);
    template <int Q> static void smoothQuads(CompressorDsp* const* c, float* const* buf, int m);
    void apply(const Consts& k, float* L, float* R, int m, const float* buf);

    double m_fs = 48000.0;
    Compressor m_params;
    float m_aA = 0, m_aR = 0, m_aRms = 0;
    float m_reduction = 0; // smoothed gain reduction, dB
    float m_meanSquare = 0;
    float m_maxReduction = 0;
    Ramp m_makeup; // linear gain
    Ramp m_mix;    // 0 = bypassed, 1 = in circuit (crossfade on enable/disable)
    int m_rampSamples = 0, m_defaultRamp = 0;
};

} // namespace mixroom::engine
