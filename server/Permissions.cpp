// SPDX-License-Identifier: MIT
#include "server/Permissions.h"

#include "engine/model/ParamTable.h"

#include "engine/model/SessionDiff.h"

#include <set>

namespace mixroom::server {

namespace {
// The default matrix (ARCHITECTURE.md, "Roles"): rows are actions, columns mix, artist, mastering, client.
struct Row {
    Action action;
    bool mix, artist, mastering, client;
    const char* says; // "edit the master chain"
};
constexpr Row kMatrix[] = {
    {Action::Listen, true, true, true, true, "listen"},
    {Action::EditStrip, true, true, false, false, "edit track and bus parameters"},
    {Action::EditMaster, true, false, true, false, "edit the master chain"},
    {Action::EditStructure, true, false, false, false, "change tracks, buses or stems"},
    {Action::SaveVersion, true, true, false, false, "save or restore versions"},
    {Action::Approve, true, true, true, true, "approve a version"},
    {Action::PullAny, true, true, false, false, "pull any version"},
    {Action::PullApproved, true, true, true, false, "pull approved versions"},
    {Action::ManageMembers, true, false, false, false, "manage members or session settings"},
};

const Row* rowOf(Action a)
{
    for (const Row& r : kMatrix)
        if (r.action == a) return &r;
    return nullptr;
}
} // namespace

QString roleName(Role r)
{
    switch (r) {
    case Role::Mix: return "mix";
    case Role::Artist: return "artist";
    case Role::Mastering: return "mastering";
    case Role::Client: return "client";
    }
    return "?";
}

std::optional<Role> roleFromName(const QString& n)
{
    for (Role r : {Role::Mix, Role::Artist, Role::Mastering, Role::Client})
        if (roleName(r) == n) return r;
    return std::nullopt;
}

QString actionName(Action a)
{
    switch (a) {
    case Action::Listen: return "listen";
    case Action::EditStrip: return "edit_strip";
    case Action::EditMaster: return "edit_master";
    case Action::EditStructure: return "edit_structure";
    case Action::SaveVersion: return "save_version";
    case Action::Approve: return "approve";
    case Action::PullAny: return "pull_any";
    case Action::PullApproved: return "pull_approved";
    case Action::ManageMembers: return "manage_members";
    }
    return "?";
}

bool allowed(Role role, Action action)
{
    const Row* r = rowOf(action);
    if (!r) return false; // deny by default
    switch (role) {
    case Role::Mix: return r->mix;
    case Role::Artist: return r->artist;
    case Role::Mastering: return r->mastering;
    case Role::Client: return r->client;
    }
    return false;
}

QJsonObject permissionsOf(Role role)
{
    QJsonObject o;
    for (Action a : kAllActions)
        o.insert(actionName(a), allowed(role, a));
    return o;
}

std::optional<Action> actionForPath(const QString& path)
{
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    if (!spec) return std::nullopt;
    switch (spec->scope) {
    case engine::ParamScope::Strip:
    case engine::ParamScope::Effect: return Action::EditStrip;
    case engine::ParamScope::Master: return Action::EditMaster;
    case engine::ParamScope::Structure: return Action::EditStructure;
    case engine::ParamScope::Session: return path == "sampleRate" ? std::nullopt : std::optional(Action::ManageMembers);
    }
    return std::nullopt;
}

std::optional<Action> actionForKind(protocol::Kind kind)
{
    using K = protocol::Kind;
    switch (kind) {
    case K::Touch:
    case K::Ping:
    case K::ListMembers: return Action::Listen;
    case K::Invite:
    case K::Revoke: return Action::ManageMembers;
    case K::AddTrack:
    case K::RemoveTrack:
    case K::RenameTrack:
    case K::MoveTrack:
    case K::AddGroup:
    case K::AddReturn:
    case K::AddBand:
    case K::RemoveBand:
    case K::AddSend:
    case K::RemoveSend:
    case K::RemoveGroup:
    case K::RemoveReturn:
    case K::MoveBand: return Action::EditStructure;
    case K::SetLane: return std::nullopt; // decided per path, as a set of the parameter
    case K::RestoreVersion: return Action::SaveVersion;
    default: return std::nullopt; // Set is decided per path; admin requests are not member actions
    }
}

std::optional<QString> replaceRefusal(Role role, const engine::Session& now, const engine::Session& replacement)
{
    auto deny = [&](Action a, const std::string& what) -> std::optional<QString> {
        if (allowed(role, a)) return std::nullopt;
        return QString("%1: %2").arg(QString::fromStdString(what), refusal(role, a));
    };
    if (now.sampleRate != replacement.sampleRate) return QString("sampleRate: the sample rate is fixed when the session is created");
    const engine::SessionDiff d = engine::diffSessions(now, replacement);
    for (const auto* strips : {&d.added, &d.removed})
        for (const std::string& strip : *strips)
            if (auto r = deny(Action::EditStructure, strip)) return r;
    auto ids = [](const auto& list) {
        std::vector<std::string> out;
        for (const auto& s : list)
            out.push_back(s.id);
        return out;
    };
    if (ids(now.tracks) != ids(replacement.tracks) || ids(now.groups) != ids(replacement.groups) ||
        ids(now.returns) != ids(replacement.returns))
        if (auto r = deny(Action::EditStructure, "the order of strips")) return r;
    for (const engine::ParamChange& c : d.changes) {
        // A field on one side only is a band or send added or removed: structure.
        const std::optional<Action> a =
            c.before && c.after ? actionForPath(QString::fromStdString(c.path)) : std::optional(Action::EditStructure);
        if (!a) return QString("%1: this field cannot be changed").arg(QString::fromStdString(c.path));
        if (auto r = deny(*a, c.path)) return r;
    }
    // Automation lanes, each as its parameter: a lane that differs (or exists on one side only).
    std::set<std::string> lanes;
    for (const auto* side : {&now.automation, &replacement.automation})
        for (const auto& [path, lane] : *side)
            lanes.insert(path);
    for (const std::string& path : lanes) {
        const auto a = now.automation.find(path), b = replacement.automation.find(path);
        if (a != now.automation.end() && b != replacement.automation.end() && a->second == b->second) continue;
        const std::optional<Action> act = actionForPath(QString::fromStdString(path));
        if (!act) return QString("automation/%1: this lane cannot be changed").arg(QString::fromStdString(path));
        if (auto r = deny(*act, "automation of " + path)) return r;
    }
    return std::nullopt;
}

QString refusal(Role role, Action action)
{
    const Row* r = rowOf(action);
    return QString("the %1 role may not %2").arg(roleName(role), r ? r->says : "do that");
}

} // namespace mixroom::server
