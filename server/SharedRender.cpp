// SPDX-License-Identifier: MIT
#include "server/SharedRender.h"

#include "protocol/SessionCodec.h"
#include "server/PreviewStream.h"

#include <QCryptographicHash>

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <map>

namespace mixroom::server {

namespace {
constexpr int kOutRate = 48000;
}

SharedRender::SharedRender(QByteArray key, engine::Session doc, const StreamSettings& settings, Build build)
    : m_key(std::move(key)), m_doc(std::move(doc)), m_build(std::move(build)), m_settings(settings)
{
    m_frameSamples = kOutRate * settings.frameMs / 1000;
    m_chunkFrames = std::max(1, 1000 / settings.frameMs);
    const int64_t out = settings.lengthFrames * kOutRate / std::max(1, settings.sessionRate);
    m_frameCount = (out + m_frameSamples - 1) / m_frameSamples;
    const int64_t chunks = (m_frameCount + m_chunkFrames - 1) / m_chunkFrames;
    m_chunks.reserve(static_cast<size_t>(chunks));
    for (int64_t c = 0; c < chunks; ++c)
        m_chunks.push_back(std::make_unique<Chunk>());
}

int64_t SharedRender::sessionFrameOf(int64_t k) const
{
    return k * m_frameSamples * m_settings.sessionRate / kOutRate;
}

const SharedFrame* SharedRender::frame(int64_t k) const
{
    if (k < 0 || k >= m_frameCount) return nullptr;
    const Chunk& c = *m_chunks[static_cast<size_t>(k / m_chunkFrames)];
    if (!c.ready.load(std::memory_order_acquire)) return nullptr;
    const size_t i = static_cast<size_t>(k % m_chunkFrames);
    return i < c.frames.size() ? &c.frames[i] : nullptr;
}

void SharedRender::addCursor(std::shared_ptr<Cursor> c)
{
    std::lock_guard lock(m_cursorLock);
    std::erase_if(m_cursors, [](const std::weak_ptr<Cursor>& w) { return w.expired(); });
    m_cursors.push_back(std::move(c));
}

std::vector<int64_t> SharedRender::positions()
{
    std::vector<int64_t> out;
    std::lock_guard lock(m_cursorLock);
    for (const auto& w : m_cursors)
        if (auto c = w.lock()) {
            const int64_t p = c->load(std::memory_order_relaxed);
            if (p >= 0) out.push_back(p);
        }
    return out;
}

void SharedRender::publish(int64_t c, std::vector<SharedFrame> frames)
{
    Chunk& chunk = *m_chunks[static_cast<size_t>(c)];
    qint64 bytes = 0;
    for (const auto& f : frames)
        bytes += f.payload.size();
    chunk.frames = std::move(frames);
    m_bytes.fetch_add(bytes, std::memory_order_relaxed);
    chunk.ready.store(true, std::memory_order_release);
}

// --- the producer ----------------------------------------------------------------------------

struct SharedRenderer::Producer {
    std::weak_ptr<SharedRender> render; // which render this is (a new one may reuse a freed one's address)
    std::unique_ptr<PreviewStream> stream;
    int64_t next = -1; // the frame the stream renders next (-1: not started)
    bool failed = false;
};

SharedRenderer::SharedRenderer()
{
    m_thread = std::thread([this] {
        pthread_setname_np(pthread_self(), "mixroom-shared");
        // Background work: it gives way to the render threads and the control thread (nice 10),
        // which have frames due; after an edit it is what catches the listeners up.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
        run();
    });
}

SharedRenderer::~SharedRenderer()
{
    {
        std::lock_guard lock(m_lock);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

std::shared_ptr<SharedRender> SharedRenderer::renderFor(const engine::Session& doc, const StreamSettings& settings,
                                                        SharedRender::Build build)
{
    // The frame grid must fall on whole session frames, so that a stream can move between its
    // own render and the shared one at any frame without a seam.
    if (settings.frameMs <= 0 || (static_cast<int64_t>(settings.sessionRate) * settings.frameMs) % 1000 != 0 || settings.lengthFrames <= 0)
        return nullptr;
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(protocol::encodeSession(doc));
    h.addData(QString("|%1|%2|%3|%4")
                  .arg(settings.sessionRate)
                  .arg(settings.frameMs)
                  .arg(settings.bitrateKbps)
                  .arg(settings.lengthFrames)
                  .toUtf8());
    const QByteArray key = h.result();
    std::lock_guard lock(m_lock);
    for (auto it = m_renders.begin(); it != m_renders.end(); ++it)
        if ((*it)->key() == key) {
            auto found = *it;
            m_renders.erase(it);
            m_renders.push_back(found); // most recently used last
            return found;
        }
    auto r = std::make_shared<SharedRender>(key, doc, settings, std::move(build));
    m_renders.push_back(r);
    m_renderCount.fetch_add(1, std::memory_order_relaxed);
    m_chunkCount.fetch_add(r->chunkCount(), std::memory_order_relaxed);
    // Bounded: the least recently asked-for renders go first; a stream still reading one keeps it.
    qint64 total = 0;
    for (const auto& x : m_renders)
        total += x->bytes();
    while (m_renders.size() > 1 && (total > kMaxBytes || m_renders.size() > 64)) {
        total -= m_renders.front()->bytes();
        m_renders.pop_front();
    }
    return r;
}

void SharedRenderer::wake()
{
    {
        std::lock_guard lock(m_lock);
        m_woken = true;
    }
    m_wake.notify_one();
}

SharedRenderer::Stats SharedRenderer::stats() const
{
    return Stats{m_chunksRendered.load(), m_prerollFrames.load(), m_renderCount.load(), m_chunkCount.load()};
}

void SharedRenderer::run()
{
    std::map<const SharedRender*, Producer> producers;
    for (;;) {
        std::vector<std::shared_ptr<SharedRender>> renders;
        {
            std::unique_lock lock(m_lock);
            if (m_stop) return;
            renders.assign(m_renders.begin(), m_renders.end());
        }
        // Forget the producers of renders nobody holds any more (expired before `renders` was
        // taken, so a new render at a freed one's address never inherits its producer).
        for (auto it = producers.begin(); it != producers.end();)
            it = it->second.render.expired() ? producers.erase(it) : std::next(it);
        for (const auto& r : renders)
            if (auto& p = producers[r.get()]; p.render.expired()) p.render = r;
        // The chunk most urgently needed: the nearest one not ready ahead of any listener,
        // the newest render first on a tie (an edit's listeners are waiting for it).
        SharedRender* best = nullptr;
        int64_t bestChunk = -1, bestDistance = std::numeric_limits<int64_t>::max();
        for (auto it = renders.rbegin(); it != renders.rend(); ++it) {
            SharedRender& r = **it;
            if (producers[&r].failed) continue;
            for (const int64_t p : r.positions()) {
                const int64_t first = std::min<int64_t>(p / r.chunkFrames(), r.chunkCount());
                for (int64_t c = first; c < std::min<int64_t>(first + kAheadChunks, r.chunkCount()); ++c) {
                    if (r.chunkReady(c)) continue;
                    // Continuing where this render's producer stopped needs no pre-roll: it
                    // goes first among chunks that are due now.
                    int64_t distance = std::max<int64_t>(0, c * r.chunkFrames() - p);
                    if (distance == 0 && producers[&r].next != c * r.chunkFrames()) distance = 1;
                    if (distance < bestDistance) {
                        best = &r;
                        bestChunk = c;
                        bestDistance = distance;
                    }
                    break;
                }
            }
        }
        if (!best) {
            std::unique_lock lock(m_lock);
            m_wake.wait_for(lock, std::chrono::milliseconds(50), [this] { return m_stop || m_woken; });
            m_woken = false;
            continue;
        }
        SharedRender& r = *best;
        Producer& p = producers[&r];
        const int64_t start = bestChunk * r.chunkFrames();
        if (!p.stream) {
            QString error;
            auto graph = r.build()(r.doc(), &error);
            if (!graph) {
                qWarning("mixroomd: a shared preview render could not start: %s", qPrintable(error));
                p.failed = true;
                continue;
            }
            StreamSettings s = r.settings();
            p.stream =
                std::make_unique<PreviewStream>(0, std::move(graph), s, nullptr, std::make_shared<engine::StemPrefetcher::Cursor>(0));
        }
        if (p.next != start) {
            // Not the continuation of what this producer rendered last: start a pre-roll before
            // the chunk, so compressors, limiter and reverb tails are settled when it begins.
            const int64_t preroll = std::min<int64_t>(start, kPrerollMs / r.settings().frameMs);
            p.stream->seekFrame(r.sessionFrameOf(start - preroll));
            for (int64_t k = start - preroll; k < start; ++k)
                p.stream->produceFrame(start - k <= 2); // encoded only where the encoder's lookahead needs it
            m_prerollFrames.fetch_add(preroll, std::memory_order_relaxed);
        }
        const int64_t end = std::min<int64_t>(start + r.chunkFrames(), r.frameCount());
        std::vector<SharedFrame> frames;
        frames.reserve(static_cast<size_t>(end - start));
        for (int64_t k = start; k < end; ++k)
            frames.push_back(p.stream->produceFrame());
        p.next = end;
        r.publish(bestChunk, std::move(frames));
        m_chunksRendered.fetch_add(1, std::memory_order_relaxed);
    }
}

} // namespace mixroom::server
