// SPDX-License-Identifier: MIT
#include "engine/dsp/Reverb.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

namespace {
// Line lengths in ms at size 1: mutually prime at 48 kHz, spread so modes interleave.
constexpr double kLineMs[ReverbDsp::kLines] = {29.7, 37.1, 41.1, 43.7, 53.9, 61.3, 67.1, 79.3};
constexpr double kDiffMs[4] = {4.77, 3.59, 2.73, 1.87};
constexpr float kDiffGain = 0.62f;
constexpr double kMinSize = 0.25; // size 0 still gives a small room, not a comb
constexpr double kMaxPreDelayMs = 250.0;
// Output taps: signs per line for left and right (orthogonal patterns decorrelate the channels).
constexpr float kTapL[ReverbDsp::kLines] = {1, -1, 1, -1, 1, -1, 1, -1};
constexpr float kTapR[ReverbDsp::kLines] = {1, 1, -1, -1, 1, 1, -1, -1};
constexpr float kInSign[ReverbDsp::kLines] = {1, -1, -1, 1, 1, 1, -1, -1};

double lineSamples(int i, double size, double fs)
{
    return kLineMs[i] * 0.001 * fs * (kMinSize + (1.0 - kMinSize) * size);
}
} // namespace

void ReverbDsp::prepare(double sampleRate)
{
    m_fs = sampleRate;
    m_rampSamples = static_cast<int>(std::lround(0.050 * sampleRate));
    m_pre.prepare(static_cast<int>(kMaxPreDelayMs * 0.001 * sampleRate) + 4);
    for (int i = 0; i < 4; ++i) {
        m_diffLen[static_cast<size_t>(i)] = static_cast<int>(std::lround(kDiffMs[i] * 0.001 * sampleRate));
        m_diffuser[static_cast<size_t>(i)].prepare(m_diffLen[static_cast<size_t>(i)] + 2);
    }
    for (int i = 0; i < kLines; ++i)
        m_line[static_cast<size_t>(i)].prepare(static_cast<int>(lineSamples(i, 1.0, sampleRate)) + 4);
    m_first = true;
    reset();
}

void ReverbDsp::reset()
{
    m_pre.reset();
    for (auto& d : m_diffuser)
        d.reset();
    for (auto& l : m_line)
        l.reset();
    m_lpState.fill(0.0f);
}

void ReverbDsp::updateLoop()
{
    // Damping: one-pole low-pass per line; its pole moves up with `damping`. Both glide.
    const int ramp = m_first ? 0 : m_rampSamples;
    const double damp = 0.7 * m_params.damping;
    m_first ? m_damp.reset(damp) : m_damp.setTarget(damp, ramp);
    for (int i = 0; i < kLines; ++i) {
        const double d = lineSamples(i, m_params.size, m_fs);
        const double g = std::pow(10.0, -3.0 * d / (m_params.decay * m_fs));
        Ramp& r = m_gain[static_cast<size_t>(i)];
        m_first ? r.reset(g) : r.setTarget(g, ramp);
    }
}

void ReverbDsp::setParams(const Reverb& r)
{
    if (!m_first && r == m_params) return;
    const int ramp = m_first ? 0 : m_rampSamples;
    m_params = r;
    for (int i = 0; i < kLines; ++i) {
        const double len = lineSamples(i, r.size, m_fs);
        if (m_first)
            m_len[static_cast<size_t>(i)].reset(len);
        else
            m_len[static_cast<size_t>(i)].setTarget(len, ramp);
    }
    const double pre = std::max(1.0, r.predelay * 0.001 * m_fs);
    if (m_first)
        m_preDelay.reset(pre);
    else
        m_preDelay.setTarget(pre, ramp);
    updateLoop();
    m_first = false;
}

void ReverbDsp::process(float* left, float* right, int n)
{
    constexpr float kHouseholder = 2.0f / kLines;
    for (int s = 0; s < n; ++s) {
        const float damp = static_cast<float>(m_damp.next());
        m_pre.push(0.5f * (left[s] + right[s]));
        float x = m_pre.read(m_preDelay.next());
        for (size_t d = 0; d < 4; ++d) {
            const float delayed = m_diffuser[d].readInt(m_diffLen[d]);
            const float v = x + kDiffGain * delayed;
            m_diffuser[d].push(v);
            x = delayed - kDiffGain * v;
        }
        float out[kLines];
        float sum = 0.0f;
        for (size_t i = 0; i < kLines; ++i) {
            float y = m_line[i].read(m_len[i].next());
            // Damping low-pass inside the loop, then the RT60 gain.
            m_lpState[i] += (1.0f - damp) * (y - m_lpState[i]);
            y = m_lpState[i] * static_cast<float>(m_gain[i].next());
            out[i] = y;
            sum += y;
        }
        float l = 0.0f, r = 0.0f;
        const float h = kHouseholder * sum;
        for (size_t i = 0; i < kLines; ++i) {
            l += kTapL[i] * out[i];
            r += kTapR[i] * out[i];
            m_line[i].push(out[i] - h + kInSign[i] * x);
        }
        left[s] = 0.35f * l;
        right[s] = 0.35f * r;
    }
}

} // namespace mixroom::engine
