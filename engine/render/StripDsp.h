// SPDX-License-Identifier: MIT
#pragma once
// One channel strip: trim and polarity -> EQ -> compressor -> [pre-fader sends] -> mute, fader and
// pan -> [post-fader sends] -> output bus. Every gain glides over kRampSeconds per sample.
// Meters: sample peak and RMS after the fader, published as atomics.
// Thread: prepare() off the audio thread; process() on the audio thread (no allocation).
#include "engine/dsp/Compressor.h"
#include "engine/dsp/Equalizer.h"
#include "engine/dsp/Ramp.h"
#include "engine/model/Session.h"

#include <atomic>
#include <vector>

namespace mixroom::engine {

struct StripMeter {
    std::atomic<float> peak{0};  // max |sample| since the reader last took it
    std::atomic<float> peakL{0}; // the same per channel
    std::atomic<float> peakR{0};
    std::atomic<float> rms{0};         // RMS over roughly the last 300 ms
    std::atomic<float> reduction{0};   // compressor gain reduction, dB, max since last take
    std::atomic<float> totalPeak{0};   // since prepare()
    std::atomic<double> totalSumSq{0}; // since prepare(), both channels
    std::atomic<long long> totalFrames{0};
};

class StripDsp {
  public:
    // `eqBands` is the strip's number of bands; `mono` selects the -3 dB constant-power pan law.
    void prepare(double sampleRate, int maxBlock, int eqBands, int sends, bool mono);
    // Starts glides toward the strip's values. `muted` is mute or solo-silenced; sendIndex[r] is
    // the index in s.sends of the send to the graph's return r, or -1. [audio thread]
    void update(const Strip& s, bool muted, const int* sendIndex);
    // The glide of the next update() calls in samples (EQ and compressor included); -1: the
    // default (kRampSeconds). Automation glides over its control grid.
    void setGlide(int samples)
    {
        m_ramp = samples < 0 ? m_defaultRamp : samples;
        m_eq.setGlide(samples);
        m_comp.setGlide(samples);
    }
    // Takes over the state of the same strip in the previous graph (filter memories, envelopes,
    // gains and glides), so a new graph continues where the old one was; sendFrom[r] is the old
    // index of this graph's return r, or -1 (a new send starts from silence). No allocation.
    // [audio thread]
    void adoptState(const StripDsp& old, const int* sendFrom);
    // Processes `left/right` in place and adds the result to `outL/outR` and the sends to
    // sendL[r]/sendR[r]. [audio thread]
    void process(float* left, float* right, int n, float* outL, float* outR, float* const* sendL, float* const* sendR);
    // The same in three stages, so a graph can run the EQ and compressor stages of several strips
    // together (processGroup below): input trim and polarity; then eq() and comp(); then output.
    void processInput(float* left, float* right, int n);
    void processOutput(float* left, float* right, int n, float* outL, float* outR, float* const* sendL, float* const* sendR);
    // Automation (issue 17) of the strip's gains in the coming block: at offsets[k] (increasing,
    // within the block) each automated gain glides to its step-k target over glides[k] samples.
    // Null arrays are not automated (their gains follow update()). The arrays must stay valid
    // until the block is processed; the graph sets or clears the schedule before every block.
    struct Schedule {
        int steps = 0;
        const int* offsets = nullptr;
        const int* glides = nullptr;
        const double* trim = nullptr;  // gain, polarity in the sign
        const double* gainL = nullptr; // fader x pan law
        const double* gainR = nullptr;
        const double* const* sends = nullptr; // per return of the graph: gains, or null
        double* scratch = nullptr;            // 3 x the largest block: per-sample gains
    };
    void setSchedule(const Schedule* s) { m_schedule = s; }
    bool mono() const { return m_mono; }
    Equalizer& eq() { return m_eq; }
    CompressorDsp& comp() { return m_comp; }

    StripMeter meter;

  private:
    double m_fs = 48000;
    int m_ramp = 0, m_defaultRamp = 0;
    int m_eqBands = 0;
    bool m_mono = false;
    bool m_first = true;
    Ramp m_trim, m_mute, m_gainL, m_gainR;
    Equalizer m_eq;
    CompressorDsp m_comp;
    const Schedule* m_schedule = nullptr;
    int m_maxBlock = 0;
    std::vector<Ramp> m_send;
    std::vector<char> m_sendPre;
    std::vector<float> m_preL, m_preR;
    double m_rmsState = 0;
    double m_rmsCoef = 0;
};

// Fills out[0, n) with the ramp's values while its target moves to targets[k] (over glides[k]
// samples) at offsets[k]. [audio thread]
void runRamp(Ramp& ramp, int steps, const int* offsets, const int* glides, const double* targets, double* out, int n);

// Constant-power -3 dB pan for mono sources, balance for stereo ones.
void panGains(double pan, bool mono, double& left, double& right);

} // namespace mixroom::engine
