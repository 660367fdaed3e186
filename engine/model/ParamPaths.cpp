// SPDX-License-Identifier: MIT
// Paths over the field table: matching a path to its row, resolving it in a model, validating
// values against the row's spec, walking every concrete path of a session; FieldRef's typed
// access. The rows themselves are in ParamTable.cpp.
#include "engine/model/ParamTable.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace mixroom::engine {

namespace {

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
std::vector<std::string> wildValues(const Session& s, const std::vector<std::string_view>& seg, size_t i,
                                    const std::vector<std::string>& wild)
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
