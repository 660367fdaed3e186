// SPDX-License-Identifier: MIT
#include "server/FileSender.h"

#include <QFile>
#include <QSslSocket>
#include <QTimer>

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
    // TLS (control thread only): blocks read on the pool, written through the QSslSocket.
    bool encrypted = false, reading = false, done = false;
    qint64 read = 0; // bytes of the window read and handed to the socket
    QElapsedTimer clock, progress;
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
    t->encrypted = qobject_cast<QSslSocket*>(socket) != nullptr;
    connect(socket, &QObject::destroyed, this, [this, t] {
        t->cancel = true;
        if (t->encrypted && t->started) return endEncrypted(t, false);
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
    if (t->encrypted) return beginEncrypted(t);
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

// TLS: the bytes must go through the QSslSocket, which encrypts them on the control thread (about a
// millisecond per MiB), so the file cannot go straight to the descriptor. The file is still read
// on the pool, a block at a time, and a block is read only while the socket holds less than two
// blocks, so a slow reader costs two blocks of memory and the control thread never touches the disk.
void FileSender::beginEncrypted(const std::shared_ptr<Transfer>& t)
{
    QTcpSocket* socket = t->socket;
    t->clock.start();
    t->progress.start();
    socket->write(t->head);
    connect(socket, &QTcpSocket::bytesWritten, this, [this, t] {
        t->progress.restart();
        pumpEncrypted(t);
    });
    auto* stall = new QTimer(socket); // goes with the socket
    connect(stall, &QTimer::timeout, this, [this, t] {
        if (!t->done && t->socket && t->progress.elapsed() > m_limits.writeStallMs) t->socket->abort(); // -> destroyed
    });
    stall->start(1000);
    pumpEncrypted(t);
}

void FileSender::pumpEncrypted(const std::shared_ptr<Transfer>& t)
{
    if (t->done || t->reading || !t->socket || t->cancel) return;
    if (t->read >= t->length) {
        if (t->socket->bytesToWrite() == 0) endEncrypted(t, true);
        return;
    }
    if (t->socket->bytesToWrite() >= 2 * m_limits.blockBytes) return; // bytesWritten calls again
    t->reading = true;
    const qint64 want = std::min(m_limits.blockBytes, t->length - t->read), at = t->start + t->read;
    m_pool.start([this, t, want, at] {
        QByteArray block(want, Qt::Uninitialized);
        qint64 got = 0;
        while (got < want) {
            const ssize_t n = ::pread(t->file, block.data() + got, static_cast<size_t>(want - got), at + got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += n;
        }
        if (m_shutdown) return;
        if (got < want) block.clear(); // the file shrank or cannot be read
        QMetaObject::invokeMethod(
            this,
            [this, t, block = std::move(block)] {
                t->reading = false;
                if (t->done) { // ended while this block was read: the file is closed only now
                    ::close(t->file);
                    return;
                }
                if (!t->socket || t->cancel) return;
                if (block.isEmpty()) return endEncrypted(t, false);
                t->socket->write(block);
                t->read += block.size();
                pumpEncrypted(t);
            },
            Qt::QueuedConnection);
    });
}

void FileSender::endEncrypted(const std::shared_ptr<Transfer>& t, bool complete)
{
    if (t->done) return;
    t->done = true;
    if (!t->reading) ::close(t->file); // else when the block being read comes back (its pread uses it)
    --m_active;
    if (t->socket) {
        if (complete)
            t->socket->disconnectFromHost();
        else
            t->socket->abort(); // a short body must not look complete
    }
    emit finished(t->read, complete, t->clock.nsecsElapsed() / 1e9); // bytes handed to the socket
}

} // namespace mixroom::server
