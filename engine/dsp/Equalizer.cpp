// SPDX-License-Identifier: MIT
#include "engine/dsp/Equalizer.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

void Equalizer::prepare(double sampleRate)
{
    m_fs = sampleRate;
    m_glideSamples = static_cast<int>(std::lround(kRampSeconds * sampleRate));
    m_count = 0;
    for (auto& b : m_bands)
        b = Band{};
    m_pos = 0;
}

void Equalizer::reset()
{
    for (auto& b : m_bands)
        for (auto& sec : b.stage)
            for (auto& ch : sec)
                ch.reset();
}

bool Equalizer::bypassed() const
{
    for (int i = 0; i < m_count; ++i)
        if (m_bands[static_cast<size_t>(i)].active)
            return false;
    return true;
}

void Equalizer::Band::design(double fs)
{
    const double f = std::min(std::exp2(logFreq.value()), 0.49 * fs);
    const double g = gain.value();
    const double q = std::exp2(logQ.value());
    BiquadCoeffs c[2];
    sections = 1;
    switch (target.type) {
    case EqType::HighPass12: c[0] = designBiquad(BiquadShape::HighPass, fs, f, 0, q); break;
    case EqType::LowPass12: c[0] = designBiquad(BiquadShape::LowPass, fs, f, 0, q); break;
    case EqType::HighPass24:
    case EqType::LowPass24: {
        const auto shape = target.type == EqType::HighPass24 ? BiquadShape::HighPass : BiquadShape::LowPass;
        c[0] = designBiquad(shape, fs, f, 0, kButterworth4Q[0]);
        c[1] = designBiquad(shape, fs, f, 0, kButterworth4Q[1]);
        sections = 2;
        break;
    }
    case EqType::LowShelf: c[0] = designBiquad(BiquadShape::LowShelf, fs, f, g, q); break;
    case EqType::HighShelf: c[0] = designBiquad(BiquadShape::HighShelf, fs, f, g, q); break;
    case EqType::Peak: c[0] = designBiquad(BiquadShape::Peak, fs, f, g, q); break;
    }
    for (int s = 0; s < sections; ++s)
        for (auto& ch : stage[s])
            ch.setCoeffs(c[s]);
}

void Equalizer::setBands(const EqBand* bands, int count)
{
    count = std::clamp(count, 0, kMaxEqBands);
    for (int i = 0; i < count; ++i) {
        Band& b = m_bands[static_cast<size_t>(i)];
        const EqBand& t = bands[i];
        const bool fresh = i >= m_count;
        if (!fresh && t == b.target)
            continue;
        const bool typeChanged = fresh || t.type != b.target.type;
        const bool wasActive = b.active;
        b.target = t;
        b.active = t.enabled;
        const int glide = (fresh || !wasActive) ? 0 : m_glideSamples;
        if (fresh || !wasActive) {
            b.logFreq.reset(std::log2(t.freq));
            b.gain.reset(t.gain);
            b.logQ.reset(std::log2(t.q));
        } else {
            b.logFreq.setTarget(std::log2(t.freq), glide);
            b.gain.setTarget(t.gain, glide);
            b.logQ.setTarget(std::log2(t.q), glide);
        }
        if (typeChanged || !wasActive)
            for (auto& sec : b.stage)
                for (auto& ch : sec)
                    ch.reset();
        b.design(m_fs);
    }
    m_count = count;
}

void Equalizer::processSpan(float* left, float* right, int n)
{
    for (int i = 0; i < m_count; ++i) {
        Band& b = m_bands[static_cast<size_t>(i)];
        if (!b.active)
            continue;
        for (int s = 0; s < b.sections; ++s) {
            b.stage[s][0].process(left, n);
            b.stage[s][1].process(right, n);
        }
    }
}

void Equalizer::process(float* left, float* right, int n)
{
    int done = 0;
    while (done < n) {
        bool gliding = false;
        for (int i = 0; i < m_count; ++i) {
            const Band& b = m_bands[static_cast<size_t>(i)];
            gliding = gliding || (b.active && (b.logFreq.active() || b.gain.active() || b.logQ.active()));
        }
        if (!gliding) {
            processSpan(left + done, right + done, n - done);
            m_pos += n - done;
            return;
        }
        // While gliding, run up to the next point of the absolute coefficient grid.
        const int toGrid = kCoeffInterval - static_cast<int>(m_pos % kCoeffInterval);
        const int span = std::min(toGrid, n - done);
        if (m_pos % kCoeffInterval == 0) {
            for (int i = 0; i < m_count; ++i) {
                Band& b = m_bands[static_cast<size_t>(i)];
                if (!b.active || !(b.logFreq.active() || b.gain.active() || b.logQ.active()))
                    continue;
                for (int k = 0; k < kCoeffInterval; ++k) {
                    b.logFreq.next();
                    b.gain.next();
                    b.logQ.next();
                }
                b.design(m_fs);
            }
        }
        processSpan(left + done, right + done, span);
        done += span;
        m_pos += span;
    }
}

} // namespace mixroom::engine
