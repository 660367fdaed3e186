// SPDX-License-Identifier: MIT
#include "engine/render/LoudnessMeter.h"

#include "engine/dsp/TruePeak.h"

#include <ebur128.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace mixroom::engine {

struct LoudnessMeter::Impl {
    ebur128_state* st = nullptr;
    std::vector<float> interleaved;
    long long frames = 0;
    int rate = 48000;
    int sinceMomentary = 0, sinceShort = 0;
    double maxM = -HUGE_VAL, maxS = -HUGE_VAL;
    bool live = false;
    // Full: sample and true peak are ours (libebur128's true peak reads up to tenths of a dB low on
    // bright material, tst_loudnessmeter; and it is most of libebur128's cost).
    TruePeakDetector tpL, tpR;
    float truePeak = 0.0f, samplePeak = 0.0f;
    std::vector<float> peaks;
    // Live: energies of the last 30 complete 100 ms slices (zeros before the first), newest at
    // ring[(next + 29) % 30], and the loudness of their last 4 and all 30.
    std::array<double, 30> ring{};
    int next = 0;
    double momentary = -HUGE_VAL, shortTerm = -HUGE_VAL;
    void sliceDone();
};

namespace {
double energyOf(double lufs)
{
    return std::isfinite(lufs) ? std::pow(10.0, (lufs + 0.691) / 10.0) : 0.0;
}
double lufsOf(double energy)
{
    return energy > 0 ? -0.691 + 10.0 * std::log10(energy) : -HUGE_VAL;
}
} // namespace

void LoudnessMeter::Impl::sliceDone()
{
    double lufs = -HUGE_VAL;
    ebur128_loudness_window(st, 100, &lufs);
    ring[static_cast<size_t>(next)] = energyOf(lufs);
    next = (next + 1) % 30;
    double last4 = 0, all = 0;
    for (int k = 0; k < 30; ++k) {
        const double e = ring[static_cast<size_t>((next + k) % 30)];
        all += e;
        if (k >= 26) last4 += e;
    }
    momentary = lufsOf(last4 / 4);
    shortTerm = lufsOf(all / 30);
}

LoudnessMeter::LoudnessMeter(int sampleRate, Mode mode) : d(std::make_unique<Impl>())
{
    d->rate = sampleRate;
    d->live = mode == Mode::Live;
    const int live = EBUR128_MODE_M | EBUR128_MODE_I | EBUR128_MODE_HISTOGRAM; // constant-time integrated
    const int full = EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA;
    d->st = ebur128_init(2, static_cast<unsigned long>(sampleRate), d->live ? live : full);
}

LoudnessMeter::~LoudnessMeter()
{
    ebur128_destroy(&d->st);
}

void LoudnessMeter::add(const float* left, const float* right, int n)
{
    if (!d->live) {
        d->peaks.resize(static_cast<size_t>(std::min(n, 4096)));
        // The maxima in locals (vectorised), not in members the compiler must keep in memory.
        float truePeak = d->truePeak, samplePeak = d->samplePeak;
        const float* peaks = d->peaks.data();
        for (int done = 0; done < n;) {
            const int m = std::min(n - done, 4096);
            for (const auto& [x, tp] : {std::pair{left + done, &d->tpL}, std::pair{right + done, &d->tpR}}) {
                tp->pushBlock(x, m, d->peaks.data());
                for (int i = 0; i < m; ++i) {
                    truePeak = std::max(truePeak, peaks[i]);
                    samplePeak = std::max(samplePeak, std::abs(x[i]));
                }
            }
            done += m;
        }
        d->truePeak = truePeak;
        d->samplePeak = samplePeak;
    }
    // Feed in 100 ms slices so the maximum momentary and short-term loudness are tracked.
    const int slice = d->rate / 10;
    int done = 0;
    while (done < n) {
        const int take = std::min(n - done, slice - d->sinceMomentary);
        d->interleaved.resize(static_cast<size_t>(2 * take));
        float* inter = d->interleaved.data();
        for (int i = 0; i < take; ++i) {
            inter[2 * i] = left[done + i];
            inter[2 * i + 1] = right[done + i];
        }
        ebur128_add_frames_float(d->st, d->interleaved.data(), static_cast<size_t>(take));
        d->frames += take;
        done += take;
        d->sinceMomentary += take;
        if (d->sinceMomentary == slice) {
            d->sinceMomentary = 0;
            // The maxima from the slice energies too: asking libebur128 for its short-term
            // loudness every 100 ms re-sums 3 s of audio each time (most of a report's cost).
            d->sliceDone();
            if (d->live) continue;
            if (d->frames >= d->rate * 4 / 10) d->maxM = std::max(d->maxM, d->momentary);
            if (d->frames >= d->rate * 3) d->maxS = std::max(d->maxS, d->shortTerm);
        }
    }
}

double LoudnessMeter::momentary() const
{
    if (d->live) return d->momentary;
    double v = -HUGE_VAL;
    ebur128_loudness_momentary(d->st, &v);
    return v;
}

double LoudnessMeter::shortTerm() const
{
    if (d->live) return d->shortTerm;
    double v = -HUGE_VAL;
    ebur128_loudness_shortterm(d->st, &v);
    return v;
}

double LoudnessMeter::integrated() const
{
    double v = -HUGE_VAL;
    ebur128_loudness_global(d->st, &v);
    return v;
}

LoudnessReport LoudnessMeter::report() const
{
    LoudnessReport r;
    ebur128_loudness_global(d->st, &r.integrated);
    ebur128_loudness_range(d->st, &r.range);
    // The detectors lag: flush copies of them with silence to read the last samples' peaks.
    double tp = d->truePeak;
    const double sp = d->samplePeak;
    if (!d->live) {
        std::vector<float> zeros(static_cast<size_t>(d->tpL.latency() + 1), 0.0f), out(zeros.size());
        for (const TruePeakDetector* det : {&d->tpL, &d->tpR}) {
            TruePeakDetector copy = *det;
            copy.pushBlock(zeros.data(), static_cast<int>(zeros.size()), out.data());
            for (float v : out)
                tp = std::max(tp, static_cast<double>(v));
        }
    }
    r.truePeak = tp > 0 ? 20 * std::log10(tp) : -HUGE_VAL;
    r.samplePeak = sp > 0 ? 20 * std::log10(sp) : -HUGE_VAL;
    r.maxMomentary = d->maxM;
    r.maxShortTerm = d->maxS;
    r.seconds = static_cast<double>(d->frames) / d->rate;
    return r;
}

} // namespace mixroom::engine
