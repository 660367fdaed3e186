// SPDX-License-Identifier: MIT
#pragma once
// Writes test audio files with libsndfile (interleaved float in, any container/codec out).
#include <sndfile.h>

#include <string>
#include <vector>

namespace mixroom::test {

inline bool writeAudio(const std::string& path, int format, int rate, int channels, const std::vector<float>& interleaved)
{
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) return false;
    sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / static_cast<size_t>(channels)));
    sf_close(f);
    return true;
}

inline std::vector<float> interleave(const std::vector<float>& l, const std::vector<float>& r)
{
    std::vector<float> out(l.size() * 2);
    for (size_t i = 0; i < l.size(); ++i) {
        out[2 * i] = l[i];
        out[2 * i + 1] = r[i];
    }
    return out;
}

} // namespace mixroom::test
