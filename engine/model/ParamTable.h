// SPDX-License-Identifier: MIT
#pragma once
// The one table of editable parameters. Every field of a Session has a path
// ("tracks/<id>/eq/<n>/gain", "master/limiter/ceiling", "tempo") and a spec: type, unit, range,
// default and scope (which the server maps to roles). The JSON codec, protocol validation, server
// permissions and the clients all read this table; nothing else knows the ranges.
// Thread: control thread only (the graph reads values, never this table, on the audio thread).
#include "engine/model/Session.h"

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
    Structure, // names, stems, routing, effect type: reshape the graph
    Session,   // session settings: rate, tempo, tail
};

struct ParamSpec {
    std::string pattern; // '*' stands for one id or band-number segment
    ParamType type = ParamType::Number;
    std::string unit; // "dB", "Hz", "ms", "%", "s", "BPM", "" ...
    double min = 0.0;
    double max = 0.0;
    double def = 0.0;
    std::vector<std::string> choices; // Choice: allowed strings. Number: allowed values if non-empty.
    ParamScope scope = ParamScope::Strip;
    std::string doc;
};

using ParamValue = std::variant<double, bool, std::string>;

struct ParamError {
    enum class Code { UnknownPath, WrongType, OutOfRange };
    Code code;
    std::string path;
    std::string message; // "tracks/bass/eq/2/q: 0 is below the minimum 0.1"
    static const char* codeName(Code c);
};

// Every spec, in a stable order.
const std::vector<ParamSpec>& paramTable();

// The spec whose pattern matches `path`, ignoring whether the ids exist.
const ParamSpec* findSpec(std::string_view path);

// Validates `value` against the spec of `path` and stores it in `session`. The path's ids and
// band numbers (1-based) must exist. Nothing changes on error.
std::optional<ParamError> setParam(Session& session, std::string_view path, const ParamValue& value);
// Reads the current value at `path`, or an UnknownPath error.
std::variant<ParamValue, ParamError> getParam(const Session& session, std::string_view path);

// Enum <-> text, as used in paths and JSON.
std::string toString(EqType t);
std::string toString(Detector d);
std::string toString(EffectType e);
std::string formatNumber(double v);
const std::vector<std::string>& delaySyncChoices();
// Note value ("1/8d") at `tempo` in ms; 0 for "off" or an unknown value.
double syncToMs(const std::string& sync, double tempo);

} // namespace mixroom::engine
