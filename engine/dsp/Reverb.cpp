// SPDX-License-Identifier: MIT
#include "engine/dsp/Reverb.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

namespace {
// Line lengths in ms at size 1, spread geometrically from 31 to 97 ms; each is rounded to a prime
// number of samples at the running rate, so no two share a period.
constexpr double kLineMs[ReverbDsp::kLines] = {31.0, 33.4, 35.9, 38.6, 41.6, 44.8, 48.2, 51.9,
                                               55.8, 60.1, 64.7, 69.6, 74.9, 80.6, 86.8, 93.4};
constexpr double kDiffMs[4] = {11.3, 7.9, 5.3, 3.1};
constexpr float kDiffGain = 0.7f;
constexpr double kMinSize = 0.3; // size 0: lines of 9-28 ms, a small room rather than a comb
constexpr double kMaxPreDelayMs = 250.0;
constexpr float kOutGain = 0.117f;
// Which lines feed each output, with signs: disjoint halves of different parities decorrelate
// the channels; reading the line inputs (after the mix) includes the input itself at time 0.
constexpr float kTapL[ReverbDsp::kLines] = {1, -1, 1, 1, -1, 1, -1, -1, 1, 1, -1, 1, -1, -1, 1, -1};
constexpr float kTapR[ReverbDsp::kLines] = {1, 1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1, -1, -1, -1};
constexpr float kInSign[ReverbDsp::kLines] = {1, -1, 1, -1, -1, 1, 1, -1, 1, 1, -1, -1, 1, -1, 1, 1};

bool isPrime(int n)
{
    if (n < 2) return false;
    for (int d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

// The prime nearest to x (bounded work: primes are dense at these sizes).
int nearestPrime(double x)
{
    const int c = std::max(2, static_cast<int>(std::lround(x)));
    for (int k = 0;; ++k) {
        if (isPrime(c - k)) return c - k;
        if (isPrime(c + k)) return c + k;
    }
}

double lineSamples(int i, double size, double fs)
{
    return nearestPrime(kLineMs[i] * 0.001 * fs * (kMinSize + (1.0 - kMinSize) * size));
}

// In-place fast Walsh-Hadamard transform of 16 values, scaled to be orthogonal (1/4).
inline void hadamard16(float* v)
{
    for (int len = 1; len < 16; len <<= 1)
        for (int i = 0; i < 16; i += 2 * len)
            for (int j = i; j < i + len; ++j) {
                const float a = v[j], b = v[j + len];
                v[j] = a + b;
                v[j + len] = a - b;
            }
    for (int i = 0; i < 16; ++i)
        v[i] *= 0.25f;
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
        m_line[static_cast<size_t>(i)].prepare(static_cast<int>(lineSamples(i, 1.0, sampleRate)) + 64);
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

void ReverbDsp::updateLoop(int ramp)
{
    // Jot's absorption: H(z) = g (1 - p) / (1 - p z^-1). At DC |H| = g, the RT60 gain for the
    // line's length; at Nyquist g (1 - p) / (1 + p), the gain for the shorter high RT60.
    const double highT60 = m_params.decay * std::pow(10.0, -m_params.damping);
    for (int i = 0; i < kLines; ++i) {
        const double d = lineSamples(i, m_params.size, m_fs);
        const double g = std::pow(10.0, -3.0 * d / (m_params.decay * m_fs));
        const double gHigh = std::pow(10.0, -3.0 * d / (highT60 * m_fs));
        const double ratio = gHigh / g;
        const double p = (1.0 - ratio) / (1.0 + ratio);
        const auto k = static_cast<size_t>(i);
        if (ramp == 0) {
            m_gain[k].reset(g);
            m_pole[k].reset(p);
        } else {
            m_gain[k].setTarget(g, ramp);
            m_pole[k].setTarget(p, ramp);
        }
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
    // Whole samples, so the pre-delay does not filter either once it has settled.
    const double pre = static_cast<double>(std::lround(r.predelay * 0.001 * m_fs));
    if (m_first)
        m_preDelay.reset(pre);
    else
        m_preDelay.setTarget(pre, ramp);
    updateLoop(ramp);
    m_first = false;
}

void ReverbDsp::process(float* left, float* right, int n)
{
    for (int s = 0; s < n; ++s) {
        m_pre.push(0.5f * (left[s] + right[s]));
        // read(1) is the sample just pushed: a pre-delay of 0 adds no delay.
        float x = m_pre.read(m_preDelay.next() + 1.0);
        for (size_t d = 0; d < 4; ++d) {
            const float delayed = m_diffuser[d].readInt(m_diffLen[d]);
            const float v = x + kDiffGain * delayed;
            m_diffuser[d].push(v);
            x = delayed - kDiffGain * v;
        }
        float v[kLines];
        for (size_t i = 0; i < kLines; ++i) {
            const double len = m_len[i].next();
            // Settled lengths are whole samples: an exact read, no interpolation loss in the loop.
            float y = m_len[i].active() ? m_line[i].read(len) : m_line[i].readInt(static_cast<int>(len));
            const float p = static_cast<float>(m_pole[i].next());
            const float g = static_cast<float>(m_gain[i].next());
            m_lpState[i] = g * (1.0f - p) * y + p * m_lpState[i];
            v[i] = m_lpState[i];
        }
        hadamard16(v);
        float l = 0.0f, r = 0.0f;
        for (size_t i = 0; i < kLines; ++i) {
            const float in = v[i] + kInSign[i] * x;
            m_line[i].push(in);
            l += kTapL[i] * in;
            r += kTapR[i] * in;
        }
        // Scaled so that a send sounds as loud as through the reverb this one replaced.
        left[s] = kOutGain * l;
        right[s] = kOutGain * r;
    }
}

} // namespace mixroom::engine
