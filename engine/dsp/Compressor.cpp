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
    m_rampSamples = static_cast<int>(std::lround(kRampSeconds * sampleRate));
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

void CompressorDsp::process(float* left, float* right, int n)
{
    if (bypassed()) return;
    constexpr float kDbPerOctave = 6.0205999f; // 20 log10(2)
    const float T = static_cast<float>(m_params.threshold);
    const float R = static_cast<float>(m_params.ratio);
    const float W = static_cast<float>(m_params.knee);
    const float slope = 1.0f / R - 1.0f;
    const bool rms = m_params.detector == Detector::Rms;
    // Below the knee no reduction is wanted (compared in the linear domain).
    const float kneeStart = std::pow(10.0f, (T - W * 0.5f) / 20.0f);
    const float kneeStartSq = kneeStart * kneeStart;
    const float aA = m_aA, aR = m_aR, aRms = m_aRms;
    float red = m_reduction, ms = m_meanSquare, maxRed = m_maxReduction;
    const bool steadyMix = !m_mix.active() && m_mix.value() == 1.0 && !m_makeup.active();
    const float steadyMakeup = static_cast<float>(m_makeup.value());

    // Three passes per chunk: the gain computer and the gain curve are per-sample and branch-free
    // (the compiler vectorises them); only the attack/release smoothing is a serial recursion.
    // Every sample sees exactly the arithmetic of a one-sample loop, so results do not depend on
    // the block size.
    constexpr int kChunk = 64;
    float buf[kChunk];
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        float* L = left + base;
        float* Rt = right + base;
        // 1. Detector level (the RMS average is itself a recursion) and the static gain computer
        //    (Giannoulis et al.): the wanted reduction is input minus the curve, 0 below the knee.
        if (rms) {
            for (int i = 0; i < m; ++i) {
                ms = aRms * ms + (1.0f - aRms) * std::max(L[i] * L[i], Rt[i] * Rt[i]);
                buf[i] = ms;
            }
        } else {
            for (int i = 0; i < m; ++i)
                buf[i] = std::max(std::abs(L[i]), std::abs(Rt[i]));
        }
        const float kneeAt = rms ? kneeStartSq : kneeStart;
        const bool kneeOn = W > 0.0f;
        const float twoW = 2.0f * (kneeOn ? W : 1.0f);
        const float dbScale = rms ? 0.5f * kDbPerOctave : kDbPerOctave;
        for (int i = 0; i < m; ++i) {
            const float x = buf[i];
            const bool above = x > kneeAt;
            const float levelDb = dbScale * fastLog2(above ? x : 1.0f);
            const float over = levelDb - T;
            const float k = over + W * 0.5f;
            const float inKnee = -slope * k * k / twoW;
            const float t = (kneeOn & (2.0f * over <= W)) ? inKnee : -slope * over;
            buf[i] = above ? t : 0.0f;
        }
        // 2. Smooth branching detector on the reduction (the only serial part).
        for (int i = 0; i < m; ++i) {
            const float target = buf[i];
            const float a = target > red ? aA : aR;
            red = a * red + (1.0f - a) * target;
            maxRed = std::max(maxRed, red);
            buf[i] = red;
        }
        // 3. Reduction (dB) to gain, makeup and bypass crossfade.
        if (steadyMix) {
            for (int i = 0; i < m; ++i) {
                const float r = buf[i];
                const float g = r < 1e-6f ? 1.0f : fastExp2(-r / kDbPerOctave);
                const float gain = g * steadyMakeup;
                L[i] *= gain;
                Rt[i] *= gain;
            }
        } else {
            for (int i = 0; i < m; ++i) {
                const float r = buf[i];
                const float g = r < 1e-6f ? 1.0f : fastExp2(-r / kDbPerOctave);
                const float mix = static_cast<float>(m_mix.next());
                const float gain = 1.0f + mix * (g * static_cast<float>(m_makeup.next()) - 1.0f);
                L[i] *= gain;
                Rt[i] *= gain;
            }
        }
    }
    m_reduction = red;
    m_meanSquare = ms;
    m_maxReduction = maxRed;
}

} // namespace mixroom::engine
