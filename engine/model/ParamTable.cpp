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
        return add(ParamSpec{std::move(p), ParamType::Number, std::move(unit), lo, hi, def, {}, scope, std::move(doc), false,
                             RateClass::Edit, std::move(ref)});
    }
    ParamSpec& flag(std::string p, bool def, std::string doc, Ref ref)
    {
        return add(ParamSpec{std::move(p), ParamType::Bool, "", 0, 1, def ? 1.0 : 0.0, {}, scope, std::move(doc), false, RateClass::Edit,
                             std::move(ref)});
    }
    ParamSpec& choice(std::string p, const std::vector<std::string>& c, double def, std::string doc, Ref ref)
    {
        return add(ParamSpec{std::move(p), ParamType::Choice, "", 0, static_cast<double>(c.size() - 1), def, c, scope, std::move(doc),
                             false, RateClass::Edit, std::move(ref)});
    }
    ParamSpec& text(std::string p, double maxLen, std::string doc, Ref ref)
    {
        return add(ParamSpec{std::move(p), ParamType::Text, "chars", 0, maxLen, 0, {}, scope, std::move(doc), false, RateClass::Edit,
                             std::move(ref)});
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
    r.num("eq/*/q", "", 0.1, 18, 0.7071, "Q (peak bandwidth, shelf slope, filter resonance)",
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
    r.num("pan", "", -1, 1, 0, "pan: -3 dB constant power (mono), balance (stereo)", at<Strip>(strip, [](Strip& s) { return refOf(s.pan); }));
    r.flag("mute", false, "mute", at<Strip>(strip, [](Strip& s) { return refOf(s.mute); }));
    r.flag("solo", false, "solo in place", at<Strip>(strip, [](Strip& s) { return refOf(s.solo); }));
    addEqAndComp(
        r, [strip](Session& s, const Wild& w) -> std::vector<EqBand>* { auto* st = strip(s, w); return st ? &st->eq : nullptr; },
        [strip](Session& s, const Wild& w) -> Compressor* { auto* st = strip(s, w); return st ? &st->comp : nullptr; }, 1);
    if (!sends) return;
    Locate<Send> send = [strip](Session& s, const Wild& w) -> Send* {
        auto* st = strip(s, w);
        return st && w.size() > 1 ? sendTo(*st, w[1]) : nullptr;
    };
    r.num("sends/*/level", "dB", kSilenceDb, 6, kSilenceDb, "send level to an aux return", at<Send>(send, [](Send& s) { return refOf(s.level); }));
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
    structural(session.num("tail", "s", 0, 30, 2, "render time after the last stem ends",
                           [](Session& s, const Wild&) { return refOf(s.tail); }));

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
    fx.num("damping", "", 0, 1, 0.4, "reverb high-frequency damping", at<Return>(ret, [](Return& r) { return refOf(r.reverb.damping); }));
    fx.num("predelay", "ms", 0, 250, 20, "reverb pre-delay", at<Return>(ret, [](Return& r) { return refOf(r.reverb.predelay); }));
    fx.num("time", "ms", 1, 2000, 375, "delay time when not synced", at<Return>(ret, [](Return& r) { return refOf(r.delay.time); }));
    fx.choice("sync", kSync, 0, "delay note value synced to tempo",
              at<Return>(ret, [](Return& r) { return choiceRef(r.delay.sync, kSync); }));
    fx.num("feedback", "%", 0, 95, 35, "delay feedback", at<Return>(ret, [](Return& r) { return refOf(r.delay.feedback); }));
    fx.num("highcut", "Hz", 1000, 20000, 6000, "delay feedback high-cut", at<Return>(ret, [](Return& r) { return refOf(r.delay.highcut); }));
    fx.flag("pingpong", false, "ping-pong delay", at<Return>(ret, [](Return& r) { return refOf(r.delay.pingpong); }));

    Row m{t, "master/", ParamScope::Master};
    Locate<Master> master = [](Session& s, const Wild&) { return &s.master; };
    addEqAndComp(
        m, [](Session& s, const Wild&) { return &s.master.eq; }, [](Session& s, const Wild&) { return &s.master.comp; }, 0);
    m.num("width", "%", 0, 200, 100, "stereo width (mid/side)", at<Master>(master, [](Master& x) { return refOf(x.width); }));
    m.flag("limiter/enabled", true, "limiter in circuit", at<Master>(master, [](Master& x) { return refOf(x.limiter.enabled); }));
    m.num("limiter/ceiling", "dBTP", -12, 0, -1, "true-peak ceiling", at<Master>(master, [](Master& x) { return refOf(x.limiter.ceiling); }));
    // The lookahead sets the limiter's delay line, so the latency: a new graph, crossfaded.
    structural(m.num("limiter/lookahead", "ms", 0.5, 10, 5, "lookahead",
                     at<Master>(master, [](Master& x) { return refOf(x.limiter.lookahead); })));
    m.num("limiter/release", "ms", 1, 1000, 100, "release time", at<Master>(master, [](Master& x) { return refOf(x.limiter.release); }));
    m.num("fader", "dB", kSilenceDb, 12, 0, "master fader (-144 is -inf)", at<Master>(master, [](Master& x) { return refOf(x.fader); }));
    return t;
}

std::vector<std::string_view> split(std::string_view path)
{
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        size_t slash = path.find('/', start);
        out.push_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

// Matches `path` against `pattern`; on success fills `wild` with the segments standing for '*'.
bool matches(const std::vector<std::string_view>& p, const std::vector<std::string_view>& q, Wild* wild)
{
    if (p.size() != q.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
        if (q[i].empty()) return false;
        if (p[i] == "*") {
            if (wild) wild->push_back(q[i]);
        } else if (p[i] != q[i]) {
            return false;
        }
    }
    return true;
}

struct Compiled {
    const ParamSpec* spec;
    std::vector<std::string_view> segments; // views into spec->pattern
};

const std::vector<Compiled>& compiled()
{
    static const std::vector<Compiled> c = [] {
        std::vector<Compiled> out;
        for (const auto& spec : paramTable())
            out.push_back({&spec, split(spec.pattern)});
        return out;
    }();
    return c;
}

const ParamSpec* match(std::string_view path, Wild* wild)
{
    const auto q = split(path);
    for (const auto& c : compiled()) {
        if (wild) wild->clear();
        if (matches(c.segments, q, wild)) return c.spec;
    }
    return nullptr;
}

std::string describe(const ParamValue& v)
{
    if (std::holds_alternative<double>(v)) return formatNumber(std::get<double>(v));
    if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? "true" : "false";
    return "\"" + std::get<std::string>(v) + "\"";
}

const char* typeName(ParamType t)
{
    switch (t) {
    case ParamType::Number: return "a number";
    case ParamType::Bool: return "true or false";
    case ParamType::Choice: return "one of the listed names";
    case ParamType::Text: return "text";
    }
    return "?";
}

bool validUtf8(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (n < 0 || i + static_cast<size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) return false;
        for (int k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) >> 6) != 2) return false;
        i += static_cast<size_t>(n) + 1;
    }
    return true;
}

std::string joined(const std::vector<std::string>& list)
{
    std::string all;
    for (const auto& c : list)
        all += (all.empty() ? "" : ", ") + c;
    return all;
}

std::optional<ParamError> validate(const ParamSpec& spec, std::string_view path, const ParamValue& v)
{
    auto err = [&](ParamError::Code c, std::string msg) { return ParamError{c, std::string(path), std::string(path) + ": " + msg}; };
    switch (spec.type) {
    case ParamType::Number: {
        if (!std::holds_alternative<double>(v)) return err(ParamError::Code::WrongType, describe(v) + " is not a number");
        const double d = std::get<double>(v);
        if (!std::isfinite(d)) return err(ParamError::Code::OutOfRange, "non-finite numbers are not allowed");
        if (!spec.choices.empty()) {
            if (std::find(spec.choices.begin(), spec.choices.end(), formatNumber(d)) == spec.choices.end())
                return err(ParamError::Code::OutOfRange, formatNumber(d) + " is not supported (use one of " + joined(spec.choices) + ")");
            return std::nullopt;
        }
        if (d < spec.min) return err(ParamError::Code::OutOfRange, formatNumber(d) + " is below the minimum " + formatNumber(spec.min));
        if (d > spec.max) return err(ParamError::Code::OutOfRange, formatNumber(d) + " is above the maximum " + formatNumber(spec.max));
        return std::nullopt;
    }
    case ParamType::Bool:
        if (!std::holds_alternative<bool>(v)) return err(ParamError::Code::WrongType, describe(v) + " is not true or false");
        return std::nullopt;
    case ParamType::Choice: {
        if (!std::holds_alternative<std::string>(v))
            return err(ParamError::Code::WrongType, describe(v) + " is not " + typeName(spec.type));
        const auto& s = std::get<std::string>(v);
        if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
            return err(ParamError::Code::OutOfRange, describe(v) + " is not one of " + joined(spec.choices));
        return std::nullopt;
    }
    case ParamType::Text: {
        if (!std::holds_alternative<std::string>(v)) return err(ParamError::Code::WrongType, describe(v) + " is not text");
        const auto& s = std::get<std::string>(v);
        if (!validUtf8(s)) return err(ParamError::Code::OutOfRange, "text is not valid UTF-8");
        if (s.empty()) return err(ParamError::Code::OutOfRange, "must not be empty");
        if (static_cast<double>(s.size()) > spec.max)
            return err(ParamError::Code::OutOfRange, "longer than " + formatNumber(spec.max) + " bytes");
        for (unsigned char c : s)
            if (c < 0x20) return err(ParamError::Code::OutOfRange, "control characters are not allowed");
        return std::nullopt;
    }
    }
    return std::nullopt;
}

// The values a '*' takes in `session`, given the segments before it and the wildcards so far.
std::vector<std::string> wildValues(const Session& s, const std::vector<std::string_view>& seg, size_t i, const std::vector<std::string>& wild)
{
    std::vector<std::string> values;
    const std::string_view before = seg[i - 1];
    auto strip = [&]() -> const Strip* {
        if (wild.empty()) return nullptr;
        if (seg[0] == "tracks") return s.track(wild[0]);
        if (seg[0] == "groups") return s.group(wild[0]);
        if (seg[0] == "returns") return s.aux(wild[0]);
        return nullptr;
    };
    if (before == "tracks")
        for (const auto& t : s.tracks)
            values.push_back(t.id);
    else if (before == "groups")
        for (const auto& g : s.groups)
            values.push_back(g.id);
    else if (before == "returns")
        for (const auto& r : s.returns)
            values.push_back(r.id);
    else if (before == "eq") {
        const std::vector<EqBand>* eq = seg[0] == "master" ? &s.master.eq : strip() ? &strip()->eq : nullptr;
        for (size_t b = 1; eq && b <= eq->size(); ++b)
            values.push_back(std::to_string(b));
    } else if (before == "sends") {
        if (const Strip* st = strip())
            for (const auto& snd : st->sends)
                values.push_back(snd.to);
    }
    return values;
}

void expand(Session& s, const Compiled& c, size_t i, std::vector<std::string>& wild,
            const std::function<void(const std::vector<std::string>&)>& fn)
{
    for (; i < c.segments.size(); ++i)
        if (c.segments[i] == "*") break;
    if (i == c.segments.size()) {
        fn(wild);
        return;
    }
    for (auto& v : wildValues(s, c.segments, i, wild)) {
        wild.push_back(std::move(v));
        expand(s, c, i + 1, wild, fn);
        wild.pop_back();
    }
}

} // namespace

ParamValue FieldRef::get() const
{
    switch (kind) {
    case Kind::Double: return *static_cast<const double*>(p);
    case Kind::Int: return static_cast<double>(*static_cast<const int*>(p));
    case Kind::Bool: return *static_cast<const bool*>(p);
    case Kind::Text:
    case Kind::TextChoice: return *static_cast<const std::string*>(p);
    case Kind::Enum: return (*names)[static_cast<size_t>(getEnum(p))];
    case Kind::None: break;
    }
    return 0.0;
}

void FieldRef::set(const ParamValue& v) const
{
    switch (kind) {
    case Kind::Double: *static_cast<double*>(p) = std::get<double>(v); break;
    case Kind::Int: *static_cast<int*>(p) = static_cast<int>(std::get<double>(v)); break;
    case Kind::Bool: *static_cast<bool*>(p) = std::get<bool>(v); break;
    case Kind::Text:
    case Kind::TextChoice: *static_cast<std::string*>(p) = std::get<std::string>(v); break;
    case Kind::Enum: {
        const auto& s = std::get<std::string>(v);
        setEnum(p, static_cast<int>(std::find(names->begin(), names->end(), s) - names->begin()));
        break;
    }
    case Kind::None: break;
    }
}

double FieldRef::number() const
{
    switch (kind) {
    case Kind::Double: return *static_cast<const double*>(p);
    case Kind::Int: return *static_cast<const int*>(p);
    case Kind::Bool: return *static_cast<const bool*>(p) ? 1.0 : 0.0;
    case Kind::Enum: return getEnum(p);
    case Kind::TextChoice: {
        const auto& s = *static_cast<const std::string*>(p);
        return static_cast<double>(std::find(names->begin(), names->end(), s) - names->begin());
    }
    case Kind::Text:
    case Kind::None: break;
    }
    return 0.0;
}

void FieldRef::setNumber(double v) const
{
    switch (kind) {
    case Kind::Double: *static_cast<double*>(p) = v; break;
    case Kind::Int: *static_cast<int*>(p) = static_cast<int>(v); break;
    case Kind::Bool: *static_cast<bool*>(p) = v != 0.0; break;
    case Kind::Enum: setEnum(p, static_cast<int>(v)); break;
    case Kind::TextChoice: {
        const auto i = static_cast<size_t>(v);
        if (i < names->size()) static_cast<std::string*>(p)->assign((*names)[i]);
        break;
    }
    case Kind::Text:
    case Kind::None: break;
    }
}

const char* ParamError::codeName(Code c)
{
    switch (c) {
    case Code::UnknownPath: return "unknown_path";
    case Code::WrongType: return "wrong_type";
    case Code::OutOfRange: return "out_of_range";
    }
    return "?";
}

const std::vector<ParamSpec>& paramTable()
{
    static const std::vector<ParamSpec> table = buildTable();
    return table;
}

const ParamSpec* findSpec(std::string_view path)
{
    return match(path, nullptr);
}

FieldRef resolveField(Session& session, std::string_view path)
{
    Wild wild;
    const ParamSpec* spec = match(path, &wild);
    return spec ? spec->ref(session, wild) : FieldRef{};
}

bool needsRebuild(std::string_view path)
{
    const ParamSpec* spec = findSpec(path);
    return spec && spec->rebuild;
}

std::optional<ParamError> setParam(Session& session, std::string_view path, const ParamValue& value)
{
    Wild wild;
    const ParamSpec* spec = match(path, &wild);
    const FieldRef ref = spec ? spec->ref(session, wild) : FieldRef{};
    if (!ref) return ParamError{ParamError::Code::UnknownPath, std::string(path), std::string(path) + ": no such parameter"};
    if (auto e = validate(*spec, path, value)) return e;
    ref.set(value);
    return std::nullopt;
}

std::variant<ParamValue, ParamError> getParam(const Session& session, std::string_view path)
{
    const FieldRef ref = resolveField(const_cast<Session&>(session), path); // read only
    if (!ref) return ParamError{ParamError::Code::UnknownPath, std::string(path), std::string(path) + ": no such parameter"};
    return ref.get();
}

void forEachField(const Session& session, const std::function<void(const std::string&, const ParamSpec&, FieldRef)>& fn)
{
    Session& s = const_cast<Session&>(session); // the callback gets references to read
    std::vector<std::string> wild;
    for (const auto& c : compiled())
        expand(s, c, 0, wild, [&](const std::vector<std::string>& w) {
            const Wild views(w.begin(), w.end());
            const FieldRef ref = c.spec->ref(s, views);
            if (!ref) return;
            std::string path;
            size_t k = 0;
            for (size_t i = 0; i < c.segments.size(); ++i) {
                if (i) path += '/';
                path += c.segments[i] == "*" ? std::string_view(w[k++]) : c.segments[i];
            }
            fn(path, *c.spec, ref);
        });
}

void forEachFieldRef(Session& session, const std::function<void(const ParamSpec&, FieldRef)>& fn)
{
    std::vector<std::string> wild;
    for (const auto& c : compiled())
        expand(session, c, 0, wild, [&](const std::vector<std::string>& w) {
            const Wild views(w.begin(), w.end());
            if (const FieldRef ref = c.spec->ref(session, views)) fn(*c.spec, ref);
        });
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

std::string formatNumber(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

double syncToMs(std::string_view sync, double tempo)
{
    if (sync == "off" || sync.size() < 3 || sync.substr(0, 2) != "1/" || tempo <= 0) return 0.0;
    std::string_view rest = sync.substr(2);
    double factor = 1.0;
    if (rest.back() == 'd') {
        factor = 1.5;
        rest.remove_suffix(1);
    } else if (rest.back() == 't') {
        factor = 2.0 / 3.0;
        rest.remove_suffix(1);
    }
    int denom = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), denom);
    if (ec != std::errc() || ptr != rest.data() + rest.size() || denom <= 0) return 0.0;
    const double wholeNoteMs = 4.0 * 60000.0 / tempo;
    return wholeNoteMs / denom * factor;
}

} // namespace mixroom::engine
