// SPDX-License-Identifier: MIT
#pragma once
// Token buckets per key (member + message class) on a monotonic clock.
// Thread: control thread.
#include <QElapsedTimer>
#include <QHash>
#include <QString>

namespace mixroom::server {

class RateLimiter {
  public:
    struct Rule {
        double burst;     // bucket size
        double perSecond; // refill rate
    };
    RateLimiter() { m_clock.start(); }
    // Takes one token for `key` under `rule`; false when the bucket is empty.
    bool take(const QString& key, const Rule& rule)
    {
        const double now = m_clock.nsecsElapsed() / 1e9;
        Bucket& b = m_buckets[key];
        if (!b.init) {
            b = Bucket{true, rule.burst, now};
        } else {
            b.tokens = std::min(rule.burst, b.tokens + (now - b.last) * rule.perSecond);
            b.last = now;
        }
        if (b.tokens < 1.0) return false;
        b.tokens -= 1.0;
        return true;
    }

  private:
    struct Bucket {
        bool init = false;
        double tokens = 0;
        double last = 0;
    };
    QElapsedTimer m_clock;
    QHash<QString, Bucket> m_buckets;
};

// Limits per member (documented in PROTOCOL.md).
inline constexpr RateLimiter::Rule kEditRule{240, 240};      // parameter edits: a 60 Hz drag on four controls
inline constexpr RateLimiter::Rule kStructureRule{30, 5};    // structural edits and member management
inline constexpr RateLimiter::Rule kOtherRule{120, 60};      // touch, ping, lists
inline constexpr RateLimiter::Rule kPassValueRule{400, 200}; // auto_value: a 60 Hz gesture on three controls

} // namespace mixroom::server
