// SPDX-License-Identifier: MIT
#pragma once
// The built-in demo: a 64 s song at 120 BPM in A minor (drums, bass, keys, pad, lead) synthesised
// by our own code, written as float WAV stems (the drums peak
// above full scale), and a mix session for it with EQ, compression, a
// drum-and-bass group, reverb and synced delay sends and a master chain. Deterministic.
// Thread: any non-audio thread.
#include "engine/model/Session.h"
#include "engine/util/Result.h"

#include <functional>
#include <string>
#include <vector>

namespace mixroom::engine {

inline constexpr double kDemoSeconds = 64.0;

// One stem's synthesiser: next(t, l, r) gives the sample at time t (called for consecutive samples
// from 0); mono stems set l only.
struct DemoStem {
    std::string name;
    int channels;
    std::function<void(double, float&, float&)> next;
};
inline constexpr int kDemoRate = 48000;
std::vector<DemoStem> demoStems();

// Writes the five stems into `dir` (skipping ones already there) and returns the session that
// names them by relative path ("stems/drums.wav"...).
Result<Session> writeDemoSong(const std::string& dir, const std::function<void(double)>& progress = {});

} // namespace mixroom::engine
