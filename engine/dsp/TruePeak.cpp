// SPDX-License-Identifier: MIT
#include "engine/dsp/TruePeak.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixroom::engine {

TruePeakDetector::TruePeakDetector()
{
    // Phase p interpolates at (n - kLatency + p/4): tap j weights x[n - j] by
    // sinc(kLatency - j - p/4), Kaiser-windowed (beta 6) over the span of the filter.
    const double half = kTaps / 2.0;
    const double beta = 6.0;
    std::array<std::array<float, kTaps>, 4> phase{};
    auto bessel0 = [](double x) {
        double sum = 1.0, term = 1.0;
        for (int k = 1; k < 30; ++k) {
            term *= (x / (2.0 * k)) * (x / (2.0 * k));
            sum += term;
        }
        return sum;
    };
    for (int p = 0; p < 4; ++p) {
        double norm = 0.0;
        for (int j = 0; j < kTaps; ++j) {
            const double t = kLatency - j - p / 4.0;
            const double sinc = t == 0.0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
            const double r = t / half;
            const double w = std::abs(r) >= 1.0 ? 0.0 : bessel0(beta * std::sqrt(1.0 - r * r)) / bessel0(beta);
            phase[static_cast<size_t>(p)][static_cast<size_t>(j)] = static_cast<float>(sinc * w);
            norm += sinc * w;
        }
        for (auto& c : phase[static_cast<size_t>(p)])
            c = static_cast<float>(c / norm); // unity DC gain per phase
    }
    for (size_t j = 0; j < static_cast<size_t>(kTaps); ++j)
        m_lanes[j] = F4{phase[1][j], phase[2][j], phase[3][j], 0.0f};
}

void TruePeakDetector::reset()
{
    m_hist.fill(0.0f);
    m_pos = 0;
}

float TruePeakDetector::push(float x)
{
    // History stored twice so that m_hist[m_pos .. m_pos + kTaps) is the newest-first window.
    m_pos = (m_pos + kTaps - 1) % kTaps;
    m_hist[static_cast<size_t>(m_pos)] = x;
    m_hist[static_cast<size_t>(m_pos + kTaps)] = x;
    const float* w = &m_hist[static_cast<size_t>(m_pos)];
    // The three interpolated points at once, one per lane; each lane sums its taps in order, so
    // the values are those of three separate scalar loops.
    F4 acc{0.0f, 0.0f, 0.0f, 0.0f};
    for (int j = 0; j < kTaps; ++j)
        acc += m_lanes[static_cast<size_t>(j)] * w[j];
    float peak = std::abs(w[kLatency]);
    for (int p = 0; p < 3; ++p)
        peak = std::max(peak, std::abs(acc[p]));
    return peak;
}

MIXROOM_CLONES void TruePeakDetector::pushBlock(const float* x, int n, float* peaks)
{
    constexpr int kChunk = 256;
    constexpr int kOld = kTaps - 1;
    float lin[kOld + kChunk]; // the kTaps - 1 samples before the chunk, oldest first, then the chunk
    float acc[3][kChunk];
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        const float* w = &m_hist[static_cast<size_t>(m_pos)]; // newest first
        for (int k = 0; k < kOld; ++k)
            lin[k] = w[kOld - 1 - k];
        std::copy(x + base, x + base + m, lin + kOld);
        // Output i's window, newest first, is lin[kOld + i - j], j = 0 .. kTaps - 1; each phase
        // sums its taps in push()'s order, so the values are the same.
        for (int p = 0; p < 3; ++p) {
            for (int i = 0; i < m; ++i)
                acc[p][i] = 0.0f;
            for (int j = 0; j < kTaps; ++j) {
                const float c = m_lanes[static_cast<size_t>(j)][p];
                const float* src = lin + kOld - j;
                for (int i = 0; i < m; ++i)
                    acc[p][i] += c * src[i];
            }
        }
        for (int i = 0; i < m; ++i) {
            float peak = std::abs(lin[kOld + i - kLatency]);
            for (int p = 0; p < 3; ++p)
                peak = std::max(peak, std::abs(acc[p][i]));
            peaks[base + i] = peak;
        }
        // The history as push() would have left it.
        const int keep = std::min(m, kTaps);
        for (int k = m - keep; k < m; ++k) {
            m_pos = (m_pos + kTaps - 1) % kTaps;
            m_hist[static_cast<size_t>(m_pos)] = x[base + k];
            m_hist[static_cast<size_t>(m_pos + kTaps)] = x[base + k];
        }
    }
}

} // namespace mixroom::engine
