// SPDX-License-Identifier: MIT
#pragma once
// The canonical stem file: a 32-byte header ("MXSTEM01", u32 channels, u32 rate, u64 frames,
// 8 reserved bytes) followed by interleaved little-endian float32 at the session rate. Named
// "<sha256>.f32" by the content hash of (channels, rate, samples).
#include <cstdint>
#include <cstring>

namespace mixroom::engine {

struct StemHeader {
    char magic[8] = {'M', 'X', 'S', 'T', 'E', 'M', '0', '1'};
    uint32_t channels = 0;
    uint32_t sampleRate = 0;
    uint64_t frames = 0;
    uint64_t reserved = 0;
    bool valid() const { return std::memcmp(magic, "MXSTEM01", 8) == 0 && (channels == 1 || channels == 2); }
};
static_assert(sizeof(StemHeader) == 32);

} // namespace mixroom::engine
