// SPDX-License-Identifier: MIT
#pragma once
// Algorithmic reverb (Jot's feedback delay network): pre-delay, four series Schroeder all-pass
// diffusers, then 16 delay lines of prime lengths mixed by an orthogonal 16x16 Hadamard matrix.
// - Decay: each line's gain g = 10^(-3 d / (T60 fs)) for its length d, so every mode decays at
//   the set RT60. Line lengths settle on whole samples, so the loop has no interpolation loss:
//   with damping 0 the decay is the same in every octave (tst_effects measures T30 per octave).
// - Damping: a one-pole absorption filter per line (Jot) that keeps the set RT60 at DC (and
//   through the mids) and shortens it towards Nyquist to 10^-damping of it (damping 1: a tenth).
// - Onset: the output is read where the lines are written, so the first sound is the diffused
//   input at the pre-delay, not a line length later.
// - Sixteen lines of lengths spread over a factor of three give a mode density with no mode
//   ringing out of the tail, down to size 0.
// Lengths glide on size changes (read with interpolation only while they move) so sizes do not
// click. Output is 100 % wet (it sits on an aux return).
// Thread: prepare() off the audio thread; setParams()/process() on the audio thread.
#include "engine/dsp/DelayLine.h"
#include "engine/dsp/Ramp.h"
#include "engine/model/Session.h"

#include <array>

namespace mixroom::engine {

class ReverbDsp {
  public:
    static constexpr int kLines = 16;
    void prepare(double sampleRate);
    void setParams(const Reverb& r);
    // Reads the stereo input and replaces it with the reverb's output.
    void process(float* left, float* right, int n);
    void reset();

  private:
    void updateLoop(int ramp);
    double m_fs = 48000.0;
    Reverb m_params;
    bool m_first = true;
    DelayLine m_pre;
    Ramp m_preDelay;
    std::array<DelayLine, 4> m_diffuser;
    std::array<int, 4> m_diffLen{};
    std::array<DelayLine, kLines> m_line;
    std::array<Ramp, kLines> m_len;  // whole samples once settled
    std::array<Ramp, kLines> m_gain; // RT60 gain at DC, gliding on decay/size changes
    std::array<Ramp, kLines> m_pole; // absorption filter pole, gliding on damping changes
    std::array<float, kLines> m_lpState{};
    int m_rampSamples = 0;
};

} // namespace mixroom::engine
