// SPDX-License-Identifier: MIT
#include "engine/stems/StemSource.h"

#include "engine/stems/StemFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace mixroom::engine {

Result<std::shared_ptr<const StemSource>> StemSource::open(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{"stem_missing", "cannot open stem " + path + ": " + std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(StemHeader))) {
        ::close(fd);
        return Error{"stem_corrupt", "stem " + path + " is too short to be a canonical stem"};
    }
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return Error{"stem_io", "cannot map stem " + path + ": " + std::strerror(errno)};
    StemHeader h;
    std::memcpy(&h, map, sizeof h);
    const uint64_t need = sizeof h + h.frames * h.channels * sizeof(float);
    if (!h.valid() || need != static_cast<uint64_t>(st.st_size)) {
        ::munmap(map, static_cast<size_t>(st.st_size));
        return Error{"stem_corrupt", "stem " + path + " has a bad header or size"};
    }
    ::madvise(map, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    std::shared_ptr<StemSource> s(new StemSource);
    s->m_map = map;
    s->m_mapLen = static_cast<size_t>(st.st_size);
    s->m_data = reinterpret_cast<const float*>(static_cast<const char*>(map) + sizeof h);
    s->m_channels = static_cast<int>(h.channels);
    s->m_rate = static_cast<int>(h.sampleRate);
    s->m_frames = static_cast<int64_t>(h.frames);
    return std::shared_ptr<const StemSource>(std::move(s));
}

StemSource::~StemSource()
{
    if (m_map) ::munmap(m_map, m_mapLen);
}

void StemSource::read(int64_t pos, int n, float* left, float* right) const
{
    int i = 0;
    for (; i < n && pos + i < 0; ++i)
        left[i] = right[i] = 0.0f;
    const int64_t start = pos + i;
    const int avail = start >= m_frames ? 0 : static_cast<int>(std::min<int64_t>(n - i, m_frames - start));
    if (m_channels == 1) {
        const float* src = m_data + start;
        for (int k = 0; k < avail; k += 16)
            __builtin_prefetch(src + k); // as below
        for (int k = 0; k < avail; ++k)
            left[i + k] = right[i + k] = src[k];
    } else {
        const float* src = m_data + 2 * start;
        // The stems are far larger than the caches: asking for all of the block's lines first keeps
        // many loads in flight (about twice the bandwidth of the hardware prefetcher alone, which
        // stops at every page).
        for (int k = 0; k < avail; k += 8)
            __builtin_prefetch(src + 2 * k);
        for (int k = 0; k < avail; ++k) {
            left[i + k] = src[2 * k];
            right[i + k] = src[2 * k + 1];
        }
    }
    for (i += avail; i < n; ++i)
        left[i] = right[i] = 0.0f;
}

void StemSource::warm(int64_t pos, int n) const
{
    pos = std::max<int64_t>(pos, 0);
    const int64_t end = std::min<int64_t>(pos + n, m_frames);
    const char* first = reinterpret_cast<const char*>(m_data + pos * m_channels);
    const char* last = reinterpret_cast<const char*>(m_data + end * m_channels);
    for (const char* p = first; p < last; p += 64)
        __builtin_prefetch(p);
}

namespace {
size_t pageSize()
{
    static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}
} // namespace

int64_t StemSource::prefetch(int64_t pos, int64_t n) const
{
    pos = std::clamp<int64_t>(pos, 0, m_frames);
    n = std::clamp<int64_t>(n, 0, m_frames - pos);
    if (n == 0) return 0;
    const size_t page = pageSize();
    const auto* base = static_cast<const char*>(m_map);
    const size_t first = (reinterpret_cast<const char*>(m_data + pos * m_channels) - base) / page * page;
    const size_t last = static_cast<size_t>(reinterpret_cast<const char*>(m_data + (pos + n) * m_channels) - base);
    ::madvise(const_cast<char*>(base) + first, last - first, MADV_WILLNEED);
    int64_t pages = 0;
    volatile char sink = 0;
    for (size_t off = first; off < last; off += page, ++pages)
        sink = sink + base[off]; // fault it in here, not on the render thread
    return pages;
}

bool StemSource::resident(int64_t pos, int64_t n) const
{
    pos = std::clamp<int64_t>(pos, 0, m_frames);
    n = std::clamp<int64_t>(n, 0, m_frames - pos);
    const size_t page = pageSize();
    auto* base = static_cast<char*>(m_map);
    const size_t first = (reinterpret_cast<const char*>(m_data + pos * m_channels) - base) / page * page;
    const size_t last = static_cast<size_t>(reinterpret_cast<const char*>(m_data + (pos + n) * m_channels) - base);
    std::vector<unsigned char> vec((last - first + page - 1) / page);
    if (::mincore(base + first, last - first, vec.data()) != 0) return false;
    for (unsigned char v : vec)
        if (!(v & 1)) return false;
    return true;
}

} // namespace mixroom::engine
