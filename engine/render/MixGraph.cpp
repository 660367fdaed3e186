// SPDX-License-Identifier: MIT
#include "engine/render/MixGraph.h"

#include "engine/model/ParamTable.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace mixroom::engine {

namespace {
// Flush denormals to zero while the graph runs (decaying filter and reverb states).
struct DenormalGuard {
#if defined(__SSE__)
    unsigned old = _mm_getcsr();
    DenormalGuard()
    {
        _mm_setcsr(old | 0x8040);
    }
    ~DenormalGuard()
    {
        _mm_setcsr(old);
    }
#endif
};
} // namespace

struct MixGraph::Node {
    std::string kind, id;
    StripControls controls;
    StripDsp dsp;
    std::shared_ptr<const StemSource> stem; // tracks
    EffectType effect = EffectType::Reverb; // returns
    ReverbDsp reverb;
    StereoDelayDsp delay;
    std::atomic<bool> soloSafe{false};
    std::vector<float> inL, inR;
    // Effect parameters (returns), published as one snapshot guarded by a sequence counter.
    std::atomic<double> size{0.7}, decay{2}, damping{0.4}, predelay{20};
    std::atomic<double> delayMs{375}, feedback{35}, highcut{6000};
    std::atomic<bool> pingpong{false};
};

struct MixGraph::MasterControls {
    std::array<AtomicEqBand, kMaxEqBands> eq;
    AtomicCompressor comp;
    std::atomic<double> width{100}, fader{0};
    std::atomic<bool> limiterEnabled{true};
    std::atomic<double> ceiling{-1}, release{100};
};

MixGraph::~MixGraph() = default;

Result<std::unique_ptr<MixGraph>> MixGraph::build(const Session& s, const StemMap& stems)
{
    std::unique_ptr<MixGraph> g(new MixGraph);
    g->m_rate = s.sampleRate;
    const size_t nReturns = s.returns.size();
    auto makeNode = [&](const std::string& kind, const Strip& strip, bool mono) {
        auto n = std::make_unique<Node>();
        n->kind = kind;
        n->id = strip.id;
        n->controls.sendLevel = std::make_unique<std::atomic<double>[]>(nReturns);
        n->controls.sendPre = std::make_unique<std::atomic<bool>[]>(nReturns);
        n->dsp.prepare(s.sampleRate, kMaxBlock, static_cast<int>(strip.eq.size()), kind == "return" ? 0 : static_cast<int>(nReturns), mono);
        n->inL.assign(kMaxBlock, 0.0f);
        n->inR.assign(kMaxBlock, 0.0f);
        return n;
    };
    for (const Track& t : s.tracks) {
        auto it = stems.find(t.id);
        if (it == stems.end() || !it->second)
            return Error{"stem_missing", "tracks/" + t.id + "/stem: no stem loaded for track '" + t.id + "'"};
        if (it->second->sampleRate() != s.sampleRate)
            return Error{"stem_rate", "tracks/" + t.id + "/stem: stem is at " + std::to_string(it->second->sampleRate()) +
                                          " Hz, the session at " + std::to_string(s.sampleRate) + " Hz"};
        auto n = makeNode("track", t, it->second->channels() == 1);
        n->stem = it->second;
        g->m_stemFrames = std::max(g->m_stemFrames, n->stem->frames());
        int out = -1;
        if (t.output != "master") {
            auto git = std::find_if(s.groups.begin(), s.groups.end(), [&](const Group& x) { return x.id == t.output; });
            if (git == s.groups.end()) return Error{"bad_routing", "tracks/" + t.id + "/output: no group '" + t.output + "'"};
            out = static_cast<int>(git - s.groups.begin());
        }
        g->m_trackOutput.push_back(out);
        g->m_tracks.push_back(std::move(n));
    }
    for (const Group& grp : s.groups)
        g->m_groups.push_back(makeNode("group", grp, false));
    for (const Return& r : s.returns) {
        auto n = makeNode("return", r, false);
        n->effect = r.effect;
        n->reverb.prepare(s.sampleRate);
        n->delay.prepare(s.sampleRate);
        g->m_sendL.push_back(n->inL.data());
        g->m_sendR.push_back(n->inR.data());
        g->m_returns.push_back(std::move(n));
    }
    auto checkSends = [&](const std::string& kind, const Strip& st) -> std::optional<Error> {
        for (const Send& snd : st.sends)
            if (!s.aux(snd.to)) return Error{"bad_routing", kind + "/" + st.id + "/sends/" + snd.to + ": no aux return '" + snd.to + "'"};
        return std::nullopt;
    };
    for (const Track& t : s.tracks)
        if (auto e = checkSends("tracks", t)) return *e;
    for (const Group& grp : s.groups)
        if (auto e = checkSends("groups", grp)) return *e;

    g->m_masterL.assign(kMaxBlock, 0.0f);
    g->m_masterR.assign(kMaxBlock, 0.0f);
    g->m_masterControls = std::make_unique<MasterControls>();
    g->m_masterEqBands = static_cast<int>(s.master.eq.size());
    g->m_masterEq.prepare(s.sampleRate);
    g->m_masterComp.prepare(s.sampleRate);
    g->m_limiter.prepare(s.sampleRate, s.master.limiter.lookahead);
    g->setParams(s);
    return g;
}

void MixGraph::setParams(const Session& s)
{
    // Solo in place: when anything is soloed, strips not soloed (and not feeding or fed by a
    // soloed strip) are silenced; aux returns are solo-safe.
    bool anySolo = false;
    for (const Track& t : s.tracks)
        anySolo = anySolo || t.solo;
    for (const Group& grp : s.groups)
        anySolo = anySolo || grp.solo;
    auto groupSoloed = [&](const std::string& id) {
        const Group* grp = s.group(id);
        return grp && grp->solo;
    };
    for (size_t i = 0; i < m_tracks.size() && i < s.tracks.size(); ++i) {
        const Track& t = s.tracks[i];
        const bool audible = !anySolo || t.solo || groupSoloed(t.output);
        m_tracks[i]->controls.store(t, !audible, s.returns);
    }
    for (size_t i = 0; i < m_groups.size() && i < s.groups.size(); ++i) {
        const Group& grp = s.groups[i];
        bool fedBySolo = false;
        for (const Track& t : s.tracks)
            fedBySolo = fedBySolo || (t.solo && t.output == grp.id);
        m_groups[i]->controls.store(grp, anySolo && !grp.solo && !fedBySolo, s.returns);
    }
    for (size_t i = 0; i < m_returns.size() && i < s.returns.size(); ++i) {
        const Return& r = s.returns[i];
        Node& n = *m_returns[i];
        n.controls.store(r, false, s.returns);
        n.size.store(r.reverb.size);
        n.decay.store(r.reverb.decay);
        n.damping.store(r.reverb.damping);
        n.predelay.store(r.reverb.predelay);
        double ms = syncToMs(r.delay.sync, s.tempo);
        n.delayMs.store(ms > 0 ? ms : r.delay.time);
        n.feedback.store(r.delay.feedback);
        n.highcut.store(r.delay.highcut);
        n.pingpong.store(r.delay.pingpong);
    }
    MasterControls& m = *m_masterControls;
    for (size_t i = 0; i < m.eq.size(); ++i)
        m.eq[i].store(i < s.master.eq.size() ? s.master.eq[i] : EqBand{});
    m.comp.store(s.master.comp);
    m.width.store(s.master.width);
    m.fader.store(s.master.fader);
    m.limiterEnabled.store(s.master.limiter.enabled);
    m.ceiling.store(s.master.limiter.ceiling);
    m.release.store(s.master.limiter.release);
    m_version.fetch_add(1, std::memory_order_release);
}

void MixGraph::pullParams()
{
    const unsigned v = m_version.load(std::memory_order_acquire);
    if (v == m_seenVersion) return;
    m_seenVersion = v;
    for (auto& n : m_tracks)
        n->dsp.update(n->controls);
    for (auto& n : m_groups)
        n->dsp.update(n->controls);
    for (auto& n : m_returns) {
        n->dsp.update(n->controls);
        if (n->effect == EffectType::Reverb) {
            n->reverb.setParams(Reverb{n->size.load(), n->decay.load(), n->damping.load(), n->predelay.load()});
        } else {
            Delay d;
            d.time = n->delayMs.load();
            d.feedback = n->feedback.load();
            d.highcut = n->highcut.load();
            d.pingpong = n->pingpong.load();
            n->delay.setParams(d, 120.0); // sync already resolved to ms in setParams()
        }
    }
    MasterControls& m = *m_masterControls;
    EqBand bands[kMaxEqBands];
    for (size_t i = 0; i < m.eq.size(); ++i)
        bands[i] = m.eq[i].load();
    m_masterEq.setBands(bands, m_masterEqBands);
    m_masterComp.setParams(m.comp.load());
    const int ramp = m_firstBlock ? 0 : static_cast<int>(std::lround(kRampSeconds * m_rate));
    const double width = m.width.load() / 100.0;
    const double fader = dbToGain(m.fader.load());
    if (m_firstBlock) {
        m_width.reset(width);
        m_masterFader.reset(fader);
    } else {
        m_width.setTarget(width, ramp);
        m_masterFader.setTarget(fader, ramp);
    }
    Limiter lim;
    lim.enabled = m.limiterEnabled.load();
    lim.ceiling = m.ceiling.load();
    lim.release = m.release.load();
    m_limiter.setParams(lim);
    m_firstBlock = false;
}

void MixGraph::process(float* left, float* right, int n)
{
    DenormalGuard denormals;
    pullParams();
    const size_t bytes = static_cast<size_t>(n) * sizeof(float);
    std::memset(m_masterL.data(), 0, bytes);
    std::memset(m_masterR.data(), 0, bytes);
    for (auto& grp : m_groups) {
        std::memset(grp->inL.data(), 0, bytes);
        std::memset(grp->inR.data(), 0, bytes);
    }
    for (auto& r : m_returns) {
        std::memset(r->inL.data(), 0, bytes);
        std::memset(r->inR.data(), 0, bytes);
    }
    float* const* sendL = m_sendL.data();
    float* const* sendR = m_sendR.data();
    // Tracks in groups: their EQs and compressors run together (several strips per loop and per
    // SIMD register; the same arithmetic per strip as one at a time).
    constexpr size_t kGroup = CompressorDsp::kMaxGroup;
    for (size_t first = 0; first < m_tracks.size(); first += kGroup) {
        const size_t count = std::min(kGroup, m_tracks.size() - first);
        Equalizer* eqs[kGroup];
        CompressorDsp* comps[kGroup];
        float* L[kGroup];
        float* R[kGroup];
        for (size_t k = 0; k < count; ++k) {
            Node& t = *m_tracks[first + k];
            t.stem->read(m_pos, n, t.inL.data(), t.inR.data());
            t.dsp.processInput(t.inL.data(), t.inR.data(), n);
            eqs[k] = &t.dsp.eq();
            comps[k] = &t.dsp.comp();
            L[k] = t.inL.data();
            R[k] = t.inR.data();
        }
        Equalizer::processGroup(eqs, L, R, static_cast<int>(count), n);
        CompressorDsp::processGroup(comps, L, R, static_cast<int>(count), n);
        for (size_t k = 0; k < count; ++k) {
            const size_t i = first + k;
            Node& t = *m_tracks[i];
            const int out = m_trackOutput[i];
            float* dl = out < 0 ? m_masterL.data() : m_groups[static_cast<size_t>(out)]->inL.data();
            float* dr = out < 0 ? m_masterR.data() : m_groups[static_cast<size_t>(out)]->inR.data();
            t.dsp.processOutput(t.inL.data(), t.inR.data(), n, dl, dr, sendL, sendR);
        }
    }
    for (auto& grp : m_groups)
        grp->dsp.process(grp->inL.data(), grp->inR.data(), n, m_masterL.data(), m_masterR.data(), sendL, sendR);
    for (auto& r : m_returns) {
        if (r->effect == EffectType::Reverb)
            r->reverb.process(r->inL.data(), r->inR.data(), n);
        else
            r->delay.process(r->inL.data(), r->inR.data(), n);
        r->dsp.process(r->inL.data(), r->inR.data(), n, m_masterL.data(), m_masterR.data(), nullptr, nullptr);
    }

    float* L = m_masterL.data();
    float* R = m_masterR.data();
    m_masterEq.process(L, R, n);
    m_masterComp.process(L, R, n);
    if (m_width.active() || m_width.value() != 1.0) {
        for (int i = 0; i < n; ++i) {
            const float w = static_cast<float>(m_width.next());
            const float mid = 0.5f * (L[i] + R[i]);
            const float side = 0.5f * (L[i] - R[i]) * w;
            L[i] = mid + side;
            R[i] = mid - side;
        }
    }
    if (m_masterFader.active() || m_masterFader.value() != 1.0) {
        for (int i = 0; i < n; ++i) {
            const float g = static_cast<float>(m_masterFader.next());
            L[i] *= g;
            R[i] *= g;
        }
    }
    m_limiter.process(L, R, n);
    float peak = 0;
    for (int i = 0; i < n; ++i) {
        left[i] = L[i];
        right[i] = R[i];
        peak = std::max(peak, std::max(std::abs(L[i]), std::abs(R[i])));
    }
    if (peak > m_masterMeter.peak.load(std::memory_order_relaxed)) m_masterMeter.peak.store(peak, std::memory_order_relaxed);
    m_masterMeter.compReduction.store(
        std::max(m_masterMeter.compReduction.load(std::memory_order_relaxed), m_masterComp.takeMaxReduction()), std::memory_order_relaxed);
    m_masterMeter.limiterReduction.store(
        std::max(m_masterMeter.limiterReduction.load(std::memory_order_relaxed), m_limiter.takeMaxReduction()), std::memory_order_relaxed);
    m_pos += n;
}

std::vector<MixGraph::StripRef> MixGraph::strips() const
{
    std::vector<StripRef> out;
    for (const auto* list : {&m_tracks, &m_groups, &m_returns})
        for (const auto& n : *list)
            out.push_back({n->kind, n->id, &n->dsp.meter});
    return out;
}

} // namespace mixroom::engine
