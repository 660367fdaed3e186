// SPDX-License-Identifier: MIT
#pragma once
// Algorithmic reverb: pre-delay, four series Schroeder all-pass diffusers, then an 8-line feedback
// delay network (Jot) with a Householder mixing matrix, per-line gains set from the RT60
// (g = 10^(-3 d / (T60 fs))) and a one-pole low-pass per line for high-frequency damping. The
// mutually prime line lengths scale with `size`; lengths glide so size changes do not click.
// Output is 100 % wet (it sits on an aux return).
// Thread: prepare() off the audio thread; setParams()/process() on the audio thread.
#include "engine/dsp/DelayLine.h"
#include "engine/dsp/Ramp.h"
#include "engine/model/Session.h"

#include <array>

namespace mixroom::engine {

class ReverbDsp {
  public:
    static constexpr int kLines = 8;
    void prepare(double sampleRate);
    void setParams(const Reverb& r);
    // Reads the stereo input and replaces it with the reverb's output.
    void process(float* left, float* right, int n);
    void reset();

  private:
    void updateLoop();
    double m_fs = 48000.0;
    Reverb m_params;
    bool m_first = true;
    DelayLine m_pre;
    Ramp m_preDelay;
    std::array<DelayLine, 4> m_diffuser;
    std::array<int, 4> m_diffLen{};
    std::array<DelayLine, kLines> m_line;
    std::array<Ramp, kLines> m_len;
    std::array<Ramp, kLines> m_gain; // RT60 loop gains, gliding on decay/size changes
    std::array<float, kLines> m_lpState{};
    Ramp m_damp;
    int m_rampSamples = 0;
};

} // namespace mixroom::engine
