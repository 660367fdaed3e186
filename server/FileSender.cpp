// SPDX-License-Identifier: MIT
#include "server/FileSender.h"

#include <QFile>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace mixroom::server {

struct FileSender::Transfer {
    QPointer<QTcpSocket> socket;
    QByteArray head;
    int file = -1;
    int fd = -1; // our own descriptor for the socket (dup), owned by the transfer thread
    qint64 start = 0, length = 0;
    std::atomic<bool> cancel{false};
    bool started = false; // control thread only
};

namespace {
enum class Sent { Ok, Cancelled, Stalled, Failed };

// Writes all of [data, data + size) to a non-blocking socket, waiting for room with poll().
Sent sendAll(int fd, const char* data, qint64 size, const std::atomic<bool>& cancel, const std::atomic<bool>& shutdown, int stallMs)
{
    QElapsedTimer sinceProgress;
    sinceProgress.start();
    while (size > 0) {
        if (cancel || shutdown) return Sent::Cancelled;
        const ssize_t n = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            size -= n;
            sinceProgress.restart();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Sent::Failed; // EPIPE, ECONNRESET ...
        if (sinceProgress.elapsed() > stallMs) return Sent::Stalled;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 250); // wakes for room, or to look at the cancel flags again
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return Sent::Failed;
    }
    return Sent::Ok;
}
} // namespace

FileSender::FileSender(FileSendLimits limits, QObject* parent) : QObject(parent), m_limits(limits)
{
    m_pool.setMaxThreadCount(m_limits.threads);
    m_pool.setExpiryTimeout(30'000);
}

FileSender::~FileSender()
{
    m_shutdown = true;
    m_pool.waitForDone();
}

bool FileSender::send(QTcpSocket* socket, QByteArray head, const QString& path, qint64 start, qint64 length)
{
    auto t = std::make_shared<Transfer>();
    t->file = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (t->file < 0) return false;
    ::posix_fadvise(t->file, start, length, POSIX_FADV_SEQUENTIAL);
    t->socket = socket;
    t->head = std::move(head);
    t->start = start;
    t->length = length;
    connect(socket, &QObject::destroyed, this, [this, t] {
        t->cancel = true;
        if (t->started) return;
        ::close(t->file); // it went away while an earlier answer was still being written
        --m_active;
    });
    ++m_active;
    // What Qt still buffers for this socket (an earlier answer on the connection) goes first.
    if (socket->bytesToWrite() == 0) {
        begin(t);
    } else {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(socket, &QTcpSocket::bytesWritten, this, [this, t, conn] {
            if (!t->socket || t->socket->bytesToWrite() > 0) return;
            disconnect(*conn);
            begin(t);
        });
    }
    return true;
}

void FileSender::begin(const std::shared_ptr<Transfer>& t)
{
    t->started = true;
    const qintptr sd = t->socket ? t->socket->socketDescriptor() : -1;
    t->fd = sd >= 0 ? ::fcntl(static_cast<int>(sd), F_DUPFD_CLOEXEC, 0) : -1;
    const FileSendLimits limits = m_limits;
    // `this` outlives the job: the destructor sets the shutdown flag and waits for the pool, and a
    // call queued to a deleted object is dropped with it.
    m_pool.start([this, t, limits] {
        QElapsedTimer clock;
        clock.start();
        qint64 sent = 0;
        Sent result =
            t->fd < 0 ? Sent::Failed : sendAll(t->fd, t->head.constData(), t->head.size(), t->cancel, m_shutdown, limits.writeStallMs);
        std::vector<char> block(static_cast<size_t>(std::min(limits.blockBytes, std::max<qint64>(t->length, 1))));
        while (result == Sent::Ok && sent < t->length) {
            const qint64 want = std::min<qint64>(static_cast<qint64>(block.size()), t->length - sent);
            const ssize_t n = ::pread(t->file, block.data(), static_cast<size_t>(want), t->start + sent);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                result = Sent::Failed; // the file shrank or cannot be read: the peer sees a short body
                break;
            }
            result = sendAll(t->fd, block.data(), n, t->cancel, m_shutdown, limits.writeStallMs);
            if (result == Sent::Ok) sent += n;
        }
        ::close(t->file);
        if (t->fd >= 0) {
            if (result != Sent::Ok) ::shutdown(t->fd, SHUT_RDWR); // a short body must not look complete
            ::close(t->fd);
        }
        const bool complete = result == Sent::Ok;
        const double seconds = clock.nsecsElapsed() / 1e9;
        if (m_shutdown) return;
        QMetaObject::invokeMethod(
            this,
            [this, t, sent, complete, seconds] {
                --m_active;
                if (t->socket) {
                    if (complete)
                        t->socket->disconnectFromHost();
                    else
                        t->socket->abort();
                }
                emit finished(sent, complete, seconds);
            },
            Qt::QueuedConnection);
    });
}

} // namespace mixroom::server
