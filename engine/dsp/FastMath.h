// SPDX-License-Identifier: MIT
#pragma once
// Fast, deterministic log2/exp2 for the dynamics detectors (per-sample level <-> dB). Errors are
// below 1e-4 dB over the audio range (tested); the result depends only on the input bits, never on libm.
#include <cmath>
#include <cstdint>
#include <cstring>

// Hot loops compiled twice (AVX2 and baseline), picked at load time. GCC only: clang requires the
// attribute on a member function's first declaration, and the fuzz build (clang) does not need it.
#if defined(__GNUC__) && !defined(__clang__)
#define MIXROOM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MIXROOM_CLONES
#endif

namespace mixroom::engine {

// log2(x) for x > 0 (normal floats), without a division so that loops calling it vectorise.
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)) by integer arithmetic on the bits, then ln(m) by
// the Cephes logf polynomial in f = m - 1 (relative error about 1e-7).
inline float fastLog2(float x)
{
    int32_t bits;
    std::memcpy(&bits, &x, 4);
    constexpr int32_t kSqrtHalf = 0x3f3504f3;
    const int32_t shifted = bits - kSqrtHalf;
    const int e = shifted >> 23;
    const int32_t mBits = (shifted & 0x007fffff) + kSqrtHalf;
    float m;
    std::memcpy(&m, &mBits, 4);
    const float f = m - 1.0f;
    const float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    const float ln = f + (p * f * z - 0.5f * z);
    return static_cast<float>(e) + 1.44269504089f * ln;
}

// 2^x for x in about [-126, 126].
inline float fastExp2(float x)
{
    // floor(x) without a branch (truncate, then step down for negative non-integers), so loops
    // that call this vectorise.
    const float tr = static_cast<float>(static_cast<int>(x));
    const float fl = tr - static_cast<float>(tr > x);
    const float f = x - fl; // [0, 1)
    const float y = f * 0.69314718f;
    const float p = 1.0f + y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
    const uint32_t bits = static_cast<uint32_t>(static_cast<int>(fl) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    return p * scale;
}

// 2^x in double for |x| < 1000, relative error below 1e-8 (automation's gains and filter gains:
// under 1e-7 dB), several times cheaper than libm's exp2. Depends only on the input bits.
inline double fastExp2d(double x)
{
    const double fl = std::floor(x + 0.5);           // exact: the same bits on every path
    const double y = (x - fl) * 0.69314718055994531; // in [-ln2/2, ln2/2]
    const double p =
        1.0 + y * (1.0 + y * (1.0 / 2 +
                              y * (1.0 / 6 + y * (1.0 / 24 + y * (1.0 / 120 + y * (1.0 / 720 + y * (1.0 / 5040 + y * (1.0 / 40320))))))));
    const int64_t e = static_cast<int64_t>(static_cast<int32_t>(fl)) + 1023;
    const uint64_t bits = static_cast<uint64_t>(e) << 52;
    double scale;
    std::memcpy(&scale, &bits, 8);
    return p * scale;
}

} // namespace mixroom::engine
