// SPDX-License-Identifier: MIT
#include "engine/dsp/Compressor.h"

#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

double compressorCurve(double x, double T, double R, double W)
{
    const double over = x - T;
    if (2.0 * over < -W) return x;
    if (W > 0.0 && 2.0 * std::abs(over) <= W) {
        const double k = over + W / 2.0;
        return x + (1.0 / R - 1.0) * k * k / (2.0 * W);
    }
    return T + over / R;
}

void CompressorDsp::prepare(double sampleRate)
{
    m_fs = sampleRate;
    m_rampSamples = m_defaultRamp = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_aRms = static_cast<float>(std::exp(-1.0 / (0.010 * sampleRate)));
    m_params = Compressor{};
    m_params.enabled = false;
    m_mix.reset(0.0);
    m_makeup.reset(1.0);
    m_aA = 0.0f; // the first setParams() snaps instead of gliding
    reset();
}

void CompressorDsp::reset()
{
    m_reduction = 0;
    m_meanSquare = 0;
    m_maxReduction = 0;
}

void CompressorDsp::setParams(const Compressor& c)
{
    const bool first = m_aA == 0.0f;
    if (first) m_params = c;
    m_aA = static_cast<float>(std::exp(-1.0 / (c.attack * 0.001 * m_fs)));
    m_aR = static_cast<float>(std::exp(-1.0 / (c.release * 0.001 * m_fs)));
    if (first) {
        m_mix.reset(c.enabled ? 1.0 : 0.0);
        m_makeup.reset(dbToGain(c.makeup));
    } else {
        m_mix.setTarget(c.enabled ? 1.0 : 0.0, m_rampSamples);
        m_makeup.setTarget(dbToGain(c.makeup), m_rampSamples);
    }
    m_params = c;
}

float CompressorDsp::takeMaxReduction()
{
    const float r = m_maxReduction;
    m_maxReduction = 0;
    return r;
}

CompressorDsp::Consts CompressorDsp::consts() const
{
    Consts k;
    k.T = static_cast<float>(m_params.threshold);
    k.W = static_cast<float>(m_params.knee);
    k.slope = 1.0f / static_cast<float>(m_params.ratio) - 1.0f;
    k.rms = m_params.detector == Detector::Rms;
    // Below the knee no reduction is wanted (compared in the linear domain).
    const float kneeStart = std::pow(10.0f, (k.T - k.W * 0.5f) / 20.0f);
    k.kneeAt = k.rms ? kneeStart * kneeStart : kneeStart;
    k.dbScale = k.rms ? 0.5f * kDbPerOctave : kDbPerOctave;
    k.kneeOn = k.W > 0.0f;
    k.kneeCoef = -k.slope / (2.0f * (k.kneeOn ? k.W : 1.0f)); // multiplied, not divided, per sample
    k.steadyMix = !m_mix.active() && m_mix.value() == 1.0 && !m_makeup.active();
    k.steadyMakeup = static_cast<float>(m_makeup.value());
    return k;
}

// Pass 1: detector level (the RMS average is itself a recursion) and the static gain computer
// (Giannoulis et al.): the wanted reduction is input minus the curve, 0 below the knee.
MIXROOM_CLONES void CompressorDsp::detect(const Consts& k, const float* L, const float* R, int m, float* buf)
{
    if (k.rms) {
        const float aRms = m_aRms;
        float ms = m_meanSquare;
        for (int i = 0; i < m; ++i) {
            ms = aRms * ms + (1.0f - aRms) * std::max(L[i] * L[i], R[i] * R[i]);
            buf[i] = ms;
        }
        m_meanSquare = ms;
    } else {
        for (int i = 0; i < m; ++i)
            buf[i] = std::max(std::abs(L[i]), std::abs(R[i]));
    }
    for (int i = 0; i < m; ++i) {
        const float x = buf[i];
        const bool above = x > k.kneeAt;
        const float levelDb = k.dbScale * fastLog2(above ? x : 1.0f);
        const float over = levelDb - k.T;
        const float kk = over + k.W * 0.5f;
        const float inKnee = k.kneeCoef * kk * kk;
        const float t = (k.kneeOn & (2.0f * over <= k.W)) ? inKnee : -k.slope * over;
        buf[i] = above ? t : 0.0f;
    }
}

// Pass 2: the smooth branching detector on the reduction, the only serial part.
void CompressorDsp::smooth(float* buf, int m)
{
    const float aA = m_aA, aR = m_aR;
    float red = m_reduction, maxRed = m_maxReduction;
    for (int i = 0; i < m; ++i) {
        const float target = buf[i];
        const float a = target > red ? aA : aR;
        red = a * red + (1.0f - a) * target;
        maxRed = std::max(maxRed, red);
        buf[i] = red;
    }
    m_reduction = red;
    m_maxReduction = maxRed;
}

// Pass 2 for 4 * Q compressors, one per SIMD lane: Q four-lane chains in one loop, so their
// latencies overlap. The same arithmetic per lane as smooth().
template <int Q> void CompressorDsp::smoothQuads(CompressorDsp* const* c, float* const* buf, int m)
{
    using F4 = float __attribute__((vector_size(16)));
    const F4 one{1.0f, 1.0f, 1.0f, 1.0f};
    F4 aA[Q], aR[Q], red[Q], maxRed[Q];
    for (int h = 0; h < Q; ++h) {
        CompressorDsp* const* q = c + 4 * h;
        aA[h] = F4{q[0]->m_aA, q[1]->m_aA, q[2]->m_aA, q[3]->m_aA};
        aR[h] = F4{q[0]->m_aR, q[1]->m_aR, q[2]->m_aR, q[3]->m_aR};
        red[h] = F4{q[0]->m_reduction, q[1]->m_reduction, q[2]->m_reduction, q[3]->m_reduction};
        maxRed[h] = F4{q[0]->m_maxReduction, q[1]->m_maxReduction, q[2]->m_maxReduction, q[3]->m_maxReduction};
    }
    auto step = [&](int h, F4 target) {
        const F4 a = target > red[h] ? aA[h] : aR[h];
        red[h] = a * red[h] + (one - a) * target;
        maxRed[h] = maxRed[h] < red[h] ? red[h] : maxRed[h];
        return red[h];
    };
    // Four samples at a time: a 4x4 transpose turns four strips' runs into four samples' lane
    // vectors (and back), instead of gathering and scattering lane by lane.
    auto transpose = [](F4& r0, F4& r1, F4& r2, F4& r3) {
        const F4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), t1 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
        const F4 t2 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7), t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
        r0 = __builtin_shufflevector(t0, t1, 0, 1, 4, 5);
        r1 = __builtin_shufflevector(t0, t1, 2, 3, 6, 7);
        r2 = __builtin_shufflevector(t2, t3, 0, 1, 4, 5);
        r3 = __builtin_shufflevector(t2, t3, 2, 3, 6, 7);
    };
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        F4 v[Q][4];
        for (int h = 0; h < Q; ++h) {
            for (int j = 0; j < 4; ++j)
                std::memcpy(&v[h][j], buf[4 * h + j] + i, sizeof(F4));
            transpose(v[h][0], v[h][1], v[h][2], v[h][3]);
        }
        for (int t = 0; t < 4; ++t)
            for (int h = 0; h < Q; ++h)
                v[h][t] = step(h, v[h][t]);
        for (int h = 0; h < Q; ++h) {
            transpose(v[h][0], v[h][1], v[h][2], v[h][3]);
            for (int j = 0; j < 4; ++j)
                std::memcpy(buf[4 * h + j] + i, &v[h][j], sizeof(F4));
        }
    }
    for (; i < m; ++i) {
        for (int h = 0; h < Q; ++h) {
            float* const* b = buf + 4 * h;
            const F4 r = step(h, F4{b[0][i], b[1][i], b[2][i], b[3][i]});
            b[0][i] = r[0];
            b[1][i] = r[1];
            b[2][i] = r[2];
            b[3][i] = r[3];
        }
    }
    for (int k = 0; k < 4 * Q; ++k) {
        c[k]->m_reduction = red[k / 4][k % 4];
        c[k]->m_maxReduction = maxRed[k / 4][k % 4];
    }
}

// Pass 3: reduction (dB) to gain, makeup and the bypass crossfade.
MIXROOM_CLONES void CompressorDsp::apply(const Consts& k, float* L, float* R, int m, const float* buf)
{
    if (k.steadyMix) {
        for (int i = 0; i < m; ++i) {
            const float r = buf[i];
            const float e = fastExp2(r * -kOctavesPerDb); // always evaluated: the loop stays branch-free
            const float g = r < 1e-6f ? 1.0f : e;
            const float gain = g * k.steadyMakeup;
            L[i] *= gain;
            R[i] *= gain;
        }
    } else {
        for (int i = 0; i < m; ++i) {
            const float r = buf[i];
            const float e = fastExp2(r * -kOctavesPerDb); // always evaluated: the loop stays branch-free
            const float g = r < 1e-6f ? 1.0f : e;
            const float mix = static_cast<float>(m_mix.next());
            const float gain = 1.0f + mix * (g * static_cast<float>(m_makeup.next()) - 1.0f);
            L[i] *= gain;
            R[i] *= gain;
        }
    }
}

void CompressorDsp::process(float* left, float* right, int n)
{
    if (bypassed()) return;
    // Every sample sees exactly the arithmetic of a one-sample loop, so results do not depend on
    // the block size or on whether strips run alone or grouped.
    const Consts k = consts();
    float buf[kChunk];
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        detect(k, left + base, right + base, m, buf);
        smooth(buf, m);
        apply(k, left + base, right + base, m, buf);
    }
}

void CompressorDsp::processGroup(CompressorDsp* const* comps, float* const* left, float* const* right, int count, int n)
{
    CompressorDsp* active[kMaxGroup];
    float* L[kMaxGroup];
    float* R[kMaxGroup];
    Consts k[kMaxGroup];
    int live = 0;
    for (int c = 0; c < count && c < kMaxGroup; ++c)
        if (!comps[c]->bypassed()) {
            active[live] = comps[c];
            L[live] = left[c];
            R[live] = right[c];
            k[live] = comps[c]->consts();
            ++live;
        }
    float bufs[kMaxGroup][kChunk];
    float* b[kMaxGroup];
    for (int c = 0; c < kMaxGroup; ++c)
        b[c] = bufs[c];
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        for (int c = 0; c < live; ++c)
            active[c]->detect(k[c], L[c] + base, R[c] + base, m, b[c]);
        int c = 0;
        for (; c + 16 <= live; c += 16)
            smoothQuads<4>(active + c, b + c, m);
        for (; c + 8 <= live; c += 8)
            smoothQuads<2>(active + c, b + c, m);
        for (; c + 4 <= live; c += 4)
            smoothQuads<1>(active + c, b + c, m);
        for (; c < live; ++c)
            active[c]->smooth(b[c], m);
        for (int j = 0; j < live; ++j)
            active[j]->apply(k[j], L[j] + base, R[j] + base, m, b[j]);
    }
}

} // namespace mixroom::engine
