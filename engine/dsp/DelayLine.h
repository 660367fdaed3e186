// SPDX-License-Identifier: MIT
#pragma once
// A circular delay line with a fractional (linear-interpolated) read. Capacity is fixed in
// prepare(); reads and writes never allocate.
// Thread: prepare() off the audio thread; the rest on the audio thread.
#include <cmath>
#include <vector>

namespace mixroom::engine {

class DelayLine {
  public:
    void prepare(int capacity)
    {
        int size = 1;
        while (size < capacity + 2)
            size <<= 1;
        m_buf.assign(static_cast<size_t>(size), 0.0f);
        m_mask = size - 1;
        m_write = 0;
    }
    void reset() { std::fill(m_buf.begin(), m_buf.end(), 0.0f); }
    void push(float x)
    {
        m_buf[static_cast<size_t>(m_write)] = x;
        m_write = (m_write + 1) & m_mask;
    }
    // The sample written `delay` samples before the most recent push (delay >= 1).
    float read(double delay) const
    {
        const double pos = static_cast<double>(m_write) - delay;
        const double fl = std::floor(pos);
        const float frac = static_cast<float>(pos - fl);
        const int i0 = static_cast<int>(fl) & m_mask;
        const int i1 = (i0 + 1) & m_mask;
        return m_buf[static_cast<size_t>(i0)] + frac * (m_buf[static_cast<size_t>(i1)] - m_buf[static_cast<size_t>(i0)]);
    }
    float readInt(int delay) const { return m_buf[static_cast<size_t>((m_write - delay) & m_mask)]; }

  private:
    std::vector<float> m_buf;
    int m_mask = 0;
    int m_write = 0;
};

} // namespace mixroom::engine
