// SPDX-License-Identifier: MIT
#pragma once
// Up to kMaxEqBands stereo bands. Band parameters glide (frequency in octaves, gain in dB, Q in
// log) and coefficients are recomputed every kCoeffInterval samples on a grid of absolute sample
// positions while a glide runs, so output does not depend on the block size. The active bands'
// sections run as one stereo cascade (StereoBiquadCascade).
// Thread: prepare() off the audio thread; setBands()/process() on the audio thread.
#include "engine/dsp/Ramp.h"
#include "engine/dsp/StereoBiquad.h"
#include "engine/model/Session.h"

#include <array>

namespace mixroom::engine {

class Equalizer {
  public:
    static constexpr int kCoeffInterval = 16;

    void prepare(double sampleRate);
    // Targets for each band; `count` bands are used. Starts glides for changed values.
    void setBands(const EqBand* bands, int count);
    // The glide of the next setBands() calls in samples; -1: the default (kRampSeconds).
    // Automation glides over its control grid instead, so the curve is followed, not lagged.
    void setGlide(int samples) { m_glideSamples = samples < 0 ? m_defaultGlide : samples; }
    // Automation (issue 17) of band parameters in the coming block: at offsets[k] (increasing,
    // within the block, on the graph's grid) each automated parameter glides to its step-k value
    // over glides[k] samples (the grid interval; a lane's jumps come already declicked), so the
    // band's coefficients from offsets[k] on are designed from the step's values. The arrays stay
    // valid until the block is processed; the graph sets or clears the schedule before every block.
    struct Schedule {
        struct Band {
            int band = 0;
            const double* freq = nullptr; // Hz; null: not automated
            const double* gain = nullptr; // dB
            const double* q = nullptr;
        };
        int steps = 0;
        const int* offsets = nullptr;
        const int* glides = nullptr;
        const Band* bands = nullptr;
        int bandCount = 0;
        // Scratch for processGroup(): kPlanSpans rows as long as the longest cascade of the graph.
        BiquadCoeffs* plan = nullptr;
    };
    static constexpr int kPlanSpans = 272;
    void setSchedule(const Schedule* s) { m_schedule = s; }
    void process(float* left, float* right, int n);
    // Several equalizers over their own buffers, bit-identical to process() on each; settled
    // ones run their cascades together (StereoBiquadCascade::processGroup). count <= 64.
    static void processGroup(Equalizer* const* eqs, float* const* left, float* const* right, int count, int n);
    void reset();
    bool bypassed() const { return m_cascade.count() == 0; }

  private:
    struct Band {
        EqBand target;
        bool active = false;
        Ramp logFreq, gain, logQ;
        int sections = 1;
        int offset = -1; // first section in the cascade, -1 when not in circuit
        // The last design's frequency and Q terms: a glide of the gain alone reuses them.
        double designedLogFreq = 0, designedLogQ = 0, cw = 0, alpha = 0;
        bool designed = false;
        bool gliding() const { return active && (logFreq.active() || gain.active() || logQ.active()); }
    };
    void design(Band& b);
    BiquadTerms terms(Band& b); // the band's frequency and Q terms, cached
    void relayout();
    void applyStep(int k);
    // Coefficients of the scheduled bands for every step of the block, straight from the step's
    // values (no band glides from an edit at the same time), into the plan's rows 1 + k (row 0:
    // the span before the first step), each section at its column of `mask`.
    void planSteps(int stride, unsigned mask);
    unsigned scheduledSections() const; // the sections planSteps() writes
    // At a point of the coefficient grid: advances the gliding bands' glides over the next
    // interval and designs them.
    void glideStep();
    bool gliding() const;

    double m_fs = 48000.0;
    std::array<Band, kMaxEqBands> m_bands{};
    int m_count = 0;
    long long m_pos = 0;
    int m_glideSamples = 0, m_defaultGlide = 0;
    StereoBiquadCascade m_cascade;
    const Schedule* m_schedule = nullptr;
};

} // namespace mixroom::engine
