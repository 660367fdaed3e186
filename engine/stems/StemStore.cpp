// SPDX-License-Identifier: MIT
#include "engine/stems/StemStore.h"

#include "engine/stems/StemFile.h"
#include "engine/stems/StemSource.h"
#include "engine/util/Sha256.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace mixroom::engine {

namespace {

constexpr int kChunkFrames = 65536;

struct FormatInfo {
    bool supported = false;
    int bytesPerSample = 0; // 0 for compressed payloads
    std::string name;
};

FormatInfo describeFormat(int format)
{
    const int major = format & SF_FORMAT_TYPEMASK;
    const int sub = format & SF_FORMAT_SUBMASK;
    std::string container;
    switch (major) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX: container = "WAV"; break;
    case SF_FORMAT_RF64: container = "RF64"; break;
    case SF_FORMAT_W64: container = "W64"; break;
    case SF_FORMAT_AIFF: container = "AIFF"; break;
    case SF_FORMAT_FLAC: container = "FLAC"; break;
    case SF_FORMAT_OGG: container = "Ogg"; break;
    default: return {false, 0, "an unsupported container"};
    }
    switch (sub) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: return {major != SF_FORMAT_OGG, major == SF_FORMAT_FLAC ? 0 : 1, container + " 8-bit"};
    case SF_FORMAT_PCM_16: return {major != SF_FORMAT_OGG, major == SF_FORMAT_FLAC ? 0 : 2, container + " 16-bit"};
    case SF_FORMAT_PCM_24: return {major != SF_FORMAT_OGG, major == SF_FORMAT_FLAC ? 0 : 3, container + " 24-bit"};
    case SF_FORMAT_PCM_32: return {major != SF_FORMAT_OGG && major != SF_FORMAT_FLAC, 4, container + " 32-bit"};
    case SF_FORMAT_FLOAT: return {major != SF_FORMAT_OGG && major != SF_FORMAT_FLAC, 4, container + " float"};
    case SF_FORMAT_DOUBLE: return {major != SF_FORMAT_OGG && major != SF_FORMAT_FLAC, 8, container + " double"};
    case SF_FORMAT_VORBIS: return {major == SF_FORMAT_OGG, 0, "Ogg Vorbis"};
    default: return {false, 0, container + " with a compressed codec (not PCM, float, FLAC or Vorbis)"};
    }
}

// Removes the temporary file unless released.
struct TempFile {
    std::string path;
    int fd = -1;
    ~TempFile()
    {
        if (fd >= 0) ::close(fd);
        if (!path.empty()) ::unlink(path.c_str());
    }
};

bool writeAll(int fd, const void* data, size_t len)
{
    auto p = static_cast<const char*>(data);
    while (len > 0) {
        const ssize_t w = ::write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        len -= static_cast<size_t>(w);
    }
    return true;
}

std::string hashFile(const std::string& file, std::string* err)
{
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        *err = std::strerror(errno);
        return {};
    }
    Sha256 h;
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h.update(buf.data(), static_cast<size_t>(in.gcount()));
    }
    return h.hexFinish();
}

// True when libsndfile's header log shows a data chunk (WAV "data : N (should be M)") or frame
// count (AIFF "COMM ... not equal to frame count") larger than the file holds. Streaming WAVs
// that leave the size 0 or 0xFFFFFFFF are not truncated.
bool claimsMoreThanFile(const char* log)
{
    if (std::strstr(log, "not equal to frame count")) {
        unsigned long long claimed = 0, actual = 0;
        const char* a = std::strstr(log, "chunk (");
        const char* b = a ? std::strstr(a + 7, "chunk (") : nullptr;
        if (a && b && std::sscanf(a, "chunk (%llu)", &claimed) == 1 && std::sscanf(b, "chunk (%llu)", &actual) == 1)
            return claimed > actual;
        return true;
    }
    for (const char* line = std::strstr(log, "data : "); line; line = std::strstr(line + 1, "data : ")) {
        unsigned long long stated = 0, should = 0;
        if (std::sscanf(line, "data : %llu (should be %llu)", &stated, &should) == 2)
            return stated > should && stated != 0xFFFFFFFFull && stated != 0;
    }
    return false;
}

} // namespace

StemStore::StemStore(std::string dir, StemLimits limits) : m_dir(std::move(dir)), m_limits(limits) {}

int StemStore::removeStaleTemporaries()
{
    std::error_code ec;
    int removed = 0;
    for (const auto& e : fs::directory_iterator(m_dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("import-", 0) == 0 || (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0))
            removed += fs::remove(e.path(), ec) ? 1 : 0;
    }
    return removed;
}

Result<std::string> StemStore::pathOf(const std::string& hash) const
{
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        return Error{"stem_unknown", "\"" + hash + "\" is not a stem hash"};
    const std::string p = m_dir + "/" + hash + ".f32";
    if (!fs::exists(p)) return Error{"stem_unknown", "stem " + hash + " is not in the store"};
    return p;
}

Result<StemInfo> StemStore::import(const std::string& file, int sessionRate, const Progress& progress)
{
    std::error_code ec;
    fs::create_directories(m_dir, ec);
    if (ec) return Error{"store_io", "cannot create stem store " + m_dir + ": " + ec.message()};
    // Cache: the same source bytes at the same rate give the same canonical stem.
    std::string hashErr;
    const std::string srcHash = hashFile(file, &hashErr);
    if (srcHash.empty()) return Error{"stem_unreadable", "cannot read " + file + ": " + hashErr};
    const std::string ref = m_dir + "/src-" + srcHash + "-" + std::to_string(sessionRate) + ".ref";
    if (std::ifstream in(ref); in) {
        std::string hash;
        in >> hash;
        if (auto p = pathOf(hash); p.ok()) {
            if (auto src = StemSource::open(p.value()); src.ok()) {
                // Found again: its grace period against garbage collection starts again (the
                // track that will name it may not be added yet).
                fs::last_write_time(p.value(), fs::file_time_type::clock::now(), ec);
                if (progress) progress(1.0);
                return StemInfo{hash, p.value(), src.value()->channels(), src.value()->sampleRate(), src.value()->frames(), 0, "cached"};
            }
        }
    }
    auto info = decode(file, sessionRate, progress);
    if (info.ok()) {
        const std::string tmp = ref + ".tmp";
        std::ofstream(tmp) << info->hash << "\n";
        fs::rename(tmp, ref, ec);
    }
    return info;
}

Result<StemInfo> StemStore::decode(const std::string& file, int sessionRate, const Progress& progress)
{
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return Error{"stem_unreadable", "cannot read " + file + ": " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode)) return Error{"stem_unreadable", file + " is not a regular file"};
    if (st.st_size == 0) return Error{"stem_empty", file + " is empty (zero length)"};
    if (st.st_size > m_limits.maxBytes)
        return Error{"stem_too_large", file + " is larger than the limit of " + std::to_string(m_limits.maxBytes) + " bytes"};

    SF_INFO sfi{};
    SNDFILE* snd = sf_open(file.c_str(), SFM_READ, &sfi);
    if (!snd) {
        const std::string why = sf_strerror(nullptr);
        return Error{"stem_corrupt", file + " is not a readable audio file: " + why};
    }
    struct Closer {
        SNDFILE* s;
        ~Closer() { sf_close(s); }
    } closer{snd};
    const FormatInfo fmt = describeFormat(sfi.format);
    if (!fmt.supported)
        return Error{"stem_unsupported", file + " is " + fmt.name + "; supported are WAV/AIFF (PCM or float), FLAC and Ogg Vorbis"};
    if (sfi.channels < 1 || sfi.channels > m_limits.maxChannels)
        return Error{"stem_channels", file + " has " + std::to_string(sfi.channels) + " channels; stems must be mono or stereo"};
    if (sfi.samplerate < m_limits.minRate || sfi.samplerate > m_limits.maxRate)
        return Error{"stem_rate", file + " claims a sample rate of " + std::to_string(sfi.samplerate) + " Hz, outside " +
                                      std::to_string(m_limits.minRate) + "-" + std::to_string(m_limits.maxRate) + " Hz"};
    if (sfi.frames <= 0) return Error{"stem_empty", file + " holds no audio frames (zero length)"};
    // Bounded from the header before a sample is decoded: a few hundred KB of FLAC can claim an
    // hour of silence (a decompression amplifier).
    const double seconds = static_cast<double>(sfi.frames) / sfi.samplerate;
    if (seconds > m_limits.maxSeconds)
        // A header may claim anything up to 2^63 frames: the minutes are said without overflowing.
        return Error{"stem_too_long", file + " is " + std::to_string(static_cast<long long>(std::min(seconds / 60, 1e15))) +
                                          " min long; the limit is " + std::to_string(int(m_limits.maxSeconds / 60)) + " min"};
    const double decodedBytes = seconds * sessionRate * sfi.channels * sizeof(float);
    if (decodedBytes > static_cast<double>(m_limits.maxDecodedBytes))
        return Error{"stem_too_large", file + " would decode to " +
                                           std::to_string(static_cast<long long>(std::min(decodedBytes / (1 << 20), 1e15))) +
                                           " MiB; the limit is " + std::to_string(m_limits.maxDecodedBytes >> 20) + " MiB"};
    if (fmt.bytesPerSample > 0) {
        const double claimed = static_cast<double>(sfi.frames) * sfi.channels * fmt.bytesPerSample;
        if (claimed > static_cast<double>(st.st_size))
            return Error{"stem_corrupt", file + ": the header claims " + std::to_string(sfi.frames) + " frames, more than the file's " +
                                             std::to_string(st.st_size) + " bytes can hold"};
    }
    // libsndfile clamps a data chunk that overruns the file and notes it in its log; a stem cut
    // short in transfer must not import as a shorter song.
    {
        char log[8192] = {0};
        sf_command(snd, SFC_GET_LOG_INFO, log, sizeof log);
        if (claimsMoreThanFile(log)) return Error{"stem_corrupt", file + " is truncated: its header claims more audio than the file holds"};
    }

    const int ch = sfi.channels;
    const double ratio = static_cast<double>(sessionRate) / sfi.samplerate;
    soxr_t soxr = nullptr;
    if (sfi.samplerate != sessionRate) {
        soxr_error_t err = nullptr;
        const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        const soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
        const soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        soxr = soxr_create(sfi.samplerate, sessionRate, static_cast<unsigned>(ch), &err, &io, &q, &rt);
        if (!soxr) return Error{"stem_resample", std::string("cannot create the resampler: ") + err};
    }
    struct SoxrCloser {
        soxr_t s;
        ~SoxrCloser()
        {
            if (s) soxr_delete(s);
        }
    } soxrCloser{soxr};

    TempFile tmp;
    {
        std::string templ = m_dir + "/import-XXXXXX";
        std::vector<char> name(templ.begin(), templ.end());
        name.push_back('\0');
        tmp.fd = ::mkstemp(name.data());
        if (tmp.fd < 0) return Error{"store_io", "cannot create a temporary file in " + m_dir + ": " + std::strerror(errno)};
        tmp.path = name.data();
    }
    StemHeader header;
    header.channels = static_cast<uint32_t>(ch);
    header.sampleRate = static_cast<uint32_t>(sessionRate);
    if (!writeAll(tmp.fd, &header, sizeof header)) return Error{"store_io", std::string("cannot write the stem: ") + std::strerror(errno)};

    Sha256 hash;
    const std::string tag = "mixroom-stem " + std::to_string(ch) + " " + std::to_string(sessionRate) + "\n";
    hash.update(tag.data(), tag.size());
    std::vector<float> in(static_cast<size_t>(kChunkFrames * ch));
    std::vector<float> out(static_cast<size_t>((static_cast<int>(kChunkFrames * ratio) + 64) * ch));
    int64_t framesIn = 0, framesOut = 0;
    auto emit = [&](const float* data, size_t frames) -> bool {
        if (frames == 0) return true;
        hash.update(data, frames * ch * sizeof(float));
        framesOut += static_cast<int64_t>(frames);
        return writeAll(tmp.fd, data, frames * ch * sizeof(float));
    };
    while (true) {
        const sf_count_t got = sf_readf_float(snd, in.data(), kChunkFrames);
        if (got < 0) return Error{"stem_corrupt", file + ": decoding failed: " + sf_strerror(snd)};
        if (sf_error(snd) != SF_ERR_NO_ERROR)
            return Error{"stem_corrupt", file + ": decoding failed after " + std::to_string(framesIn) + " frames: " + sf_strerror(snd)};
        for (sf_count_t i = 0; i < got * ch; ++i)
            if (!std::isfinite(in[static_cast<size_t>(i)]))
                return Error{"stem_corrupt", file + " contains non-finite sample values (NaN or infinity)"};
        framesIn += got;
        // A header can also understate: the decoded audio is held to the same limit.
        if (static_cast<double>(framesIn) / sfi.samplerate > m_limits.maxSeconds + 1.0)
            return Error{"stem_too_long",
                         file + " decodes to more than the limit of " + std::to_string(int(m_limits.maxSeconds / 60)) + " min"};
        bool okWrite = true;
        if (soxr) {
            // Feed the chunk; at the end (got == 0) a null input flushes the resampler.
            const float* src = got > 0 ? in.data() : nullptr;
            size_t consumed = 0, produced = 0;
            size_t remaining = static_cast<size_t>(got);
            do {
                soxr_error_t e = soxr_process(soxr, src, remaining, &consumed, out.data(), out.size() / ch, &produced);
                if (e) return Error{"stem_resample", std::string("resampling failed: ") + e};
                okWrite = okWrite && emit(out.data(), produced);
                if (src) {
                    src += consumed * ch;
                    remaining -= consumed;
                }
            } while (okWrite && (remaining > 0 || (got == 0 && produced > 0)));
        } else {
            okWrite = emit(in.data(), static_cast<size_t>(got));
        }
        if (!okWrite) return Error{"store_io", std::string("cannot write the stem (") + std::strerror(errno) + "); nothing was stored"};
        if (progress) progress(std::min(1.0, static_cast<double>(framesIn) / static_cast<double>(sfi.frames)));
        if (got == 0) break;
    }
    if (framesIn < sfi.frames)
        return Error{"stem_corrupt", file + " is truncated: the header claims " + std::to_string(sfi.frames) + " frames, " +
                                         std::to_string(framesIn) + " could be decoded"};
    if (framesOut == 0) return Error{"stem_empty", file + " decoded to no audio"};

    header.frames = static_cast<uint64_t>(framesOut);
    if (::pwrite(tmp.fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) || ::fsync(tmp.fd) != 0)
        return Error{"store_io", std::string("cannot finish the stem: ") + std::strerror(errno) + "; nothing was stored"};
    ::close(tmp.fd);
    tmp.fd = -1;

    const std::string hex = hash.hexFinish();
    const std::string finalPath = m_dir + "/" + hex + ".f32";
    if (fs::exists(finalPath)) {
        // Stored once: identical content already present; the temporary copy is dropped.
    } else if (::rename(tmp.path.c_str(), finalPath.c_str()) != 0) {
        return Error{"store_io", "cannot store the stem: " + std::string(std::strerror(errno))};
    } else {
        tmp.path.clear();
        if (int dfd = ::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
    }
    StemInfo info;
    info.hash = hex;
    info.path = finalPath;
    info.channels = ch;
    info.sampleRate = sessionRate;
    info.frames = framesOut;
    info.sourceRate = sfi.samplerate;
    info.sourceFormat = fmt.name;
    return info;
}

Result<std::shared_ptr<const StemSource>> StemStore::open(const std::string& path)
{
    std::lock_guard lock(m_openLock);
    if (auto it = m_open.find(path); it != m_open.end())
        if (auto shared = it->second.lock()) return shared;
    auto src = StemSource::open(path);
    if (!src) return src.error();
    std::erase_if(m_open, [](const auto& kv) { return kv.second.expired(); });
    m_open[path] = src.value();
    return src.value();
}

} // namespace mixroom::engine
