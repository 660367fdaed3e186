// SPDX-License-Identifier: MIT
#include "engine/render/AudioFileWriter.h"
#include "engine/dsp/FastMath.h"

#include <sndfile.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mixroom::engine {

namespace {
constexpr int64_t kWritebackBytes = 1 << 20;

// splitmix64 of a sample's index: each sample's dither is independent of the others', so the loop
// has no serial chain (a stepped generator's state would be one), and it is the same on every run.
inline uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
} // namespace

Result<FileFormat> parseFileFormat(const std::string& name)
{
    if (name == "wav16") return FileFormat::Wav16;
    if (name == "wav24") return FileFormat::Wav24;
    if (name == "wav32f") return FileFormat::Wav32f;
    if (name == "flac16") return FileFormat::Flac16;
    if (name == "flac24") return FileFormat::Flac24;
    return Error{"bad_format", "unknown format '" + name + "' (use wav16, wav24, wav32f, flac16 or flac24)"};
}

std::string formatName(FileFormat f)
{
    switch (f) {
    case FileFormat::Wav16: return "wav16";
    case FileFormat::Wav24: return "wav24";
    case FileFormat::Wav32f: return "wav32f";
    case FileFormat::Flac16: return "flac16";
    case FileFormat::Flac24: return "flac24";
    }
    return "?";
}

struct AudioFileWriter::Impl {
    SNDFILE* snd = nullptr;
    std::string path, part;
    int bits = 0;         // 0: float
    uint64_t written = 0; // samples (both channels) written so far: the dither's counter
    std::vector<int> ints;
    std::vector<float> floats;
    bool finished = false;
    int fd = -1;
    int64_t unflushed = 0; // bytes written since writeback was last started
};

Result<std::unique_ptr<AudioFileWriter>> AudioFileWriter::create(const std::string& path, FileFormat format, int sampleRate)
{
    SF_INFO info{};
    info.samplerate = sampleRate;
    info.channels = 2;
    int bits = 0;
    switch (format) {
    case FileFormat::Wav16:
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        bits = 16;
        break;
    case FileFormat::Wav24:
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
        bits = 24;
        break;
    case FileFormat::Wav32f: info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT; break;
    case FileFormat::Flac16:
        info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
        bits = 16;
        break;
    case FileFormat::Flac24:
        info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
        bits = 24;
        break;
    }
    std::unique_ptr<AudioFileWriter> w(new AudioFileWriter);
    w->d = std::make_unique<Impl>();
    w->d->path = path;
    w->d->part = path + ".part";
    w->d->bits = bits;
    w->d->fd = ::open(w->d->part.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->d->fd < 0) return Error{"write_failed", "cannot write " + path + ": " + std::strerror(errno)};
    w->d->snd = sf_open_fd(w->d->fd, SFM_WRITE, &info, SF_FALSE);
    if (!w->d->snd) {
        ::close(w->d->fd);
        std::remove(w->d->part.c_str());
        return Error{"write_failed", "cannot write " + path + ": " + sf_strerror(nullptr)};
    }
    // libsndfile's PEAK chunk (float WAV) carries the wall-clock time: the same audio would not
    // give the same bytes. Renders must be bit-identical, so it is left out.
    sf_command(w->d->snd, SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);
    return w;
}

AudioFileWriter::~AudioFileWriter()
{
    if (d && d->snd) sf_close(d->snd);
    if (d && d->fd >= 0) ::close(d->fd);
    if (d && !d->finished) std::remove(d->part.c_str());
}

// The AVX2 clone rounds with vroundsd instead of calling floor(); the values are the same.
MIXROOM_CLONES Result<Ok> AudioFileWriter::write(const float* left, const float* right, int n)
{
    sf_count_t wrote = 0;
    if (d->bits == 0) {
        d->floats.resize(static_cast<size_t>(2 * n));
        for (int i = 0; i < n; ++i) {
            d->floats[static_cast<size_t>(2 * i)] = left[i];
            d->floats[static_cast<size_t>(2 * i + 1)] = right[i];
        }
        wrote = sf_writef_float(d->snd, d->floats.data(), n);
    } else {
        // TPDF dither of +-1 LSB, round, clip; left-justified in 32 bits for libsndfile.
        const double scale = std::ldexp(1.0, d->bits - 1);
        const double maxQ = scale - 1.0;
        const int shift = 32 - d->bits;
        d->ints.resize(static_cast<size_t>(2 * n));
        for (int i = 0; i < 2 * n; ++i) {
            // Each channel indexed in its own branch: GCC 12 miscompiles the subscript of a
            // conditional pointer at -O0 with -fsanitize=undefined.
            const double x = (i & 1) != 0 ? static_cast<double>(right[i >> 1]) : static_cast<double>(left[i >> 1]);
            // TPDF: the difference of two uniforms in [0, 1), the two halves of one hash.
            const uint64_t h = mix(d->written + static_cast<uint64_t>(i));
            const double dither = (static_cast<double>(static_cast<uint32_t>(h)) - static_cast<double>(h >> 32)) * (1.0 / 4294967296.0);
            double q = std::floor(x * scale + dither + 0.5);
            q = std::min(maxQ, std::max(-scale, q));
            d->ints[static_cast<size_t>(i)] = static_cast<int>(static_cast<int64_t>(q) * (int64_t(1) << shift));
        }
        wrote = sf_writef_int(d->snd, d->ints.data(), n);
        d->written += static_cast<uint64_t>(2 * n);
    }
    if (wrote != n) return Error{"write_failed", "cannot write " + d->path + ": " + sf_strerror(d->snd)};
    // Start the disk writing as the file grows (it does not wait), so that finish()'s fsync has
    // only the last few megabytes left to wait for.
    d->unflushed += int64_t{n} * 8;
    if (d->unflushed >= kWritebackBytes) {
        d->unflushed = 0;
#if defined(__linux__)
        ::sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }
    return Ok{};
}

Result<Ok> AudioFileWriter::finish()
{
    // Closing writes the final header; then one fsync for the header and what writeback has not
    // written yet.
    const int closed = sf_close(d->snd);
    d->snd = nullptr;
    const int synced = ::fsync(d->fd);
    ::close(d->fd);
    d->fd = -1;
    if (closed != 0 || synced != 0) return Error{"write_failed", "cannot finish " + d->path};
    if (std::rename(d->part.c_str(), d->path.c_str()) != 0)
        return Error{"write_failed", "cannot rename " + d->part + " to " + d->path + ": " + std::strerror(errno)};
    d->finished = true;
    return Ok{};
}

} // namespace mixroom::engine
