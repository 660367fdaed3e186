// SPDX-License-Identifier: MIT
#pragma once
// A per-sample linear ramp toward a target (declicking for gains, pans and filter parameters).
// Per sample, not per block, so the output does not depend on the block size.
// Thread: audio thread (setTarget/next); reset before processing starts.
#include <algorithm>

namespace mixroom::engine {

class Ramp {
  public:
    void reset(double v)
    {
        m_cur = m_target = v;
        m_steps = 0;
    }
    // Starts a ramp of `samples` samples from the current value; a no-op if the target is unchanged.
    // Sample k of the ramp (1-based) is start + inc * k, the last exactly the target: computed, not
    // accumulated, so that fill() gives the same values as next() in vector loops.
    void setTarget(double target, int samples)
    {
        if (target == m_target) return;
        m_target = target;
        if (samples <= 0) {
            m_cur = target;
            m_steps = 0;
            return;
        }
        m_start = m_cur;
        m_steps = samples;
        m_done = 0;
        m_inc = (m_target - m_cur) / samples;
    }
    double next()
    {
        if (m_steps > 0) {
            ++m_done;
            m_cur = m_done == m_steps ? m_target : m_start + m_inc * m_done;
            if (m_done == m_steps) m_steps = 0;
        }
        return m_cur;
    }
    // As n calls of next(), in constant time.
    void advance(int n)
    {
        if (m_steps <= 0 || n <= 0) return;
        if (m_done + n >= m_steps) {
            m_cur = m_target;
            m_steps = 0;
            return;
        }
        m_done += n;
        m_cur = m_start + m_inc * m_done;
    }
    // The next n values, as n calls of next() would return them.
    void fill(double* out, int n)
    {
        int i = 0;
        if (m_steps > 0) {
            const int run = std::min(n, m_steps - m_done - 1); // samples before the last of the ramp
            const double start = m_start, inc = m_inc;
            const int done = m_done;
            for (int k = 0; k < run; ++k)
                out[k] = start + inc * (done + k + 1);
            i = run;
            m_done += run;
            if (i < n) {
                out[i++] = m_cur = m_target;
                m_steps = 0;
            } else if (run > 0) {
                m_cur = out[run - 1];
            }
        }
        for (; i < n; ++i)
            out[i] = m_cur;
    }
    bool active() const { return m_steps > 0; }
    int remaining() const { return m_steps > 0 ? m_steps - m_done : 0; } // samples to the target
    double value() const { return m_cur; }
    double target() const { return m_target; }

  private:
    double m_cur = 0.0;
    double m_target = 0.0;
    double m_start = 0.0;
    double m_inc = 0.0;
    int m_steps = 0;
    int m_done = 0;
};

// Declick time for gains and pans (Ardour's amp declicks over a similar span).
inline constexpr double kRampSeconds = 0.020;

} // namespace mixroom::engine
