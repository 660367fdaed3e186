// SPDX-License-Identifier: MIT
#include "engine/dsp/Equalizer.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

void Equalizer::prepare(double sampleRate)
{
    m_fs = sampleRate;
    m_glideSamples = m_defaultGlide = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_count = 0;
    for (auto& b : m_bands)
        b = Band{};
    m_cascade = StereoBiquadCascade{};
    m_pos = 0;
}

void Equalizer::reset()
{
    for (int i = 0; i < m_cascade.count(); ++i)
        m_cascade.resetSection(i);
}

BiquadTerms Equalizer::terms(Band& b)
{
    // The frequency and Q terms change only when those glide: a gain ride (automation) reuses them.
    const double lf = b.logFreq.value(), lq = b.logQ.value();
    if (!b.designed || lf != b.designedLogFreq || lq != b.designedLogQ) {
        const BiquadTerms t = biquadTerms(m_fs, std::min(std::exp2(lf), 0.49 * m_fs), std::exp2(lq));
        b.cw = t.cw;
        b.alpha = t.alpha;
        b.designedLogFreq = lf;
        b.designedLogQ = lq;
        b.designed = true;
    }
    return {b.cw, b.alpha};
}

void Equalizer::design(Band& b)
{
    if (b.offset < 0) return;
    const double g = b.gain.value();
    const double lf = b.logFreq.value();
    BiquadCoeffs c[2];
    auto shaped = [&](BiquadShape shape) { return designBiquad(shape, terms(b), g); };
    switch (b.target.type) {
    case EqType::HighPass12: c[0] = shaped(BiquadShape::HighPass); break;
    case EqType::LowPass12: c[0] = shaped(BiquadShape::LowPass); break;
    case EqType::HighPass24:
    case EqType::LowPass24: {
        // 4th-order Butterworth: two sections with the Butterworth Qs.
        const double f = std::min(std::exp2(lf), 0.49 * m_fs);
        const auto shape = b.target.type == EqType::HighPass24 ? BiquadShape::HighPass : BiquadShape::LowPass;
        c[0] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[0]);
        c[1] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[1]);
        break;
    }
    case EqType::LowShelf: c[0] = shaped(BiquadShape::LowShelf); break;
    case EqType::HighShelf: c[0] = shaped(BiquadShape::HighShelf); break;
    case EqType::Peak: c[0] = shaped(BiquadShape::Peak); break;
    }
    for (int s = 0; s < b.sections; ++s)
        m_cascade.setSection(b.offset + s, c[s]);
}

void Equalizer::applyStep(int k)
{
    const Schedule& s = *m_schedule;
    const int glide = s.glides[k];
    for (int i = 0; i < s.bandCount; ++i) {
        const Schedule::Band& sb = s.bands[i];
        if (sb.band >= m_count) continue;
        Band& b = m_bands[static_cast<size_t>(sb.band)];
        if (sb.freq) b.target.freq = sb.freq[k];
        if (sb.gain) b.target.gain = sb.gain[k];
        if (sb.q) b.target.q = sb.q[k];
        if (!b.active) continue;
        if (sb.freq) b.logFreq.setTarget(std::log2(sb.freq[k]), glide);
        if (sb.gain) b.gain.setTarget(sb.gain[k], glide);
        if (sb.q) b.logQ.setTarget(std::log2(sb.q[k]), glide);
    }
}

void Equalizer::relayout()
{
    // Active bands' sections, in band order; states move with their band.
    StereoBiquadCascade::State saved[StereoBiquadCascade::kMaxSections];
    int savedFrom[kMaxEqBands];
    for (int i = 0; i < kMaxEqBands; ++i) {
        const Band& b = m_bands[static_cast<size_t>(i)];
        savedFrom[i] = b.offset;
        if (b.offset >= 0)
            for (int s = 0; s < b.sections; ++s)
                saved[b.offset + s] = m_cascade.state(b.offset + s);
    }
    int next = 0;
    for (int i = 0; i < kMaxEqBands; ++i) {
        Band& b = m_bands[static_cast<size_t>(i)];
        b.offset = (i < m_count && b.active) ? next : -1;
        if (b.offset < 0) continue;
        next += b.sections;
        for (int s = 0; s < b.sections; ++s)
            m_cascade.setState(b.offset + s, savedFrom[i] >= 0 ? saved[savedFrom[i] + s] : StereoBiquadCascade::State{});
        design(b);
    }
    m_cascade.setCount(next);
}

void Equalizer::setBands(const EqBand* bands, int count)
{
    count = std::clamp(count, 0, kMaxEqBands);
    bool layout = count != m_count;
    for (int i = 0; i < count; ++i) {
        Band& b = m_bands[static_cast<size_t>(i)];
        const EqBand& t = bands[i];
        const bool fresh = i >= m_count;
        if (!fresh && t == b.target) continue;
        const bool typeChanged = fresh || t.type != b.target.type;
        const bool wasActive = !fresh && b.active;
        b.target = t;
        b.active = t.enabled;
        const int sections = (t.type == EqType::HighPass24 || t.type == EqType::LowPass24) ? 2 : 1;
        if (wasActive && b.active && !typeChanged) {
            b.logFreq.setTarget(std::log2(t.freq), m_glideSamples);
            b.gain.setTarget(t.gain, m_glideSamples);
            b.logQ.setTarget(std::log2(t.q), m_glideSamples);
            continue; // designed on the coefficient grid as it glides
        }
        // A band entering the circuit or changing type starts from rest at its target.
        b.logFreq.reset(std::log2(t.freq));
        b.gain.reset(t.gain);
        b.logQ.reset(std::log2(t.q));
        b.sections = sections;
        b.offset = -1; // its old state does not carry over
        layout = true;
    }
    m_count = count;
    if (layout) relayout();
}

unsigned Equalizer::scheduledSections() const
{
    const Schedule& sc = *m_schedule;
    unsigned sections = 0;
    for (int i = 0; i < sc.bandCount; ++i) {
        const int band = sc.bands[i].band;
        if (band >= m_count || sc.steps == 0) continue;
        const Band& b = m_bands[static_cast<size_t>(band)];
        if (b.active && b.offset >= 0)
            for (int s = 0; s < b.sections; ++s)
                sections |= 1u << (b.offset + s);
    }
    return sections;
}

void Equalizer::planSteps(int stride, unsigned mask)
{
    const Schedule& sc = *m_schedule;
    const StereoBiquadCascade::Plan columns{0, nullptr, stride, mask};
    for (int i = 0; i < sc.bandCount; ++i) {
        const Schedule::Band& sb = sc.bands[i];
        if (sb.band >= m_count) continue;
        Band& b = m_bands[static_cast<size_t>(sb.band)];
        const int last = sc.steps - 1;
        if (last >= 0) { // the band ends the block at the last step's values
            if (sb.freq) b.target.freq = sb.freq[last];
            if (sb.gain) b.target.gain = sb.gain[last];
            if (sb.q) b.target.q = sb.q[last];
        }
        if (!b.active || b.offset < 0 || last < 0) continue;
        const bool hp24 = b.target.type == EqType::HighPass24, lp24 = b.target.type == EqType::LowPass24;
        BiquadCoeffs* out = sc.plan + stride + columns.column(b.offset);
        if (hp24 || lp24) {
            const auto shape = hp24 ? BiquadShape::HighPass : BiquadShape::LowPass;
            for (int k = 0; k <= last; ++k) {
                const double f = std::min(sb.freq ? sb.freq[k] : std::exp2(b.logFreq.value()), 0.49 * m_fs);
                out[k * stride] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[0]);
                out[k * stride + 1] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[1]); // the next column
            }
        } else {
            const BiquadShape shape = b.target.type == EqType::HighPass12  ? BiquadShape::HighPass
                                      : b.target.type == EqType::LowPass12 ? BiquadShape::LowPass
                                      : b.target.type == EqType::LowShelf  ? BiquadShape::LowShelf
                                      : b.target.type == EqType::HighShelf ? BiquadShape::HighShelf
                                                                           : BiquadShape::Peak;
            if (!sb.freq && !sb.q) { // a gain ride: the frequency terms hold
                designBiquadGains(shape, terms(b), sb.gain, last + 1, out, stride);
            } else {
                for (int k = 0; k <= last; ++k) {
                    const double f = std::min(sb.freq ? sb.freq[k] : std::exp2(b.logFreq.value()), 0.49 * m_fs);
                    const double q = sb.q ? sb.q[k] : std::exp2(b.logQ.value());
                    const double g = sb.gain ? sb.gain[k] : b.gain.value();
                    out[k * stride] = designBiquad(shape, biquadTerms(m_fs, f, q), g);
                }
            }
        }
        // The glides stand at the last step's values (what a later edit glides from).
        if (sb.freq) b.logFreq.reset(std::log2(sb.freq[last]));
        if (sb.gain) b.gain.reset(sb.gain[last]);
        if (sb.q) b.logQ.reset(std::log2(sb.q[last]));
        b.designed = b.designed && !sb.freq && !sb.q;
    }
}

bool Equalizer::gliding() const
{
    for (int i = 0; i < m_count; ++i)
        if (m_bands[static_cast<size_t>(i)].gliding()) return true;
    return false;
}

void Equalizer::glideStep()
{
    for (int i = 0; i < m_count; ++i) {
        Band& b = m_bands[static_cast<size_t>(i)];
        if (!b.gliding()) continue;
        b.logFreq.advance(kCoeffInterval);
        b.gain.advance(kCoeffInterval);
        b.logQ.advance(kCoeffInterval);
        design(b);
    }
}

void Equalizer::process(float* left, float* right, int n)
{
    int done = 0, step = 0;
    const int steps = m_schedule ? m_schedule->steps : 0;
    while (done < n) {
        if (step < steps && m_schedule->offsets[step] == done) applyStep(step++);
        const int limit = step < steps ? m_schedule->offsets[step] : n;
        if (!gliding()) {
            m_cascade.process(left + done, right + done, limit - done);
            m_pos += limit - done;
            done = limit;
            continue;
        }
        // While gliding, run up to the next point of the absolute coefficient grid.
        const int toGrid = kCoeffInterval - static_cast<int>(m_pos % kCoeffInterval);
        const int span = std::min(toGrid, limit - done);
        if (m_pos % kCoeffInterval == 0) glideStep();
        m_cascade.process(left + done, right + done, span);
        done += span;
        m_pos += span;
    }
}

void Equalizer::processGroup(Equalizer* const* eqs, float* const* left, float* const* right, int count, int n)
{
    constexpr int kMax = 64;
    StereoBiquadCascade* cascades[kMax];
    float* L[kMax];
    float* R[kMax];
    Equalizer* moving[kMax];
    float* mL[kMax];
    float* mR[kMax];
    int k = 0, m = 0;
    bool planned = true;
    for (int i = 0; i < count && i < kMax; ++i) {
        Equalizer& e = *eqs[i];
        if (e.m_schedule || e.gliding()) {
            moving[m] = &e;
            mL[m] = left[i];
            mR[m] = right[i];
            planned = planned && e.m_schedule && e.m_schedule->plan;
            ++m;
            continue;
        }
        cascades[k] = &e.m_cascade;
        L[k] = left[i];
        R[k] = right[i];
        ++k;
        e.m_pos += n;
    }
    if (k > 0) StereoBiquadCascade::processGroup(cascades, L, R, k, n);
    if (m == 0) return;
    if (!planned || (m == 1 && moving[0]->gliding())) {
        for (int i = 0; i < m; ++i)
            moving[i]->process(mL[i], mR[i], n);
        return;
    }
    // Automated ones with no edit gliding, on the graph's grid: each step's coefficients straight
    // from its values, then all of their cascades over the block at once.
    bool direct = n + 1 < kPlanSpans * kCoeffInterval;
    for (int i = 0; i < m; ++i) {
        const Schedule* sc = moving[i]->m_schedule;
        direct =
            direct && !moving[i]->gliding() && sc->offsets == moving[0]->m_schedule->offsets && sc->steps == moving[0]->m_schedule->steps;
    }
    if (direct) {
        const Schedule& first = *moving[0]->m_schedule;
        int spanStart[kPlanSpans];
        int spans = 0;
        if (first.steps == 0 || first.offsets[0] > 0) spanStart[spans++] = 0;
        const int lead = spans; // 1: row 0 is the span before the first step
        for (int k = 0; k < first.steps; ++k)
            spanStart[spans++] = first.offsets[k];
        // Rows hold the sections any of them moves (usually one band's): the plan stays small.
        unsigned mask = 0;
        for (int i = 0; i < m; ++i)
            mask |= moving[i]->scheduledSections();
        const int stride = std::max(1, __builtin_popcount(mask));
        const StereoBiquadCascade::Plan plan{spans, spanStart, stride, mask};
        const BiquadCoeffs* tables[kMax];
        for (int i = 0; i < m; ++i) {
            Equalizer& e = *moving[i];
            cascades[i] = &e.m_cascade;
            e.planSteps(stride, mask);
            BiquadCoeffs* rows = e.m_schedule->plan;
            // Sections another cascade's plan moves, and the span before the first step, hold
            // the coefficients they have.
            const unsigned own = e.scheduledSections();
            const StereoBiquadCascade::Section* sec = e.m_cascade.sections();
            for (int j = 0; j < StereoBiquadCascade::kMaxSections; ++j) {
                if (!(mask & (1u << j))) continue;
                const int col = plan.column(j);
                const BiquadCoeffs now = j < e.m_cascade.count()
                                             ? BiquadCoeffs{sec[j].b0[0], sec[j].b1[0], sec[j].b2[0], -sec[j].na1[0], -sec[j].na2[0]}
                                             : BiquadCoeffs{};
                if (lead) rows[col] = now;
                if (!(own & (1u << j)))
                    for (int k = 0; k < spans - lead; ++k) // step k's row is 1 + k
                        rows[(1 + k) * stride + col] = now;
            }
            tables[i] = lead ? rows : rows + stride;
            e.m_pos += n;
        }
        StereoBiquadCascade::processGroup(cascades, mL, mR, m, n, plan, tables);
        return;
    }
    // Otherwise (an edit's glide as well, or an automated one alone) span by span: first their
    // coefficients for the whole block (a span ends where any of them has a schedule step or a
    // point of its coefficient grid, and each does there what process() does), then their
    // cascades over the block at once.
    int step[kMax] = {};
    int spanStart[kPlanSpans];
    const BiquadCoeffs* tables[kMax];
    for (int i = 0; i < m; ++i) {
        cascades[i] = &moving[i]->m_cascade;
        tables[i] = moving[i]->m_schedule->plan;
    }
    int stride = 1; // full rows: every section of the longest cascade
    for (int i = 0; i < m; ++i)
        stride = std::max(stride, moving[i]->m_cascade.count());
    for (int first = 0; first < n;) { // a plan holds kPlanSpans spans; a longer block takes several
        int spans = 0, done = first;
        while (done < n && spans < kPlanSpans) {
            int limit = n;
            for (int i = 0; i < m; ++i) {
                Equalizer& e = *moving[i];
                const int steps = e.m_schedule->steps;
                if (step[i] < steps && e.m_schedule->offsets[step[i]] == done) e.applyStep(step[i]++);
                if (step[i] < steps) limit = std::min(limit, e.m_schedule->offsets[step[i]]);
                if (!e.gliding()) continue;
                const int into = static_cast<int>(e.m_pos % kCoeffInterval);
                if (into == 0) e.glideStep();
                limit = std::min(limit, done + kCoeffInterval - into);
            }
            spanStart[spans] = done - first;
            for (int i = 0; i < m; ++i) {
                Equalizer& e = *moving[i];
                BiquadCoeffs* row = e.m_schedule->plan + spans * stride;
                const StereoBiquadCascade::Section* sec = e.m_cascade.sections();
                for (int j = 0; j < e.m_cascade.count(); ++j)
                    row[j] = BiquadCoeffs{sec[j].b0[0], sec[j].b1[0], sec[j].b2[0], -sec[j].na1[0], -sec[j].na2[0]};
                e.m_pos += limit - done;
            }
            ++spans;
            done = limit;
        }
        for (int i = 0; i < m; ++i) {
            L[i] = mL[i] + first;
            R[i] = mR[i] + first;
        }
        // Full rows: every section at its own column.
        StereoBiquadCascade::processGroup(cascades, L, R, m, done - first,
                                          StereoBiquadCascade::Plan{spans, spanStart, stride, (1u << stride) - 1}, tables);
        first = done;
    }
}

} // namespace mixroom::engine
