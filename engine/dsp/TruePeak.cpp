// SPDX-License-Identifier: MIT
#include "engine/dsp/TruePeak.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

namespace mixroom::engine {

namespace {
using V16 = float __attribute__((vector_size(64)));

// The peak of the parabola through (-1, a), (0, b), (1, c) when b is a local maximum; b otherwise.
// Branch-free so the loop vectorises.
inline float vertex(float a, float b, float c)
{
    const float den = std::max(2.0f * b - a - c, 1e-30f);
    const float d = a - c;
    const float v = b + d * d / (8.0f * den);
    return ((b >= a) & (b >= c)) ? v : b;
}

// The taps of a Kaiser-windowed sinc that interpolates half-way between the two middle inputs of
// `n` (n even), oldest input first, normalised to unity gain at DC. `cutoff` is relative to Nyquist.
std::vector<float> halfSampleTaps(int taps, double beta)
{
    const size_t N = static_cast<size_t>(taps);
    auto bessel0 = [](double x) {
        double sum = 1.0, term = 1.0;
        for (int k = 1; k < 60; ++k) {
            term *= (x / (2.0 * k)) * (x / (2.0 * k));
            sum += term;
        }
        return sum;
    };
    const double half = N / 2.0;
    std::vector<double> h(N);
    double norm = 0.0;
    for (size_t k = 0; k < N; ++k) {
        const double t = static_cast<double>(k) - (half - 0.5); // distance from the midpoint, in samples
        const double sinc = std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
        const double r = t / half;
        h[k] = sinc * bessel0(beta * std::sqrt(1.0 - r * r)) / bessel0(beta);
        norm += h[k];
    }
    std::vector<float> out(N);
    for (size_t k = 0; k < N; ++k)
        out[k] = static_cast<float>(h[k] / norm);
    return out;
}
} // namespace

TruePeakDetector::TruePeakDetector(Filter filter) : m_tapsA(filter == Filter::Standard ? 128 : kMaxTapsA)
{
    const auto a = halfSampleTaps(m_tapsA, 7.5);
    std::copy(a.begin(), a.end(), m_a.begin());
    const auto b = halfSampleTaps(kTapsB, 5.0);
    std::copy(b.begin(), b.end(), m_b.begin());
}

void TruePeakDetector::reset()
{
    m_in.fill(0.0f);
    m_fill = kMaxTapsA - 1;
    m_histP.fill(0.0f);
    m_histM.fill(0.0f);
    m_lastQ = 0.0f;
}

float TruePeakDetector::push(float x)
{
    float peak;
    pushBlock(&x, 1, &peak);
    return peak;
}

// The hot loop of every render and preview stream: AVX-512 and AVX2 clones besides the baseline.
// Each lane sums its taps in the same order in every clone, so the values are the same bits.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void TruePeakDetector::pushBlock(const float* x, int n, float* peaks)
{
    constexpr int kChunk = 256;
    const int tapsA = m_tapsA;
    const int kOldX = tapsA - 1;
    constexpr int kH = kTapsB / 2; // history of the two 2x streams kept for stage B
    constexpr int kLag = kTapsB / 4;
    constexpr int kPadA = 128;           // whole 128-output blocks may read past the chunk
    float p[kH + kChunk];                // the 2x signal's even points (delayed inputs), history first
    float mid[kH + kChunk + kPadA];      // its odd points: half-way after each p
    float qe[kChunk], qoBuf[1 + kChunk]; // qoBuf[0]: the previous chunk's last qo
    float* qo = qoBuf + 1;
    for (int base = 0; base < n; base += kChunk) {
        const int m = std::min(kChunk, n - base);
        // The inputs accumulate in m_in; the last tapsA - 1 move to its front only when it is full,
        // so the history is not copied in and out for every chunk.
        if (m_fill + m > kInCapacity) {
            std::memmove(m_in.data(), m_in.data() + m_fill - kOldX, sizeof(float) * static_cast<size_t>(kOldX));
            m_fill = kOldX;
        }
        std::copy(x + base, x + base + m, m_in.data() + m_fill);
        float* lin = m_in.data() + m_fill - kOldX; // the tapsA - 1 inputs before the chunk, then the chunk
        m_fill += m;
        std::copy(m_histP.begin(), m_histP.end(), p);
        std::copy(m_histM.begin(), m_histM.end(), mid);
        // Stage A: mid[kH + i] lies half-way between lin[i + tapsA/2 - 1] (= p[kH + i]) and the next.
        for (int i = 0; i < m; ++i)
            p[kH + i] = lin[i + tapsA / 2 - 1];
        // 128 outputs at a time in eight 16-lane accumulators kept in registers across all taps:
        // one broadcast and eight loads per eight multiply-adds, eight independent sums in flight.
        // Each lane sums its taps in order, the same in every clone, so the same bits. Past m the
        // window reads m_in's slack or older inputs (always initialised): computed, never used.
        for (int i0 = 0; i0 < m; i0 += 128) {
            V16 acc[8] = {};
            for (int k = 0; k < tapsA; ++k) {
                const float c = m_a[static_cast<size_t>(k)];
                for (int j = 0; j < 8; ++j) {
                    V16 x;
                    std::memcpy(&x, lin + i0 + 16 * j + k, sizeof x);
                    acc[j] += c * x;
                }
            }
            for (int j = 0; j < 8; ++j)
                std::memcpy(mid + kH + i0 + 16 * j, &acc[j], sizeof(V16));
        }
        // Stage B on the interleaved 2x signal p0 mid0 p1 mid1 ..., split by the parity of each tap:
        // qe is half-way between p[c] and mid[c], qo between mid[c] and p[c + 1], c = j + kH - kLag.
        qoBuf[0] = m_lastQ;
        for (int j = 0; j < m; ++j)
            qe[j] = qo[j] = 0.0f;
        for (int t = 0; t < kTapsB; ++t) {
            const float c = m_b[static_cast<size_t>(t)];
            // The tap's input for qe: z[2c - kH + 1 + t]; for qo: z[2c - kH + 2 + t].
            const bool oddE = ((t + 1 - kH) & 1) != 0;
            const int offE = (t + 1 - kH - (oddE ? 1 : 0)) / 2;
            const float* srcE = (oddE ? mid : p) + kH - kLag + offE;
            const bool oddO = ((t - kH) & 1) != 0;
            const int offO = (t + 2 - kH - (oddO ? 1 : 0)) / 2;
            const float* srcO = (oddO ? mid : p) + kH - kLag + offO;
            for (int j = 0; j < m; ++j)
                qe[j] += c * srcE[j];
            for (int j = 0; j < m; ++j)
                qo[j] += c * srcO[j];
        }
        // Sample j's four points p[c], qe[j], mid[c], qo[j]; neighbours qo[j - 1] and p[c + 1].
        const float* pc = p + kH - kLag;
        const float* mc = mid + kH - kLag;
        for (int j = 0; j < m; ++j) {
            const float a = std::abs(qoBuf[j]);
            const float o0 = std::abs(pc[j]), o1 = std::abs(qe[j]), o2 = std::abs(mc[j]), o3 = std::abs(qo[j]);
            const float next = std::abs(pc[j + 1]);
            peaks[base + j] = std::max(std::max(vertex(a, o0, o1), vertex(o0, o1, o2)), std::max(vertex(o1, o2, o3), vertex(o2, o3, next)));
        }
        m_lastQ = qo[m - 1];
        std::copy(p + m, p + m + kH, m_histP.begin());
        std::copy(mid + m, mid + m + kH, m_histM.begin());
    }
}

} // namespace mixroom::engine
