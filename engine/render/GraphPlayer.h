// SPDX-License-Identifier: MIT
#pragma once
// Plays a MixGraph and hands over to a new one without losing state: the new graph takes the old
// one's DSP state strip by strip (MixGraph::adoptState), so a structural edit that changes nothing
// audible leaves the output bit-identical; where the sound really changes (MixGraph::
// needsCrossfade), old and new run side by side and, once the change reaches the output (the
// graph's latency later), a power-preserving crossfade of kCrossfadeSeconds replaces the cut
// (equal power for unrelated signals, no swell for correlated ones; see process()). The old graph is never freed here: it goes to the
// retire callback (which frees it on another thread, RCU style). The live previews and the
// offline renderer both play through this class.
// Thread: one render thread calls everything except the constructor and setRetire().
#include "engine/render/MixGraph.h"

#include <functional>
#include <memory>
#include <vector>

namespace mixroom::engine {

class GraphPlayer {
  public:
    static constexpr double kCrossfadeSeconds = 0.010;
    using Retire = std::function<void(std::shared_ptr<MixGraph>)>;

    explicit GraphPlayer(std::shared_ptr<MixGraph> graph);
    ~GraphPlayer(); // retires what it still plays
    GraphPlayer(const GraphPlayer&) = delete;
    GraphPlayer& operator=(const GraphPlayer&) = delete;
    // Where graphs that are no longer played go; by default they are released in place.
    void setRetire(Retire retire) { m_retire = std::move(retire); }

    // Plays `next` from the next sample on, with the state of the current graph. [render thread]
    void swap(std::shared_ptr<MixGraph> next, bool crossfade);
    void process(float* left, float* right, int n);
    void seek(int64_t frame);
    int64_t position() const { return m_graph->position(); }
    MixGraph& graph() { return *m_graph; }
    const std::shared_ptr<MixGraph>& current() const { return m_graph; }
    bool crossfading() const { return m_old != nullptr; }

  private:
    void retire(std::shared_ptr<MixGraph> g);

    std::shared_ptr<MixGraph> m_graph, m_old;
    int m_fadeLength = 0, m_fadePos = 0;
    double m_soo = 0, m_snn = 0, m_son = 0, m_rho = 0; // correlation of old and new over the fade
    std::vector<float> m_oldL, m_oldR;
    Retire m_retire;
};

} // namespace mixroom::engine
