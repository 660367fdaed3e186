// SPDX-License-Identifier: MIT
#include "server/Metrics.h"

#include <algorithm>

namespace mixroom::server {

void MsHistogram::add(double ms)
{
    for (size_t i = 0; i < kBuckets.size(); ++i)
        if (ms <= kBuckets[i]) ++buckets[i];
    ++count;
    sum += ms;
    max = std::max(max, ms);
}

QString MsHistogram::render(const QString& name, const QString& help) const
{
    QString s = QString("# HELP %1 %2\n# TYPE %1 histogram\n").arg(name, help);
    for (size_t i = 0; i < kBuckets.size(); ++i)
        s += QString("%1_bucket{le=\"%2\"} %3\n").arg(name).arg(kBuckets[i]).arg(buckets[i]);
    s += QString("%1_bucket{le=\"+Inf\"} %2\n").arg(name).arg(count);
    s += QString("%1_sum %2\n%1_count %3\n").arg(name).arg(sum).arg(count);
    return s;
}

void Metrics::ackLatency(double ms)
{
    m_ack.add(ms);
}

void Metrics::loopLag(double ms)
{
    m_lag.add(ms);
}

void Metrics::jobDone(const QString& kind, double ms)
{
    Job& j = m_jobs[kind];
    ++j.count;
    j.sum += ms;
    j.max = std::max(j.max, ms);
}

QString Metrics::render(int sessionsLoaded) const
{
    QString s;
    s += "# HELP mixroom_connections Open WebSocket connections.\n# TYPE mixroom_connections gauge\n";
    s += QString("mixroom_connections %1\n").arg(m_connections);
    s += "# HELP mixroom_sessions_loaded Sessions with a room in memory.\n# TYPE mixroom_sessions_loaded gauge\n";
    s += QString("mixroom_sessions_loaded %1\n").arg(sessionsLoaded);
    s += "# HELP mixroom_ops_total Edits applied and committed (rate() gives ops/s).\n# TYPE mixroom_ops_total counter\n";
    s += QString("mixroom_ops_total %1\n").arg(m_ops);
    s += "# HELP mixroom_pulled_bytes_total File bytes sent by mastering pulls.\n# TYPE mixroom_pulled_bytes_total counter\n";
    s += QString("mixroom_pulled_bytes_total %1\n").arg(m_pulledBytes);
    s += "# HELP mixroom_reclaimed_bytes_total Disk freed by removing unreferenced stems and renders.\n"
         "# TYPE mixroom_reclaimed_bytes_total counter\n";
    s += QString("mixroom_reclaimed_bytes_total %1\n").arg(m_reclaimedBytes);
    s += m_ack.render("mixroom_ack_latency_ms", "Time from receiving an edit to its ack, after the commit.");
    s += m_lag.render("mixroom_event_loop_lag_ms", "How late the control thread's 50 ms probe timer fired (a freeze shows here).");
    s += "# HELP mixroom_event_loop_lag_max_ms The largest lag since start.\n# TYPE mixroom_event_loop_lag_max_ms gauge\n";
    s += QString("mixroom_event_loop_lag_max_ms %1\n").arg(m_lag.max);
    s += "# HELP mixroom_job_duration_ms Work done on worker threads, by kind.\n# TYPE mixroom_job_duration_ms summary\n";
    for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it)
        s += QString("mixroom_job_duration_ms_sum{kind=\"%1\"} %2\nmixroom_job_duration_ms_count{kind=\"%1\"} %3\n"
                     "mixroom_job_duration_ms_max{kind=\"%1\"} %4\n")
                 .arg(it.key())
                 .arg(it->sum)
                 .arg(it->count)
                 .arg(it->max);
    s += "# HELP mixroom_errors_total Errors sent, by code.\n# TYPE mixroom_errors_total counter\n";
    for (auto it = m_errors.begin(); it != m_errors.end(); ++it)
        s += QString("mixroom_errors_total{code=\"%1\"} %2\n").arg(it.key()).arg(it.value());
    return s;
}

} // namespace mixroom::server
