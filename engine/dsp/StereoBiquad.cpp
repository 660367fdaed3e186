// SPDX-License-Identifier: MIT
#include "engine/dsp/StereoBiquad.h"

namespace mixroom::engine {

namespace {
bool cpuHasAvx()
{
    static const bool avx = __builtin_cpu_supports("avx");
    return avx;
}
} // namespace

void StereoBiquadCascade::pair(StereoBiquadCascade& a, float* la, float* ra, StereoBiquadCascade& b, float* lb, float* rb, int n)
{
    switch (a.m_count) { // equal counts here
    case 1: return runPair<1>(a, la, ra, b, lb, rb, n);
    case 2: return runPair<2>(a, la, ra, b, lb, rb, n);
    case 3: return runPair<3>(a, la, ra, b, lb, rb, n);
    case 4: return runPair<4>(a, la, ra, b, lb, rb, n);
    case 5: return runPair<5>(a, la, ra, b, lb, rb, n);
    case 6: return runPair<6>(a, la, ra, b, lb, rb, n);
    default: a.process(la, ra, n); b.process(lb, rb, n);
    }
}

bool StereoBiquadCascade::quad(StereoBiquadCascade* const* c, float* const* l, float* const* r, int n)
{
    if (!cpuHasAvx()) return false;
    switch (c[0]->m_count) { // equal counts here
    case 1: runQuadAvx<1>(c, l, r, n); return true;
    case 2: runQuadAvx<2>(c, l, r, n); return true;
    case 3: runQuadAvx<3>(c, l, r, n); return true;
    case 4: runQuadAvx<4>(c, l, r, n); return true;
    case 5: runQuadAvx<5>(c, l, r, n); return true;
    case 6: runQuadAvx<6>(c, l, r, n); return true;
    default: return false;
    }
}

void StereoBiquadCascade::processGroup(StereoBiquadCascade* const* c, float* const* left, float* const* right, int count, int n)
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
        for (int k = 0; k < 4; ++k) {
            cs[k] = c[pick[k]];
            ls[k] = left[pick[k]];
            rs[k] = right[pick[k]];
        }
        if (!quad(cs, ls, rs, n)) break; // no AVX or too long: pairs below
        for (int k = 0; k < 4; ++k)
            done[pick[k]] = true;
    }
    for (int i = 0; i < count && i < kMax; ++i) {
        if (done[i] || c[i]->m_count == 0) continue;
        done[i] = true;
        int j = i + 1;
        while (j < count && j < kMax && (done[j] || c[j]->m_count != c[i]->m_count))
            ++j;
        if (j < count && j < kMax) {
            done[j] = true;
            pair(*c[i], left[i], right[i], *c[j], left[j], right[j], n);
        } else {
            c[i]->process(left[i], right[i], n);
        }
    }
}

} // namespace mixroom::engine
