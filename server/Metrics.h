// SPDX-License-Identifier: MIT
#pragma once
// Counters for GET /metrics (Prometheus text format).
// Thread: control thread.
#include <QElapsedTimer>
#include <QMap>
#include <QString>

#include <array>

namespace mixroom::server {

// A latency histogram in milliseconds, rendered in the Prometheus text format.
struct MsHistogram {
    static constexpr std::array<double, 10> kBuckets = {0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1000};
    std::array<qint64, kBuckets.size()> buckets{};
    qint64 count = 0;
    double sum = 0, max = 0;
    void add(double ms);
    QString render(const QString& name, const QString& help) const;
};

class Metrics {
  public:
    void connectionOpened() { ++m_connections; }
    void connectionClosed() { --m_connections; }
    void error(const QString& code) { ++m_errors[code]; }
    void opsApplied(int n) { m_ops += n; }
    void ackLatency(double ms);
    // How late the control thread's probe timer fired: what any event waited at worst.
    void loopLag(double ms);
    // A job that ran on a worker (kind: preview_graph, ab_prepare, peaks, render ...).
    void jobDone(const QString& kind, double ms);
    void bytesPulled(qint64 n) { m_pulledBytes += n; }
    void bytesReclaimed(qint64 n) { m_reclaimedBytes += n; }
    QString render(int sessionsLoaded) const;

  private:
    qint64 m_connections = 0;
    qint64 m_ops = 0;
    qint64 m_pulledBytes = 0;
    qint64 m_reclaimedBytes = 0;
    QMap<QString, qint64> m_errors;
    MsHistogram m_ack, m_lag;
    struct Job {
        qint64 count = 0;
        double sum = 0, max = 0;
    };
    QMap<QString, Job> m_jobs;
};

} // namespace mixroom::server
