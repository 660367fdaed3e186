// SPDX-License-Identifier: MIT
#include "engine/render/MixGraph.h"

#include "engine/dsp/FastMath.h"
#include "engine/model/Automation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
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

namespace {
// dbToGain() for automation's grid steps (pow is several times slower).
double fastDbToGain(double db)
{
    return db <= kSilenceDb ? 0.0 : fastExp2d(db * (std::numbers::ln10 / std::numbers::ln2 / 20.0));
}

// fastDbToGain() of each step's value.
MIXROOM_CLONES void dbGainSteps(const double* db, int steps, double* gain)
{
    for (int k = 0; k < steps; ++k)
        gain[k] = fastDbToGain(db[k]);
}

// A stereo strip's fader x balance gains per step (panGains() for stereo sources); null arrays
// hold the static value.
MIXROOM_CLONES void balanceGainSteps(const double* fader, double faderStatic, const double* pan, double panStatic, int steps, double* gl,
                                     double* gr)
{
    if (fader)
        for (int k = 0; k < steps; ++k)
            gl[k] = fastDbToGain(fader[k]);
    else
        std::fill(gl, gl + steps, fastDbToGain(faderStatic));
    if (pan)
        for (int k = 0; k < steps; ++k) {
            const double p = pan[k], g = gl[k];
            gl[k] = g * (p > 0 ? 1.0 - p : 1.0);
            gr[k] = g * (p < 0 ? 1.0 + p : 1.0);
        }
    else
        for (int k = 0; k < steps; ++k) {
            const double p = panStatic, g = gl[k];
            gl[k] = g * (p > 0 ? 1.0 - p : 1.0);
            gr[k] = g * (p < 0 ? 1.0 + p : 1.0);
        }
}

// What a graph is built from besides scalar values: equal keys, the same graph shape.
std::string structureKey(const Session& s)
{
    std::string k = std::to_string(s.sampleRate) + "|" + std::to_string(s.tail) + "|" + std::to_string(s.master.limiter.lookahead) + "|" +
                    std::to_string(s.master.eq.size());
    auto strip = [&](char kind, const Strip& st) {
        k += '|';
        k += kind;
        k += st.id + ":" + std::to_string(st.eq.size());
        for (const Send& snd : st.sends)
            k += ">" + snd.to;
    };
    for (const Track& t : s.tracks) {
        strip('t', t);
        k += "@" + t.output + "#" + t.stem;
    }
    for (const Group& g : s.groups)
        strip('g', g);
    for (const Return& r : s.returns) {
        strip('r', r);
        k += r.effect == EffectType::Reverb ? "~rv" : "~dl";
    }
    // Lanes live in the graph (immutable while it runs): a lane edit is a new graph, which takes
    // over the old one's state exactly (no crossfade). A digest keeps the key short.
    if (!s.automation.empty()) {
        uint64_t h = 1469598103934665603ull; // FNV-1a
        auto mix = [&h](const void* p, size_t n) {
            for (size_t i = 0; i < n; ++i) {
                h ^= static_cast<const unsigned char*>(p)[i];
                h *= 1099511628211ull;
            }
        };
        for (const auto& [path, lane] : s.automation) {
            mix(path.data(), path.size());
            mix(&lane.mode, sizeof lane.mode);
            for (const AutoPoint& q : lane.points) {
                mix(&q.time, sizeof q.time);
                mix(&q.value, sizeof q.value);
                mix(&q.curve, sizeof q.curve);
            }
        }
        k += "|auto:" + std::to_string(s.automation.size()) + ":" + std::to_string(h);
    }
    return k;
}
} // namespace

struct MixGraph::Node {
    std::string kind, id;
    StripDsp dsp;
    std::vector<int> sendIndex;             // per return of the graph: index of the strip's send to it, or -1
    std::vector<int> adoptFrom;             // scratch for adoptState(): per return, its index in the old graph
    std::shared_ptr<const StemSource> stem; // tracks
    EffectType effect = EffectType::Reverb; // returns
    ReverbDsp reverb;
    StereoDelayDsp delay;
    std::vector<float> inL, inR;
    // Scheduled automation of the strip (lane indices into m_lanes, -1: none).
    struct Auto {
        const Strip* model = nullptr; // in m_model
        int trim = -1, fader = -1, pan = -1;
        std::vector<int> send; // per return of the graph
        std::vector<Equalizer::Schedule::Band> bands;
        std::vector<int> lanes; // all of the strip's lanes
        bool jumps = false;     // a gain lane of the strip has stepped segments
        std::vector<int> glides, eqGlides;
        std::vector<double> trimSteps, gainLSteps, gainRSteps;
        std::vector<std::vector<double>> sendSteps;
        std::vector<const double*> sendPtr;
        std::vector<BiquadCoeffs> eqPlan; // Equalizer::Schedule::plan
        std::vector<double> scratch;      // StripDsp::Schedule::scratch
        StripDsp::Schedule strip;
        Equalizer::Schedule eq;
    };
    std::unique_ptr<Auto> autom;
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
        n->sendIndex.assign(nReturns, -1);
        n->adoptFrom.assign(nReturns, -1);
        for (size_t r = 0; r < nReturns; ++r)
            for (size_t k = 0; k < strip.sends.size(); ++k)
                if (strip.sends[k].to == s.returns[r].id) n->sendIndex[r] = static_cast<int>(k);
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
    g->m_masterEqBands = static_cast<int>(s.master.eq.size());
    g->m_masterEq.prepare(s.sampleRate);
    g->m_masterComp.prepare(s.sampleRate);
    g->m_limiter.prepare(s.sampleRate, s.master.limiter.lookahead);
    g->m_model = s;
    g->m_structure = structureKey(s);
    g->m_mirror.bind(g->m_model);
    g->m_scheduled = true;
    for (auto& [path, lane] : g->m_model.automation) {
        if (lane.mode == LaneMode::Off || lane.points.empty()) continue;
        const ParamSpec* spec = findSpec(path);
        const FieldRef ref = resolveField(g->m_model, path);
        if (!spec || !ref || !automatable(*spec)) return Error{"bad_automation", "automation/" + path + ": no such automatable parameter"};
        RtLane l{ref, LaneCursor(&lane, spec)};
        g->classify(path, l);
        l.declick = (l.target == Target::EqFreq || l.target == Target::EqGain || l.target == Target::EqQ) && l.cursor.hasSteps();
        g->m_scheduled = g->m_scheduled && l.target != Target::Other;
        g->m_lanes.push_back(l);
    }
    if (g->m_scheduled && !g->m_lanes.empty()) g->prepareSchedules();
    return g;
}

void MixGraph::classify(const std::string& path, RtLane& l)
{
    std::vector<std::string_view> seg;
    for (size_t at = 0; at <= path.size();) {
        const size_t slash = std::min(path.find('/', at), path.size());
        seg.push_back(std::string_view(path).substr(at, slash - at));
        at = slash + 1;
    }
    if (seg.size() == 2 && seg[0] == "master") {
        if (seg[1] == "fader") l.target = Target::MasterFader;
        if (seg[1] == "width") l.target = Target::MasterWidth;
        return;
    }
    if (seg.size() < 3) return;
    std::vector<std::unique_ptr<Node>>* list = seg[0] == "tracks"    ? &m_tracks
                                               : seg[0] == "groups"  ? &m_groups
                                               : seg[0] == "returns" ? &m_returns
                                                                     : nullptr;
    if (!list) return;
    for (auto& n : *list)
        if (n->id == seg[1]) l.node = n.get();
    if (!l.node) return;
    if (seg.size() == 3) {
        if (seg[2] == "trim") l.target = Target::Trim;
        if (seg[2] == "fader") l.target = Target::Fader;
        if (seg[2] == "pan") l.target = Target::Pan;
        return;
    }
    if (seg.size() == 5 && seg[2] == "sends" && seg[4] == "level") {
        for (size_t r = 0; r < m_returns.size(); ++r)
            if (m_returns[r]->id == seg[3] && l.node->sendIndex[r] >= 0) {
                l.target = Target::Send;
                l.index = static_cast<int>(r);
            }
        return;
    }
    if (seg.size() == 5 && seg[2] == "eq") {
        const int band = std::atoi(std::string(seg[3]).c_str()) - 1;
        if (band < 0 || band >= kMaxEqBands) return;
        l.index = band;
        if (seg[4] == "freq") l.target = Target::EqFreq;
        if (seg[4] == "gain") l.target = Target::EqGain;
        if (seg[4] == "q") l.target = Target::EqQ;
    }
}

void MixGraph::prepareSchedules()
{
    const size_t lanes = m_lanes.size();
    m_stepOffsets.assign(kMaxSteps, 0);
    m_laneValues.assign(lanes * kMaxSteps, 0.0);
    m_laneSteps.assign(lanes * kMaxSteps, 0);
    m_masterGlides.assign(kMaxSteps, 0);
    m_masterFaderSteps.assign(kMaxSteps, 0.0);
    m_masterWidthSteps.assign(kMaxSteps, 0.0);
    m_rampScratch.assign(kMaxBlock, 0.0);
    auto stripOf = [&](Node* node) -> const Strip* {
        for (size_t i = 0; i < m_tracks.size(); ++i)
            if (m_tracks[i].get() == node) return &m_model.tracks[i];
        for (size_t i = 0; i < m_groups.size(); ++i)
            if (m_groups[i].get() == node) return &m_model.groups[i];
        for (size_t i = 0; i < m_returns.size(); ++i)
            if (m_returns[i].get() == node) return &m_model.returns[i];
        return nullptr;
    };
    for (size_t i = 0; i < lanes; ++i) {
        RtLane& l = m_lanes[i];
        const int li = static_cast<int>(i);
        const double* values = &m_laneValues[i * kMaxSteps];
        if (l.target == Target::MasterFader) m_masterFaderLane = li;
        if (l.target == Target::MasterWidth) m_masterWidthLane = li;
        if (!l.node) continue;
        if (!l.node->autom) {
            auto a = std::make_unique<Node::Auto>();
            a->model = stripOf(l.node);
            a->send.assign(m_returns.size(), -1);
            a->glides.assign(kMaxSteps, kAutomationGrid);
            a->eqGlides.assign(kMaxSteps, kAutomationGrid); // EQ lanes come declicked
            a->strip.offsets = m_stepOffsets.data();
            a->strip.glides = a->glides.data();
            a->eq.offsets = m_stepOffsets.data();
            a->eq.glides = a->eqGlides.data();
            l.node->autom = std::move(a);
        }
        Node::Auto& a = *l.node->autom;
        a.lanes.push_back(li);
        a.jumps = a.jumps || (!l.declick && l.cursor.hasSteps());
        switch (l.target) {
        case Target::Trim: a.trim = li; break;
        case Target::Fader: a.fader = li; break;
        case Target::Pan: a.pan = li; break;
        case Target::Send: a.send[static_cast<size_t>(l.index)] = li; break;
        case Target::EqFreq:
        case Target::EqGain:
        case Target::EqQ: {
            auto it = std::find_if(a.bands.begin(), a.bands.end(), [&](const auto& b) { return b.band == l.index; });
            if (it == a.bands.end()) {
                a.bands.push_back({});
                it = a.bands.end() - 1;
                it->band = l.index;
            }
            (l.target == Target::EqFreq ? it->freq : l.target == Target::EqGain ? it->gain : it->q) = values;
            break;
        }
        default: break;
        }
    }
    // A plan's rows hold the sections that move in a group of EQs: at most the longest cascade.
    int maxSections = 1;
    for (const Track& t : m_model.tracks)
        maxSections = std::max(maxSections, static_cast<int>(2 * t.eq.size()));
    for (const Group& g : m_model.groups)
        maxSections = std::max(maxSections, static_cast<int>(2 * g.eq.size()));
    for (const Return& r : m_model.returns)
        maxSections = std::max(maxSections, static_cast<int>(2 * r.eq.size()));
    maxSections = std::min(maxSections, StereoBiquadCascade::kMaxSections);
    for (auto* list : {&m_tracks, &m_groups, &m_returns})
        for (auto& n : *list) {
            if (!n->autom) continue;
            Node::Auto& a = *n->autom;
            if (a.trim >= 0) {
                a.trimSteps.assign(kMaxSteps, 0.0);
                a.strip.trim = a.trimSteps.data();
            }
            if (a.fader >= 0 || a.pan >= 0) {
                a.gainLSteps.assign(kMaxSteps, 0.0);
                a.gainRSteps.assign(kMaxSteps, 0.0);
                a.strip.gainL = a.gainLSteps.data();
                a.strip.gainR = a.gainRSteps.data();
            }
            a.sendSteps.resize(m_returns.size());
            a.sendPtr.assign(m_returns.size(), nullptr);
            for (size_t r = 0; r < m_returns.size(); ++r)
                if (a.send[r] >= 0) {
                    a.sendSteps[r].assign(kMaxSteps, 0.0);
                    a.sendPtr[r] = a.sendSteps[r].data();
                }
            a.strip.sends = a.sendPtr.data();
            a.scratch.assign(3 * static_cast<size_t>(kMaxBlock), 0.0);
            a.strip.scratch = a.scratch.data();
            a.eq.bands = a.bands.data();
            a.eq.bandCount = static_cast<int>(a.bands.size());
            if (!a.bands.empty()) {
                a.eqPlan.assign(static_cast<size_t>(Equalizer::kPlanSpans) * static_cast<size_t>(maxSections), BiquadCoeffs{});
                a.eq.plan = a.eqPlan.data();
            }
        }
}

bool MixGraph::setParams(const Params& p)
{
    return p.structure == m_structure && m_mirror.store(p.values);
}

MixGraph::Params MixGraph::paramsOf(const Session& s)
{
    return {structureKey(s), ParamMirror::valuesOf(s)};
}

void MixGraph::pullParams()
{
    // A new graph applies its document once, whether or not values arrived since it was built.
    if (!m_mirror.load() && !m_unapplied) return;
    m_unapplied = false;
    applyModel(-1);
}

void MixGraph::applyAutomation(int64_t pos, bool force)
{
    // The value each lane has at the last sample of this grid step: a glide advances before each
    // sample, so sample pos + k gets the curve's value there (exactly, on a straight segment). The
    // first block resets instead, so it takes the value here.
    const int64_t at = m_firstBlock ? pos : pos + kAutomationGrid - 1;
    bool changed = force, step = false;
    for (RtLane& l : m_lanes) {
        const double v = l.cursor.value(at);
        if (v == l.ref.number()) continue;
        changed = true;
        // A stepped segment's jump (or a switch) is declicked like an edit.
        step = step || l.cursor.spec()->type == ParamType::Bool || l.cursor.stepsWithin(pos, at);
        l.ref.setNumber(v);
    }
    if (changed) applyModel(step ? -1 : kAutomationGrid);
}

void MixGraph::applyModel(int glide)
{
    const Session& s = m_model;
    if (glide >= 0 || m_glideSet) { // the glide of this application, for every strip and the master
        for (auto* list : {&m_tracks, &m_groups, &m_returns})
            for (auto& node : *list)
                node->dsp.setGlide(glide);
        m_masterEq.setGlide(glide);
        m_masterComp.setGlide(glide);
        m_glideSet = glide >= 0;
    }
    // Solo in place: when anything is soloed, strips not soloed (and not feeding or fed by a
    // soloed strip) are silenced; aux returns are solo-safe.
    bool anySolo = false;
    for (const Track& t : s.tracks)
        anySolo = anySolo || t.solo;
    for (const Group& grp : s.groups)
        anySolo = anySolo || grp.solo;
    for (size_t i = 0; i < m_tracks.size(); ++i) {
        const Track& t = s.tracks[i];
        const Group* out = t.output == "master" ? nullptr : s.group(t.output);
        const bool audible = !anySolo || t.solo || (out && out->solo);
        m_tracks[i]->dsp.update(t, t.mute || !audible, m_tracks[i]->sendIndex.data());
    }
    for (size_t i = 0; i < m_groups.size(); ++i) {
        const Group& grp = s.groups[i];
        bool fedBySolo = false;
        for (const Track& t : s.tracks)
            fedBySolo = fedBySolo || (t.solo && t.output == grp.id);
        m_groups[i]->dsp.update(grp, grp.mute || (anySolo && !grp.solo && !fedBySolo), m_groups[i]->sendIndex.data());
    }
    for (size_t i = 0; i < m_returns.size(); ++i) {
        const Return& r = s.returns[i];
        Node& n = *m_returns[i];
        n.dsp.update(r, r.mute, nullptr);
        if (n.effect == EffectType::Reverb)
            n.reverb.setParams(r.reverb);
        else
            n.delay.setParams(r.delay, s.tempo);
    }
    const Master& m = s.master;
    m_masterEq.setBands(m.eq.data(), std::min<int>(m_masterEqBands, static_cast<int>(m.eq.size())));
    m_masterComp.setParams(m.comp);
    const int ramp = m_firstBlock ? 0 : glide >= 0 ? glide : static_cast<int>(std::lround(kRampSeconds * m_rate));
    const double width = m.width / 100.0;
    const double fader = dbToGain(m.fader);
    if (m_firstBlock) {
        m_width.reset(width);
        m_masterFader.reset(fader);
    } else {
        m_width.setTarget(width, ramp);
        m_masterFader.setTarget(fader, ramp);
    }
    m_limiter.setParams(m.limiter);
    m_firstBlock = false;
}

void MixGraph::adoptState(MixGraph& old, bool keepOld)
{
    m_pos = old.m_pos;
    m_firstBlock = old.m_firstBlock;
    auto carry = [&](auto& mine, auto& theirs) {
        for (auto& n : mine) {
            Node* o = nullptr;
            for (auto& candidate : theirs)
                if (candidate->id == n->id) o = candidate.get();
            if (!o) continue;
            for (size_t r = 0; r < m_returns.size(); ++r) {
                n->adoptFrom[r] = -1;
                for (size_t k = 0; k < old.m_returns.size(); ++k)
                    if (old.m_returns[k]->id == m_returns[r]->id) n->adoptFrom[r] = static_cast<int>(k);
            }
            n->dsp.adoptState(o->dsp, n->adoptFrom.data());
            if (n->kind != "return" || n->effect != o->effect) continue;
            // Effect lines are large: they move when the old graph is done, and are copied (same
            // sizes, so no allocation) only while it still runs for a crossfade.
            if (keepOld) {
                n->reverb = o->reverb;
                n->delay = o->delay;
            } else {
                std::swap(n->reverb, o->reverb);
                std::swap(n->delay, o->delay);
            }
        }
    };
    carry(m_tracks, old.m_tracks);
    carry(m_groups, old.m_groups);
    carry(m_returns, old.m_returns);
    m_masterEq = old.m_masterEq;
    m_masterComp = old.m_masterComp;
    m_width = old.m_width;
    m_masterFader = old.m_masterFader;
    if (m_limiter.sameShape(old.m_limiter)) { // a new lookahead starts a fresh limiter (crossfaded)
        if (keepOld)
            m_limiter = old.m_limiter;
        else
            std::swap(m_limiter, old.m_limiter);
    }
}

bool MixGraph::needsCrossfade(const Session& a, const Session& b)
{
    if (a.tracks.size() != b.tracks.size() || a.master.limiter.lookahead != b.master.limiter.lookahead) return true;
    auto lostBandsOrSends = [](const Strip& x, const Strip& y) {
        if (y.eq.size() < x.eq.size()) return true;
        for (const Send& snd : x.sends) {
            bool kept = false;
            for (const Send& other : y.sends)
                kept = kept || other.to == snd.to;
            if (!kept) return true;
        }
        return false;
    };
    for (const Track& t : a.tracks) {
        const Track* u = b.track(t.id);
        if (!u || u->stem != t.stem || u->output != t.output || lostBandsOrSends(t, *u)) return true;
    }
    for (const Group& g : a.groups) {
        const Group* h = b.group(g.id);
        if (!h || lostBandsOrSends(g, *h)) return true;
    }
    for (const Return& r : a.returns) {
        const Return* q = b.aux(r.id);
        if (!q || q->effect != r.effect || lostBandsOrSends(r, *q)) return true;
    }
    return a.master.eq.size() > b.master.eq.size();
}

void MixGraph::process(float* left, float* right, int n)
{
    DenormalGuard denormals;
    if (m_lanes.empty()) {
        pullParams();
        renderBlock(left, right, n);
        return;
    }
    if (m_scheduled) {
        processScheduled(left, right, n);
        return;
    }
    // Automation: lanes are evaluated at every point of the control grid (absolute positions, so
    // the same samples get the same values whatever the block size), the block split there.
    bool force = m_mirror.load() || m_unapplied;
    m_unapplied = false;
    for (int done = 0; done < n;) {
        const int into = static_cast<int>(m_pos % kAutomationGrid);
        if (into == 0 || force) applyAutomation(m_pos, force);
        force = false;
        const int chunk = std::min(n - done, kAutomationGrid - into);
        renderBlock(left + done, right + done, chunk);
        done += chunk;
    }
}

void MixGraph::processScheduled(float* left, float* right, int n)
{
    if (m_mirror.load() || m_unapplied) { // new static values: the lanes' values here override theirs
        m_unapplied = false;
        for (RtLane& l : m_lanes)
            l.ref.setNumber(l.cursor.value(m_pos));
        applyModel(-1);
    }
    // The grid steps that start in this block, and every lane's value at the last sample of each
    // (each value glides in over its step, so sample pos + k has the curve's value there).
    const int editGlide = static_cast<int>(std::lround(kRampSeconds * m_rate));
    int steps = 0;
    for (int64_t g = (m_pos + kAutomationGrid - 1) / kAutomationGrid * kAutomationGrid; g < m_pos + n; g += kAutomationGrid)
        m_stepOffsets[static_cast<size_t>(steps++)] = static_cast<int>(g - m_pos);
    for (size_t i = 0; i < m_lanes.size(); ++i) {
        RtLane& l = m_lanes[i];
        double* v = &m_laneValues[i * kMaxSteps];
        char* jumps = &m_laneSteps[i * kMaxSteps];
        if (steps > 0) l.cursor.gridSteps(m_pos + m_stepOffsets[0], kAutomationGrid, steps, v, jumps);
        if (l.declick) // EQ parameters: a stepped jump glides in over the edit glide, on the grid
            for (int k = 0; k < steps; ++k) {
                const int64_t last = m_pos + m_stepOffsets[static_cast<size_t>(k)] + kAutomationGrid - 1;
                v[k] = l.cursor.declicked(last, v[k], editGlide, l.target != Target::EqGain);
            }
        if (steps > 0) l.ref.setNumber(v[steps - 1]); // the model follows (what an edit starts from)
    }
    auto laneAt = [&](int lane, int k) { return m_laneValues[static_cast<size_t>(lane) * kMaxSteps + static_cast<size_t>(k)]; };
    auto jumpAt = [&](int lane, int k) { return m_laneSteps[static_cast<size_t>(lane) * kMaxSteps + static_cast<size_t>(k)] != 0; };
    for (auto* list : {&m_tracks, &m_groups, &m_returns})
        for (auto& node : *list) {
            if (!node->autom) continue;
            Node::Auto& a = *node->autom;
            const Strip& st = *a.model;
            const bool mono = node->dsp.mono();
            // Glides: the grid interval, the edit glide for a stepped jump (gain lanes; EQ lanes
            // come declicked).
            if (a.jumps || a.glides[0] != kAutomationGrid)
                for (int k = 0; k < steps; ++k) {
                    bool jump = false;
                    for (int lane : a.lanes)
                        jump = jump || (jumpAt(lane, k) && !m_lanes[static_cast<size_t>(lane)].declick);
                    a.glides[static_cast<size_t>(k)] = jump ? editGlide : kAutomationGrid;
                }
            if (a.trim >= 0) {
                dbGainSteps(&m_laneValues[static_cast<size_t>(a.trim) * kMaxSteps], steps, a.trimSteps.data());
                if (st.polarity)
                    for (int k = 0; k < steps; ++k)
                        a.trimSteps[static_cast<size_t>(k)] = -a.trimSteps[static_cast<size_t>(k)];
            }
            if (a.fader >= 0 || a.pan >= 0) {
                const double* fader = a.fader >= 0 ? &m_laneValues[static_cast<size_t>(a.fader) * kMaxSteps] : nullptr;
                const double* pan = a.pan >= 0 ? &m_laneValues[static_cast<size_t>(a.pan) * kMaxSteps] : nullptr;
                if (!mono) {
                    balanceGainSteps(fader, st.fader, pan, st.pan, steps, a.gainLSteps.data(), a.gainRSteps.data());
                } else {
                    double lastFader = NAN, lastPan = NAN, gain = 0, pl = 1, pr = 1;
                    for (int k = 0; k < steps; ++k) {
                        const double f = fader ? fader[k] : st.fader, p = pan ? pan[k] : st.pan;
                        if (f != lastFader) gain = fastDbToGain(lastFader = f);
                        if (p != lastPan) panGains(lastPan = p, true, pl, pr);
                        a.gainLSteps[static_cast<size_t>(k)] = gain * pl;
                        a.gainRSteps[static_cast<size_t>(k)] = gain * pr;
                    }
                }
            }
            for (size_t r = 0; r < a.send.size(); ++r)
                if (a.send[r] >= 0) dbGainSteps(&m_laneValues[static_cast<size_t>(a.send[r]) * kMaxSteps], steps, a.sendSteps[r].data());
            a.strip.steps = a.eq.steps = steps;
            node->dsp.setSchedule(&a.strip);
            node->dsp.eq().setSchedule(a.bands.empty() ? nullptr : &a.eq);
        }
    for (int k = 0; k < steps; ++k) {
        bool jump = false;
        if (m_masterFaderLane >= 0) {
            m_masterFaderSteps[static_cast<size_t>(k)] = fastDbToGain(laneAt(m_masterFaderLane, k));
            jump = jump || jumpAt(m_masterFaderLane, k);
        }
        if (m_masterWidthLane >= 0) {
            m_masterWidthSteps[static_cast<size_t>(k)] = laneAt(m_masterWidthLane, k) / 100.0;
            jump = jump || jumpAt(m_masterWidthLane, k);
        }
        m_masterGlides[static_cast<size_t>(k)] = jump ? editGlide : kAutomationGrid;
    }
    m_masterSteps = steps;
    renderBlock(left, right, n);
    m_masterSteps = -1;
}

void MixGraph::renderBlock(float* left, float* right, int n)
{
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
        // The next block's stem frames come in while this group's EQs and compressors compute.
        const size_t half = count / 2;
        for (size_t k = 0; k < half; ++k)
            m_tracks[first + k]->stem->warm(m_pos + n, n);
        Equalizer::processGroup(eqs, L, R, static_cast<int>(count), n);
        for (size_t k = half; k < count; ++k)
            m_tracks[first + k]->stem->warm(m_pos + n, n);
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
    if (m_masterSteps >= 0 && m_masterWidthLane >= 0) {
        double* w = m_rampScratch.data();
        runRamp(m_width, m_masterSteps, m_stepOffsets.data(), m_masterGlides.data(), m_masterWidthSteps.data(), w, n);
        for (int i = 0; i < n; ++i) {
            const float wf = static_cast<float>(w[i]);
            const float mid = 0.5f * (L[i] + R[i]);
            const float side = 0.5f * (L[i] - R[i]) * wf;
            L[i] = mid + side;
            R[i] = mid - side;
        }
    } else if (m_width.active() || m_width.value() != 1.0) {
        for (int i = 0; i < n; ++i) {
            const float w = static_cast<float>(m_width.next());
            const float mid = 0.5f * (L[i] + R[i]);
            const float side = 0.5f * (L[i] - R[i]) * w;
            L[i] = mid + side;
            R[i] = mid - side;
        }
    }
    if (m_masterSteps >= 0 && m_masterFaderLane >= 0) {
        double* g = m_rampScratch.data();
        runRamp(m_masterFader, m_masterSteps, m_stepOffsets.data(), m_masterGlides.data(), m_masterFaderSteps.data(), g, n);
        for (int i = 0; i < n; ++i) {
            L[i] *= static_cast<float>(g[i]);
            R[i] *= static_cast<float>(g[i]);
        }
    } else if (m_masterFader.active() || m_masterFader.value() != 1.0) {
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

std::vector<std::shared_ptr<const StemSource>> MixGraph::stemSources() const
{
    std::vector<std::shared_ptr<const StemSource>> out;
    for (const auto& t : m_tracks)
        out.push_back(t->stem);
    return out;
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
