// SPDX-License-Identifier: MIT
#pragma once
// Commits op-log batches on a thread of its own, so the control thread never waits for a disk.
//
// A commit with synchronous=FULL ends in an fsync, and on ext4 an fsync waits for whatever other
// data the journal must order before it: while a 20-minute render or an upload was being written,
// one commit took 50-150 ms, and with the commit on the control thread every session's acks,
// audio frames and requests waited for it (bench_stall). Here a room hands its batch over and
// carries on; the writer commits whatever batches are queued in one transaction (group commit:
// one fsync for all sessions' edits of that moment, each batch in a savepoint of its own so one
// failing batch fails alone) and reports each back on its room's thread. Acks and broadcasts
// still follow the commit, never precede it.
// Thread: submit() and waitIdle() from the control thread; commits on the writer's thread, with
// its own SQLite connection to the same database (WAL: the control thread's reads go on).
#include "server/Store.h"

#include <QObject>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

namespace mixroom::server {

class OpLogWriter {
  public:
    // Opens a connection to `databasePath` on the writer's thread; null with *error when it cannot.
    static std::unique_ptr<OpLogWriter> open(const QString& databasePath, Store::Durability durability, QString* error);
    ~OpLogWriter(); // commits what is queued, then stops
    OpLogWriter(const OpLogWriter&) = delete;
    OpLogWriter& operator=(const OpLogWriter&) = delete;

    using Done = std::function<void(bool ok, const QString& error)>;
    // Queues a batch; `done` runs on `context`'s thread once it is committed (or failed).
    // `context` must outlive the batch: call waitIdle() before deleting it.
    void submit(OpBatch batch, QObject* context, Done done);
    // Blocks until everything submitted so far is committed (shutdown, deleting a session); the
    // results are posted to their contexts as usual.
    void waitIdle();

  private:
    OpLogWriter() = default;
    void run(const QString& path, Store::Durability durability, std::promise<QString>* opened);
    struct Job {
        OpBatch batch;
        QObject* context = nullptr;
        Done done;
    };
    std::thread m_thread;
    std::mutex m_lock;
    std::condition_variable m_wake, m_idle;
    std::deque<Job> m_queue;
    bool m_busy = false, m_stop = false;
};

} // namespace mixroom::server
