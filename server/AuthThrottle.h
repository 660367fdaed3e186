// SPDX-License-Identifier: MIT
#pragma once
// Failed logins per address, shared by WebSocket `hello` and HTTP bearer tokens: after
// `failuresBeforeBan` failures within `windowMs`, the address is refused for `banMs`. A good login
// does not forgive earlier failures (an attacker holding one valid token could otherwise reset the
// count between guesses); failures older than the window are forgotten.
// Thread: control thread.
#include <QDateTime>
#include <QHash>
#include <QString>

#include <algorithm>

namespace mixroom::server {

class AuthThrottle {
  public:
    AuthThrottle(int failuresBeforeBan, qint64 banMs, qint64 windowMs = 10 * 60 * 1000)
        : m_limit(failuresBeforeBan), m_banMs(banMs), m_windowMs(windowMs)
    {}
    bool banned(const QString& address) const { return m_bannedUntil.value(address) > now(); }
    // How long the ban on `address` still runs (0 when none).
    qint64 bannedForMs(const QString& address) const { return std::max<qint64>(0, m_bannedUntil.value(address) - now()); }
    // What a banned address is told: that it is banned, why, and for how long.
    QString banMessage(const QString& address) const
    {
        const qint64 minutes = (bannedForMs(address) + 59'999) / 60'000;
        return QString("banned: this address made too many failed logins; try again in %1 minute%2")
            .arg(minutes)
            .arg(minutes == 1 ? "" : "s");
    }
    int failuresBeforeBan() const { return m_limit; }
    qint64 banMs() const { return m_banMs; }
    // Counts a failed login; true when this failure starts a ban.
    bool failed(const QString& address)
    {
        Failures& f = m_failures[address];
        const qint64 t = now();
        if (t - f.first > m_windowMs) f = {t, 0};
        bool started = false;
        if (++f.count >= m_limit) {
            m_bannedUntil[address] = t + m_banMs;
            m_failures.remove(address);
            started = true;
        }
        if (m_failures.size() > 100'000) m_failures.clear(); // bounded: a flood of addresses forgets, never grows
        return started;
    }

  private:
    static qint64 now() { return QDateTime::currentMSecsSinceEpoch(); }
    struct Failures {
        qint64 first = 0;
        int count = 0;
    };
    int m_limit;
    qint64 m_banMs, m_windowMs;
    QHash<QString, Failures> m_failures;
    QHash<QString, qint64> m_bannedUntil;
};

} // namespace mixroom::server
