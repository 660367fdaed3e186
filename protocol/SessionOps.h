// SPDX-License-Identifier: MIT
#pragma once
// Applies one edit request to a session document: parameter sets through the engine's parameter
// table, structural edits (tracks, buses, bands, sends) with their own checks. Pure and
// deterministic, so replaying the op log reproduces the state exactly.
// Thread: any.
#include "engine/model/ParamTable.h"
#include "engine/model/Session.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <functional>
#include <optional>

namespace mixroom::protocol {

struct OpError {
    QString code;    // protocol error code
    QString message; // a sentence
    QString path;    // the parameter concerned, if any
};

using StemExists = std::function<bool(const QString& hash)>;

// `op` is the request type ("set", "add_track", ...); `args` its fields. Nothing changes on error.
std::optional<OpError> applyOp(engine::Session& session, const QString& op, const QJsonObject& args, const StemExists& stemExists = {});
// The current value at `path` as JSON (for refusals that carry the authoritative value).
QJsonValue valueAt(const engine::Session& session, const QString& path);
// Whether an edit reshapes the mix graph: every op but "set", and a "set" of a field whose table
// row says so (routing, stems, effect type, lookahead, tail). The live previews rebuild on these.
bool isStructuralEdit(const QString& op, const QJsonObject& args);
// The rate class of an edit: Structure for every op but "set", else the field's row's class.
engine::RateClass rateClassOf(const QString& op, const QJsonObject& args);
// A JSON scalar as a parameter value; nullopt for null, arrays and objects.
std::optional<engine::ParamValue> toParamValue(const QJsonValue& v);

} // namespace mixroom::protocol
