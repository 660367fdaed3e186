// SPDX-License-Identifier: MIT
#pragma once
// A canonical stem, memory-mapped read-only. Reading never allocates, locks or makes a system
// call, so the audio thread may read it; pages come from the page cache, so memory does not grow
// with song length.
// Thread: open() off the audio thread; read() on any thread (immutable after open).
#include "engine/util/Result.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mixroom::engine {

class StemSource {
  public:
    static Result<std::shared_ptr<const StemSource>> open(const std::string& path);
    ~StemSource();
    StemSource(const StemSource&) = delete;
    StemSource& operator=(const StemSource&) = delete;

    int channels() const { return m_channels; }
    int sampleRate() const { return m_rate; }
    int64_t frames() const { return m_frames; }
    // Copies frames [pos, pos + n) into left/right (mono is copied to both); zeros outside the stem.
    void read(int64_t pos, int n, float* left, float* right) const;
    // Asks the CPU to bring frames [pos, pos + n) into its caches, without waiting for them, so
    // that a later read() of them overlaps the loads with other work. [audio thread]
    void warm(int64_t pos, int n) const;
    // Brings frames [pos, pos + n) into memory (may block on the disk: never on the audio
    // thread; see StemPrefetcher). Returns the pages touched.
    int64_t prefetch(int64_t pos, int64_t n) const;
    // Whether every page of frames [pos, pos + n) is resident now (mincore; for tests).
    bool resident(int64_t pos, int64_t n) const;

  private:
    StemSource() = default;
    void* m_map = nullptr;
    size_t m_mapLen = 0;
    const float* m_data = nullptr;
    int m_channels = 0;
    int m_rate = 0;
    int64_t m_frames = 0;
};

} // namespace mixroom::engine
