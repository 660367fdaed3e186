// SPDX-License-Identifier: MIT
#include "engine/dsp/StereoDelay.h"

#include "engine/model/ParamTable.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixroom::engine {

void StereoDelayDsp::prepare(double sampleRate)
{
    m_fs = sampleRate;
    m_rampSamples = static_cast<int>(std::lround(0.050 * sampleRate));
    const int cap = static_cast<int>(kMaxMs * 0.001 * sampleRate) + 4;
    m_l.prepare(cap);
    m_r.prepare(cap);
    m_first = true;
    reset();
}

void StereoDelayDsp::reset()
{
    m_l.reset();
    m_r.reset();
    m_lpL = m_lpR = 0.0f;
}

void StereoDelayDsp::setParams(const Delay& d, double tempo)
{
    double ms = syncToMs(d.sync, tempo);
    if (ms <= 0.0) ms = d.time;
    ms = std::clamp(ms, 1.0, kMaxMs);
    const double samples = std::max(1.0, ms * 0.001 * m_fs);
    const double fb = d.feedback / 100.0;
    const double coef = 1.0 - std::exp(-2.0 * std::numbers::pi * d.highcut / m_fs);
    if (m_first) {
        m_time.reset(samples);
        m_feedback.reset(fb);
        m_lpCoef.reset(coef);
    } else {
        m_time.setTarget(samples, m_rampSamples);
        m_feedback.setTarget(fb, m_rampSamples);
        m_lpCoef.setTarget(coef, m_rampSamples);
    }
    m_first = false;
    m_pingpong = d.pingpong;
}

void StereoDelayDsp::process(float* left, float* right, int n)
{
    for (int i = 0; i < n; ++i) {
        const float c = static_cast<float>(m_lpCoef.next());
        const double t = m_time.next();
        const float fb = static_cast<float>(m_feedback.next());
        float dl = m_l.read(t);
        float dr = m_r.read(t);
        m_lpL += c * (dl - m_lpL);
        m_lpR += c * (dr - m_lpR);
        dl = m_lpL;
        dr = m_lpR;
        if (m_pingpong) {
            // Mono input enters the left line; each line feeds the other.
            m_l.push(0.5f * (left[i] + right[i]) + fb * dr);
            m_r.push(fb * dl);
        } else {
            m_l.push(left[i] + fb * dl);
            m_r.push(right[i] + fb * dr);
        }
        left[i] = dl;
        right[i] = dr;
    }
}

} // namespace mixroom::engine
