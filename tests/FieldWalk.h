// SPDX-License-Identifier: MIT
#pragma once
// Field-by-field checks through the field table: a session with every kind of strip, band and
// send; a valid non-default value for every row; and the list of paths where two sessions differ.
// Equality is also checked with the model's own operator== (compiler-generated over every struct
// member), which sees a field even if the table or the codec lost it.
#include "engine/model/ParamTable.h"

#include <QString>
#include <QStringList>

#include <set>

namespace mixroom::test {

// Two groups, a reverb and a delay return, tracks with bands and sends, master bands.
inline engine::Session richSession(const std::string& stem = "a.wav")
{
    using namespace engine;
    Session s;
    for (const char* id : {"drums", "keys-bus"}) {
        Group g;
        g.id = g.name = id;
        g.eq = {EqBand{}};
        g.sends = {Send{"plate"}};
        s.groups.push_back(g);
    }
    Return plate;
    plate.id = plate.name = "plate";
    plate.eq = {EqBand{}};
    Return echo;
    echo.id = echo.name = "echo";
    echo.effect = EffectType::Delay;
    s.returns = {plate, echo};
    for (const char* id : {"kick", "bass", "keys"}) {
        Track t;
        t.id = t.name = id;
        t.stem = stem;
        t.eq = {EqBand{}, EqBand{EqType::HighShelf}};
        t.sends = {Send{"plate"}, Send{"echo"}};
        s.tracks.push_back(t);
    }
    s.master.eq = {EqBand{}, EqBand{EqType::LowShelf}};
    return s;
}

// A valid value for `spec` that differs from `current`. Text fields: `text` unless it equals the
// current value (routing and stems need values the caller knows to exist).
inline engine::ParamValue otherValue(const engine::ParamSpec& spec, const engine::ParamValue& current, const std::string& text = "edited")
{
    using namespace engine;
    switch (spec.type) {
    case ParamType::Bool: return !std::get<bool>(current);
    case ParamType::Choice: {
        const auto& cur = std::get<std::string>(current);
        for (const auto& c : spec.choices)
            if (c != cur) return c;
        return cur;
    }
    case ParamType::Text: return text;
    case ParamType::Number: {
        const double cur = std::get<double>(current);
        if (!spec.choices.empty()) {
            for (const auto& c : spec.choices)
                if (std::stod(c) != cur) return std::stod(c);
            return cur;
        }
        // A value well inside the range and away from the current one, not a round number.
        double v = spec.min + (spec.max - spec.min) * 0.3719;
        if (std::abs(v - cur) < 1e-9) v = spec.min + (spec.max - spec.min) * 0.6133;
        return v;
    }
    }
    return current;
}

// Every path (of either session) whose value differs, walked through the table.
inline QStringList differingPaths(const engine::Session& a, const engine::Session& b)
{
    std::set<std::string> paths;
    engine::forEachField(a, [&](const std::string& p, const engine::ParamSpec&, engine::FieldRef) { paths.insert(p); });
    engine::forEachField(b, [&](const std::string& p, const engine::ParamSpec&, engine::FieldRef) { paths.insert(p); });
    QStringList out;
    for (const auto& p : paths) {
        auto va = engine::getParam(a, p), vb = engine::getParam(b, p);
        const bool ha = std::holds_alternative<engine::ParamValue>(va), hb = std::holds_alternative<engine::ParamValue>(vb);
        if (ha != hb || (ha && std::get<engine::ParamValue>(va) != std::get<engine::ParamValue>(vb))) out << QString::fromStdString(p);
    }
    if (out.isEmpty() && !(a == b)) out << "(a field the table does not reach)";
    return out;
}

} // namespace mixroom::test
