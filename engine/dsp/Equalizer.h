// SPDX-License-Identifier: MIT
#pragma once
// Up to kMaxEqBands stereo bands. Band parameters glide (frequency in octaves, gain in dB, Q in
// log) and coefficients are recomputed every kCoeffInterval samples on a grid of absolute sample
// positions while a glide runs, so output does not depend on the block size.
// Thread: prepare() off the audio thread; setBands()/process() on the audio thread.
#include "engine/dsp/Biquad.h"
#include "engine/dsp/Ramp.h"

#include <array>

namespace mixroom::engine {

class Equalizer {
public:
    static constexpr int kCoeffInterval = 16;

    void prepare(double sampleRate);
    // Targets for each band; `count` bands are used. Starts glides for changed values.
    void setBands(const EqBand* bands, int count);
    void process(float* left, float* right, int n);
    void reset();
    bool bypassed() const;

private:
    struct Band {
        EqBand target;
        bool active = false;
        Ramp logFreq, gain, logQ;
        Biquad stage[2][2]; // [section][channel]
        int sections = 1;
        void design(double fs);
    };
    void processSpan(float* left, float* right, int n);

    double m_fs = 48000.0;
    std::array<Band, kMaxEqBands> m_bands{};
    int m_count = 0;
    long long m_pos = 0;
    int m_glideSamples = 0;
};

} // namespace mixroom::engine
