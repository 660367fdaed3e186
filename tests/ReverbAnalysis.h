// SPDX-License-Identifier: MIT
#pragma once
// Independent measurements of a reverb's impulse response for the tests: octave-band T30 (ISO
// 3382: band filter, Schroeder backward integral, a line fitted from -5 to -35 dB, times two) and
// the late tail's spectrum (Welch-averaged, decay removed) against its local median, which shows
// narrow modes that ring out of the tail. Nothing here is shared with the engine.
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

namespace mixroom::test {

// A band-pass biquad (RBJ cookbook, constant 0 dB peak gain), run twice for steeper skirts:
// an octave-band filter for T30 (each band's own decay is far shorter than the reverb's).
inline std::vector<double> octaveBand(const std::vector<float>& x, double fs, double centre)
{
    const double w0 = 2 * std::numbers::pi * centre / fs;
    const double q = std::sqrt(2.0); // one octave between the -3 dB points
    const double alpha = std::sin(w0) / (2 * q);
    const double a0 = 1 + alpha;
    const double b0 = alpha / a0, b2 = -alpha / a0, a1 = -2 * std::cos(w0) / a0, a2 = (1 - alpha) / a0;
    std::vector<double> y(x.begin(), x.end());
    for (int pass = 0; pass < 2; ++pass) {
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (double& v : y) {
            const double out = b0 * v + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1;
            x1 = v;
            y2 = y1;
            y1 = out;
            v = out;
        }
    }
    return y;
}

// T30 in seconds: least-squares line through the Schroeder curve from -5 to -35 dB, extrapolated to -60.
inline double t30(const std::vector<double>& x, double fs)
{
    std::vector<double> edc(x.size());
    double acc = 0;
    for (size_t i = x.size(); i-- > 0;) {
        acc += x[i] * x[i];
        edc[i] = acc;
    }
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (size_t i = 0; i < edc.size(); ++i) {
        const double db = 10 * std::log10(edc[i] / edc[0]);
        if (db > -5) continue;
        if (db < -35) break;
        const double t = static_cast<double>(i) / fs;
        sx += t;
        sy += db;
        sxx += t * t;
        sxy += t * db;
        ++n;
    }
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx); // dB per second
    return -60.0 / slope;
}

inline void fft(std::vector<std::complex<double>>& a)
{
    const size_t n = a.size();
    for (size_t i = 1, j = 0; i < n; ++i) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) std::swap(a[i], a[j]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        const double ang = -2 * std::numbers::pi / static_cast<double>(len);
        const std::complex<double> wl(std::cos(ang), std::sin(ang));
        for (size_t i = 0; i < n; i += len) {
            std::complex<double> w(1);
            for (size_t k = 0; k < len / 2; ++k) {
                const auto u = a[i + k], v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= wl;
            }
        }
    }
}

struct TailMode {
    double excessDb = 0; // the largest bin's power over the median of its +-1/6 octave
    double freq = 0;
};

// The tail from `from` to `to` seconds, multiplied by the inverse of a `t60` decay so it is
// stationary, as a Welch power spectrum (8192-point Hann segments, half overlap); the bin that
// stands highest above its local median between 100 Hz and 16 kHz.
inline TailMode loudestTailMode(const std::vector<float>& x, double fs, double from, double to, double t60)
{
    constexpr size_t kN = 8192;
    std::vector<double> power(kN / 2, 0.0);
    const size_t a = static_cast<size_t>(from * fs), b = std::min(x.size(), static_cast<size_t>(to * fs));
    int segments = 0;
    for (size_t start = a; start + kN <= b; start += kN / 2) {
        std::vector<std::complex<double>> seg(kN);
        for (size_t i = 0; i < kN; ++i) {
            const double t = static_cast<double>(start + i) / fs;
            const double hann = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) / kN);
            seg[i] = x[start + i] * std::pow(10.0, 3.0 * t / t60) * hann;
        }
        fft(seg);
        for (size_t k = 0; k < kN / 2; ++k)
            power[k] += std::norm(seg[k]);
        ++segments;
    }
    TailMode worst;
    if (segments == 0) return worst;
    const double binHz = fs / kN;
    for (size_t k = static_cast<size_t>(100 / binHz); k < static_cast<size_t>(16000 / binHz) && k < power.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        const size_t lo = static_cast<size_t>(f * std::pow(2.0, -1.0 / 6) / binHz),
                     hi = static_cast<size_t>(f * std::pow(2.0, 1.0 / 6) / binHz);
        std::vector<double> local(power.begin() + static_cast<std::ptrdiff_t>(lo),
                                  power.begin() + static_cast<std::ptrdiff_t>(std::min(hi + 1, power.size())));
        std::nth_element(local.begin(), local.begin() + static_cast<std::ptrdiff_t>(local.size() / 2), local.end());
        const double median = local[local.size() / 2];
        const double excess = 10 * std::log10(power[k] / median);
        if (excess > worst.excessDb) worst = TailMode{excess, f};
    }
    return worst;
}

} // namespace mixroom::test
