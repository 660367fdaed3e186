// SPDX-License-Identifier: MIT
#include "engine/dsp/TruePeak.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MIXROOM_X86_KERNELS 1
#endif

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

// Stage A: out[i], half-way between x[i + taps/2 - 1] and x[i + taps/2], for i < m rounded up to
// the kernel's block. The taps are symmetric, so each step folds a pair: one add and one fused
// multiply-add, acc = fma(a[k], x[i + k] + x[i + taps - 1 - k], acc), for k = r + 16q in the order
// r = 0..7, q = 0..taps/16 - 1 (k's partner taps - 1 - k has residue 15 - r). Every kernel does
// exactly these operations per output, so they give the same bits; the vector ones only keep the
// inputs in registers as the window slides (two loads per four folded pairs).
void halfSamplePortable(const float* x, const float* a, int taps, float* out, int m)
{
    const int Q = taps / 16;
    const int end = (m + 63) / 64 * 64; // whole blocks, like the vector kernels
    for (int i = 0; i < end; ++i) {
        float acc = 0.0f;
        for (int r = 0; r < 8; ++r)
            for (int q = 0; q < Q; ++q) {
                const int k = r + 16 * q;
                acc = std::fma(a[k], x[i + k] + x[i + taps - 1 - k], acc);
            }
        out[i] = acc;
    }
}

#if defined(MIXROOM_X86_KERNELS)
// W lanes per vector; four vectors of outputs per block.
#define MIXROOM_HALF_SAMPLE_KERNEL(NAME, TARGET, V, W, LOAD, STORE, SET1, ZERO, ADD, FMA)                                                  \
    __attribute__((target(TARGET))) void NAME(const float* x, const float* a, int taps, float* out, int m)                                 \
    {                                                                                                                                      \
        const int Q = taps / 16;                                                                                                           \
        for (int i0 = 0; i0 < m; i0 += 4 * W) {                                                                                            \
            const float* X = x + i0;                                                                                                       \
            V acc0 = ZERO(), acc1 = ZERO(), acc2 = ZERO(), acc3 = ZERO();                                                                  \
            for (int r = 0; r < 8; ++r) {                                                                                                  \
                /* v_j = x[i + r + 16q + W j], w_j = x[i + taps - 1 - r - 16q + W j] at step q */                                          \
                const float* lo = X + r;                                                                                                   \
                const float* hi = X + taps - 1 - r;                                                                                        \
                V v0 = LOAD(lo), v1 = LOAD(lo + W), v2 = LOAD(lo + 2 * W), v3 = LOAD(lo + 3 * W);                                          \
                V w0 = LOAD(hi), w1 = LOAD(hi + W), w2 = LOAD(hi + 2 * W), w3 = LOAD(hi + 3 * W);                                          \
                for (int q = 0; q < Q; ++q) {                                                                                              \
                    const V c = SET1(a[r + 16 * q]);                                                                                       \
                    acc0 = FMA(c, ADD(v0, w0), acc0);                                                                                      \
                    acc1 = FMA(c, ADD(v1, w1), acc1);                                                                                      \
                    acc2 = FMA(c, ADD(v2, w2), acc2);                                                                                      \
                    acc3 = FMA(c, ADD(v3, w3), acc3);                                                                                      \
                    if (q + 1 == Q) break;                                                                                                 \
                    /* 16 = 16 / W vectors on: the windows slide by whole vectors when W == 16 */                                          \
                    if constexpr (W == 16) {                                                                                               \
                        v0 = v1, v1 = v2, v2 = v3, v3 = LOAD(lo + 16 * (q + 1) + 3 * W);                                                   \
                        w3 = w2, w2 = w1, w1 = w0, w0 = LOAD(hi - 16 * (q + 1));                                                           \
                    } else {                                                                                                               \
                        v0 = v2, v1 = v3, v2 = LOAD(lo + 16 * (q + 1) + 2 * W), v3 = LOAD(lo + 16 * (q + 1) + 3 * W);                      \
                        w3 = w1, w2 = w0, w1 = LOAD(hi - 16 * (q + 1) + W), w0 = LOAD(hi - 16 * (q + 1));                                  \
                    }                                                                                                                      \
                }                                                                                                                          \
            }                                                                                                                              \
            STORE(out + i0, acc0);                                                                                                         \
            STORE(out + i0 + W, acc1);                                                                                                     \
            STORE(out + i0 + 2 * W, acc2);                                                                                                 \
            STORE(out + i0 + 3 * W, acc3);                                                                                                 \
        }                                                                                                                                  \
    }
MIXROOM_HALF_SAMPLE_KERNEL(halfSampleAvx512, "avx512f,avx2,fma", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps,
                           _mm512_setzero_ps, _mm512_add_ps, _mm512_fmadd_ps)
MIXROOM_HALF_SAMPLE_KERNEL(halfSampleAvx2, "avx2,fma", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_setzero_ps,
                           _mm256_add_ps, _mm256_fmadd_ps)
#undef MIXROOM_HALF_SAMPLE_KERNEL
#endif
} // namespace

TruePeakDetector::TruePeakDetector(Filter filter) : m_tapsA(filter == Filter::Standard ? 128 : kMaxTapsA)
{
    const auto a = halfSampleTaps(m_tapsA, 7.5);
    std::copy(a.begin(), a.end(), m_a.begin());
    const auto b = halfSampleTaps(kTapsB, 5.0);
    std::copy(b.begin(), b.end(), m_b.begin());
    useKernel(Kernel::Auto);
}

bool TruePeakDetector::kernelAvailable(Kernel kernel)
{
    switch (kernel) {
    case Kernel::Auto:
    case Kernel::Portable: return true;
#if defined(MIXROOM_X86_KERNELS)
    case Kernel::Avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    case Kernel::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    case Kernel::Avx512:
    case Kernel::Avx2: return false;
#endif
    }
    return false;
}

bool TruePeakDetector::useKernel(Kernel kernel)
{
    if (kernel == Kernel::Auto) {
        for (Kernel k : {Kernel::Avx512, Kernel::Avx2, Kernel::Portable})
            if (useKernel(k)) return true;
    }
    if (!kernelAvailable(kernel)) return false;
    switch (kernel) {
#if defined(MIXROOM_X86_KERNELS)
    case Kernel::Avx512: m_halfSample = halfSampleAvx512; return true;
    case Kernel::Avx2: m_halfSample = halfSampleAvx2; return true;
#endif
    default: m_halfSample = halfSamplePortable; return true;
    }
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
    constexpr int kPadA = 64;                      // stage A's whole 64-output blocks may write past the chunk
    constexpr int kPadB = 64;                      // whole 64-output blocks of stage B may read past the chunk
    float p[kH + kChunk + kPadB];                  // the 2x signal's even points (delayed inputs), history first
    float mid[kH + kChunk + kPadA];                // its odd points: half-way after each p
    float qe[kChunk + 64], qoBuf[1 + kChunk + 64]; // qoBuf[0]: the previous chunk's last qo
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
        m_halfSample(lin, m_a.data(), tapsA, mid + kH, m);
        // Stage B on the interleaved 2x signal p0 mid0 p1 mid1 ..., split by the parity of each tap:
        // qe is half-way between p[c] and mid[c], qo between mid[c] and p[c + 1], c = j + kH - kLag.
        // The tap's input for qe is z[2c - kH + 1 + t], for qo z[2c - kH + 2 + t].
        const float* srcE[kTapsB];
        const float* srcO[kTapsB];
        for (int t = 0; t < kTapsB; ++t) {
            const bool oddE = ((t + 1 - kH) & 1) != 0;
            srcE[t] = (oddE ? mid : p) + kH - kLag + (t + 1 - kH - (oddE ? 1 : 0)) / 2;
            const bool oddO = ((t - kH) & 1) != 0;
            srcO[t] = (oddO ? mid : p) + kH - kLag + (t + 2 - kH - (oddO ? 1 : 0)) / 2;
        }
        // Whole 64-output blocks may read up to kPadB points past the chunk: zeros, never used.
        std::fill(p + kH + m, p + kH + m + kPadB, 0.0f);
        // 64 outputs of each stream at a time, summed in registers over all taps in tap order.
        qoBuf[0] = m_lastQ;
        for (int j0 = 0; j0 < m; j0 += 64) {
            V16 e[4] = {}, o[4] = {};
            for (int t = 0; t < kTapsB; ++t) {
                const float c = m_b[static_cast<size_t>(t)];
                for (int k = 0; k < 4; ++k) {
                    V16 v;
                    std::memcpy(&v, srcE[t] + j0 + 16 * k, sizeof v);
                    e[k] += c * v;
                }
            }
            for (int t = 0; t < kTapsB; ++t) {
                const float c = m_b[static_cast<size_t>(t)];
                for (int k = 0; k < 4; ++k) {
                    V16 v;
                    std::memcpy(&v, srcO[t] + j0 + 16 * k, sizeof v);
                    o[k] += c * v;
                }
            }
            for (int k = 0; k < 4; ++k) {
                std::memcpy(qe + j0 + 16 * k, &e[k], sizeof(V16));
                std::memcpy(qo + j0 + 16 * k, &o[k], sizeof(V16));
            }
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
