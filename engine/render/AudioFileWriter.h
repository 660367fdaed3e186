// SPDX-License-Identifier: MIT
#pragma once
// Writes stereo float audio to WAV (16/24-bit with TPDF dither, 32-bit float) or FLAC (16/24-bit
// with TPDF dither) through libsndfile. The dither generator is seeded, so the same audio always
// gives the same bytes. Written to "<path>.part" and renamed by finish(); abandoned files vanish.
// Thread: one non-audio thread.
#include "engine/util/Result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mixroom::engine {

enum class FileFormat { Wav16, Wav24, Wav32f, Flac16, Flac24 };

Result<FileFormat> parseFileFormat(const std::string& name); // "wav16", "wav24", "wav32f", "flac16", "flac24"
std::string formatName(FileFormat f);

class AudioFileWriter {
  public:
    static Result<std::unique_ptr<AudioFileWriter>> create(const std::string& path, FileFormat format, int sampleRate);
    ~AudioFileWriter();
    Result<Ok> write(const float* left, const float* right, int n);
    Result<Ok> finish();

  private:
    AudioFileWriter() = default;
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace mixroom::engine
