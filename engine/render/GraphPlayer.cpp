// SPDX-License-Identifier: MIT
#include "engine/render/GraphPlayer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixroom::engine {

GraphPlayer::GraphPlayer(std::shared_ptr<MixGraph> graph)
    : m_graph(std::move(graph)), m_oldL(MixGraph::kMaxBlock, 0.0f), m_oldR(MixGraph::kMaxBlock, 0.0f)
{}

GraphPlayer::~GraphPlayer()
{
    if (m_old) retire(std::move(m_old));
    if (m_graph) retire(std::move(m_graph));
}

void GraphPlayer::retire(std::shared_ptr<MixGraph> g)
{
    if (m_retire)
        m_retire(std::move(g));
    else
        g.reset();
}

void GraphPlayer::swap(std::shared_ptr<MixGraph> next, bool crossfade)
{
    if (!next || next == m_graph) return;
    if (m_old) { // a crossfade still running: the oldest graph goes, the fade restarts from the middle one
        retire(std::move(m_old));
        m_old = nullptr;
    }
    next->adoptState(*m_graph, crossfade);
    if (crossfade) {
        m_old = std::move(m_graph);
        m_fadeLength = std::max(1, static_cast<int>(std::lround(kCrossfadeSeconds * next->sampleRate())));
        // The change reaches the output after the graph's latency (the limiter's delay line, taken
        // over from the old graph, still holds the old mix): the fade starts there.
        m_fadePos = -next->latency();
        m_soo = m_snn = m_son = 0.0;
        m_rho = 0.0;
    } else {
        retire(std::move(m_graph));
    }
    m_graph = std::move(next);
}

void GraphPlayer::seek(int64_t frame)
{
    m_graph->seek(frame);
    if (m_old) m_old->seek(frame);
}

void GraphPlayer::process(float* left, float* right, int n)
{
    m_graph->process(left, right, n);
    if (!m_old) return;
    m_old->process(m_oldL.data(), m_oldR.data(), n);
    // Power-preserving crossfade. Old and new are usually mostly the same mix (one track moved,
    // one effect changed), and an equal-power (cos/sin) fade of correlated signals swells by up
    // to 3 dB. So the gains are linear ramps normalised by the power of their sum at the measured
    // correlation rho of old and new: sin/cos-like equal power when they are unrelated, a plain
    // linear crossfade (no swell) when they are the same.
    const int first = std::max(0, std::min(n, -m_fadePos));
    const int last = std::min(n, first + std::max(0, m_fadeLength - std::max(0, m_fadePos)));
    for (int i = first; i < last; ++i) {
        const double o0 = m_oldL[static_cast<size_t>(i)], o1 = m_oldR[static_cast<size_t>(i)];
        m_soo += o0 * o0 + o1 * o1;
        m_snn += double(left[i]) * left[i] + double(right[i]) * right[i];
        m_son += o0 * left[i] + o1 * right[i];
    }
    const double rhoTarget = m_soo > 1e-20 && m_snn > 1e-20 ? std::clamp(m_son / std::sqrt(m_soo * m_snn), 0.0, 1.0) : 0.0;
    if (m_fadePos <= 0 && last > first) m_rho = rhoTarget;
    const double rhoCoef = 1.0 / (0.002 * m_graph->sampleRate()); // about 2 ms: the gains never jump
    for (int i = 0; i < n; ++i) {
        if (m_fadePos >= m_fadeLength) break;
        if (m_fadePos < 0) { // the change has not reached the output yet: the old graph alone
            left[i] = m_oldL[static_cast<size_t>(i)];
            right[i] = m_oldR[static_cast<size_t>(i)];
            ++m_fadePos;
            continue;
        }
        m_rho += (rhoTarget - m_rho) * rhoCoef;
        const double t = (m_fadePos + 0.5) / m_fadeLength;
        const double a = t, b = 1.0 - t;
        const double norm = 1.0 / std::sqrt(a * a + b * b + 2.0 * m_rho * a * b);
        const float gNew = static_cast<float>(a * norm), gOld = static_cast<float>(b * norm);
        left[i] = left[i] * gNew + m_oldL[static_cast<size_t>(i)] * gOld;
        right[i] = right[i] * gNew + m_oldR[static_cast<size_t>(i)] * gOld;
        ++m_fadePos;
    }
    if (m_fadePos >= m_fadeLength) {
        retire(std::move(m_old));
        m_old = nullptr;
    }
}

} // namespace mixroom::engine
