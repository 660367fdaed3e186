// SPDX-License-Identifier: MIT
#include "server/OpLogWriter.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

namespace mixroom::server {

std::unique_ptr<OpLogWriter> OpLogWriter::open(const QString& databasePath, Store::Durability durability, QString* error)
{
    std::unique_ptr<OpLogWriter> w(new OpLogWriter);
    std::promise<QString> opened;
    auto result = opened.get_future();
    w->m_thread = std::thread([p = w.get(), databasePath, durability, &opened] { p->run(databasePath, durability, &opened); });
    if (const QString e = result.get(); !e.isEmpty()) {
        *error = e;
        w->m_thread.join();
        return nullptr;
    }
    return w;
}

OpLogWriter::~OpLogWriter()
{
    {
        std::lock_guard guard(m_lock);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void OpLogWriter::submit(OpBatch batch, QObject* context, Done done)
{
    {
        std::lock_guard guard(m_lock);
        m_queue.push_back(Job{std::move(batch), context, std::move(done)});
    }
    m_wake.notify_one();
}

void OpLogWriter::waitIdle()
{
    std::unique_lock guard(m_lock);
    m_idle.wait(guard, [this] { return m_queue.empty() && !m_busy; });
}

void OpLogWriter::run(const QString& path, Store::Durability durability, std::promise<QString>* opened)
{
    const QString connection = "mixroom-oplog-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QString error;
        const bool ok = Store::openConnection(connection, path, durability, &error);
        opened->set_value(ok ? QString() : error);
        if (!ok) {
            QSqlDatabase::removeDatabase(connection);
            return;
        }
    }
    for (;;) {
        std::deque<Job> jobs;
        {
            std::unique_lock guard(m_lock);
            m_wake.wait(guard, [this] { return !m_queue.empty() || m_stop; });
            if (m_queue.empty()) break; // stopping, nothing left
            jobs.swap(m_queue);
            m_busy = true;
        }
        // One transaction for every batch queued now; a savepoint per batch, so a failing batch
        // (its session deleted meanwhile) fails alone.
        QSqlDatabase db = QSqlDatabase::database(connection);
        std::vector<QString> errors(jobs.size());
        QString commitError;
        if (!db.transaction()) commitError = db.lastError().text();
        for (size_t i = 0; i < jobs.size() && commitError.isEmpty(); ++i) {
            QSqlQuery sp(db);
            if (!sp.exec("SAVEPOINT batch")) {
                errors[i] = sp.lastError().text();
                continue;
            }
            if (!Store::writeOps(connection, jobs[i].batch, &errors[i])) sp.exec("ROLLBACK TO batch");
            sp.exec("RELEASE batch");
        }
        if (commitError.isEmpty() && !db.commit()) {
            commitError = db.lastError().text();
            db.rollback();
        }
        for (size_t i = 0; i < jobs.size(); ++i) {
            const QString error = !commitError.isEmpty() ? commitError : errors[i];
            Job& job = jobs[i];
            QMetaObject::invokeMethod(
                job.context, [done = std::move(job.done), error] { done(error.isEmpty(), error); }, Qt::QueuedConnection);
        }
        {
            std::lock_guard guard(m_lock);
            m_busy = false;
        }
        m_idle.notify_all();
    }
    QSqlDatabase::database(connection).close();
    QSqlDatabase::removeDatabase(connection);
}

} // namespace mixroom::server
