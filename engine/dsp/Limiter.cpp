// SPDX-License-Identifier: MIT
#include "engine/dsp/Limiter.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

namespace {
// Stage 1 aims a little under the ceiling so that stage 2 seldom has work; stage 2 keeps a margin
// for what any two interpolators disagree on near Nyquist. Over the stress signals of tst_limiter
// (noise, squares, clicks, near-Nyquist tones, a loud mix; 44.1-96 kHz; default and fastest
// timing) the output's true peak by an independent 16x meter stays 0.12-0.22 dB under the ceiling.
constexpr float kMainMargin = 0.97724f;   // -0.2 dB
constexpr float kSafetyMargin = 0.98628f; // -0.12 dB
} // namespace

void LimiterDsp::Stage::prepare(int windowSamples)
{
    window = windowSamples;
    const size_t delay = static_cast<size_t>(window - 1 + tpL.latency());
    delayL.assign(delay, 0.0f);
    delayR.assign(delay, 0.0f);
    int cap = 1;
    while (cap < window + 1)
        cap *= 2;
    dqMask = cap - 1;
    dqVal.assign(static_cast<size_t>(cap), 0.0f);
    dqIdx.assign(static_cast<size_t>(cap), 0);
    avgRing.assign(static_cast<size_t>(window), 1.0f);
    reset();
}

void LimiterDsp::Stage::reset()
{
    std::fill(delayL.begin(), delayL.end(), 0.0f);
    std::fill(delayR.begin(), delayR.end(), 0.0f);
    std::fill(avgRing.begin(), avgRing.end(), 1.0f);
    avgSum = window;
    avgPos = 0;
    delayPos = 0;
    dqHead = dqSize = 0;
    n = 0;
    env = 1.0f;
    prevTp = 0.0f;
    tpL.reset();
    tpR.reset();
}

float LimiterDsp::Stage::process(float* left, float* right, int count, Ramp& ceilingRamp, Ramp* mixRamp)
{
    // Per chunk: the required gains (vectorisable), then the sliding minimum, release and moving
    // average (the recurrences, scalar), then the delay line by contiguous runs and the gain
    // (vectorisable). The values are those of one per-sample loop.
    float tpLeft[256], tpRight[256], req[256], gain[256];
    double sums[256];
    tpL.pushBlock(left, count, tpLeft);
    tpR.pushBlock(right, count, tpRight);
    // True peak of the interval around the detector's sample (both neighbours' intervals).
    float prev = prevTp;
    for (int i = 0; i < count; ++i) {
        const float tp = std::max(tpLeft[i], tpRight[i]);
        tpLeft[i] = std::max(tp, prev);
        prev = tp;
    }
    prevTp = prev;
    if (ceilingRamp.active()) {
        for (int i = 0; i < count; ++i)
            req[i] = static_cast<float>(ceilingRamp.next());
    } else {
        std::fill(req, req + count, static_cast<float>(ceilingRamp.value()));
    }
    for (int i = 0; i < count; ++i)
        req[i] = tpLeft[i] > req[i] ? req[i] / tpLeft[i] : 1.0f;

    // The state in locals: the compiler cannot tell the members from the arrays the loop stores
    // to, and would keep them in memory, in the recurrence's critical path.
    float* const dqV = dqVal.data();
    long long* const dqI = dqIdx.data();
    float* const ring = avgRing.data();
    int head = dqHead, size = dqSize, pos = avgPos;
    long long t = n;
    float e = env;
    double sum = avgSum;
    const float release = releaseCoef;
    const int mask = dqMask, w = window;
    for (int i = 0; i < count; ++i) {
        // Sliding minimum of req over the last `window` samples.
        const float r = req[i];
        while (size > 0 && dqV[(head + size - 1) & mask] >= r)
            --size;
        const int tail = (head + size) & mask;
        dqV[tail] = r;
        dqI[tail] = t;
        ++size;
        while (dqI[head] <= t - w) {
            head = (head + 1) & mask;
            --size;
        }
        const float held = dqV[head];
        ++t;
        // Instant attack to the held minimum, one-pole release above it (branch-free: below the
        // hold, the release step lands above it and min() picks the hold).
        e = std::min(held, e + release * (held - e));
        sum += e - ring[pos];
        ring[pos] = e;
        pos = pos + 1 == w ? 0 : pos + 1;
        sums[i] = sum;
    }
    dqHead = head;
    dqSize = size;
    avgPos = pos;
    n = t;
    env = e;
    avgSum = sum;
    // The moving average's divisions out of the recurrence, where they vectorise.
    const double width = window;
    for (int i = 0; i < count; ++i)
        gain[i] = std::min(static_cast<float>(sums[i] / width), 1.0f);
    if (mixRamp && (mixRamp->active() || mixRamp->value() != 1.0)) {
        for (int i = 0; i < count; ++i) {
            const float mix = static_cast<float>(mixRamp->next());
            gain[i] = 1.0f + mix * (gain[i] - 1.0f);
        }
    }

    // The delay line: swap the chunk with the ring in contiguous runs (out: the delayed samples).
    const int len = static_cast<int>(delayL.size());
    for (int i = 0; i < count;) {
        const int run = std::min(count - i, len - delayPos);
        std::swap_ranges(left + i, left + i + run, delayL.data() + delayPos);
        std::swap_ranges(right + i, right + i + run, delayR.data() + delayPos);
        i += run;
        delayPos = delayPos + run == len ? 0 : delayPos + run;
    }
    float minGain = 1.0f;
    for (int i = 0; i < count; ++i) {
        left[i] *= gain[i];
        right[i] *= gain[i];
        minGain = std::min(minGain, gain[i]);
    }
    return minGain;
}

void LimiterDsp::prepare(double sampleRate, double lookaheadMs)
{
    m_fs = sampleRate;
    auto window = [&](double ms) { return std::max(1, static_cast<int>(std::lround(ms * 0.001 * sampleRate))); };
    m_maxWindow = window(kMaxLookaheadMs);
    m_main.prepare(std::min(window(lookaheadMs), m_maxWindow));
    m_safety.prepare(window(kSafetyWindowMs));
    m_rampSamples = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_padL.assign(static_cast<size_t>(m_maxWindow - m_main.window), 0.0f);
    m_padR.assign(static_cast<size_t>(m_maxWindow - m_main.window), 0.0f);
    m_first = true;
    reset();
}

void LimiterDsp::reset()
{
    std::fill(m_padL.begin(), m_padL.end(), 0.0f);
    std::fill(m_padR.begin(), m_padR.end(), 0.0f);
    m_padPos = 0;
    m_main.reset();
    m_safety.reset();
    m_minGain = 1.0f;
}

void LimiterDsp::setParams(const Limiter& l)
{
    const double ceiling = dbToGain(l.ceiling);
    // Bypassed, the safety stage lets everything through: its ceiling glides far up.
    const double safety = l.enabled ? ceiling * kSafetyMargin : 1e6;
    if (m_first) {
        m_ceiling.reset(ceiling * kMainMargin);
        m_safetyCeiling.reset(safety);
        m_mix.reset(l.enabled ? 1.0 : 0.0);
    } else {
        m_ceiling.setTarget(ceiling * kMainMargin, m_rampSamples);
        m_safetyCeiling.setTarget(safety, m_rampSamples);
        m_mix.setTarget(l.enabled ? 1.0 : 0.0, m_rampSamples);
    }
    m_first = false;
    m_main.releaseCoef = static_cast<float>(1.0 - std::exp(-1.0 / (l.release * 0.001 * m_fs)));
}

float LimiterDsp::takeMaxReduction()
{
    const float r = -20.0f * std::log10(std::max(m_minGain, 1e-6f));
    m_minGain = 1.0f;
    return r > 0.0f ? r : 0.0f;
}

void LimiterDsp::process(float* left, float* right, int n)
{
    constexpr int kChunk = 256;
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
        const float g1 = m_main.process(left + base, right + base, m, m_ceiling, &m_mix);
        const float g2 = m_safety.process(left + base, right + base, m, m_safetyCeiling, nullptr);
        m_minGain = std::min(m_minGain, g1 * g2);
    }
}

} // namespace mixroom::engine
