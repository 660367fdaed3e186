// SPDX-License-Identifier: MIT
#pragma once
// Stereo signals that are hard on a true-peak limiter or meter: broadband noise, squares (naive,
// full of aliased harmonics, and band-limited), impulses and clicks, the classic fs/4 at 45
// degrees, high sines, full-scale content near Nyquist and a real loud mix (the demo's drums, bass
// and keys). Each has its sample peak at `peak` (linear); deterministic.
#include "engine/demo/DemoSong.h"

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace mixroom::test {

struct StereoSignal {
    std::vector<float> l, r;
};

inline const std::vector<std::string>& stressSignalNames()
{
    static const std::vector<std::string> names = {"white noise", "pink noise",         "naive square", "band-limited square", "impulses",
                                                   "clicks",      "fs/4 at 45 degrees", "19 kHz sine",  "near Nyquist",        "loud mix"};
    return names;
}

inline StereoSignal stressSignal(const std::string& name, double fs, double seconds, double peak)
{
    const int n = static_cast<int>(fs * seconds);
    StereoSignal s{std::vector<float>(static_cast<size_t>(n)), std::vector<float>(static_cast<size_t>(n))};
    std::mt19937 rng(2024);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    const double pi = std::numbers::pi;
    auto set = [&](int i, double l, double r) {
        s.l[static_cast<size_t>(i)] = static_cast<float>(l);
        s.r[static_cast<size_t>(i)] = static_cast<float>(r);
    };
    if (name == "white noise") {
        for (int i = 0; i < n; ++i)
            set(i, u(rng), u(rng));
    } else if (name == "pink noise") {
        // Paul Kellet's refined filter on white noise (-3 dB/octave within 0.05 dB above 9 Hz).
        double b[2][7] = {};
        for (int i = 0; i < n; ++i) {
            double out[2];
            for (int c = 0; c < 2; ++c) {
                const double w = u(rng);
                double* k = b[c];
                k[0] = 0.99886 * k[0] + w * 0.0555179;
                k[1] = 0.99332 * k[1] + w * 0.0750759;
                k[2] = 0.96900 * k[2] + w * 0.1538520;
                k[3] = 0.86650 * k[3] + w * 0.3104856;
                k[4] = 0.55000 * k[4] + w * 0.5329522;
                k[5] = -0.7616 * k[5] - w * 0.0168980;
                out[c] = k[0] + k[1] + k[2] + k[3] + k[4] + k[5] + k[6] + w * 0.5362;
                k[6] = w * 0.115926;
            }
            set(i, out[0], out[1]);
        }
    } else if (name == "naive square") {
        for (int i = 0; i < n; ++i)
            set(i, std::fmod(i * 997.0 / fs, 1.0) < 0.5 ? 1.0 : -1.0, std::fmod(i * 1499.0 / fs, 1.0) < 0.5 ? 1.0 : -1.0);
    } else if (name == "band-limited square") {
        for (int i = 0; i < n; ++i) {
            double l = 0, r = 0;
            for (int k = 1; k * 997.0 < fs / 2; k += 2)
                l += std::sin(2 * pi * k * 997.0 * i / fs) / k;
            for (int k = 1; k * 1499.0 < fs / 2; k += 2)
                r += std::sin(2 * pi * k * 1499.0 * i / fs + 0.3) / k;
            set(i, l, r);
        }
    } else if (name == "impulses") {
        // Single-sample spikes of either sign every 10 ms on quiet noise.
        for (int i = 0; i < n; ++i) {
            const bool spike = i % static_cast<int>(fs / 100) == 0;
            set(i, spike ? ((i / 100) % 2 ? 1.0 : -1.0) : 0.01 * u(rng), spike ? 1.0 : 0.01 * u(rng));
        }
    } else if (name == "clicks") {
        // Two-sample full-scale clicks of alternating sign (the hardest inter-sample overs) on a tone.
        for (int i = 0; i < n; ++i) {
            const int k = i % static_cast<int>(fs / 50);
            const double click = k == 0 ? 1.0 : k == 1 ? -1.0 : 0.0;
            const double tone = 0.3 * std::sin(2 * pi * 220 * i / fs);
            set(i, k < 2 ? click : tone, k < 2 ? -click : tone);
        }
    } else if (name == "fs/4 at 45 degrees") {
        for (int i = 0; i < n; ++i)
            set(i, std::sin(pi / 2 * i + pi / 4), std::sin(pi / 2 * i + pi / 4 + 0.1));
    } else if (name == "19 kHz sine") {
        for (int i = 0; i < n; ++i)
            set(i, std::sin(2 * pi * 19000 * i / fs + 0.7), std::sin(2 * pi * 19000 * i / fs + 2.1));
    } else if (name == "near Nyquist") {
        // Two tones at 0.88 and 0.93 of Nyquist beating at full scale.
        for (int i = 0; i < n; ++i)
            set(i, std::sin(0.88 * pi * i) + std::sin(0.93 * pi * i + 1), std::sin(0.9 * pi * i) + std::sin(0.86 * pi * i));
    } else if (name == "loud mix") {
        // The demo's drums, bass and keys from bar 4 (generated at 48 kHz, read as if at fs).
        auto stems = mixroom::engine::demoStems();
        const int start = 8 * mixroom::engine::kDemoRate;
        for (int i = 0; i < start + n; ++i) {
            double l = 0, r = 0;
            for (size_t k = 0; k < 3; ++k) {
                float a = 0, b = 0;
                stems[k].next(static_cast<double>(i) / mixroom::engine::kDemoRate, a, b);
                l += a;
                r += stems[k].channels == 1 ? a : b;
            }
            if (i >= start) set(i - start, l, r);
        }
    }
    float most = 0;
    for (int i = 0; i < n; ++i)
        most = std::max({most, std::abs(s.l[static_cast<size_t>(i)]), std::abs(s.r[static_cast<size_t>(i)])});
    const float g = static_cast<float>(peak) / most;
    for (int i = 0; i < n; ++i) {
        s.l[static_cast<size_t>(i)] *= g;
        s.r[static_cast<size_t>(i)] *= g;
    }
    return s;
}

} // namespace mixroom::test
