// SPDX-License-Identifier: MIT
#include "engine/stems/StemPrefetcher.h"

#include <chrono>

namespace mixroom::engine {

StemPrefetcher::StemPrefetcher() : m_thread([this] { run(); }) {}

StemPrefetcher::~StemPrefetcher()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void StemPrefetcher::track(uint32_t id, std::vector<std::shared_ptr<const StemSource>> stems, int rate,
                           std::shared_ptr<const Cursor> cursor)
{
    {
        std::lock_guard lock(m_mutex);
        m_readers[id] = std::make_shared<Reader>(Reader{std::move(stems), rate, std::move(cursor), -1, -1});
    }
    m_wake.notify_all();
}

void StemPrefetcher::forget(uint32_t id)
{
    std::lock_guard lock(m_mutex);
    m_readers.erase(id);
}

void StemPrefetcher::passNow()
{
    std::unique_lock lock(m_mutex);
    const uint64_t want = ++m_passesWanted;
    m_wake.notify_all();
    m_passed.wait(lock, [&] { return m_passesDone >= want || m_stop; });
}

void StemPrefetcher::run()
{
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        const uint64_t wanted = m_passesWanted;
        std::vector<std::shared_ptr<Reader>> readers;
        readers.reserve(m_readers.size());
        for (const auto& [id, r] : m_readers)
            readers.push_back(r);
        // Page faults take the time: without the lock, track() and forget() (the control thread)
        // never wait for them; a reader replaced or forgotten meanwhile is simply read once more.
        lock.unlock();
        pass(readers);
        readers.clear(); // its stems are released here, not under the lock
        lock.lock();
        m_passesDone = wanted;
        m_passed.notify_all();
        m_wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return m_stop || m_passesWanted != m_passesDone; });
    }
    m_passed.notify_all();
}

void StemPrefetcher::pass(const std::vector<std::shared_ptr<Reader>>& readers)
{
    for (const auto& reader : readers) {
        Reader& r = *reader; // doneFrom/doneTo: this thread only
        const int64_t pos = std::max<int64_t>(0, r.cursor->load(std::memory_order_relaxed));
        const int64_t to = pos + static_cast<int64_t>(kAheadSeconds * r.rate);
        // Only what is new since the last pass (a seek starts over).
        const int64_t from = pos >= r.doneFrom && pos <= r.doneTo ? r.doneTo : pos;
        if (from < to)
            for (const auto& s : r.stems)
                m_pages.fetch_add(s->prefetch(from, to - from), std::memory_order_relaxed);
        r.doneFrom = pos;
        r.doneTo = to;
    }
}

} // namespace mixroom::engine
