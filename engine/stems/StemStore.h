// SPDX-License-Identifier: MIT
#pragma once
// Imports audio files into canonical stems. A file is checked (container, codec, channels, rate,
// length, header against file size), decoded with libsndfile, resampled once to the session rate
// with libsoxr (very-high quality), and written as "<sha256>.f32" through a temporary file that is
// fsynced and renamed; on any error the temporary file is removed and nothing is stored.
// Thread: any non-audio thread; one StemStore may be used from one thread at a time, except
// open(), which any thread may call at any time (it has a lock of its own).
#include "engine/stems/StemSource.h"
#include "engine/util/Result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace mixroom::engine {

struct StemInfo {
    std::string hash; // content hash, the stem's name in the store
    std::string path; // canonical file
    int channels = 0;
    int sampleRate = 0;
    int64_t frames = 0;
    int sourceRate = 0;
    std::string sourceFormat; // "WAV PCM 24-bit", "FLAC 16-bit", ...
};

struct StemLimits {
    int maxChannels = 2;
    int minRate = 8000;
    int maxRate = 384000;
    double maxSeconds = 30 * 60.0;              // longest stem (a compressed file's header says it)
    int64_t maxBytes = int64_t(4) << 30;        // largest source file
    int64_t maxDecodedBytes = int64_t(3) << 29; // largest canonical stem (float at the session rate): 1.5 GiB
};

class StemStore {
  public:
    using Progress = std::function<void(double fraction)>;
    explicit StemStore(std::string dir, StemLimits limits = {});
    const std::string& dir() const { return m_dir; }

    // Imports `file` at `sessionRate`. A file whose source bytes were imported at this rate
    // before is not decoded again.
    Result<StemInfo> import(const std::string& file, int sessionRate, const Progress& progress = {});
    // Removes what an import interrupted by a crash left (its temporary files). Only for the one
    // process that owns the store, at start; returns how many.
    int removeStaleTemporaries();
    // The canonical file of a stored hash, or an error if it is absent.
    Result<std::string> pathOf(const std::string& hash) const;

    // The mapped stem at `path`, shared by every graph that plays it while any holds it: one
    // mapping per stem, not one per listener (300 own listeners of a 16-stem song made 4,800
    // mappings of the same files). Any thread.
    Result<std::shared_ptr<const StemSource>> open(const std::string& path);

  private:
    Result<StemInfo> decode(const std::string& file, int sessionRate, const Progress& progress);
    std::string m_dir;
    StemLimits m_limits;
    std::mutex m_openLock;
    std::map<std::string, std::weak_ptr<const StemSource>> m_open;
};

} // namespace mixroom::engine
