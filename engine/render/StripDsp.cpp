// SPDX-License-Identifier: MIT
#include "engine/render/StripDsp.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace mixroom::engine {

void panGains(double pan, bool mono, double& left, double& right)
{
    if (mono) {
        const double theta = (pan + 1.0) * std::numbers::pi / 4.0;
        left = std::cos(theta);
        right = std::sin(theta);
    } else {
        left = pan > 0 ? 1.0 - pan : 1.0;
        right = pan < 0 ? 1.0 + pan : 1.0;
    }
}

namespace {
// runRamp() where every step glides over the interval to the next (automation's grid) and the
// ramp has arrived when the first step starts: the same values without the ramp's bookkeeping
// per step. Sample j of step k is t[k-1] + (t[k] - t[k-1]) / interval * (j + 1), its last t[k].
MIXROOM_CLONES void gridRamp(double from, int steps, const int* offsets, int interval, const double* targets, double* out, int n)
{
    double prev = from;
    for (int k = 0; k < steps; ++k) {
        const double t = targets[k];
        const double inc = (t - prev) / interval;
        const int o = offsets[k];
        const int len = std::min(interval - 1, n - o);
        for (int j = 0; j < len; ++j)
            out[o + j] = prev + inc * (j + 1);
        if (o + interval - 1 < n) out[o + interval - 1] = t;
        prev = t;
    }
}

// Leaves the ramp where a block of grid steps from `from` leaves it: on the last step's glide,
// as far as it got.
void endGridRamp(Ramp& ramp, double from, int steps, const int* offsets, int interval, const double* targets, int n)
{
    ramp.reset(steps > 1 ? targets[steps - 2] : from);
    ramp.setTarget(targets[steps - 1], interval);
    ramp.advance(n - offsets[steps - 1]);
}

// Whether every step glides over the interval to the next (the grid case of runRamp).
bool onGrid(int steps, const int* offsets, const int* glides)
{
    bool grid = steps > 0;
    for (int k = 0; k < steps && grid; ++k)
        grid = (k + 1 < steps ? offsets[k + 1] - offsets[k] : glides[k]) == glides[k];
    return grid;
}

// The strip's fader and pan gains on the grid, multiplied in without per-sample arrays: the same
// products as runRamp()'s values times the settled mute gain m.
MIXROOM_CLONES void gridGains(float* __restrict left, float* __restrict right, double m, double fromL, double fromR, int steps,
                              const int* offsets, int interval, const double* tL, const double* tR, int n)
{
    double pl = fromL, pr = fromR;
    for (int k = 0; k < steps; ++k) {
        const double il = (tL[k] - pl) / interval, ir = (tR[k] - pr) / interval;
        float* __restrict l = left + offsets[k];
        float* __restrict r = right + offsets[k];
        const int len = std::min(interval, n - offsets[k]);
        for (int j = 0; j < len; ++j) {
            const double gl = j == interval - 1 ? tL[k] : pl + il * (j + 1);
            const double gr = j == interval - 1 ? tR[k] : pr + ir * (j + 1);
            l[j] *= static_cast<float>(m * gl);
            r[j] *= static_cast<float>(m * gr);
        }
        pl = tL[k];
        pr = tR[k];
    }
}
} // namespace

void runRamp(Ramp& ramp, int steps, const int* offsets, const int* glides, const double* targets, double* out, int n)
{
    if (onGrid(steps, offsets, glides)) {
        ramp.fill(out, offsets[0]);
        if (!ramp.active()) {
            const double from = ramp.value();
            gridRamp(from, steps, offsets, glides[0], targets, out, n);
            endGridRamp(ramp, from, steps, offsets, glides[0], targets, n);
            return;
        }
        // Still on an edit's glide: step by step below.
        int at = offsets[0];
        for (int k = 0; k < steps; ++k) {
            ramp.fill(out + at, offsets[k] - at);
            at = offsets[k];
            ramp.setTarget(targets[k], glides[k]);
        }
        ramp.fill(out + at, n - at);
        return;
    }
    int at = 0;
    for (int k = 0; k < steps; ++k) {
        ramp.fill(out + at, offsets[k] - at);
        at = offsets[k];
        ramp.setTarget(targets[k], glides[k]);
    }
    ramp.fill(out + at, n - at);
}

void StripDsp::prepare(double sampleRate, int maxBlock, int eqBands, int sends, bool mono)
{
    m_fs = sampleRate;
    m_ramp = m_defaultRamp = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_eqBands = eqBands;
    m_mono = mono;
    m_first = true;
    m_eq.prepare(sampleRate);
    m_comp.prepare(sampleRate);
    m_send.assign(static_cast<size_t>(sends), Ramp{});
    m_sendPre.assign(static_cast<size_t>(sends), 0);
    m_preL.assign(static_cast<size_t>(maxBlock), 0.0f);
    m_preR.assign(static_cast<size_t>(maxBlock), 0.0f);
    m_maxBlock = maxBlock;
    m_schedule = nullptr;
    m_rmsState = 0;
    m_rmsCoef = std::exp(-1.0 / (0.3 * sampleRate));
}

void StripDsp::update(const Strip& v, bool muted, const int* sendIndex)
{
    const double trim = dbToGain(v.trim) * (v.polarity ? -1.0 : 1.0);
    double pl = 1, pr = 1;
    panGains(v.pan, m_mono, pl, pr);
    const double fader = dbToGain(v.fader);
    const int ramp = m_first ? 0 : m_ramp;
    if (m_first) {
        m_trim.reset(trim);
        m_mute.reset(muted ? 0.0 : 1.0);
        m_gainL.reset(fader * pl);
        m_gainR.reset(fader * pr);
    } else {
        m_trim.setTarget(trim, ramp);
        m_mute.setTarget(muted ? 0.0 : 1.0, ramp);
        m_gainL.setTarget(fader * pl, ramp);
        m_gainR.setTarget(fader * pr, ramp);
    }
    m_eq.setBands(v.eq.data(), std::min<int>(m_eqBands, static_cast<int>(v.eq.size())));
    m_comp.setParams(v.comp);
    for (size_t r = 0; r < m_send.size(); ++r) {
        const int k = sendIndex ? sendIndex[r] : -1;
        const Send* snd = k >= 0 && static_cast<size_t>(k) < v.sends.size() ? &v.sends[static_cast<size_t>(k)] : nullptr;
        const double g = dbToGain(snd ? snd->level : kSilenceDb);
        if (m_first)
            m_send[r].reset(g);
        else
            m_send[r].setTarget(g, ramp);
        m_sendPre[r] = snd && snd->pre ? 1 : 0;
    }
    m_first = false;
}

void StripDsp::adoptState(const StripDsp& old, const int* sendFrom)
{
    m_first = old.m_first;
    m_trim = old.m_trim;
    m_mute = old.m_mute;
    m_gainL = old.m_gainL;
    m_gainR = old.m_gainR;
    m_eq = old.m_eq;           // fixed-size state: bands move by position, Equalizer::setBands relays out
    m_eq.setSchedule(nullptr); // the old graph's (this graph sets its own before each block)
    m_comp = old.m_comp;
    m_rmsState = old.m_rmsState;
    for (size_t r = 0; r < m_send.size(); ++r) {
        const int k = sendFrom ? sendFrom[r] : -1;
        if (k >= 0 && static_cast<size_t>(k) < old.m_send.size()) {
            m_send[r] = old.m_send[static_cast<size_t>(k)];
            m_sendPre[r] = old.m_sendPre[static_cast<size_t>(k)];
        } else {
            m_send[r].reset(0.0); // a new send glides in from silence
            m_sendPre[r] = 0;
        }
    }
}

void StripDsp::process(float* left, float* right, int n, float* outL, float* outR, float* const* sendL, float* const* sendR)
{
    processInput(left, right, n);
    Equalizer* eq = &m_eq; // as a group of one: an automated EQ takes the same path as the tracks'
    Equalizer::processGroup(&eq, &left, &right, 1, n);
    m_comp.process(left, right, n);
    processOutput(left, right, n, outL, outR, sendL, sendR);
}

void StripDsp::processInput(float* left, float* right, int n)
{
    if (m_schedule && m_schedule->trim) {
        const Schedule& s = *m_schedule;
        double* g = m_schedule->scratch;
        runRamp(m_trim, s.steps, s.offsets, s.glides, s.trim, g, n);
        for (int i = 0; i < n; ++i) {
            left[i] *= static_cast<float>(g[i]);
            right[i] *= static_cast<float>(g[i]);
        }
        return;
    }
    // Trim and polarity (exact when the gain is a settled 1.0).
    if (m_trim.active() || m_trim.value() != 1.0) {
        for (int i = 0; i < n; ++i) {
            const float g = static_cast<float>(m_trim.next());
            left[i] *= g;
            right[i] *= g;
        }
    }
}

// AVX2 clone: its loops vectorise eight-wide; every value is the same (no FMA, same order).
MIXROOM_CLONES void StripDsp::processOutput(float* left, float* right, int n, float* outL, float* outR, float* const* sendL,
                                            float* const* sendR)
{
    meter.reduction.store(std::max(meter.reduction.load(std::memory_order_relaxed), m_comp.takeMaxReduction()), std::memory_order_relaxed);

    // Pre-fader sends take the signal after dynamics, with mute applied.
    bool anyPre = false;
    for (size_t r = 0; r < m_send.size(); ++r)
        anyPre = anyPre || (m_sendPre[r] &&
                            (m_send[r].active() || m_send[r].value() > 0 || (m_schedule && m_schedule->sends && m_schedule->sends[r])));
    const bool muteSettled = !m_mute.active();
    if (anyPre) {
        Ramp mute = m_mute; // a copy: the main path advances the real one below
        for (int i = 0; i < n; ++i) {
            const float m = static_cast<float>(mute.next());
            m_preL[static_cast<size_t>(i)] = left[i] * m;
            m_preR[static_cast<size_t>(i)] = right[i] * m;
        }
    }

    // Mute, fader and pan. Settled gains are applied in the summing and metering loop below.
    const bool scheduled = m_schedule && m_schedule->gainL;
    const Schedule* sch = m_schedule;
    if (scheduled && !m_mute.active() && onGrid(sch->steps, sch->offsets, sch->glides) && m_gainL.remaining() <= sch->offsets[0] &&
        m_gainR.remaining() <= sch->offsets[0]) {
        // On the grid with a settled mute: the glides in progress end at the first step, then
        // each step's glide is computed as it is multiplied in.
        const double m = m_mute.value();
        const int first = sch->offsets[0];
        for (int i = 0; i < first; ++i) {
            left[i] *= static_cast<float>(m * m_gainL.next());
            right[i] *= static_cast<float>(m * m_gainR.next());
        }
        const double fromL = m_gainL.value(), fromR = m_gainR.value();
        gridGains(left, right, m, fromL, fromR, sch->steps, sch->offsets, sch->glides[0], sch->gainL, sch->gainR, n);
        endGridRamp(m_gainL, fromL, sch->steps, sch->offsets, sch->glides[0], sch->gainL, n);
        endGridRamp(m_gainR, fromR, sch->steps, sch->offsets, sch->glides[0], sch->gainR, n);
    } else if (scheduled) {
        const Schedule& s = *m_schedule;
        double* gl = s.scratch;
        double* gr = s.scratch + m_maxBlock;
        double* mu = s.scratch + 2 * m_maxBlock;
        runRamp(m_gainL, s.steps, s.offsets, s.glides, s.gainL, gl, n);
        runRamp(m_gainR, s.steps, s.offsets, s.glides, s.gainR, gr, n);
        if (m_mute.active()) {
            m_mute.fill(mu, n);
            for (int i = 0; i < n; ++i) {
                left[i] *= static_cast<float>(mu[i] * gl[i]);
                right[i] *= static_cast<float>(mu[i] * gr[i]);
            }
        } else { // the same products with the settled mute gain
            const double m = m_mute.value();
            for (int i = 0; i < n; ++i) {
                left[i] *= static_cast<float>(m * gl[i]);
                right[i] *= static_cast<float>(m * gr[i]);
            }
        }
    }
    const bool unity = !scheduled && muteSettled && m_mute.value() == 1.0 && !m_gainL.active() && !m_gainR.active() &&
                       m_gainL.value() == 1.0 && m_gainR.value() == 1.0;
    const bool settled = !scheduled && muteSettled && !m_gainL.active() && !m_gainR.active();
    float gl = 1.0f, gr = 1.0f;
    if (!unity && settled) {
        // The same per-sample products as below, computed once.
        const double m = m_mute.value();
        gl = static_cast<float>(m * m_gainL.value());
        gr = static_cast<float>(m * m_gainR.value());
    } else if (!unity && !scheduled) {
        for (int i = 0; i < n; ++i) {
            const double m = m_mute.next();
            left[i] *= static_cast<float>(m * m_gainL.next());
            right[i] *= static_cast<float>(m * m_gainR.next());
        }
    }
    const bool scale = !unity && settled;

    // Settled gains, the sum into the output and the meters in one pass. Meters: eight partial
    // accumulators, one per lane of explicit vectors (the compiler does not vectorise this
    // reduction by itself).
    using F8 = float __attribute__((vector_size(32)));
    using I8 = int __attribute__((vector_size(32)));
    using D4 = double __attribute__((vector_size(32)));
    constexpr int kLanes = 8;
    F8 pkvL{}, pkvR{};
    D4 sqLo{}, sqHi{};
    int i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        F8 a, b, oa, ob;
        std::memcpy(&a, left + i, sizeof a);
        std::memcpy(&b, right + i, sizeof b);
        if (scale) {
            a *= gl;
            b *= gr;
            std::memcpy(left + i, &a, sizeof a);
            std::memcpy(right + i, &b, sizeof b);
        }
        std::memcpy(&oa, outL + i, sizeof oa);
        std::memcpy(&ob, outR + i, sizeof ob);
        oa += a;
        ob += b;
        std::memcpy(outL + i, &oa, sizeof oa);
        std::memcpy(outR + i, &ob, sizeof ob);
        const F8 absA = (F8)((I8)a & 0x7fffffff), absB = (F8)((I8)b & 0x7fffffff);
        pkvL = pkvL > absA ? pkvL : absA;
        pkvR = pkvR > absB ? pkvR : absB;
        const D4 aLo = __builtin_convertvector(__builtin_shufflevector(a, a, 0, 1, 2, 3), D4);
        const D4 aHi = __builtin_convertvector(__builtin_shufflevector(a, a, 4, 5, 6, 7), D4);
        const D4 bLo = __builtin_convertvector(__builtin_shufflevector(b, b, 0, 1, 2, 3), D4);
        const D4 bHi = __builtin_convertvector(__builtin_shufflevector(b, b, 4, 5, 6, 7), D4);
        sqLo += aLo * aLo + bLo * bLo;
        sqHi += aHi * aHi + bHi * bHi;
    }
    for (int k = i; k < n; ++k) {
        if (scale) {
            left[k] *= gl;
            right[k] *= gr;
        }
        outL[k] += left[k];
        outR[k] += right[k];
    }
    // Post-fader sends read the strip after the loop above.
    for (size_t r = 0; r < m_send.size(); ++r) {
        Ramp& g = m_send[r];
        if (m_schedule && m_schedule->sends && m_schedule->sends[r]) {
            const Schedule& s = *m_schedule;
            double* sg = s.scratch;
            runRamp(g, s.steps, s.offsets, s.glides, s.sends[r], sg, n);
            const float* srcL = m_sendPre[r] ? m_preL.data() : left;
            const float* srcR = m_sendPre[r] ? m_preR.data() : right;
            for (int j = 0; j < n; ++j) {
                sendL[r][j] += srcL[j] * static_cast<float>(sg[j]);
                sendR[r][j] += srcR[j] * static_cast<float>(sg[j]);
            }
            continue;
        }
        if (!g.active() && g.value() == 0.0) continue;
        const float* srcL = m_sendPre[r] ? m_preL.data() : left;
        const float* srcR = m_sendPre[r] ? m_preR.data() : right;
        float* dl = sendL[r];
        float* dr = sendR[r];
        if (!g.active()) {
            const float s = static_cast<float>(g.value());
            for (int j = 0; j < n; ++j) {
                dl[j] += srcL[j] * s;
                dr[j] += srcR[j] * s;
            }
            continue;
        }
        for (int j = 0; j < n; ++j) {
            const float s = static_cast<float>(g.next());
            dl[j] += srcL[j] * s;
            dr[j] += srcR[j] * s;
        }
    }
    float pkL[kLanes], pkR[kLanes];
    double sq[kLanes];
    for (int k = 0; k < 4; ++k) {
        sq[k] = sqLo[k];
        sq[k + 4] = sqHi[k];
    }
    for (int k = 0; k < kLanes; ++k) {
        pkL[k] = pkvL[k];
        pkR[k] = pkvR[k];
    }
    for (; i < n; ++i) {
        pkL[0] = std::max(pkL[0], std::abs(left[i]));
        pkR[0] = std::max(pkR[0], std::abs(right[i]));
        sq[0] += double(left[i]) * left[i] + double(right[i]) * right[i];
    }
    float peakLeft = 0.0f, peakRight = 0.0f;
    double sumSq = 0.0;
    for (int k = 0; k < kLanes; ++k) {
        peakLeft = std::max(peakLeft, pkL[k]);
        peakRight = std::max(peakRight, pkR[k]);
        sumSq += sq[k];
    }
    const float peak = std::max(peakLeft, peakRight);
    if (peakLeft > meter.peakL.load(std::memory_order_relaxed)) meter.peakL.store(peakLeft, std::memory_order_relaxed);
    if (peakRight > meter.peakR.load(std::memory_order_relaxed)) meter.peakR.store(peakRight, std::memory_order_relaxed);
    // Block RMS folded into a ~300 ms average; totals for the render report.
    const double blockMs = n > 0 ? sumSq / (2.0 * n) : 0.0;
    const double a = std::pow(m_rmsCoef, n);
    m_rmsState = a * m_rmsState + (1 - a) * blockMs;
    meter.rms.store(static_cast<float>(std::sqrt(m_rmsState)), std::memory_order_relaxed);
    if (peak > meter.peak.load(std::memory_order_relaxed)) meter.peak.store(peak, std::memory_order_relaxed);
    if (peak > meter.totalPeak.load(std::memory_order_relaxed)) meter.totalPeak.store(peak, std::memory_order_relaxed);
    meter.totalSumSq.store(meter.totalSumSq.load(std::memory_order_relaxed) + sumSq, std::memory_order_relaxed);
    meter.totalFrames.store(meter.totalFrames.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

} // namespace mixroom::engine
