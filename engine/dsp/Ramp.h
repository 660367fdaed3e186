// SPDX-License-Identifier: MIT
#pragma once
// A per-sample linear ramp toward a target (declicking for gains, pans and filter parameters).
// Per sample, not per block, so the output does not depend on the block size.
// Thread: audio thread (setTarget/next); reset before processing starts.
namespace mixroom::engine {

class Ramp {
  public:
    void reset(double v)
    {
        m_cur = m_target = v;
        m_steps = 0;
    }
    // Starts a ramp of `samples` samples from the current value; a no-op if the target is unchanged.
    void setTarget(double target, int samples)
    {
        if (target == m_target) return;
        m_target = target;
        if (samples <= 0) {
            m_cur = target;
            m_steps = 0;
            return;
        }
        m_steps = samples;
        m_inc = (m_target - m_cur) / samples;
    }
    double next()
    {
        if (m_steps > 0) {
            m_cur += m_inc;
            if (--m_steps == 0) m_cur = m_target;
        }
        return m_cur;
    }
    bool active() const { return m_steps > 0; }
    double value() const { return m_cur; }
    double target() const { return m_target; }

  private:
    double m_cur = 0.0;
    double m_target = 0.0;
    double m_inc = 0.0;
    int m_steps = 0;
};

// Declick time for gains and pans (Ardour's amp declicks over a similar span).
inline constexpr double kRampSeconds = 0.020;

} // namespace mixroom::engine
