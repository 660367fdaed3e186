// SPDX-License-Identifier: MIT
#pragma once
// Keeps the stems ahead of each live playhead in memory, so the render thread never waits on a
// disk read: a page of a memory-mapped stem that is not resident would fault inside
// MixGraph::process(). A thread of its own looks at every tracked playhead ten times a second
// and faults in the next kAheadSeconds of each stem (madvise WILLNEED, then a read per page).
// Threads: track()/forget() on a control thread (they never wait for a pass: a pass copies the
// reader list and faults pages in without the lock); the playhead cursors are written by the
// render thread (relaxed atomics, nothing else); the prefetch thread only reads.
#include "engine/stems/StemSource.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mixroom::engine {

class StemPrefetcher {
  public:
    static constexpr double kAheadSeconds = 2.0;
    using Cursor = std::atomic<int64_t>; // the playhead, in frames at the session rate

    StemPrefetcher();
    ~StemPrefetcher();
    StemPrefetcher(const StemPrefetcher&) = delete;
    StemPrefetcher& operator=(const StemPrefetcher&) = delete;

    // Reader `id` plays `stems` at `rate`; its playhead is *cursor. Replaces what `id` had.
    void track(uint32_t id, std::vector<std::shared_ptr<const StemSource>> stems, int rate, std::shared_ptr<const Cursor> cursor);
    void forget(uint32_t id);
    // Pages read ahead so far (for tests and metrics).
    int64_t pagesTouched() const { return m_pages.load(std::memory_order_relaxed); }
    // Runs one pass now and waits for it (tests).
    void passNow();

  private:
    struct Reader {
        std::vector<std::shared_ptr<const StemSource>> stems;
        int rate = 48000;
        std::shared_ptr<const Cursor> cursor;
        int64_t doneFrom = -1, doneTo = -1; // the range already brought in
    };
    void run();
    void pass(const std::vector<std::shared_ptr<Reader>>& readers);

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::map<uint32_t, std::shared_ptr<Reader>> m_readers; // a pass works on a copy of the list, unlocked
    bool m_stop = false;
    uint64_t m_passesWanted = 0, m_passesDone = 0;
    std::condition_variable m_passed;
    std::atomic<int64_t> m_pages{0};
    std::thread m_thread;
};

} // namespace mixroom::engine
