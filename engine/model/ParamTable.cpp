// SPDX-License-Identifier: MIT
#include "engine/model/ParamTable.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

namespace mixroom::engine {

namespace {

const std::vector<std::string> kEqTypes = {"hp12", "hp24", "lp12", "lp24", "lowshelf", "highshelf", "peak"};
const std::vector<std::string> kDetectors = {"peak", "rms"};
const std::vector<std::string> kEffects = {"reverb", "delay"};
const std::vector<std::string> kSync = {"off", "1/1",  "1/2",  "1/2d", "1/2t",  "1/4",   "1/4d", "1/4t",
                                        "1/8", "1/8d", "1/8t", "1/16", "1/16d", "1/16t", "1/32"};

ParamSpec num(std::string p, std::string unit, double lo, double hi, double def, ParamScope s, std::string doc)
{
    return ParamSpec{std::move(p), ParamType::Number, std::move(unit), lo, hi, def, {}, s, std::move(doc)};
}
ParamSpec flag(std::string p, bool def, ParamScope s, std::string doc)
{
    return ParamSpec{std::move(p), ParamType::Bool, "", 0, 1, def ? 1.0 : 0.0, {}, s, std::move(doc)};
}
ParamSpec choice(std::string p, std::vector<std::string> c, ParamScope s, std::string doc)
{
    return ParamSpec{std::move(p), ParamType::Choice, "", 0, 0, 0, std::move(c), s, std::move(doc)};
}
ParamSpec text(std::string p, double maxLen, ParamScope s, std::string doc)
{
    return ParamSpec{std::move(p), ParamType::Text, "chars", 0, maxLen, 0, {}, s, std::move(doc)};
}

void addEqAndComp(std::vector<ParamSpec>& t, const std::string& pre, ParamScope s)
{
    t.push_back(choice(pre + "eq/*/type", kEqTypes, s, "band type"));
    t.push_back(num(pre + "eq/*/freq", "Hz", 20, 20000, 1000, s, "band frequency"));
    t.push_back(num(pre + "eq/*/gain", "dB", -24, 24, 0, s, "shelf/peak gain"));
    t.push_back(num(pre + "eq/*/q", "", 0.1, 18, 0.7071, s, "Q (peak bandwidth, shelf slope, filter resonance)"));
    t.push_back(flag(pre + "eq/*/enabled", true, s, "band in circuit"));
    t.push_back(flag(pre + "comp/enabled", false, s, "compressor in circuit"));
    t.push_back(num(pre + "comp/threshold", "dB", -60, 0, -20, s, "threshold"));
    t.push_back(num(pre + "comp/ratio", ":1", 1, 20, 4, s, "ratio"));
    t.push_back(num(pre + "comp/knee", "dB", 0, 24, 6, s, "knee width"));
    t.push_back(num(pre + "comp/attack", "ms", 0.1, 200, 10, s, "attack time"));
    t.push_back(num(pre + "comp/release", "ms", 5, 2000, 100, s, "release time"));
    t.push_back(num(pre + "comp/makeup", "dB", -12, 24, 0, s, "makeup gain"));
    t.push_back(choice(pre + "comp/detector", kDetectors, s, "level detection"));
}

void addStrip(std::vector<ParamSpec>& t, const std::string& pre, bool sends = true)
{
    const auto s = ParamScope::Strip;
    t.push_back(text(pre + "name", 64, ParamScope::Structure, "display name"));
    t.push_back(num(pre + "trim", "dB", -24, 24, 0, s, "input trim"));
    t.push_back(flag(pre + "polarity", false, s, "polarity invert"));
    t.push_back(num(pre + "fader", "dB", kSilenceDb, 12, 0, s, "fader (-144 is -inf)"));
    t.push_back(num(pre + "pan", "", -1, 1, 0, s, "pan: -3 dB constant power (mono), balance (stereo)"));
    t.push_back(flag(pre + "mute", false, s, "mute"));
    t.push_back(flag(pre + "solo", false, s, "solo in place"));
    addEqAndComp(t, pre, s);
    if (!sends) return;
    t.push_back(num(pre + "sends/*/level", "dB", kSilenceDb, 6, kSilenceDb, s, "send level to an aux return"));
    t.push_back(flag(pre + "sends/*/pre", false, s, "send taken before the fader"));
}

std::vector<ParamSpec> buildTable()
{
    std::vector<ParamSpec> t;
    auto rate = num("sampleRate", "Hz", 44100, 96000, 48000, ParamScope::Session, "session sample rate");
    for (int r : kSupportedRates)
        rate.choices.push_back(std::to_string(r));
    t.push_back(rate);
    t.push_back(num("tempo", "BPM", 20, 300, 120, ParamScope::Session, "tempo for synced delays"));
    t.push_back(num("tail", "s", 0, 30, 2, ParamScope::Session, "render time after the last stem ends"));

    addStrip(t, "tracks/*/");
    t.push_back(text("tracks/*/stem", 4096, ParamScope::Structure, "stem file or content hash"));
    t.push_back(text("tracks/*/output", 64, ParamScope::Structure, "\"master\" or a group id"));
    addStrip(t, "groups/*/");
    addStrip(t, "returns/*/", false);
    const auto e = ParamScope::Effect;
    t.push_back(choice("returns/*/effect/type", kEffects, ParamScope::Structure, "effect"));
    t.push_back(num("returns/*/effect/size", "", 0, 1, 0.7, e, "reverb size"));
    t.push_back(num("returns/*/effect/decay", "s", 0.1, 20, 2, e, "reverb decay time (RT60)"));
    t.push_back(num("returns/*/effect/damping", "", 0, 1, 0.4, e, "reverb high-frequency damping"));
    t.push_back(num("returns/*/effect/predelay", "ms", 0, 250, 20, e, "reverb pre-delay"));
    t.push_back(num("returns/*/effect/time", "ms", 1, 2000, 375, e, "delay time when not synced"));
    t.push_back(choice("returns/*/effect/sync", kSync, e, "delay note value synced to tempo"));
    t.push_back(num("returns/*/effect/feedback", "%", 0, 95, 35, e, "delay feedback"));
    t.push_back(num("returns/*/effect/highcut", "Hz", 1000, 20000, 6000, e, "delay feedback high-cut"));
    t.push_back(flag("returns/*/effect/pingpong", false, e, "ping-pong delay"));

    const auto m = ParamScope::Master;
    addEqAndComp(t, "master/", m);
    t.push_back(num("master/width", "%", 0, 200, 100, m, "stereo width (mid/side)"));
    t.push_back(flag("master/limiter/enabled", true, m, "limiter in circuit"));
    t.push_back(num("master/limiter/ceiling", "dBTP", -12, 0, -1, m, "true-peak ceiling"));
    t.push_back(num("master/limiter/lookahead", "ms", 0.5, 10, 5, m, "lookahead"));
    t.push_back(num("master/limiter/release", "ms", 1, 1000, 100, m, "release time"));
    t.push_back(num("master/fader", "dB", kSilenceDb, 12, 0, m, "master fader (-144 is -inf)"));
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

bool matches(std::string_view pattern, std::string_view path)
{
    auto p = split(pattern);
    auto q = split(path);
    if (p.size() != q.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
        if (q[i].empty()) return false;
        if (p[i] != "*" && p[i] != q[i]) return false;
    }
    return true;
}

// A typed accessor for one resolved path.
struct Slot {
    std::function<ParamValue()> get;
    std::function<void(const ParamValue&)> set;
};

Slot numberSlot(double& d)
{
    return {[&d] { return ParamValue(d); }, [&d](const ParamValue& v) { d = std::get<double>(v); }};
}
Slot boolSlot(bool& b)
{
    return {[&b] { return ParamValue(b); }, [&b](const ParamValue& v) { b = std::get<bool>(v); }};
}
Slot textSlot(std::string& s)
{
    return {[&s] { return ParamValue(s); }, [&s](const ParamValue& v) { s = std::get<std::string>(v); }};
}

template <typename E> Slot enumSlot(E& e, const std::vector<std::string>& names)
{
    return {[&e, &names] { return ParamValue(names[static_cast<size_t>(e)]); },
            [&e, &names](const ParamValue& v) {
                auto it = std::find(names.begin(), names.end(), std::get<std::string>(v));
                e = static_cast<E>(it - names.begin());
            }};
}

std::optional<Slot> eqCompSlot(std::vector<EqBand>& eq, Compressor& comp, const std::vector<std::string_view>& s, size_t i)
{
    if (s.size() == i + 3 && s[i] == "eq") {
        int n = 0;
        auto [ptr, ec] = std::from_chars(s[i + 1].data(), s[i + 1].data() + s[i + 1].size(), n);
        if (ec != std::errc() || ptr != s[i + 1].data() + s[i + 1].size() || n < 1 || n > static_cast<int>(eq.size())) return std::nullopt;
        EqBand& b = eq[static_cast<size_t>(n - 1)];
        const auto f = s[i + 2];
        if (f == "type") return enumSlot(b.type, kEqTypes);
        if (f == "freq") return numberSlot(b.freq);
        if (f == "gain") return numberSlot(b.gain);
        if (f == "q") return numberSlot(b.q);
        if (f == "enabled") return boolSlot(b.enabled);
        return std::nullopt;
    }
    if (s.size() == i + 2 && s[i] == "comp") {
        const auto f = s[i + 1];
        if (f == "enabled") return boolSlot(comp.enabled);
        if (f == "threshold") return numberSlot(comp.threshold);
        if (f == "ratio") return numberSlot(comp.ratio);
        if (f == "knee") return numberSlot(comp.knee);
        if (f == "attack") return numberSlot(comp.attack);
        if (f == "release") return numberSlot(comp.release);
        if (f == "makeup") return numberSlot(comp.makeup);
        if (f == "detector") return enumSlot(comp.detector, kDetectors);
    }
    return std::nullopt;
}

std::optional<Slot> stripSlot(Strip& st, const std::vector<std::string_view>& s)
{
    if (s.size() == 3) {
        const auto f = s[2];
        if (f == "name") return textSlot(st.name);
        if (f == "trim") return numberSlot(st.trim);
        if (f == "polarity") return boolSlot(st.polarity);
        if (f == "fader") return numberSlot(st.fader);
        if (f == "pan") return numberSlot(st.pan);
        if (f == "mute") return boolSlot(st.mute);
        if (f == "solo") return boolSlot(st.solo);
    }
    if (s.size() == 5 && s[2] == "sends") {
        auto it = std::find_if(st.sends.begin(), st.sends.end(), [&](const Send& x) { return x.to == s[3]; });
        if (it == st.sends.end()) return std::nullopt;
        if (s[4] == "level") return numberSlot(it->level);
        if (s[4] == "pre") return boolSlot(it->pre);
        return std::nullopt;
    }
    return eqCompSlot(st.eq, st.comp, s, 2);
}

std::optional<Slot> resolve(Session& ses, std::string_view path)
{
    const auto s = split(path);
    if (s.size() == 1) {
        if (s[0] == "tempo") return numberSlot(ses.tempo);
        if (s[0] == "tail") return numberSlot(ses.tail);
        if (s[0] == "sampleRate")
            return Slot{[&ses] { return ParamValue(double(ses.sampleRate)); },
                        [&ses](const ParamValue& v) { ses.sampleRate = int(std::get<double>(v)); }};
        return std::nullopt;
    }
    if (s[0] == "master") {
        Master& m = ses.master;
        if (s.size() == 2 && s[1] == "width") return numberSlot(m.width);
        if (s.size() == 2 && s[1] == "fader") return numberSlot(m.fader);
        if (s.size() == 3 && s[1] == "limiter") {
            if (s[2] == "enabled") return boolSlot(m.limiter.enabled);
            if (s[2] == "ceiling") return numberSlot(m.limiter.ceiling);
            if (s[2] == "lookahead") return numberSlot(m.limiter.lookahead);
            if (s[2] == "release") return numberSlot(m.limiter.release);
            return std::nullopt;
        }
        return eqCompSlot(m.eq, m.comp, s, 1);
    }
    if (s.size() < 3) return std::nullopt;
    const std::string id(s[1]);
    if (s[0] == "tracks") {
        Track* t = ses.track(id);
        if (!t) return std::nullopt;
        if (s.size() == 3 && s[2] == "stem") return textSlot(t->stem);
        if (s.size() == 3 && s[2] == "output") return textSlot(t->output);
        return stripSlot(*t, s);
    }
    if (s[0] == "groups") {
        Group* g = ses.group(id);
        return g ? stripSlot(*g, s) : std::nullopt;
    }
    if (s[0] == "returns") {
        Return* r = ses.aux(id);
        if (!r) return std::nullopt;
        if (s.size() == 4 && s[2] == "effect") {
            const auto f = s[3];
            if (f == "type") return enumSlot(r->effect, kEffects);
            if (f == "size") return numberSlot(r->reverb.size);
            if (f == "decay") return numberSlot(r->reverb.decay);
            if (f == "damping") return numberSlot(r->reverb.damping);
            if (f == "predelay") return numberSlot(r->reverb.predelay);
            if (f == "time") return numberSlot(r->delay.time);
            if (f == "sync") return textSlot(r->delay.sync);
            if (f == "feedback") return numberSlot(r->delay.feedback);
            if (f == "highcut") return numberSlot(r->delay.highcut);
            if (f == "pingpong") return boolSlot(r->delay.pingpong);
            return std::nullopt;
        }
        return stripSlot(*r, s);
    }
    return std::nullopt;
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

std::optional<ParamError> validate(const ParamSpec& spec, std::string_view path, const ParamValue& v)
{
    auto err = [&](ParamError::Code c, std::string msg) { return ParamError{c, std::string(path), std::string(path) + ": " + msg}; };
    switch (spec.type) {
    case ParamType::Number: {
        if (!std::holds_alternative<double>(v)) return err(ParamError::Code::WrongType, describe(v) + " is not a number");
        const double d = std::get<double>(v);
        if (!std::isfinite(d)) return err(ParamError::Code::OutOfRange, "non-finite numbers are not allowed");
        if (!spec.choices.empty()) {
            if (std::find(spec.choices.begin(), spec.choices.end(), formatNumber(d)) == spec.choices.end()) {
                std::string all;
                for (const auto& c : spec.choices)
                    all += (all.empty() ? "" : ", ") + c;
                return err(ParamError::Code::OutOfRange, formatNumber(d) + " is not supported (use one of " + all + ")");
            }
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
        if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
            std::string all;
            for (const auto& c : spec.choices)
                all += (all.empty() ? "" : ", ") + c;
            return err(ParamError::Code::OutOfRange, describe(v) + " is not one of " + all);
        }
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

} // namespace

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
    for (const auto& spec : paramTable())
        if (matches(spec.pattern, path)) return &spec;
    return nullptr;
}

std::optional<ParamError> setParam(Session& session, std::string_view path, const ParamValue& value)
{
    const ParamSpec* spec = findSpec(path);
    auto slot = spec ? resolve(session, path) : std::nullopt;
    if (!spec || !slot) return ParamError{ParamError::Code::UnknownPath, std::string(path), std::string(path) + ": no such parameter"};
    if (auto e = validate(*spec, path, value)) return e;
    slot->set(value);
    return std::nullopt;
}

std::variant<ParamValue, ParamError> getParam(const Session& session, std::string_view path)
{
    auto slot = findSpec(path) ? resolve(const_cast<Session&>(session), path) : std::nullopt;
    if (!slot) return ParamError{ParamError::Code::UnknownPath, std::string(path), std::string(path) + ": no such parameter"};
    return slot->get();
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

double syncToMs(const std::string& sync, double tempo)
{
    if (sync == "off" || sync.size() < 3 || sync.substr(0, 2) != "1/" || tempo <= 0) return 0.0;
    std::string rest = sync.substr(2);
    double factor = 1.0;
    if (rest.back() == 'd') {
        factor = 1.5;
        rest.pop_back();
    } else if (rest.back() == 't') {
        factor = 2.0 / 3.0;
        rest.pop_back();
    }
    const double denom = std::atof(rest.c_str());
    if (denom <= 0) return 0.0;
    const double wholeNoteMs = 4.0 * 60000.0 / tempo;
    return wholeNoteMs / denom * factor;
}

} // namespace mixroom::engine
