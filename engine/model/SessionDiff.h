// SPDX-License-Identifier: MIT
#pragma once
// Differences between two session documents: every parameter whose value differs (by path, with
// both values) and the strips added or removed. Used by version diffs.
// Thread: any.
#include "engine/model/ParamTable.h"

#include <optional>
#include <string>
#include <vector>

namespace mixroom::engine {

// Every concrete parameter path of `session` ("tracks/bass/eq/2/q", ...), in table order.
std::vector<std::string> paramPaths(const Session& session);

struct ParamChange {
    std::string path;
    std::optional<ParamValue> before; // absent: the path does not exist on that side
    std::optional<ParamValue> after;
};

// One automation lane's differences, point by point. Points equal on both sides (time, value,
// curve) anchor the comparison; between two anchors, the points that differ are paired in order
// as moved (time, value or curve changed), the rest are added or removed.
struct LaneChange {
    std::string path;
    enum class Lane { Changed, Added, Removed } lane = Lane::Changed;
    std::optional<std::pair<LaneMode, LaneMode>> mode; // before, after
    std::vector<AutoPoint> added, removed;
    std::vector<std::pair<AutoPoint, AutoPoint>> moved; // before, after
};

struct SessionDiff {
    std::vector<ParamChange> changes;        // parameters of strips present on both sides
    std::vector<std::string> added, removed; // "tracks/gtr", "groups/band", "returns/echo"
    std::vector<LaneChange> lanes;           // by path; lanes of added or removed strips too
    bool empty() const { return changes.empty() && added.empty() && removed.empty() && lanes.empty(); }
};

LaneChange diffLanes(const std::string& path, const Lane* before, const Lane* after);

SessionDiff diffSessions(const Session& before, const Session& after);

} // namespace mixroom::engine
