// SPDX-License-Identifier: MIT
#include "engine/render/GraphPlayer.h"

#include <cmath>
#include <numbers>

namespace mixroom::engine {

GraphPlayer::GraphPlayer(std::shared_ptr<MixGraph> graph)
    : m_graph(std::move(graph)), m_oldL(MixGraph::kMaxBlock, 0.0f), m_oldR(MixGraph::kMaxBlock, 0.0f)
{
}

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
        m_fadePos = 0;
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
    // Equal power: cos^2 + sin^2 = 1, so uncorrelated material keeps its level through the fade.
    for (int i = 0; i < n; ++i) {
        if (m_fadePos >= m_fadeLength) break;
        const double t = (m_fadePos + 0.5) / m_fadeLength * (std::numbers::pi / 2);
        const float gNew = static_cast<float>(std::sin(t)), gOld = static_cast<float>(std::cos(t));
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
