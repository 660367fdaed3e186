// SPDX-License-Identifier: MIT
#pragma once
// The one field table. Every field of a Session is declared once, as one row: its path pattern
// ("tracks/*/eq/*/gain", "master/limiter/ceiling", "tempo"), its spec (type, unit, range, default),
// its scope (which the server maps to roles), whether a change reshapes the processing graph, its
// rate class, and its accessor on the model. Everything else derives from the rows: path
// resolution (setParam/getParam), the session JSON codec (every field, active or not), session
// diffs, the graph's atomic parameter mirror, the protocol's structural/rate decision, and the
// ranges the CLI and the desk show. Adding a field is one row here plus its DSP.
// Thread: any (the table is immutable after first use; the audio thread only uses FieldRefs
// resolved beforehand).
#include "engine/model/Session.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mixroom::engine {

enum class ParamType { Number, Bool, Choice, Text };

// Who may edit a parameter is decided per scope (and per role, by the server).
enum class ParamScope {
    Strip,     // track, group and return strips: faders, pan, EQ, dynamics, sends
    Effect,    // aux return effect settings (reverb, delay)
    Master,    // the master chain
    Structure, // names, stems, routing, effect type
    Session,   // session settings: rate, tempo, tail
};

// Which leaky bucket a change of the field draws from (see the server's RateLimiter).
enum class RateClass { Edit, Structure };

using ParamValue = std::variant<double, bool, std::string>;

// A typed pointer to one field of one model object. Number fields read and write as double
// everywhere (Bool as 0/1, choices as their index), which is how the graph mirrors them.
struct FieldRef {
    enum class Kind { None, Double, Int, Bool, Text, Enum, TextChoice } kind = Kind::None;
    void* p = nullptr;
    const std::vector<std::string>* names = nullptr; // Enum, TextChoice
    int (*getEnum)(const void*) = nullptr;
    void (*setEnum)(void*, int) = nullptr;

    explicit operator bool() const { return kind != Kind::None; }
    ParamValue get() const;
    void set(const ParamValue& v) const; // the value must have passed validation
    double number() const;
    // [audio thread safe] no allocation: TextChoice names are short (small-string storage).
    void setNumber(double v) const;
};

using Wild = std::vector<std::string_view>; // the path segments that filled the pattern's '*'

struct ParamSpec {
    std::string pattern; // '*' stands for one id, band number or send target
    ParamType type = ParamType::Number;
    std::string unit; // "dB", "Hz", "ms", "%", "s", "BPM", "" ...
    double min = 0.0;
    double max = 0.0;
    double def = 0.0;
    std::vector<std::string> choices; // Choice: allowed strings. Number: allowed values if non-empty.
    ParamScope scope = ParamScope::Strip;
    std::string doc;
    bool rebuild = false; // a change reshapes the processing graph (routing, stems, effect type, lookahead)
    RateClass rate = RateClass::Edit;
    std::function<FieldRef(Session&, const Wild&)> ref; // the field in a model, or None if its ids do not exist
};

struct ParamError {
    enum class Code { UnknownPath, WrongType, OutOfRange };
    Code code;
    std::string path;
    std::string message; // "tracks/bass/eq/2/q: 0 is below the minimum 0.1"
    static const char* codeName(Code c);
};

// Every row, in a stable order.
const std::vector<ParamSpec>& paramTable();

// The spec whose pattern matches `path`, ignoring whether the ids exist.
const ParamSpec* findSpec(std::string_view path);
// The field at `path` in `session` (None when the path or its ids do not exist).
FieldRef resolveField(Session& session, std::string_view path);

// Validates `value` against the spec of `path` and stores it in `session`. The path's ids and
// band numbers (1-based) must exist. Nothing changes on error.
std::optional<ParamError> setParam(Session& session, std::string_view path, const ParamValue& value);
// Reads the current value at `path`, or an UnknownPath error.
std::variant<ParamValue, ParamError> getParam(const Session& session, std::string_view path);

// Every concrete path of `session` (each row expanded over the ids, bands and sends present), in
// table order, with its row and field.
void forEachField(const Session& session, const std::function<void(const std::string& path, const ParamSpec&, FieldRef)>& fn);
// The same, without building path strings: rows and fields only (for mirrors, per commit).
void forEachFieldRef(Session& session, const std::function<void(const ParamSpec&, FieldRef)>& fn);
// Whether setting `path` reshapes the graph (unknown paths: false).
bool needsRebuild(std::string_view path);

// Enum <-> text, as used in paths and JSON.
std::string toString(EqType t);
std::string toString(Detector d);
std::string toString(EffectType e);
std::string formatNumber(double v);
const std::vector<std::string>& delaySyncChoices();
// Note value ("1/8d") at `tempo` in ms; 0 for "off" or an unknown value. No allocation.
double syncToMs(std::string_view sync, double tempo);

} // namespace mixroom::engine
