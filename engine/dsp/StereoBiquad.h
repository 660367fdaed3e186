// SPDX-License-Identifier: MIT
#pragma once
// A cascade of biquad sections processing left and right together: each section's state and
// coefficients are two-lane double vectors (one lane per channel), and every section of the
// cascade runs per sample, so the independent recurrences overlap in the CPU pipeline.
// Transposed direct form II in double, as Biquad, with fused multiply-adds.
// Thread: audio thread for process(); setCoeffs() on the audio thread between blocks.
#include "engine/dsp/Biquad.h"

#include <array>

namespace mixroom::engine {

class StereoBiquadCascade {
  public:
    static constexpr int kMaxSections = 16;
    using V2 = double __attribute__((vector_size(16)));

    // Every path computes each section with fused multiply-adds (one rounding each):
    //   y = b0 x + z1,   z1 = (b1 x + z2) - a1 y,   z2 = b2 x - a2 y
    // so the recurrence through z1 is two FMAs long. With the CPU's FMA unit where it has one
    // and a correctly rounded software fma otherwise, results are the same bits on every x86-64.
    struct Section {
        V2 b0{1, 1}, b1{0, 0}, b2{0, 0}, na1{0, 0}, na2{0, 0}; // na = -a
        V2 z1{0, 0}, z2{0, 0};
    };

    void setSection(int i, const BiquadCoeffs& c)
    {
        Section& s = m_s[static_cast<size_t>(i)];
        s.b0 = V2{c.b0, c.b0};
        s.b1 = V2{c.b1, c.b1};
        s.b2 = V2{c.b2, c.b2};
        s.na1 = V2{-c.a1, -c.a1};
        s.na2 = V2{-c.a2, -c.a2};
    }
    void resetSection(int i) { m_s[static_cast<size_t>(i)].z1 = m_s[static_cast<size_t>(i)].z2 = V2{0, 0}; }
    void setCount(int n) { m_count = n; }
    struct State {
        V2 z1{0, 0}, z2{0, 0};
    };
    State state(int i) const { return {m_s[static_cast<size_t>(i)].z1, m_s[static_cast<size_t>(i)].z2}; }
    void setState(int i, const State& st)
    {
        m_s[static_cast<size_t>(i)].z1 = st.z1;
        m_s[static_cast<size_t>(i)].z2 = st.z2;
    }
    int count() const { return m_count; }
    Section* sections() { return m_s.data(); }

    void process(float* left, float* right, int n);

    // Runs cascades over their own buffers, bit-identical to calling process() on each. Cascades
    // with the same number of sections run together so their recurrences overlap: four at a time
    // as one eight-lane chain where the CPU has AVX-512, the rest two at a time as interleaved
    // two-lane chains.
    static void processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n);
    // The same with coefficients that change within the block (automation): the block runs in
    // `spans` spans starting at start[s] (start[0] = 0), and in span s section k of cascade i
    // (for each k in `mask`) has tables[i][s * stride + column(k)]: a row holds the sections in
    // the mask, in order. Afterwards the cascades hold the last span's coefficients.
    // Bit-identical to setting them and calling process() span by span.
    struct Plan {
        int spans = 1;
        const int* start = nullptr;
        int stride = 0;
        unsigned mask = 0;
        int column(int k) const { return __builtin_popcount(mask & ((1u << k) - 1)); }
    };
    static void processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n, const Plan& plan,
                             const BiquadCoeffs* const* tables);
    // Tests only (not thread-safe): run the portable paths (software fma, no AVX-512) even where
    // the CPU has faster ones, to show that they give the same bits.
    static void useBaselineOnly(bool on);

  private:
    std::array<Section, kMaxSections> m_s{};
    int m_count = 0;
};

} // namespace mixroom::engine
