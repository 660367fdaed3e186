// SPDX-License-Identifier: MIT
#pragma once
// Stereo echo: time in ms or a note value synced to the session tempo, feedback with a one-pole
// high-cut in the loop, optional ping-pong. The delay time glides (no clicks, a short pitch bend
// as on tape and most plug-ins). Output is 100 % wet.
// Thread: prepare() off the audio thread; setParams()/process() on the audio thread.
#include "engine/dsp/DelayLine.h"
#include "engine/dsp/Ramp.h"
#include "engine/model/Session.h"

namespace mixroom::engine {

class StereoDelayDsp {
  public:
    static constexpr double kMaxMs = 4000.0; // synced 1/1 at 60 BPM
    void prepare(double sampleRate);
    void setParams(const Delay& d, double tempo);
    void process(float* left, float* right, int n);
    void reset();

  private:
    double m_fs = 48000.0;
    bool m_first = true;
    DelayLine m_l, m_r;
    Ramp m_time;     // samples
    Ramp m_feedback; // linear
    Ramp m_lpCoef;   // feedback high-cut coefficient
    float m_lpL = 0.0f, m_lpR = 0.0f;
    bool m_pingpong = false;
    int m_rampSamples = 0;
};

} // namespace mixroom::engine
