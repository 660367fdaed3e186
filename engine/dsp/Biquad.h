// SPDX-License-Identifier: MIT
#pragma once
// RBJ Audio EQ Cookbook biquads (Robert Bristow-Johnson), transposed direct form II in double.
// Thread: design() anywhere; process() on the audio thread (no allocation).
#include "engine/model/Session.h"

namespace mixroom::engine {

struct BiquadCoeffs {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0; // normalised by a0
};

enum class BiquadShape { LowPass, HighPass, LowShelf, HighShelf, Peak };

// Cookbook design. `q` is the filter Q (LP/HP), the bandwidth Q (peak) or the shelf Q
// (alpha = sin(w0)/(2Q); Q = 1/sqrt(2) is the cookbook's shelf slope S = 1).
BiquadCoeffs designBiquad(BiquadShape shape, double sampleRate, double freq, double gainDb, double q);

// The terms of a design that depend on frequency and Q only: cos(w0) and alpha = sin(w0)/(2Q).
struct BiquadTerms {
    double cw = 1, alpha = 0;
};
BiquadTerms biquadTerms(double sampleRate, double freq, double q);
// The same design from its terms (a gain that moves alone reuses them).
BiquadCoeffs designBiquad(BiquadShape shape, const BiquadTerms& terms, double gainDb);
// designBiquad(shape, terms, gainsDb[k]) into out[k * stride] for k < count (automation's gain rides).
void designBiquadGains(BiquadShape shape, const BiquadTerms& terms, const double* gainsDb, int count, BiquadCoeffs* out, int stride);

// |H(e^jw)| in dB of the given coefficients at `freq`.
double biquadMagnitudeDb(const BiquadCoeffs& c, double sampleRate, double freq);

// Q of each 2nd-order section of an Nth-order Butterworth filter; used for the 24 dB/oct slopes.
inline constexpr double kButterworth4Q[2] = {0.54119610014619701, 1.3065629648763766};

class Biquad {
  public:
    void setCoeffs(const BiquadCoeffs& c) { m_c = c; }
    void reset() { m_z1 = m_z2 = 0.0; }
    float process(float xin)
    {
        const double x = xin;
        const double y = m_c.b0 * x + m_z1;
        m_z1 = m_c.b1 * x - m_c.a1 * y + m_z2;
        m_z2 = m_c.b2 * x - m_c.a2 * y;
        return static_cast<float>(y);
    }
    void process(float* buf, int n)
    {
        const BiquadCoeffs c = m_c;
        double z1 = m_z1, z2 = m_z2;
        for (int i = 0; i < n; ++i) {
            const double x = buf[i];
            const double y = c.b0 * x + z1;
            z1 = c.b1 * x - c.a1 * y + z2;
            z2 = c.b2 * x - c.a2 * y;
            buf[i] = static_cast<float>(y);
        }
        m_z1 = z1;
        m_z2 = z2;
    }

  private:
    BiquadCoeffs m_c;
    double m_z1 = 0.0, m_z2 = 0.0;
};

} // namespace mixroom::engine
