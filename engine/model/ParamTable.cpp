// SPDX-License-Identifier: MIT
#include "engine/model/ParamTable.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace mixroom::engine {

namespace {

const std::vector<std::string> kEqTypes = {"hp12", "hp24", "lp12", "lp24", "lowshelf", "highshelf", "peak"};
const std::vector<std::string> kDetectors = {"peak", "rms"};
const std::vector<std::string> kEffects = {"reverb", "delay"};
const std::vector<std::string> kSync = {"off", "1/1",  "1/2",  "1/2d", "1/2t",  "1/4",   "1/4d", "1/4t",
                                        "1/8", "1/8d", "1/8t", "1/16", "1/16d", "1/16t", "1/32"};

// ---- typed references -------------------------------------------------------------------------

FieldRef refOf(double& d)
{
    return {FieldRef::Kind::Double, &d};
}
FieldRef refOf(bool& b)
{
    return {FieldRef::Kind::Bool, &b};
}
FieldRef refOf(int& i)
{
    return {FieldRef::Kind::Int, &i};
}
FieldRef refOf(std::string& s)
{
    return {FieldRef::Kind::Text, &s};
}
FieldRef choiceRef(std::string& s, const std::vector<std::string>& names)
{
    return {FieldRef::Kind::TextChoice, &s, &names};
}
template <typename E> FieldRef enumRef(E& e, const std::vector<std::string>& names)
{
    FieldRef r{FieldRef::Kind::Enum, &e, &names};
    r.getEnum = [](const void* p) { return static_cast<int>(*static_cast<const E*>(p)); };
    r.setEnum = [](void* p, int v) { *static_cast<E*>(p) = static_cast<E>(v); };
    return r;
}

// ---- locating model objects from the wildcard segments ----------------------------------------

template <typename T> T* byId(std::vector<T>& list, std::string_view id)
{
    for (auto& x : list)
        if (x.id == id) return &x;
    return nullptr;
}

EqBand* bandAt(std::vector<EqBand>& eq, std::string_view number)
{
    int n = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec != std::errc() || ptr != number.data() + number.size() || n < 1 || n > static_cast<int>(eq.size())) return nullptr;
    return &eq[static_cast<size_t>(n - 1)];
}

Send* sendTo(Strip& st, std::string_view to)
{
    for (auto& s : st.sends)
        if (s.to == to) return &s;
    return nullptr;
}

using Ref = std::function<FieldRef(Session&, const Wild&)>;
// A model object reached from the session and the wildcard segments (nullptr if absent).
template <typename T> using Locate = std::function<T*(Session&, const Wild&)>;

// Rows relative to one object kind, composed with a locator.
template <typename T> Ref at(Locate<T> locate, FieldRef (*member)(T&))
{
    return [locate = std::move(locate), member](Session& s, const Wild& w) {
        T* obj = locate(s, w);
        return obj ? member(*obj) : FieldRef{};
    };
}

struct Row {
    std::vector<ParamSpec>& table;
    std::string prefix;
    ParamScope scope;

    ParamSpec& add(ParamSpec spec)
    {
        spec.pattern = prefix + spec.pattern;
        table.push_back(std::move(spec));
        return table.back();
    }
    ParamSpec& num(std::string p, std::string unit, double lo, double hi, double def, std::string doc, Ref ref)
    {
        return add(ParamSpec{std::move(p),
                             ParamType::Number,
                             std::move(unit),
                             lo,
                             hi,
                             def,
                             {},
                             scope,
                             std::move(doc),
                             false,
                             RateClass::Edit,
                             std::move(ref)});
    }
    ParamSpec& flag(std::string p, bool def, std::string doc, Ref ref)
    {
        return add(ParamSpec{
            std::move(p), ParamType::Bool, "", 0, 1, def ? 1.0 : 0.0, {}, scope, std::move(doc), false, RateClass::Edit, std::move(ref)});
    }
    ParamSpec& choice(std::string p, const std::vector<std::string>& c, double def, std::string doc, Ref ref)
    {
        return add(ParamSpec{std::move(p), ParamType::Choice, "", 0, static_cast<double>(c.size() - 1), def, c, scope, std::move(doc),
                             false, RateClass::Edit, std::move(ref)});
    }
    ParamSpec& text(std::string p, double maxLen, std::string doc, Ref ref)
    {
        return add(ParamSpec{
            std::move(p), ParamType::Text, "chars", 0, maxLen, 0, {}, scope, std::move(doc), false, RateClass::Edit, std::move(ref)});
    }
};

// Marks a row as reshaping the graph: structural for rate limits and previews alike.
void structural(ParamSpec& p)
{
    p.rebuild = true;
    p.rate = RateClass::Structure;
}

// EQ bands and compressor, shared by strips and the master. `bandWild` is the index of the band
// number among the wildcard segments.
void addEqAndComp(Row r, Locate<std::vector<EqBand>> eqOf, Locate<Compressor> compOf, size_t bandWild)
{
    Locate<EqBand> band = [eqOf, bandWild](Session& s, const Wild& w) -> EqBand* {
        auto* eq = eqOf(s, w);
        return eq && w.size() > bandWild ? bandAt(*eq, w[bandWild]) : nullptr;
    };
    r.choice("eq/*/type", kEqTypes, 6, "band type", at<EqBand>(band, [](EqBand& b) { return enumRef(b.type, kEqTypes); }));
    r.num("eq/*/freq", "Hz", 20, 20000, 1000, "band frequency", at<EqBand>(band, [](EqBand& b) { return refOf(b.freq); }));
    r.num("eq/*/gain", "dB", -24, 24, 0, "shelf/peak gain", at<EqBand>(band, [](EqBand& b) { return refOf(b.gain); }));
    r.num("eq/*/q", "", 0.1, 18, 0.7071,
          "Q: peak bandwidth, shelf slope (lowshelf, highshelf), resonance (hp12, lp12); hp24/lp24 are fixed Butterworth and ignore it",
          at<EqBand>(band, [](EqBand& b) { return refOf(b.q); }));
    r.flag("eq/*/enabled", true, "band in circuit", at<EqBand>(band, [](EqBand& b) { return refOf(b.enabled); }));
    r.flag("comp/enabled", false, "compressor in circuit", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.enabled); }));
    r.num("comp/threshold", "dB", -60, 0, -20, "threshold", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.threshold); }));
    r.num("comp/ratio", ":1", 1, 20, 4, "ratio", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.ratio); }));
    r.num("comp/knee", "dB", 0, 24, 6, "knee width", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.knee); }));
    r.num("comp/attack", "ms", 0.1, 200, 10, "attack time", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.attack); }));
    r.num("comp/release", "ms", 5, 2000, 100, "release time", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.release); }));
    r.num("comp/makeup", "dB", -12, 24, 0, "makeup gain", at<Compressor>(compOf, [](Compressor& c) { return refOf(c.makeup); }));
    r.choice("comp/detector", kDetectors, 0, "level detection",
             at<Compressor>(compOf, [](Compressor& c) { return enumRef(c.detector, kDetectors); }));
}

// The channel strip shared by tracks, group buses and aux returns.
template <typename T> void addStrip(std::vector<ParamSpec>& t, const std::string& prefix, std::vector<T> Session::*list, bool sends)
{
    Locate<Strip> strip = [list](Session& s, const Wild& w) -> Strip* { return w.empty() ? nullptr : byId(s.*list, w[0]); };
    Row r{t, prefix, ParamScope::Strip};
    Row name{t, prefix, ParamScope::Structure};
    name.text("name", 64, "display name", at<Strip>(strip, [](Strip& s) { return refOf(s.name); })).rate = RateClass::Structure;
    r.num("trim", "dB", -24, 24, 0, "input trim", at<Strip>(strip, [](Strip& s) { return refOf(s.trim); }));
    r.flag("polarity", false, "polarity invert", at<Strip>(strip, [](Strip& s) { return refOf(s.polarity); }));
    r.num("fader", "dB", kSilenceDb, 12, 0, "fader (-144 is -inf)", at<Strip>(strip, [](Strip& s) { return refOf(s.fader); }));
    r.num("pan", "", -1, 1, 0, "pan: -3 dB constant power (mono), balance (stereo)",
          at<Strip>(strip, [](Strip& s) { return refOf(s.pan); }));
    r.flag("mute", false, "mute", at<Strip>(strip, [](Strip& s) { return refOf(s.mute); }));
    r.flag("solo", false, "solo in place", at<Strip>(strip, [](Strip& s) { return refOf(s.solo); }));
    addEqAndComp(
        r,
        [strip](Session& s, const Wild& w) -> std::vector<EqBand>* {
            auto* st = strip(s, w);
            return st ? &st->eq : nullptr;
        },
        [strip](Session& s, const Wild& w) -> Compressor* {
            auto* st = strip(s, w);
            return st ? &st->comp : nullptr;
        },
        1);
    if (!sends) return;
    Locate<Send> send = [strip](Session& s, const Wild& w) -> Send* {
        auto* st = strip(s, w);
        return st && w.size() > 1 ? sendTo(*st, w[1]) : nullptr;
    };
    r.num("sends/*/level", "dB", kSilenceDb, 6, kSilenceDb, "send level to an aux return",
          at<Send>(send, [](Send& s) { return refOf(s.level); }));
    r.flag("sends/*/pre", false, "send taken before the fader", at<Send>(send, [](Send& s) { return refOf(s.pre); }));
}

std::vector<ParamSpec> buildTable()
{
    std::vector<ParamSpec> t;
    Row session{t, "", ParamScope::Session};
    auto& rate = session.num("sampleRate", "Hz", 44100, 96000, 48000, "session sample rate",
                             [](Session& s, const Wild&) { return refOf(s.sampleRate); });
    for (int r : kSupportedRates)
        rate.choices.push_back(std::to_string(r));
    structural(rate);
    session.num("tempo", "BPM", 20, 300, 120, "tempo for synced delays", [](Session& s, const Wild&) { return refOf(s.tempo); });
    // The tail only sets the render length: a rebuild (a new length), never a different sound.
    structural(
        session.num("tail", "s", 0, 30, 2, "render time after the last stem ends", [](Session& s, const Wild&) { return refOf(s.tail); }));

    addStrip(t, "tracks/*/", &Session::tracks, true);
    Locate<Track> track = [](Session& s, const Wild& w) -> Track* { return w.empty() ? nullptr : byId(s.tracks, w[0]); };
    Row trackRow{t, "tracks/*/", ParamScope::Structure};
    structural(trackRow.text("stem", 4096, "stem file or content hash", at<Track>(track, [](Track& x) { return refOf(x.stem); })));
    structural(trackRow.text("output", 64, "\"master\" or a group id", at<Track>(track, [](Track& x) { return refOf(x.output); })));
    addStrip(t, "groups/*/", &Session::groups, true);
    addStrip(t, "returns/*/", &Session::returns, false);

    Locate<Return> ret = [](Session& s, const Wild& w) -> Return* { return w.empty() ? nullptr : byId(s.returns, w[0]); };
    Row fxType{t, "returns/*/effect/", ParamScope::Structure};
    structural(fxType.choice("type", kEffects, 0, "effect", at<Return>(ret, [](Return& r) { return enumRef(r.effect, kEffects); })));
    // Both effects' settings are fields of every return, whichever effect is active: a setting
    // made while the other effect runs is kept, saved and restored.
    Row fx{t, "returns/*/effect/", ParamScope::Effect};
    fx.num("size", "", 0, 1, 0.7, "reverb size", at<Return>(ret, [](Return& r) { return refOf(r.reverb.size); }));
    fx.num("decay", "s", 0.1, 20, 2, "reverb decay time (RT60)", at<Return>(ret, [](Return& r) { return refOf(r.reverb.decay); }));
    fx.num("damping", "", 0, 1, 0.4, "reverb high-frequency damping (RT60 at Nyquist: decay x 10^-damping)",
           at<Return>(ret, [](Return& r) { return refOf(r.reverb.damping); }));
    fx.num("predelay", "ms", 0, 250, 20, "reverb pre-delay", at<Return>(ret, [](Return& r) { return refOf(r.reverb.predelay); }));
    fx.num("time", "ms", 1, 2000, 375, "delay time when not synced", at<Return>(ret, [](Return& r) { return refOf(r.delay.time); }));
    fx.choice("sync", kSync, 0, "delay note value synced to tempo",
              at<Return>(ret, [](Return& r) { return choiceRef(r.delay.sync, kSync); }));
    fx.num("feedback", "%", 0, 95, 35, "delay feedback", at<Return>(ret, [](Return& r) { return refOf(r.delay.feedback); }));
    fx.num("highcut", "Hz", 1000, 20000, 6000, "delay feedback high-cut",
           at<Return>(ret, [](Return& r) { return refOf(r.delay.highcut); }));
    fx.flag("pingpong", false, "ping-pong delay", at<Return>(ret, [](Return& r) { return refOf(r.delay.pingpong); }));

    Row m{t, "master/", ParamScope::Master};
    Locate<Master> master = [](Session& s, const Wild&) { return &s.master; };
    addEqAndComp(
        m, [](Session& s, const Wild&) { return &s.master.eq; }, [](Session& s, const Wild&) { return &s.master.comp; }, 0);
    m.num("width", "%", 0, 200, 100, "stereo width (mid/side)", at<Master>(master, [](Master& x) { return refOf(x.width); }));
    m.flag("limiter/enabled", true, "limiter in circuit", at<Master>(master, [](Master& x) { return refOf(x.limiter.enabled); }));
    m.num("limiter/ceiling", "dBTP", -12, 0, -1, "true-peak ceiling",
          at<Master>(master, [](Master& x) { return refOf(x.limiter.ceiling); }));
    // The lookahead sets the limiter's delay line, so the latency: a new graph, crossfaded.
    structural(m.num("limiter/lookahead", "ms", 0.5, 10, 5, "lookahead",
                     at<Master>(master, [](Master& x) { return refOf(x.limiter.lookahead); })));
    m.num("limiter/release", "ms", 1, 1000, 100, "release time", at<Master>(master, [](Master& x) { return refOf(x.limiter.release); }));
    m.num("fader", "dB", kSilenceDb, 12, 0, "master fader (-144 is -inf)", at<Master>(master, [](Master& x) { return refOf(x.fader); }));
    return t;
}

} // namespace

const std::vector<ParamSpec>& paramTable()
{
    static const std::vector<ParamSpec> table = buildTable();
    return table;
}

std::string toString(EqType t)
{
    return kEqTypes[static_cast<size_t>(t)];
}
std::string toString(Detector d)
{
    return kDetectors[static_cast<size_t>(d)];
}
std::string toString(EffectType e)
{
    return kEffects[static_cast<size_t>(e)];
}
const std::vector<std::string>& delaySyncChoices()
{
    return kSync;
}

} // namespace mixroom::engine
