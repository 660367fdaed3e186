// SPDX-License-Identifier: MIT
#pragma once
// Signal helpers shared by the engine tests: sines, quadrature amplitude measurement, seeded
// random block sizes (seed from MIXROOM_SEED so a failure can be replayed).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numbers>
#include <random>
#include <vector>

namespace mixroom::test {

inline std::vector<float> sine(double freq, double fs, double amplitude, int64_t frames, double phase = 0.0)
{
    std::vector<float> v(static_cast<size_t>(frames));
    for (int64_t i = 0; i < frames; ++i)
        v[static_cast<size_t>(i)] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq * i / fs + phase));
    return v;
}

// Amplitude of the `freq` component of x[from, from + n) by least squares against sin and cos.
inline double amplitudeAt(const std::vector<float>& x, double freq, double fs, size_t from, size_t n)
{
    double s = 0, c = 0;
    for (size_t i = from; i < from + n; ++i) {
        const double w = 2 * std::numbers::pi * freq * static_cast<double>(i) / fs;
        s += x[i] * std::sin(w);
        c += x[i] * std::cos(w);
    }
    return 2.0 * std::hypot(s, c) / static_cast<double>(n);
}

inline double toDb(double a)
{
    return 20.0 * std::log10(a);
}

inline uint32_t testSeed()
{
    if (const char* s = std::getenv("MIXROOM_SEED")) return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
    return 12345u;
}

// Block sizes to cover `total` frames: a fixed size, or random 1..4096 when size is 0.
inline std::vector<int> blockPlan(int64_t total, int size, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> dist(1, 4096);
    std::vector<int> plan;
    for (int64_t done = 0; done < total;) {
        int n = size > 0 ? size : dist(rng);
        n = static_cast<int>(std::min<int64_t>(n, total - done));
        plan.push_back(n);
        done += n;
    }
    return plan;
}

} // namespace mixroom::test
