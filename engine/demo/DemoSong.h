// SPDX-License-Identifier: MIT
#pragma once
// The built-in demo: a 64 s song at 120 BPM in A minor (drums, bass, keys, pad, lead) synthesised
// by our own code, written as 24-bit WAV stems, and a mix session for it with EQ, compression, a
// drum-and-bass group, reverb and synced delay sends and a master chain. Deterministic.
// Thread: any non-audio thread.
#include "engine/model/Session.h"
#include "engine/util/Result.h"

#include <functional>
#include <string>

namespace mixroom::engine {

inline constexpr double kDemoSeconds = 64.0;

// Writes the five stems into `dir` (skipping ones already there) and returns the session that
// names them by relative path ("stems/drums.wav"...).
Result<Session> writeDemoSong(const std::string& dir, const std::function<void(double)>& progress = {});

} // namespace mixroom::engine
