// SPDX-License-Identifier: MIT
// libFuzzer: the stem importer (WAV/AIFF/FLAC/OGG through libsndfile, with our checks: container,
// channels, rate, length from the header, truncation, non-finite samples, resampling).
#include "engine/stems/StemStore.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    namespace fs = std::filesystem;
    static const std::string dir = [] {
        std::string d = (fs::temp_directory_path() / ("mixroom-fuzz-stem-" + std::to_string(::getpid()))).string();
        fs::create_directories(d);
        return d;
    }();
    const std::string file = dir + "/input";
    if (FILE* f = std::fopen(file.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    mixroom::engine::StemLimits limits;
    limits.maxSeconds = 20; // keep one input's decode short
    limits.maxBytes = 4 << 20;
    mixroom::engine::StemStore store(dir + "/stems", limits);
    auto r = store.import(file, size % 2 ? 44100 : 48000);
    std::error_code ec;
    fs::remove_all(dir + "/stems", ec);
    (void)r;
    return 0;
}
