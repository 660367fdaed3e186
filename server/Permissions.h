// SPDX-License-Identifier: MIT
#pragma once
// Roles and the default permission matrix: one table, deny by default. Every request maps to an
// action (parameter edits by the scope of their path in the engine's parameter table), and the
// table says per role whether it is allowed.
// Thread: any (immutable).
#include "engine/model/Session.h"
#include "protocol/Messages.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace mixroom::server {

enum class Role { Mix, Artist, Mastering, Client };
enum class Action {
    Listen,        // previews, see state, presence, own notes
    EditStrip,     // track/group/return parameters: faders, pan, mute, solo, EQ, dynamics, sends, effects
    EditMaster,    // the master chain
    EditStructure, // add/remove/rename tracks, buses, bands, sends; upload stems
    SaveVersion,   // save / restore versions
    Approve,       // approve a version
    PullAny,       // pull the full-resolution mix of any version
    PullApproved,  // pull approved versions only
    ManageMembers, // invite / revoke, session settings
};
inline constexpr Action kAllActions[] = {Action::Listen,        Action::EditStrip,    Action::EditMaster,
                                         Action::EditStructure, Action::SaveVersion,  Action::Approve,
                                         Action::PullAny,       Action::PullApproved, Action::ManageMembers};

QString roleName(Role r);
std::optional<Role> roleFromName(const QString& name);
QString actionName(Action a);
bool allowed(Role role, Action action);
// The role's row, for `welcome`.
QJsonObject permissionsOf(Role role);
// The action a parameter edit needs, from the scope of its path; nullopt for unknown paths or
// parameters nobody may set through an edit (the sample rate).
std::optional<Action> actionForPath(const QString& path);
// The action a request needs (Set is decided per path).
std::optional<Action> actionForKind(protocol::Kind kind);
// A sentence for a refusal: "the client role may not edit the master chain".
QString refusal(Role role, Action action);
// An op that replaces many fields at once (restore_version) is checked field by field exactly as
// the individual edits would be: every parameter that would change needs its path's action, strips
// or bands or sends that would appear, disappear or move need the structure action. Absent when
// the role may make every change; otherwise a refusal naming the first field it may not change.
std::optional<QString> replaceRefusal(Role role, const engine::Session& now, const engine::Session& replacement);

} // namespace mixroom::server
