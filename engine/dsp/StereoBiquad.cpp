// SPDX-License-Identifier: MIT
#include "engine/dsp/StereoBiquad.h"

#include <immintrin.h>

namespace mixroom::engine {

namespace {
using V2 = StereoBiquadCascade::V2;
using Section = StereoBiquadCascade::Section;

bool g_baselineOnly = false; // tests: the portable paths on this CPU

bool cpuHasFma()
{
    static const bool fma = __builtin_cpu_supports("fma");
    return fma && !g_baselineOnly;
}
bool cpuHasAvx512()
{
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    return avx512 && !g_baselineOnly;
}

// a * b + c per lane with one rounding: an FMA instruction where the caller's target has FMA,
// else glibc's correctly rounded fma().
[[gnu::always_inline]] inline V2 fma2(V2 a, V2 b, V2 c)
{
    return V2{__builtin_fma(a[0], b[0], c[0]), __builtin_fma(a[1], b[1], c[1])};
}
[[gnu::always_inline]] inline V2 step(Section& s, V2 x)
{
    const V2 y = fma2(s.b0, x, s.z1);
    s.z1 = fma2(s.na1, y, fma2(s.b1, x, s.z2));
    s.z2 = fma2(s.na2, y, s.b2 * x);
    return y;
}

// One cascade of N sections (N = 0: m sections, not known at compile time).
template <int N> [[gnu::always_inline]] inline void oneBody(Section* sec, int m, float* left, float* right, int n)
{
    constexpr int kCap = N > 0 ? N : StereoBiquadCascade::kMaxSections;
    const int count = N > 0 ? N : m;
    Section s[kCap];
    for (int k = 0; k < count; ++k)
        s[k] = sec[k];
    for (int i = 0; i < n; ++i) {
        V2 x{left[i], right[i]};
        for (int k = 0; k < count; ++k)
            x = step(s[k], x);
        left[i] = static_cast<float>(x[0]);
        right[i] = static_cast<float>(x[1]);
    }
    for (int k = 0; k < count; ++k) {
        sec[k].z1 = s[k].z1;
        sec[k].z2 = s[k].z2;
    }
}
template <int N> void oneBase(Section* sec, int m, float* l, float* r, int n)
{
    oneBody<N>(sec, m, l, r, n);
}
template <int N> __attribute__((target("fma"))) void oneFma(Section* sec, int m, float* l, float* r, int n)
{
    oneBody<N>(sec, m, l, r, n);
}
template <int N> void one(Section* sec, int m, float* l, float* r, int n)
{
    if (cpuHasFma())
        oneFma<N>(sec, m, l, r, n);
    else
        oneBase<N>(sec, m, l, r, n);
}

// Two cascades of N sections as two interleaved chains.
template <int N> [[gnu::always_inline]] inline void pairBody(Section* sa, float* la, float* ra, Section* sb, float* lb, float* rb, int n)
{
    Section a[N], b[N];
    for (int k = 0; k < N; ++k) {
        a[k] = sa[k];
        b[k] = sb[k];
    }
    for (int i = 0; i < n; ++i) {
        V2 x{la[i], ra[i]}, u{lb[i], rb[i]};
        for (int k = 0; k < N; ++k) {
            x = step(a[k], x);
            u = step(b[k], u);
        }
        la[i] = static_cast<float>(x[0]);
        ra[i] = static_cast<float>(x[1]);
        lb[i] = static_cast<float>(u[0]);
        rb[i] = static_cast<float>(u[1]);
    }
    for (int k = 0; k < N; ++k) {
        sa[k].z1 = a[k].z1;
        sa[k].z2 = a[k].z2;
        sb[k].z1 = b[k].z1;
        sb[k].z2 = b[k].z2;
    }
}
template <int N> void pairBase(Section* sa, float* la, float* ra, Section* sb, float* lb, float* rb, int n)
{
    pairBody<N>(sa, la, ra, sb, lb, rb, n);
}
template <int N> __attribute__((target("fma"))) void pairFma(Section* sa, float* la, float* ra, Section* sb, float* lb, float* rb, int n)
{
    pairBody<N>(sa, la, ra, sb, lb, rb, n);
}
template <int N> void pair(Section* sa, float* la, float* ra, Section* sb, float* lb, float* rb, int n)
{
    if (cpuHasFma())
        pairFma<N>(sa, la, ra, sb, lb, rb, n);
    else
        pairBase<N>(sa, la, ra, sb, lb, rb, n);
}

// In place: row[t][j] becomes row[j][t].
__attribute__((target("avx"))) inline void transpose8(__m256* row)
{
    __m256 t[8], u[8];
    for (int k = 0; k < 4; ++k) {
        t[2 * k] = _mm256_unpacklo_ps(row[2 * k], row[2 * k + 1]);
        t[2 * k + 1] = _mm256_unpackhi_ps(row[2 * k], row[2 * k + 1]);
    }
    for (int h = 0; h < 2; ++h) {
        u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; ++k) {
        row[k] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
        row[k + 4] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
    }
}

// One sample through N sections, eight lanes: the same fused operations per lane as step().
template <int N>
__attribute__((target("avx512f,fma"), always_inline)) inline __m512d
run8(__m512d x, const __m512d* b0, const __m512d* b1, const __m512d* b2, const __m512d* na1, const __m512d* na2, __m512d* z1, __m512d* z2)
{
    for (int k = 0; k < N; ++k) {
        const __m512d y = _mm512_fmadd_pd(b0[k], x, z1[k]);
        z1[k] = _mm512_fmadd_pd(na1[k], y, _mm512_fmadd_pd(b1[k], x, z2[k]));
        z2[k] = _mm512_fmadd_pd(na2[k], y, _mm512_mul_pd(b2[k], x));
        x = y;
    }
    return x;
}

// Four cascades of N sections as one eight-lane chain (AVX-512): 5 N coefficient and 2 N state
// registers, so nothing spills. The same fused operations per lane as step(). With a plan, the
// block runs in spans, and the sections in `plan.mask` take each span's coefficients from the
// cascades' tables (automation), the state staying in registers throughout.
template <int N>
__attribute__((target("avx512f,fma"))) void quadAvx512(Section* const* c, float* const* l, float* const* r, int n,
                                                       const StereoBiquadCascade::Plan& plan, const BiquadCoeffs* const* tables)
{
    __m512d b0[N], b1[N], b2[N], na1[N], na2[N], z1[N], z2[N];
    V2 Section::*const fields[7] = {&Section::b0, &Section::b1, &Section::b2, &Section::na1, &Section::na2, &Section::z1, &Section::z2};
    __m512d* wide[7] = {b0, b1, b2, na1, na2, z1, z2};
    for (int k = 0; k < N; ++k)
        for (int f = 0; f < 7; ++f) {
            alignas(64) double lanes[8];
            for (int j = 0; j < 4; ++j) {
                const V2 v = c[j][k].*fields[f];
                lanes[2 * j] = v[0];
                lanes[2 * j + 1] = v[1];
            }
            wide[f][k] = _mm512_load_pd(lanes);
        }
    using F8 = float __attribute__((vector_size(32)));
    using D8 = double __attribute__((vector_size(64)));
    float* ch[8] = {l[0], r[0], l[1], r[1], l[2], r[2], l[3], r[3]}; // lane order
    for (int s = 0; s < plan.spans; ++s) {
        const int from = plan.start[s], to = s + 1 < plan.spans ? plan.start[s + 1] : n;
        if (tables)
            for (int k = 0; k < N; ++k) {
                if (!(plan.mask & (1u << k))) continue;
                const BiquadCoeffs* q[4];
                for (int j = 0; j < 4; ++j)
                    q[j] = &tables[j][s * plan.stride + plan.column(k)];
                using D8v = double __attribute__((vector_size(64)));
                // Each cascade's value in its two lanes, built in registers (scalars stored and
                // loaded as a vector would stall store forwarding at every span).
                b0[k] = __m512d(D8v{q[0]->b0, q[0]->b0, q[1]->b0, q[1]->b0, q[2]->b0, q[2]->b0, q[3]->b0, q[3]->b0});
                b1[k] = __m512d(D8v{q[0]->b1, q[0]->b1, q[1]->b1, q[1]->b1, q[2]->b1, q[2]->b1, q[3]->b1, q[3]->b1});
                b2[k] = __m512d(D8v{q[0]->b2, q[0]->b2, q[1]->b2, q[1]->b2, q[2]->b2, q[2]->b2, q[3]->b2, q[3]->b2});
                na1[k] = __m512d(-D8v{q[0]->a1, q[0]->a1, q[1]->a1, q[1]->a1, q[2]->a1, q[2]->a1, q[3]->a1, q[3]->a1});
                na2[k] = __m512d(-D8v{q[0]->a2, q[0]->a2, q[1]->a2, q[1]->a2, q[2]->a2, q[2]->a2, q[3]->a2, q[3]->a2});
            }
        // Eight samples at a time: an 8x8 transpose turns eight channels' runs into eight
        // samples' lane vectors (and back), instead of gathering and scattering lane by lane.
        int i = from;
        for (; i + 8 <= to; i += 8) {
            __m256 row[8];
            for (int j = 0; j < 8; ++j)
                row[j] = _mm256_loadu_ps(ch[j] + i);
            transpose8(row);
            for (int t = 0; t < 8; ++t) {
                const __m512d x = __builtin_convertvector(F8(row[t]), D8);
                row[t] = __m256(__builtin_convertvector(D8(run8<N>(x, b0, b1, b2, na1, na2, z1, z2)), F8));
            }
            transpose8(row);
            for (int j = 0; j < 8; ++j)
                _mm256_storeu_ps(ch[j] + i, row[j]);
        }
        for (; i < to; ++i) {
            const F8 in{ch[0][i], ch[1][i], ch[2][i], ch[3][i], ch[4][i], ch[5][i], ch[6][i], ch[7][i]};
            const __m512d x = __builtin_convertvector(in, D8);
            const F8 out = __builtin_convertvector(D8(run8<N>(x, b0, b1, b2, na1, na2, z1, z2)), F8);
            for (int j = 0; j < 8; ++j)
                ch[j][i] = out[j];
        }
    }
    alignas(64) double s1[8], s2[8];
    for (int k = 0; k < N; ++k) {
        _mm512_store_pd(s1, z1[k]);
        _mm512_store_pd(s2, z2[k]);
        for (int j = 0; j < 4; ++j) {
            c[j][k].z1 = V2{s1[2 * j], s1[2 * j + 1]};
            c[j][k].z2 = V2{s2[2 * j], s2[2 * j + 1]};
        }
    }
}
} // namespace

void StereoBiquadCascade::useBaselineOnly(bool on)
{
    g_baselineOnly = on;
}

void StereoBiquadCascade::process(float* left, float* right, int n)
{
    Section* s = m_s.data();
    switch (m_count) { // fixed counts let the compiler keep the whole cascade in registers
    case 0: return;
    case 1: return one<1>(s, 1, left, right, n);
    case 2: return one<2>(s, 2, left, right, n);
    case 3: return one<3>(s, 3, left, right, n);
    case 4: return one<4>(s, 4, left, right, n);
    case 5: return one<5>(s, 5, left, right, n);
    case 6: return one<6>(s, 6, left, right, n);
    default: return one<0>(s, m_count, left, right, n);
    }
}

namespace {
void pairOf(StereoBiquadCascade& a, float* la, float* ra, StereoBiquadCascade& b, float* lb, float* rb, int n)
{
    Section *sa = a.sections(), *sb = b.sections();
    switch (a.count()) { // equal counts here
    case 1: return pair<1>(sa, la, ra, sb, lb, rb, n);
    case 2: return pair<2>(sa, la, ra, sb, lb, rb, n);
    case 3: return pair<3>(sa, la, ra, sb, lb, rb, n);
    case 4: return pair<4>(sa, la, ra, sb, lb, rb, n);
    case 5: return pair<5>(sa, la, ra, sb, lb, rb, n);
    case 6: return pair<6>(sa, la, ra, sb, lb, rb, n);
    default: a.process(la, ra, n); b.process(lb, rb, n);
    }
}

bool quadOf(StereoBiquadCascade* const* c, float* const* l, float* const* r, int n, const StereoBiquadCascade::Plan& plan,
            const BiquadCoeffs* const* tables)
{
    if (!cpuHasAvx512()) return false;
    Section* s[4] = {c[0]->sections(), c[1]->sections(), c[2]->sections(), c[3]->sections()};
    switch (c[0]->count()) { // equal counts here
    case 1: quadAvx512<1>(s, l, r, n, plan, tables); return true;
    case 2: quadAvx512<2>(s, l, r, n, plan, tables); return true;
    case 3: quadAvx512<3>(s, l, r, n, plan, tables); return true;
    case 4: quadAvx512<4>(s, l, r, n, plan, tables); return true;
    case 5: quadAvx512<5>(s, l, r, n, plan, tables); return true;
    case 6: quadAvx512<6>(s, l, r, n, plan, tables); return true;
    default: return false;
    }
}
} // namespace

void StereoBiquadCascade::processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n)
{
    const int start = 0;
    processGroup(c, left, right, count, n, Plan{1, &start, 0, 0}, nullptr);
}

void StereoBiquadCascade::processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n,
                                       const Plan& plan, const BiquadCoeffs* const* tables)
{
    // Quads, then pairs, of cascades of equal length (in order); the rest run alone.
    constexpr int kMax = 64;
    bool done[kMax] = {};
    for (int i = 0; i < count && i < kMax; ++i) {
        if (done[i] || c[i]->m_count == 0) continue;
        int pick[4] = {i, -1, -1, -1};
        int found = 1;
        for (int j = i + 1; j < count && j < kMax && found < 4; ++j)
            if (!done[j] && c[j]->m_count == c[i]->m_count) pick[found++] = j;
        if (found < 4) continue;
        StereoBiquadCascade* cs[4];
        float* ls[4];
        float* rs[4];
        const BiquadCoeffs* ts[4] = {};
        for (int k = 0; k < 4; ++k) {
            cs[k] = c[pick[k]];
            ls[k] = left[pick[k]];
            rs[k] = right[pick[k]];
            if (tables) ts[k] = tables[pick[k]];
        }
        if (!quadOf(cs, ls, rs, n, plan, tables ? ts : nullptr)) break; // no AVX-512 or too long: pairs below
        for (int k = 0; k < 4; ++k)
            done[pick[k]] = true;
    }
    // The rest span by span, each span's planned coefficients set before it runs.
    bool rest = false;
    for (int i = 0; i < count && i < kMax; ++i)
        rest = rest || (!done[i] && c[i]->m_count > 0);
    for (int s = 0; s < plan.spans && rest; ++s) {
        const int from = plan.start[s], to = s + 1 < plan.spans ? plan.start[s + 1] : n;
        if (tables)
            for (int i = 0; i < count && i < kMax; ++i)
                if (!done[i])
                    for (int k = 0; k < c[i]->m_count; ++k)
                        if (plan.mask & (1u << k)) c[i]->setSection(k, tables[i][s * plan.stride + plan.column(k)]);
        bool paired[kMax] = {};
        for (int i = 0; i < count && i < kMax; ++i) {
            if (done[i] || paired[i] || c[i]->m_count == 0) continue;
            paired[i] = true;
            int j = i + 1;
            while (j < count && j < kMax && (done[j] || paired[j] || c[j]->m_count != c[i]->m_count))
                ++j;
            if (j < count && j < kMax) {
                paired[j] = true;
                pairOf(*c[i], left[i] + from, right[i] + from, *c[j], left[j] + from, right[j] + from, to - from);
            } else {
                c[i]->process(left[i] + from, right[i] + from, to - from);
            }
        }
    }
    // The cascades keep the last span's coefficients.
    if (tables)
        for (int i = 0; i < count && i < kMax; ++i)
            if (done[i])
                for (int k = 0; k < c[i]->m_count; ++k)
                    if (plan.mask & (1u << k)) c[i]->setSection(k, tables[i][(plan.spans - 1) * plan.stride + plan.column(k)]);
}

} // namespace mixroom::engine
