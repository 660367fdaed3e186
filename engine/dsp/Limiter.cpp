// SPDX-License-Identifier: MIT
#include "engine/dsp/Limiter.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

namespace {
// Aim a little under the ceiling: the interpolator and the gain between samples are not exact.
constexpr float kSafety = 0.9886f; // -0.1 dB
} // namespace

void LimiterDsp::prepare(double sampleRate, double lookaheadMs)
{
    m_fs = sampleRate;
    auto window = [&](double ms) { return std::max(1, static_cast<int>(std::lround(ms * 0.001 * sampleRate))); };
    m_maxWindow = window(kMaxLookaheadMs);
    m_window = std::min(window(lookaheadMs), m_maxWindow);
    m_rampSamples = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_padL.assign(static_cast<size_t>(m_maxWindow - m_window), 0.0f);
    m_padR.assign(static_cast<size_t>(m_maxWindow - m_window), 0.0f);
    const size_t delay = static_cast<size_t>(m_window - 1 + TruePeakDetector::kLatency);
    m_delayL.assign(delay, 0.0f);
    m_delayR.assign(delay, 0.0f);
    m_dqVal.assign(static_cast<size_t>(m_window + 1), 0.0f);
    m_dqIdx.assign(static_cast<size_t>(m_window + 1), 0);
    m_avgRing.assign(static_cast<size_t>(m_window), 1.0f);
    m_first = true;
    reset();
}

void LimiterDsp::reset()
{
    std::fill(m_delayL.begin(), m_delayL.end(), 0.0f);
    std::fill(m_delayR.begin(), m_delayR.end(), 0.0f);
    std::fill(m_padL.begin(), m_padL.end(), 0.0f);
    std::fill(m_padR.begin(), m_padR.end(), 0.0f);
    m_padPos = 0;
    std::fill(m_avgRing.begin(), m_avgRing.end(), 1.0f);
    m_avgSum = m_window;
    m_avgPos = 0;
    m_delayPos = 0;
    m_dqHead = m_dqSize = 0;
    m_n = 0;
    m_env = 1.0f;
    m_prevTp = 0.0f;
    m_minGain = 1.0f;
    m_tpL.reset();
    m_tpR.reset();
}

void LimiterDsp::setParams(const Limiter& l)
{
    const double ceiling = dbToGain(l.ceiling) * kSafety;
    if (m_first) {
        m_ceiling.reset(ceiling);
        m_mix.reset(l.enabled ? 1.0 : 0.0);
    } else {
        m_ceiling.setTarget(ceiling, m_rampSamples);
        m_mix.setTarget(l.enabled ? 1.0 : 0.0, m_rampSamples);
    }
    m_first = false;
    m_releaseCoef = static_cast<float>(1.0 - std::exp(-1.0 / (l.release * 0.001 * m_fs)));
}

float LimiterDsp::takeMaxReduction()
{
    const float r = -20.0f * std::log10(std::max(m_minGain, 1e-6f));
    m_minGain = 1.0f;
    return r > 0.0f ? r : 0.0f;
}

void LimiterDsp::process(float* left, float* right, int n)
{
    // True peaks a chunk at a time (the detector vectorises over samples), then the gain loop.
    constexpr int kChunk = 256;
    float tpL[kChunk], tpR[kChunk];
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        if (!m_padL.empty()) { // the input delay: swap contiguous runs with the ring
            const int len = static_cast<int>(m_padL.size());
            for (int i = 0; i < m;) {
                const int run = std::min(m - i, len - m_padPos);
                std::swap_ranges(left + base + i, left + base + i + run, m_padL.data() + m_padPos);
                std::swap_ranges(right + base + i, right + base + i + run, m_padR.data() + m_padPos);
                i += run;
                m_padPos = m_padPos + run == len ? 0 : m_padPos + run;
            }
        }
        m_tpL.pushBlock(left + base, m, tpL);
        m_tpR.pushBlock(right + base, m, tpR);
        processChunk(left + base, right + base, m, tpL, tpR);
    }
}

void LimiterDsp::processChunk(float* left, float* right, int n, const float* tpL, const float* tpR)
{
    const int cap = m_window + 1;
    const size_t delayLen = m_delayL.size();
    for (int i = 0; i < n; ++i) {
        const float inL = left[i], inR = right[i];
        // True peak of the interval around the detector's sample (both neighbours' intervals).
        const float tp = std::max(tpL[i], tpR[i]);
        const float tp2 = std::max(tp, m_prevTp);
        m_prevTp = tp;
        const float ceiling = static_cast<float>(m_ceiling.next());
        const float req = tp2 > ceiling ? ceiling / tp2 : 1.0f;

        // Sliding minimum of req over the last m_window samples.
        while (m_dqSize > 0 && m_dqVal[static_cast<size_t>((m_dqHead + m_dqSize - 1) % cap)] >= req)
            --m_dqSize;
        const int tail = (m_dqHead + m_dqSize) % cap;
        m_dqVal[static_cast<size_t>(tail)] = req;
        m_dqIdx[static_cast<size_t>(tail)] = m_n;
        ++m_dqSize;
        while (m_dqIdx[static_cast<size_t>(m_dqHead)] <= m_n - m_window) {
            m_dqHead = (m_dqHead + 1) % cap;
            --m_dqSize;
        }
        const float held = m_dqVal[static_cast<size_t>(m_dqHead)];
        ++m_n;

        // Instant attack to the held minimum, one-pole release above it.
        m_env = held < m_env ? held : m_env + m_releaseCoef * (held - m_env);
        m_avgSum += m_env - m_avgRing[static_cast<size_t>(m_avgPos)];
        m_avgRing[static_cast<size_t>(m_avgPos)] = m_env;
        m_avgPos = m_avgPos + 1 == m_window ? 0 : m_avgPos + 1;
        float gain = static_cast<float>(m_avgSum / m_window);
        gain = std::min(gain, 1.0f);

        const float outL = m_delayL[static_cast<size_t>(m_delayPos)];
        const float outR = m_delayR[static_cast<size_t>(m_delayPos)];
        m_delayL[static_cast<size_t>(m_delayPos)] = inL;
        m_delayR[static_cast<size_t>(m_delayPos)] = inR;
        m_delayPos = m_delayPos + 1 == static_cast<int>(delayLen) ? 0 : m_delayPos + 1;

        const float mix = static_cast<float>(m_mix.next());
        const float g = 1.0f + mix * (gain - 1.0f);
        m_minGain = std::min(m_minGain, g); // the reduction in dB only when asked for
        left[i] = outL * g;
        right[i] = outR * g;
    }
}

} // namespace mixroom::engine
