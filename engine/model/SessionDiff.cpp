// SPDX-License-Identifier: MIT
#include "engine/model/SessionDiff.h"

#include <algorithm>
#include <set>

namespace mixroom::engine {

namespace {

std::vector<std::string> split(const std::string& p)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t slash = p.find('/', start);
        out.push_back(p.substr(start, slash - start));
        if (slash == std::string::npos) return out;
        start = slash + 1;
    }
}

std::string stripKey(const std::string& path)
{
    const auto seg = split(path);
    return seg.size() >= 2 && (seg[0] == "tracks" || seg[0] == "groups" || seg[0] == "returns") ? seg[0] + "/" + seg[1] : std::string();
}

} // namespace

std::vector<std::string> paramPaths(const Session& session)
{
    std::vector<std::string> out;
    forEachField(session, [&](const std::string& path, const ParamSpec&, FieldRef) { out.push_back(path); });
    return out;
}

SessionDiff diffSessions(const Session& before, const Session& after)
{
    SessionDiff d;
    auto stripIds = [](const Session& s) {
        std::set<std::string> ids;
        for (const auto& t : s.tracks)
            ids.insert("tracks/" + t.id);
        for (const auto& g : s.groups)
            ids.insert("groups/" + g.id);
        for (const auto& r : s.returns)
            ids.insert("returns/" + r.id);
        return ids;
    };
    const std::set<std::string> stripsBefore = stripIds(before), stripsAfter = stripIds(after);
    std::set_difference(stripsAfter.begin(), stripsAfter.end(), stripsBefore.begin(), stripsBefore.end(), std::back_inserter(d.added));
    std::set_difference(stripsBefore.begin(), stripsBefore.end(), stripsAfter.begin(), stripsAfter.end(), std::back_inserter(d.removed));

    const auto pathsBefore = paramPaths(before);
    const auto pathsAfter = paramPaths(after);
    std::set<std::string> all(pathsBefore.begin(), pathsBefore.end());
    all.insert(pathsAfter.begin(), pathsAfter.end());
    // Keep table order: walk the after list, then what only the before side has.
    std::vector<std::string> order = pathsAfter;
    for (const auto& p : pathsBefore)
        if (std::find(pathsAfter.begin(), pathsAfter.end(), p) == pathsAfter.end()) order.push_back(p);
    for (const auto& path : order) {
        const std::string strip = stripKey(path);
        if (!strip.empty() && (!stripsBefore.count(strip) || !stripsAfter.count(strip))) continue; // reported as an added or removed strip
        auto b = getParam(before, path);
        auto a = getParam(after, path);
        std::optional<ParamValue> bv, av;
        if (std::holds_alternative<ParamValue>(b)) bv = std::get<ParamValue>(b);
        if (std::holds_alternative<ParamValue>(a)) av = std::get<ParamValue>(a);
        if (bv != av) d.changes.push_back({path, bv, av});
    }
    std::set<std::string> lanePaths;
    for (const auto& [path, lane] : before.automation)
        lanePaths.insert(path);
    for (const auto& [path, lane] : after.automation)
        lanePaths.insert(path);
    for (const std::string& path : lanePaths) {
        const auto b = before.automation.find(path), a = after.automation.find(path);
        const Lane* lb = b == before.automation.end() ? nullptr : &b->second;
        const Lane* la = a == after.automation.end() ? nullptr : &a->second;
        if (lb && la && *lb == *la) continue;
        d.lanes.push_back(diffLanes(path, lb, la));
    }
    return d;
}

LaneChange diffLanes(const std::string& path, const Lane* before, const Lane* after)
{
    LaneChange c;
    c.path = path;
    c.lane = !before ? LaneChange::Lane::Added : !after ? LaneChange::Lane::Removed : LaneChange::Lane::Changed;
    if (before && after && before->mode != after->mode) c.mode = std::pair{before->mode, after->mode};
    static const std::vector<AutoPoint> none;
    const auto& pb = before ? before->points : none;
    const auto& pa = after ? after->points : none;
    // Anchors: points on both sides (the lists are sorted by time, so a merge walk finds them).
    std::vector<AutoPoint> onlyB, onlyA;
    auto pairUp = [&] {
        const size_t n = std::min(onlyB.size(), onlyA.size());
        for (size_t i = 0; i < n; ++i)
            c.moved.push_back({onlyB[i], onlyA[i]});
        c.removed.insert(c.removed.end(), onlyB.begin() + static_cast<std::ptrdiff_t>(n), onlyB.end());
        c.added.insert(c.added.end(), onlyA.begin() + static_cast<std::ptrdiff_t>(n), onlyA.end());
        onlyB.clear();
        onlyA.clear();
    };
    size_t i = 0, j = 0;
    while (i < pb.size() || j < pa.size()) {
        if (i < pb.size() && j < pa.size() && pb[i] == pa[j]) {
            pairUp();
            ++i;
            ++j;
        } else if (j >= pa.size() || (i < pb.size() && pb[i].time <= pa[j].time)) {
            onlyB.push_back(pb[i++]);
        } else {
            onlyA.push_back(pa[j++]);
        }
    }
    pairUp();
    return c;
}

} // namespace mixroom::engine
