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

struct SessionDiff {
    std::vector<ParamChange> changes;        // parameters of strips present on both sides
    std::vector<std::string> added, removed; // "tracks/gtr", "groups/band", "returns/echo"
    bool empty() const { return changes.empty() && added.empty() && removed.empty(); }
};

SessionDiff diffSessions(const Session& before, const Session& after);

} // namespace mixroom::engine
