// SPDX-License-Identifier: MIT
#pragma once
// An independent true-peak reference for the tests (nothing shared with the engine's detector):
// 16x oversampling by a polyphase Kaiser-windowed sinc of 192 taps per phase (beta 10, about
// 100 dB of image rejection, flat to 0.96 of Nyquist), evaluated in double precision at every
// one of the 16 points per sample. Slow by design: it is the yardstick, not a product.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace mixroom::test {

class ReferenceTruePeak {
  public:
    static constexpr int kFactor = 16;
    static constexpr int kTaps = 192;

    ReferenceTruePeak()
    {
        const double half = kTaps / 2.0, beta = 10.0;
        auto i0 = [](double x) {
            double sum = 1.0, term = 1.0;
            for (int k = 1; k < 60; ++k) {
                term *= (x / (2.0 * k)) * (x / (2.0 * k));
                sum += term;
            }
            return sum;
        };
        m_h.assign(static_cast<size_t>(kFactor * kTaps), 0.0);
        for (int p = 0; p < kFactor; ++p)
            for (int j = 0; j < kTaps; ++j) {
                // Phase p, tap j: the weight of x[n - j] at time n - kTaps/2 + p/16.
                const double t = half - j - static_cast<double>(p) / kFactor;
                const double sinc = t == 0.0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
                const double r = t / half;
                const double w = std::abs(r) >= 1.0 ? 0.0 : i0(beta * std::sqrt(1.0 - r * r)) / i0(beta);
                m_h[static_cast<size_t>(p * kTaps + j)] = sinc * w;
            }
    }

    // The largest magnitude of the band-limited signal through x (silence before and after).
    double peak(const std::vector<float>& x) const
    {
        const int n = static_cast<int>(x.size());
        std::vector<double> padded(static_cast<size_t>(n + 2 * kTaps), 0.0);
        std::copy(x.begin(), x.end(), padded.begin() + kTaps);
        double best = 0.0;
        std::vector<double> acc(padded.size());
        for (int p = 0; p < kFactor; ++p) {
            std::fill(acc.begin(), acc.end(), 0.0);
            const int outs = static_cast<int>(padded.size()) - kTaps;
            for (int j = 0; j < kTaps; ++j) {
                const double c = m_h[static_cast<size_t>(p * kTaps + j)];
                const double* src = padded.data() + kTaps - j;
                for (int i = 0; i < outs; ++i)
                    acc[static_cast<size_t>(i)] += c * src[i];
            }
            for (int i = 0; i < outs; ++i)
                best = std::max(best, std::abs(acc[static_cast<size_t>(i)]));
        }
        return best;
    }

    double peakDb(const std::vector<float>& x) const
    {
        const double p = peak(x);
        return p > 0 ? 20.0 * std::log10(p) : -HUGE_VAL;
    }

  private:
    std::vector<double> m_h;
};

} // namespace mixroom::test
