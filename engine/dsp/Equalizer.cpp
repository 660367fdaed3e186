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

void Equalizer::design(Band& b)
{
    if (b.offset < 0) return;
    const double f = std::min(std::exp2(b.logFreq.value()), 0.49 * m_fs);
    const double g = b.gain.value();
    const double q = std::exp2(b.logQ.value());
    BiquadCoeffs c[2];
    switch (b.target.type) {
    case EqType::HighPass12: c[0] = designBiquad(BiquadShape::HighPass, m_fs, f, 0, q); break;
    case EqType::LowPass12: c[0] = designBiquad(BiquadShape::LowPass, m_fs, f, 0, q); break;
    case EqType::HighPass24:
    case EqType::LowPass24: {
        // 4th-order Butterworth: two sections with the Butterworth Qs.
        const auto shape = b.target.type == EqType::HighPass24 ? BiquadShape::HighPass : BiquadShape::LowPass;
        c[0] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[0]);
        c[1] = designBiquad(shape, m_fs, f, 0, kButterworth4Q[1]);
        break;
    }
    case EqType::LowShelf: c[0] = designBiquad(BiquadShape::LowShelf, m_fs, f, g, q); break;
    case EqType::HighShelf: c[0] = designBiquad(BiquadShape::HighShelf, m_fs, f, g, q); break;
    case EqType::Peak: c[0] = designBiquad(BiquadShape::Peak, m_fs, f, g, q); break;
    }
    for (int s = 0; s < b.sections; ++s)
        m_cascade.setSection(b.offset + s, c[s]);
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
            design(b);
            continue;
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

void Equalizer::process(float* left, float* right, int n)
{
    int done = 0;
    while (done < n) {
        bool gliding = false;
        for (int i = 0; i < m_count; ++i)
            gliding = gliding || m_bands[static_cast<size_t>(i)].gliding();
        if (!gliding) {
            m_cascade.process(left + done, right + done, n - done);
            m_pos += n - done;
            return;
        }
        // While gliding, run up to the next point of the absolute coefficient grid.
        const int toGrid = kCoeffInterval - static_cast<int>(m_pos % kCoeffInterval);
        const int span = std::min(toGrid, n - done);
        if (m_pos % kCoeffInterval == 0) {
            for (int i = 0; i < m_count; ++i) {
                Band& b = m_bands[static_cast<size_t>(i)];
                if (!b.gliding()) continue;
                for (int k = 0; k < kCoeffInterval; ++k) {
                    b.logFreq.next();
                    b.gain.next();
                    b.logQ.next();
                }
                design(b);
            }
        }
        m_cascade.process(left + done, right + done, span);
        done += span;
        m_pos += span;
    }
}

void Equalizer::processGroup(Equalizer* const* eqs, float* const* left, float* const* right, int count, int n)
{
    constexpr int kMax = 64;
    StereoBiquadCascade* settled[kMax];
    float* L[kMax];
    float* R[kMax];
    int k = 0;
    for (int i = 0; i < count && i < kMax; ++i) {
        Equalizer& e = *eqs[i];
        bool gliding = false;
        for (int b = 0; b < e.m_count; ++b)
            gliding = gliding || e.m_bands[static_cast<size_t>(b)].gliding();
        if (gliding) {
            e.process(left[i], right[i], n);
            continue;
        }
        settled[k] = &e.m_cascade;
        L[k] = left[i];
        R[k] = right[i];
        ++k;
        e.m_pos += n;
    }
    StereoBiquadCascade::processGroup(settled, L, R, k, n);
}

} // namespace mixroom::engine
