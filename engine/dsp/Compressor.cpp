// SPDX-License-Identifier: MIT
#include "engine/dsp/Compressor.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

double compressorCurve(double x, double T, double R, double W)
{
    const double over = x - T;
    if (2.0 * over < -W)
        return x;
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
    if (first)
        m_params = c;
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
    if (bypassed())
        return;
    const float T = static_cast<float>(m_params.threshold);
    const float R = static_cast<float>(m_params.ratio);
    const float W = static_cast<float>(m_params.knee);
    const bool rms = m_params.detector == Detector::Rms;
    const float aA = m_aA, aR = m_aR, aRms = m_aRms;
    float red = m_reduction, ms = m_meanSquare, maxRed = m_maxReduction;
    for (int i = 0; i < n; ++i) {
        const float l = left[i], r = right[i];
        float levelDb;
        if (rms) {
            const float sq = std::max(l * l, r * r);
            ms = aRms * ms + (1.0f - aRms) * sq;
            levelDb = 10.0f * std::log10(std::max(ms, 1e-20f));
        } else {
            const float peak = std::max(std::abs(l), std::abs(r));
            levelDb = 20.0f * std::log10(std::max(peak, 1e-10f));
        }
        // Gain computer (inline copy of compressorCurve in float for speed).
        const float over = levelDb - T;
        float outDb = levelDb;
        if (2.0f * over >= -W) {
            if (W > 0.0f && 2.0f * std::abs(over) <= W) {
                const float k = over + W * 0.5f;
                outDb = levelDb + (1.0f / R - 1.0f) * k * k / (2.0f * W);
            } else {
                outDb = T + over / R;
            }
        }
        const float target = levelDb - outDb;
        const float a = target > red ? aA : aR;
        red = a * red + (1.0f - a) * target;
        maxRed = std::max(maxRed, red);
        const float mix = static_cast<float>(m_mix.next());
        const float g = std::pow(10.0f, -red * 0.05f) * static_cast<float>(m_makeup.next());
        const float gain = 1.0f + mix * (g - 1.0f);
        left[i] = l * gain;
        right[i] = r * gain;
    }
    m_reduction = red;
    m_meanSquare = ms;
    m_maxReduction = maxRed;
}

} // namespace mixroom::engine
