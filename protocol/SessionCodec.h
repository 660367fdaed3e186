// SPDX-License-Identifier: MIT
#pragma once
// The versioned session document (JSON). Decoding builds the structure (tracks, groups, returns,
// EQ bands, sends) and then sets every leaf through engine::setParam, so ranges and types are
// checked by the one parameter table and every error names its path:
//   "tracks/bass/eq/2/q: 0 is below the minimum 0.1".
// Thread: any.
#include "engine/model/ParamTable.h"
#include "engine/model/Session.h"
#include "engine/model/SessionDiff.h"
#include "engine/util/Result.h"

#include <QByteArray>
#include <QJsonObject>

#include <optional>

namespace mixroom::protocol {

inline constexpr const char* kSessionFormat = "mixroom-session";

engine::Result<engine::Session> decodeSession(const QByteArray& json);
QByteArray encodeSession(const engine::Session& session);
// One automation lane as JSON ({mode, points: [[time, value, curve?], ...]}; curve omitted when
// linear), and back, validated against the parameter's spec (nothing and `error` when not valid).
QJsonObject laneToJson(const engine::Lane& lane);
std::optional<engine::Lane> laneFromJson(const QJsonValue& json, const engine::ParamSpec& spec, QString* error);

// One lane's point-level differences (version_diff's `lanes`): {path, lane: changed|added|removed,
// mode?: {before, after}, added: [point], removed: [point], moved: [{from: point, to: point}]}.
QJsonObject laneChangeToJson(const engine::LaneChange& change);

// Ids name tracks, groups and returns in paths: 1-32 of [A-Za-z0-9_-].
bool isValidId(const QString& id);

} // namespace mixroom::protocol
