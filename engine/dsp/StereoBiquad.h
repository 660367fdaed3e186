// SPDX-License-Identifier: MIT
#pragma once
// A cascade of biquad sections processing left and right together: each section's state and
// coefficients are two-lane double vectors (one lane per channel), and every section of the
// cascade runs per sample, so the independent recurrences overlap in the CPU pipeline.
// Same arithmetic as Biquad (transposed direct form II in double).
// Thread: audio thread for process(); setCoeffs() on the audio thread between blocks.
#include "engine/dsp/Biquad.h"

#include <array>

namespace mixroom::engine {

class StereoBiquadCascade {
  public:
    static constexpr int kMaxSections = 16;
    using V2 = double __attribute__((vector_size(16)));

    void setSection(int i, const BiquadCoeffs& c)
    {
        Section& s = m_s[static_cast<size_t>(i)];
        s.b0 = V2{c.b0, c.b0};
        s.b1 = V2{c.b1, c.b1};
        s.b2 = V2{c.b2, c.b2};
        s.a1 = V2{c.a1, c.a1};
        s.a2 = V2{c.a2, c.a2};
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

    void process(float* left, float* right, int n)
    {
        switch (m_count) { // fixed counts let the compiler keep the whole cascade in registers
        case 0: return;
        case 1: run<1>(left, right, n); return;
        case 2: run<2>(left, right, n); return;
        case 3: run<3>(left, right, n); return;
        case 4: run<4>(left, right, n); return;
        case 5: run<5>(left, right, n); return;
        case 6: run<6>(left, right, n); return;
        default: runAny(left, right, n); return;
        }
    }

  private:
    struct Section {
        V2 b0{1, 1}, b1{0, 0}, b2{0, 0}, a1{0, 0}, a2{0, 0};
        V2 z1{0, 0}, z2{0, 0};
    };
    template <int N> void run(float* left, float* right, int n)
    {
        Section s[N];
        for (int k = 0; k < N; ++k)
            s[k] = m_s[static_cast<size_t>(k)];
        for (int i = 0; i < n; ++i) {
            V2 x{left[i], right[i]};
            for (int k = 0; k < N; ++k) {
                const V2 y = s[k].b0 * x + s[k].z1;
                s[k].z1 = s[k].b1 * x - s[k].a1 * y + s[k].z2;
                s[k].z2 = s[k].b2 * x - s[k].a2 * y;
                x = y;
            }
            left[i] = static_cast<float>(x[0]);
            right[i] = static_cast<float>(x[1]);
        }
        for (int k = 0; k < N; ++k) {
            m_s[static_cast<size_t>(k)].z1 = s[k].z1;
            m_s[static_cast<size_t>(k)].z2 = s[k].z2;
        }
    }
    void runAny(float* left, float* right, int n)
    {
        for (int i = 0; i < n; ++i) {
            V2 x{left[i], right[i]};
            for (int k = 0; k < m_count; ++k) {
                Section& s = m_s[static_cast<size_t>(k)];
                const V2 y = s.b0 * x + s.z1;
                s.z1 = s.b1 * x - s.a1 * y + s.z2;
                s.z2 = s.b2 * x - s.a2 * y;
                x = y;
            }
            left[i] = static_cast<float>(x[0]);
            right[i] = static_cast<float>(x[1]);
        }
    }

    std::array<Section, kMaxSections> m_s{};
    int m_count = 0;
};

} // namespace mixroom::engine
