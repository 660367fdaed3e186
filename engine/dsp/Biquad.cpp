// SPDX-License-Identifier: MIT
#include "engine/dsp/Biquad.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>

namespace mixroom::engine {

BiquadTerms biquadTerms(double fs, double freq, double q)
{
    const double w0 = 2.0 * std::numbers::pi * freq / fs;
    return {std::cos(w0), std::sin(w0) / (2.0 * q)};
}

BiquadCoeffs designBiquad(BiquadShape shape, double fs, double freq, double gainDb, double q)
{
    return designBiquad(shape, biquadTerms(fs, freq, q), gainDb);
}

namespace {
[[gnu::always_inline]] inline BiquadCoeffs designFromA(BiquadShape shape, double cw, double alpha, double A)
{
    double b0 = 1, b1 = 0, b2 = 0, a0 = 1, a1 = 0, a2 = 0;
    switch (shape) {
    case BiquadShape::LowPass:
        b0 = (1 - cw) / 2;
        b1 = 1 - cw;
        b2 = (1 - cw) / 2;
        a0 = 1 + alpha;
        a1 = -2 * cw;
        a2 = 1 - alpha;
        break;
    case BiquadShape::HighPass:
        b0 = (1 + cw) / 2;
        b1 = -(1 + cw);
        b2 = (1 + cw) / 2;
        a0 = 1 + alpha;
        a1 = -2 * cw;
        a2 = 1 - alpha;
        break;
    case BiquadShape::Peak:
        b0 = 1 + alpha * A;
        b1 = -2 * cw;
        b2 = 1 - alpha * A;
        a0 = 1 + alpha / A;
        a1 = -2 * cw;
        a2 = 1 - alpha / A;
        break;
    case BiquadShape::LowShelf: {
        const double sa = 2 * std::sqrt(A) * alpha;
        b0 = A * ((A + 1) - (A - 1) * cw + sa);
        b1 = 2 * A * ((A - 1) - (A + 1) * cw);
        b2 = A * ((A + 1) - (A - 1) * cw - sa);
        a0 = (A + 1) + (A - 1) * cw + sa;
        a1 = -2 * ((A - 1) + (A + 1) * cw);
        a2 = (A + 1) + (A - 1) * cw - sa;
        break;
    }
    case BiquadShape::HighShelf: {
        const double sa = 2 * std::sqrt(A) * alpha;
        b0 = A * ((A + 1) + (A - 1) * cw + sa);
        b1 = -2 * A * ((A - 1) + (A + 1) * cw);
        b2 = A * ((A + 1) + (A - 1) * cw - sa);
        a0 = (A + 1) - (A - 1) * cw + sa;
        a1 = 2 * ((A - 1) - (A + 1) * cw);
        a2 = (A + 1) - (A - 1) * cw - sa;
        break;
    }
    }
    const double inv = 1.0 / a0;
    return {b0 * inv, b1 * inv, b2 * inv, a1 * inv, a2 * inv};
}

[[gnu::always_inline]] inline double amplitudeA(double gainDb)
{
    return fastExp2d(gainDb * (std::numbers::ln10 / std::numbers::ln2 / 40.0)); // 10^(dB/40)
}
} // namespace

BiquadCoeffs designBiquad(BiquadShape shape, const BiquadTerms& terms, double gainDb)
{
    return designFromA(shape, terms.cw, terms.alpha, amplitudeA(gainDb));
}

namespace {
template <BiquadShape Shape>
MIXROOM_CLONES void designGains(double cw, double alpha, const double* gainsDb, int count, BiquadCoeffs* out, int stride)
{
    // In chunks: the amplitudes in one vector loop, then the coefficients in another.
    constexpr int kChunk = 64;
    double A[kChunk];
    BiquadCoeffs c[kChunk];
    for (int first = 0; first < count; first += kChunk) {
        const int m = std::min(kChunk, count - first);
        for (int k = 0; k < m; ++k)
            A[k] = amplitudeA(gainsDb[first + k]);
        for (int k = 0; k < m; ++k)
            c[k] = designFromA(Shape, cw, alpha, A[k]);
        for (int k = 0; k < m; ++k)
            out[static_cast<ptrdiff_t>(first + k) * stride] = c[k];
    }
}
} // namespace

void designBiquadGains(BiquadShape shape, const BiquadTerms& terms, const double* gainsDb, int count, BiquadCoeffs* out, int stride)
{
    switch (shape) {
    case BiquadShape::LowPass: return designGains<BiquadShape::LowPass>(terms.cw, terms.alpha, gainsDb, count, out, stride);
    case BiquadShape::HighPass: return designGains<BiquadShape::HighPass>(terms.cw, terms.alpha, gainsDb, count, out, stride);
    case BiquadShape::LowShelf: return designGains<BiquadShape::LowShelf>(terms.cw, terms.alpha, gainsDb, count, out, stride);
    case BiquadShape::HighShelf: return designGains<BiquadShape::HighShelf>(terms.cw, terms.alpha, gainsDb, count, out, stride);
    case BiquadShape::Peak: return designGains<BiquadShape::Peak>(terms.cw, terms.alpha, gainsDb, count, out, stride);
    }
}

double biquadMagnitudeDb(const BiquadCoeffs& c, double fs, double freq)
{
    const double w = 2.0 * std::numbers::pi * freq / fs;
    const std::complex<double> z1 = std::polar(1.0, -w);
    const std::complex<double> z2 = z1 * z1;
    const auto h = (c.b0 + c.b1 * z1 + c.b2 * z2) / (1.0 + c.a1 * z1 + c.a2 * z2);
    return 20.0 * std::log10(std::abs(h));
}

} // namespace mixroom::engine
