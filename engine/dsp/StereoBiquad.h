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

    // Runs cascades over their own buffers, bit-identical to calling process() on each. Cascades
    // with the same number of sections run together so their recurrences overlap: four at a time
    // as two four-lane AVX chains where the CPU has AVX, the rest two at a time as interleaved
    // two-lane chains. The arithmetic per lane is the same either way (no FMA).
    static void processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n);

  private:
    template <int N> static void runPair(StereoBiquadCascade& a, float* la, float* ra, StereoBiquadCascade& b, float* lb, float* rb, int n);
    static void pair(StereoBiquadCascade& a, float* la, float* ra, StereoBiquadCascade& b, float* lb, float* rb, int n);
    // Four cascades of N sections: two four-lane chains in one loop (AVX only).
    template <int N>
    __attribute__((target("avx"))) static void runQuadAvx(StereoBiquadCascade* const* c, float* const* l, float* const* r, int n);
    static bool quad(StereoBiquadCascade* const* c, float* const* l, float* const* r, int n);
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

template <int N>
void StereoBiquadCascade::runPair(StereoBiquadCascade& ca, float* la, float* ra, StereoBiquadCascade& cb, float* lb, float* rb, int n)
{
    Section a[N], b[N];
    for (int k = 0; k < N; ++k) {
        a[k] = ca.m_s[static_cast<size_t>(k)];
        b[k] = cb.m_s[static_cast<size_t>(k)];
    }
    for (int i = 0; i < n; ++i) {
        V2 x{la[i], ra[i]}, u{lb[i], rb[i]};
        for (int k = 0; k < N; ++k) {
            const V2 y = a[k].b0 * x + a[k].z1;
            const V2 v = b[k].b0 * u + b[k].z1;
            a[k].z1 = a[k].b1 * x - a[k].a1 * y + a[k].z2;
            b[k].z1 = b[k].b1 * u - b[k].a1 * v + b[k].z2;
            a[k].z2 = a[k].b2 * x - a[k].a2 * y;
            b[k].z2 = b[k].b2 * u - b[k].a2 * v;
            x = y;
            u = v;
        }
        la[i] = static_cast<float>(x[0]);
        ra[i] = static_cast<float>(x[1]);
        lb[i] = static_cast<float>(u[0]);
        rb[i] = static_cast<float>(u[1]);
    }
    for (int k = 0; k < N; ++k) {
        ca.m_s[static_cast<size_t>(k)].z1 = a[k].z1;
        ca.m_s[static_cast<size_t>(k)].z2 = a[k].z2;
        cb.m_s[static_cast<size_t>(k)].z1 = b[k].z1;
        cb.m_s[static_cast<size_t>(k)].z2 = b[k].z2;
    }
}

template <int N>
__attribute__((target("avx"))) void StereoBiquadCascade::runQuadAvx(StereoBiquadCascade* const* c, float* const* l, float* const* r, int n)
{
    using V4 = double __attribute__((vector_size(32)));
    struct S4 {
        V4 b0, b1, b2, a1, a2, z1, z2;
    };
    S4 s[2][N];
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < N; ++k) {
            const Section& p = c[2 * h]->m_s[static_cast<size_t>(k)];
            const Section& q = c[2 * h + 1]->m_s[static_cast<size_t>(k)];
            S4& d = s[h][k];
            d.b0 = V4{p.b0[0], p.b0[1], q.b0[0], q.b0[1]};
            d.b1 = V4{p.b1[0], p.b1[1], q.b1[0], q.b1[1]};
            d.b2 = V4{p.b2[0], p.b2[1], q.b2[0], q.b2[1]};
            d.a1 = V4{p.a1[0], p.a1[1], q.a1[0], q.a1[1]};
            d.a2 = V4{p.a2[0], p.a2[1], q.a2[0], q.a2[1]};
            d.z1 = V4{p.z1[0], p.z1[1], q.z1[0], q.z1[1]};
            d.z2 = V4{p.z2[0], p.z2[1], q.z2[0], q.z2[1]};
        }
    float *l0 = l[0], *r0 = r[0], *l1 = l[1], *r1 = r[1], *l2 = l[2], *r2 = r[2], *l3 = l[3], *r3 = r[3];
    for (int i = 0; i < n; ++i) {
        V4 x{l0[i], r0[i], l1[i], r1[i]}, u{l2[i], r2[i], l3[i], r3[i]};
        for (int k = 0; k < N; ++k) {
            S4& a = s[0][k];
            S4& b = s[1][k];
            const V4 y = a.b0 * x + a.z1;
            const V4 v = b.b0 * u + b.z1;
            a.z1 = a.b1 * x - a.a1 * y + a.z2;
            b.z1 = b.b1 * u - b.a1 * v + b.z2;
            a.z2 = a.b2 * x - a.a2 * y;
            b.z2 = b.b2 * u - b.a2 * v;
            x = y;
            u = v;
        }
        l0[i] = static_cast<float>(x[0]);
        r0[i] = static_cast<float>(x[1]);
        l1[i] = static_cast<float>(x[2]);
        r1[i] = static_cast<float>(x[3]);
        l2[i] = static_cast<float>(u[0]);
        r2[i] = static_cast<float>(u[1]);
        l3[i] = static_cast<float>(u[2]);
        r3[i] = static_cast<float>(u[3]);
    }
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < N; ++k) {
            Section& p = c[2 * h]->m_s[static_cast<size_t>(k)];
            Section& q = c[2 * h + 1]->m_s[static_cast<size_t>(k)];
            p.z1 = V2{s[h][k].z1[0], s[h][k].z1[1]};
            p.z2 = V2{s[h][k].z2[0], s[h][k].z2[1]};
            q.z1 = V2{s[h][k].z1[2], s[h][k].z1[3]};
            q.z2 = V2{s[h][k].z2[2], s[h][k].z2[3]};
        }
}

} // namespace mixroom::engine
