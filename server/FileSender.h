// SPDX-License-Identifier: MIT
#pragma once
// Sends large files (the mastering pull) down HTTP connections from transfer threads, at disk
// speed, without the control thread touching the file or the bytes.
//
// Qt 6.4's QHttpServerResponder::write(QIODevice*) copies a body through a 512-byte buffer, one
// socket write per bytesWritten signal, all on the control thread: ~19 MB/s, and every block of a
// pull competes with the acks and audio frames of every session. Here the connection is handed
// over once the response head is ready: a transfer thread gets its own descriptor for the socket
// (dup) and writes the head and the file window with pread() blocks of `blockBytes` and
// non-blocking send(); it waits for room with poll(), so a slow reader costs a sleeping thread,
// not memory. The connection closes when the file has been sent ("Connection: close"), which is
// also what Qt 6.4 does after any device-backed answer.
//
// The control thread keeps the QTcpSocket: HttpFront stops Qt's parser from reading further
// requests on it (what arrives is discarded) and leaves it out of its idle deadlines. When the
// socket goes away (the peer closed, eviction, shutdown) the transfer is cancelled within one
// poll interval; a peer that reads nothing for `writeStallMs` is dropped.
// Over TLS the bytes must be encrypted by the connection's QSslSocket: the file is then read on the
// pool a block at a time and written through the socket on the control thread, at most two blocks
// ahead of what the peer has taken.
// Thread: control thread (the sends, or the reads over TLS, run on the pool's threads).
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QThreadPool>

#include <atomic>
#include <memory>

namespace mixroom::server {

struct FileSendLimits {
    int threads = 8;             // concurrent transfers; more wait for a thread
    qint64 blockBytes = 1 << 20; // one pread() / send() unit
    int writeStallMs = 30'000;   // a peer that takes nothing for this long is dropped
};

class FileSender : public QObject {
    Q_OBJECT
  public:
    explicit FileSender(FileSendLimits limits = {}, QObject* parent = nullptr);
    ~FileSender() override; // cancels every transfer and waits for the threads

    // Takes over `socket` for the rest of its connection: sends `head` (status line and headers,
    // ending in the blank line) and then bytes [start, start + length) of `path`, then closes.
    // The file is opened here, so a missing file fails before anything is sent (returns false).
    bool send(QTcpSocket* socket, QByteArray head, const QString& path, qint64 start, qint64 length);
    int active() const { return m_active; }

  signals:
    // On the control thread when a transfer ends: bytes of the file sent, whether all were.
    void finished(qint64 bytes, bool complete, double seconds);

  private:
    struct Transfer;
    void begin(const std::shared_ptr<Transfer>& t);
    // TLS connections: the file goes through the QSslSocket (see FileSender.cpp).
    void beginEncrypted(const std::shared_ptr<Transfer>& t);
    void pumpEncrypted(const std::shared_ptr<Transfer>& t);
    void endEncrypted(const std::shared_ptr<Transfer>& t, bool complete);

    FileSendLimits m_limits;
    QThreadPool m_pool;
    std::atomic<bool> m_shutdown{false}; // set by the destructor, which then waits for the transfers
    int m_active = 0;
};

} // namespace mixroom::server
