// SPDX-License-Identifier: MIT
#pragma once
// Helpers shared by the Qt benchmarks: waiting on the event loop, percentiles, process CPU time.
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <unistd.h>
#include <vector>

namespace mixroom::bench {

// Runs the event loop until `done` holds or the deadline passes (checked every 2 ms).
inline bool waitFor(const std::function<bool()>& done, int timeoutMs)
{
    if (done()) return true;
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done()) loop.quit();
    });
    check.start(2);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

// Milliseconds on a monotonic clock started on first use; only differences are meaningful.
inline double nowMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer c;
        c.start();
        return c;
    }();
    return static_cast<double>(clock.nsecsElapsed()) / 1e6;
}

inline double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

// User + system CPU seconds of a process, from /proc.
inline double cpuSeconds(qint64 pid)
{
    QFile f(QString("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return (parts.value(13).toDouble() + parts.value(14).toDouble()) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace mixroom::bench
