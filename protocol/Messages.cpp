// SPDX-License-Identifier: MIT
#include "protocol/Messages.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>

#include <cmath>
#include <cstring>

namespace mixroom::protocol {

namespace {
using F = FieldType;
constexpr auto C2S = Direction::ClientToServer;
constexpr auto S2C = Direction::ServerToClient;

QVector<MessageSpec> build()
{
    // Append only.
    return {
        {Kind::Hello,
         "hello",
         C2S,
         "First message on a new socket, within 5 s of the upgrade.",
         {{"major", F::Integer, true, "protocol major version (1)"},
          {"features", F::Array, false,
           "optional feature names the client understands; \"quiet\": a one-off command, left out of presence"},
          {"token", F::String, true, "admin or member token"},
          {"clientId", F::String, true, "stable id of this client installation (1-64 chars)"},
          {"lastSeq", F::Integer, false, "last session sequence number this client saw; the server replays what came after"}}},
        {Kind::Welcome,
         "welcome",
         S2C,
         "Answer to hello. For members: the session state and the replay; for the admin: only `admin: true`.",
         {{"major", F::Integer, true, "protocol major version"},
          {"features", F::Array, true, "server features"},
          {"admin", F::Bool, true, "true for the admin token"},
          {"session", F::Object, false, "{id, name}"},
          {"member", F::Object, false, "{id, name, role}"},
          {"permissions", F::Object, false, "the role's row of the permission table: action -> bool"},
          {"seq", F::Integer, false, "current session sequence number"},
          {"state", F::Object, false, "the whole session document (format mixroom-session), present unless `replay` is"},
          {"replay", F::Array, false, "edits after the client's lastSeq (each an `edit` body) when it was recent enough"},
          {"presence", F::Array, false, "connected members (later `presence` messages are deltas against this)"},
          {"lengthMs", F::Number, false, "the song's length (the longest stem) in ms"}}},
        {Kind::Error,
         "error",
         S2C,
         "A refused request. `code` is stable; `message` is a sentence for people.",
         {{"code", F::String, true, "stable machine code"},
          {"message", F::String, true, "what was wrong"},
          {"clientSeq", F::Integer, false, "the refused request's clientSeq"},
          {"path", F::String, false, "the parameter concerned"},
          {"value", F::Any, false, "the authoritative current value, to roll back to"}}},
        {Kind::Set,
         "set",
         C2S,
         "Set one parameter by path (see docs/PARAMETERS.md).",
         {{"clientSeq", F::Integer, true,
           "per-client increasing number; a resend with the same number is answered with the original result"},
          {"path", F::String, true, "parameter path, tracks by id"},
          {"value", F::Any, true, "number, bool or string as the parameter's type says"}}},
        {Kind::Ack,
         "ack",
         S2C,
         "The request with `clientSeq` was applied and is durable.",
         {{"clientSeq", F::Integer, true, "the request acknowledged"}, {"seq", F::Integer, true, "its session sequence number"}}},
        {Kind::Edit,
         "edit",
         S2C,
         "An applied change, broadcast to every member (the sender too) in sequence order.",
         {{"seq", F::Integer, true, "session sequence number"},
          {"op", F::String, true, "the request type that made it (set, add_track, ...)"},
          {"args", F::Object, true, "the request's fields as applied"},
          {"member", F::String, true, "member id of the author"},
          {"time", F::Number, true, "server time, ms since the epoch"}}},
        {Kind::Touch,
         "touch",
         C2S,
         "The client is touching (or stopped touching) a control; relayed as presence.",
         {{"path", F::String, false, "parameter path being touched; absent or empty when released"}}},
        {Kind::Presence,
         "presence",
         S2C,
         "Who is connected, with which role, touching what: a delta against the previous presence (the whole list is in "
         "`welcome.presence`), at most five a second per session.",
         {{"members", F::Array, true, "members that joined or changed: [{id, name, role, connections, touching}]"},
          {"left", F::Array, false, "ids of members no longer connected"}}},
        {Kind::Ping, "ping", C2S, "Liveness check.", {{"id", F::Any, false, "echoed back"}}},
        {Kind::Pong, "pong", S2C, "Answer to ping.", {{"id", F::Any, false, "the ping's id"}}},
        {Kind::CreateSession,
         "create_session",
         C2S,
         "Admin only: create a session; the answer carries the owner's token (shown once).",
         {{"clientSeq", F::Integer, true, "request number"},
          {"name", F::String, true, "session name (1-64 chars)"},
          {"sampleRate", F::Integer, false, "44100, 48000 (default), 88200 or 96000"}}},
        {Kind::SessionCreated,
         "session_created",
         S2C,
         "Answer to create_session.",
         {{"clientSeq", F::Integer, true, ""},
          {"session", F::Object, true, "{id, name}"},
          {"owner", F::Object, true, "{id, name, role: \"mix\"}"},
          {"token", F::String, true, "the owner's token; only its hash is stored"}}},
        {Kind::ListSessions, "list_sessions", C2S, "Admin only: list sessions.", {{"clientSeq", F::Integer, true, ""}}},
        {Kind::SessionList,
         "session_list",
         S2C,
         "Answer to list_sessions.",
         {{"clientSeq", F::Integer, true, ""}, {"sessions", F::Array, true, "[{id, name, seq, members}]"}}},
        {Kind::DeleteSession,
         "delete_session",
         C2S,
         "Admin only: delete a session and everything in it.",
         {{"clientSeq", F::Integer, true, ""}, {"session", F::String, true, "session id"}}},
        {Kind::SessionDeleted,
         "session_deleted",
         S2C,
         "Answer to delete_session; members of the session are disconnected.",
         {{"clientSeq", F::Integer, true, ""}, {"session", F::String, true, ""}}},
        {Kind::Invite,
         "invite",
         C2S,
         "Owner only: create a member with a role and return its token (shown once).",
         {{"clientSeq", F::Integer, true, ""},
          {"role", F::String, true, "mix, artist, mastering or client"},
          {"name", F::String, false, "member's display name"},
          {"expiresIn", F::Integer, false, "seconds until the token stops working (60 s to 1 year); absent: never"}}},
        {Kind::Invited,
         "invited",
         S2C,
         "Answer to invite.",
         {{"clientSeq", F::Integer, true, ""},
          {"member", F::Object, true, "{id, name, role, expires}"},
          {"token", F::String, true, "the new member's token"}}},
        {Kind::ListMembers, "list_members", C2S, "List the session's members.", {{"clientSeq", F::Integer, true, ""}}},
        {Kind::MemberList,
         "member_list",
         S2C,
         "Answer to list_members.",
         {{"clientSeq", F::Integer, true, ""},
          {"members", F::Array, true, "[{id, name, role, connected, revoked, expires (ms since the epoch, when the token expires)}]"}}},
        {Kind::Revoke,
         "revoke",
         C2S,
         "Owner only: revoke a member; its token stops working and its sockets close.",
         {{"clientSeq", F::Integer, true, ""}, {"member", F::String, true, "member id"}}},
        {Kind::Revoked, "revoked", S2C, "Answer to revoke.", {{"clientSeq", F::Integer, true, ""}, {"member", F::String, true, ""}}},
        {Kind::AddTrack,
         "add_track",
         C2S,
         "Owner only: add a track playing a stem already in the store.",
         {{"clientSeq", F::Integer, true, ""},
          {"id", F::String, true, "new track id"},
          {"name", F::String, false, "display name"},
          {"stem", F::String, true, "content hash of an uploaded stem"},
          {"output", F::String, false, "\"master\" or a group id"}}},
        {Kind::RemoveTrack,
         "remove_track",
         C2S,
         "Owner only: remove a track.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, ""}}},
        {Kind::RenameTrack,
         "rename_track",
         C2S,
         "Owner only: rename a track (display name).",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, ""}, {"name", F::String, true, ""}}},
        {Kind::MoveTrack,
         "move_track",
         C2S,
         "Owner only: move a track to a position (0-based).",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, ""}, {"index", F::Integer, true, ""}}},
        {Kind::AddGroup,
         "add_group",
         C2S,
         "Owner only: add a group bus.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, ""}, {"name", F::String, false, ""}}},
        {Kind::AddReturn,
         "add_return",
         C2S,
         "Owner only: add an aux return with an effect.",
         {{"clientSeq", F::Integer, true, ""},
          {"id", F::String, true, ""},
          {"name", F::String, false, ""},
          {"effect", F::String, true, "reverb or delay"}}},
        {Kind::AddBand,
         "add_band",
         C2S,
         "Add an EQ band to a strip (tracks/<id>, groups/<id>, returns/<id> or master).",
         {{"clientSeq", F::Integer, true, ""},
          {"strip", F::String, true, "strip path"},
          {"bandType", F::String, false, "band type (default peak); not `type`, which names the message"}}},
        {Kind::RemoveBand,
         "remove_band",
         C2S,
         "Remove EQ band n (1-based) from a strip.",
         {{"clientSeq", F::Integer, true, ""}, {"strip", F::String, true, ""}, {"band", F::Integer, true, ""}}},
        {Kind::AddSend,
         "add_send",
         C2S,
         "Add a send from a track or group to an aux return.",
         {{"clientSeq", F::Integer, true, ""}, {"strip", F::String, true, ""}, {"to", F::String, true, "aux return id"}}},
        {Kind::RemoveSend,
         "remove_send",
         C2S,
         "Remove a send.",
         {{"clientSeq", F::Integer, true, ""}, {"strip", F::String, true, ""}, {"to", F::String, true, ""}}},
        {Kind::RemoveGroup,
         "remove_group",
         C2S,
         "Owner only: remove a group bus; the tracks routed to it go to the master.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, "group id"}}},
        {Kind::RemoveReturn,
         "remove_return",
         C2S,
         "Owner only: remove an aux return and every send to it.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, "return id"}}},
        {Kind::MoveBand,
         "move_band",
         C2S,
         "Move EQ band `band` of a strip to position `to` (both 1-based); the others keep their order.",
         {{"clientSeq", F::Integer, true, ""},
          {"strip", F::String, true, "strip path"},
          {"band", F::Integer, true, ""},
          {"to", F::Integer, true, ""}}},
        {Kind::SetLane,
         "set_lane",
         C2S,
         "Write, change or clear the automation lane of a parameter: `points` replaces its points, `mode` its mode; a lane "
         "left with no points is removed. Allowed to whoever may set the parameter.",
         {{"clientSeq", F::Integer, true, ""},
          {"path", F::String, true, "an automatable parameter path (docs/PARAMETERS.md)"},
          {"mode", F::String, false, "off, read, write, touch or latch (a new lane: read)"},
          {"points", F::Array, false,
           "[[time in samples at the session rate, value, curve?], ...], times increasing; curve step, linear (default) or curved"}}},
        {Kind::Snapshot,
         "snapshot",
         S2C,
         "The whole state, sent instead of a replay when a reconnecting client is too far behind.",
         {{"seq", F::Integer, true, ""}, {"state", F::Object, true, "session document"}}},
        {Kind::AddNote,
         "add_note",
         C2S,
         "Pin a note to a moment (or a range) of the live mix or of a saved version; or reply to a note.",
         {{"clientSeq", F::Integer, true, ""},
          {"at", F::Number, false, "position in ms from the start (required unless replying)"},
          {"to", F::Number, false, "end of a range in ms (> at)"},
          {"version", F::String, false, "version name; absent: the live mix"},
          {"parent", F::String, false, "note id to reply to (the reply takes the parent's position)"},
          {"text", F::String, true, "plain text, 1-4000 characters"}}},
        {Kind::EditNote,
         "edit_note",
         C2S,
         "Change the text of your own note.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, "note id"}, {"text", F::String, true, "new text"}}},
        {Kind::DeleteNote,
         "delete_note",
         C2S,
         "Delete your own note (the owner may delete any); replies go with it.",
         {{"clientSeq", F::Integer, true, ""}, {"id", F::String, true, "note id"}}},
        {Kind::ResolveNote,
         "resolve_note",
         C2S,
         "Resolve or reopen a note: its author or the owner.",
         {{"clientSeq", F::Integer, true, ""},
          {"id", F::String, true, "note id"},
          {"resolved", F::Bool, true, "true resolves, false reopens"}}},
        {Kind::ListNotes,
         "list_notes",
         C2S,
         "List notes (top-level notes with their replies), filtered.",
         {{"clientSeq", F::Integer, true, ""},
          {"open", F::Bool, false, "true: only unresolved; false: only resolved"},
          {"author", F::String, false, "member id"},
          {"version", F::String, false, "version name; \"live\" for the live mix"}}},
        {Kind::NoteList,
         "note_list",
         S2C,
         "Answer to list_notes.",
         {{"clientSeq", F::Integer, true, ""}, {"notes", F::Array, true, "notes, oldest first, each with its replies"}}},
        {Kind::Note,
         "note",
         S2C,
         "A note was added, edited, resolved, reopened or deleted; broadcast to every member. The author's copy carries its clientSeq.",
         {{"event", F::String, true, "added, edited, resolved, reopened or deleted"},
          {"note", F::Object, true, "{id, parent, at, to, version, author, authorName, role, text, resolved, created, edited}"},
          {"clientSeq", F::Integer, false, "present in the author's copy"}}},
        {Kind::SaveVersion,
         "save_version",
         C2S,
         "Save the live mix as an immutable named version.",
         {{"clientSeq", F::Integer, true, ""},
          {"name", F::String, true, "1-64 characters, unique in the session"},
          {"message", F::String, false, "description, up to 4000 characters"}}},
        {Kind::ListVersions, "list_versions", C2S, "List versions with their approval status.", {{"clientSeq", F::Integer, true, ""}}},
        {Kind::VersionList,
         "version_list",
         S2C,
         "Answer to list_versions.",
         {{"clientSeq", F::Integer, true, ""},
          {"versions", F::Array, true, "versions, oldest first"},
          {"policy", F::Object, true, "approval policy {roles}"}}},
        {Kind::DiffVersions,
         "diff_versions",
         C2S,
         "Every changed parameter between two versions, or a version and the live mix.",
         {{"clientSeq", F::Integer, true, ""},
          {"from", F::String, true, "version name"},
          {"to", F::String, false, "version name; absent: the live mix"}}},
        {Kind::VersionDiff,
         "version_diff",
         S2C,
         "Answer to diff_versions.",
         {{"clientSeq", F::Integer, true, ""},
          {"from", F::String, true, ""},
          {"to", F::String, true, "version name or \"live\""},
          {"changes", F::Array, true, "[{path, before, after}] (a missing side is null)"},
          {"added", F::Array, true, "strips only in `to`"},
          {"removed", F::Array, true, "strips only in `from`"},
          {"lanes", F::Array, true,
           "automation, point by point: [{path, lane: changed|added|removed, mode?: {before, after}, added: [point], removed: "
           "[point], moved: [{from: point, to: point}]}], a point being [time in samples, value, curve?]"}}},
        {Kind::RestoreVersion,
         "restore_version",
         C2S,
         "Make a version the live mix: applied as an ordinary edit (op \"restore\"), acked and broadcast.",
         {{"clientSeq", F::Integer, true, ""}, {"version", F::String, true, "version name"}}},
        {Kind::Version,
         "version",
         S2C,
         "A version was saved or its status changed (approvals, render); broadcast.",
         {{"event", F::String, true, "saved, status or rendered"},
          {"version", F::Object, true, "as in version_list"},
          {"clientSeq", F::Integer, false, "present in the saver's copy"}}},
        {Kind::Approve,
         "approve",
         C2S,
         "Approve a version (or take your approval back). Approving starts its full-resolution render.",
         {{"clientSeq", F::Integer, true, ""},
          {"version", F::String, true, "version name"},
          {"approved", F::Bool, true, "false takes the approval back"}}},
        {Kind::Approval,
         "approval",
         S2C,
         "An approval was given or taken back; broadcast. The approver's copy carries its clientSeq.",
         {{"version", F::String, true, ""},
          {"member", F::Object, true, "{id, name, role}"},
          {"approved", F::Bool, true, ""},
          {"status", F::String, true, "pending, approved or superseded"},
          {"waiting", F::Array, true, "names of members still to approve"},
          {"clientSeq", F::Integer, false, ""}}},
        {Kind::SetPolicy,
         "set_policy",
         C2S,
         "Owner: the roles whose every member must approve (default artist and client).",
         {{"clientSeq", F::Integer, true, ""}, {"roles", F::Array, true, "role names"}}},
        {Kind::Render,
         "render",
         S2C,
         "Progress of a version's full-resolution render; `hashes` when done.",
         {{"version", F::String, true, ""},
          {"progress", F::Number, true, "0-1"},
          {"done", F::Bool, true, ""},
          {"hashes", F::Object, false, "SHA-256 per format: wav24, wav32f, flac24"},
          {"error", F::String, false, "why it failed"}}},
        {Kind::Listen,
         "listen",
         C2S,
         "Start receiving the mix as Opus in binary frames: `follow` shares the session's transport (one render for all), `own` gets a "
         "private one.",
         {{"clientSeq", F::Integer, true, ""},
          {"mode", F::String, true, "follow or own"},
          {"bitrate", F::Integer, false, "kbit/s, 64-256 (default 192, VBR); own mode only, follow uses the shared stream's"},
          {"frameMs", F::Integer, false, "10 or 20 (default 20); own mode only"}}},
        {Kind::Listening,
         "listening",
         S2C,
         "Answer to listen: the stream's settings.",
         {{"clientSeq", F::Integer, true, ""},
          {"stream", F::Integer, true, "stream id in the audio frame header"},
          {"mode", F::String, true, ""},
          {"sampleRate", F::Integer, true, "48000"},
          {"channels", F::Integer, true, "2"},
          {"frameMs", F::Integer, true, ""},
          {"bitrate", F::Integer, true, "kbit/s"},
          {"preSkip", F::Integer, false, "the Opus encoder's delay in samples: decoded audio lags the header's position by this much"},
          {"transport", F::Object, true, "as in transport_state"}}},
        {Kind::StopListening, "stop_listening", C2S, "Stop the audio frames.", {{"clientSeq", F::Integer, true, ""}}},
        {Kind::Transport,
         "transport",
         C2S,
         "Drive a transport: the shared one (`follow`, editors only) or your own. Actions: play, pause, seek (at), loop (from, to), "
         "unloop. Seek and loop positions snap to the stream's frame grid (10 or 20 ms), where shared renders' frames start.",
         {{"clientSeq", F::Integer, true, ""},
          {"target", F::String, true, "follow or own"},
          {"action", F::String, true, ""},
          {"at", F::Number, false, "ms, for seek"},
          {"from", F::Number, false, "ms, loop start"},
          {"to", F::Number, false, "ms, loop end"}}},
        {Kind::TransportState,
         "transport_state",
         S2C,
         "A transport changed; to its listeners (the requester's copy carries clientSeq).",
         {{"stream", F::Integer, true, ""},
          {"playing", F::Bool, true, ""},
          {"position", F::Number, true, "ms"},
          {"loop", F::Any, false, "{from, to} in ms, or absent"},
          {"source", F::String, true, "live or a version name"},
          {"lengthMs", F::Number, true, "song length"},
          {"clientSeq", F::Integer, false, ""}}},
        {Kind::AbSwitch,
         "ab",
         C2S,
         "Switch your own stream between the live mix and a saved version at the same position.",
         {{"clientSeq", F::Integer, true, ""},
          {"source", F::String, true, "live or a version name"},
          {"match", F::Bool, false, "play both at the same integrated loudness"}}},
        {Kind::Meters,
         "meters",
         S2C,
         "About ten times a second to each listener: per-strip peak/RMS and master loudness of what it hears.",
         {{"stream", F::Integer, true, ""},
          {"strips", F::Array, true, "[{id, kind, peakDb, peakLDb, peakRDb (per channel), rmsDb, grDb (compressor gain reduction, dB)}]"},
          {"master", F::Object, true,
           "{momentaryLufs, shortTermLufs, integratedLufs (gated, since the stream started), truePeakDbtp, peakDb, compGrDb and "
           "limiterGrDb (glue compressor and limiter gain reduction, dB)}"},
          {"dropped", F::Integer, false, "audio frames dropped for this listener"}}},
        {Kind::GetPeaks,
         "get_peaks",
         C2S,
         "The waveform overview of a mix for a timeline: peak and RMS per bin of its full render (what the mastering pull would "
         "deliver), computed on demand and cached per mix document.",
         {{"clientSeq", F::Integer, true, ""},
          {"source", F::String, false, "live (default) or a version name"},
          {"bins", F::Integer, false, "number of bins across the song, 16-4000 (default 1000)"}}},
        {Kind::Peaks,
         "peaks",
         S2C,
         "Answer to get_peaks.",
         {{"clientSeq", F::Integer, true, ""},
          {"source", F::String, true, "live or the version name"},
          {"bins", F::Integer, true, "number of bins"},
          {"lengthMs", F::Number, true, "the render's length; bin i covers [i, i+1) * lengthMs / bins"},
          {"peak", F::Array, true, "per bin: the largest |sample| of either channel (linear, 1.0 = 0 dBFS)"},
          {"rms", F::Array, true, "per bin: RMS of both channels (linear)"}}},
        {Kind::AutoBegin,
         "auto_begin",
         C2S,
         "Starts an automation pass on a parameter while the client's stream plays (listen first): the server records "
         "the values that follow against the transport position and the stream plays them instead of the lane. A pass "
         "another member is recording on the same parameter ends where this one begins (the later pass wins). Allowed "
         "to whoever may set the parameter. Answered with `pass` (state recording); when the pass is stored, this "
         "clientSeq is acknowledged like an edit, and the resulting `set_lane` is broadcast as an edit.",
         {{"clientSeq", F::Integer, true, ""},
          {"path", F::String, true, "an automatable parameter path"},
          {"mode", F::String, true,
           "touch (ends at auto_end, then glides back to the lane over 250 ms), latch or write (after auto_end the last "
           "value is held until the transport stops)"},
          {"value", F::Any, false, "the value at the start (default: the value playing now)"},
          {"at", F::Number, false,
           "the transport position the client hears, in ms (default: the position the server is rendering); within 5 s "
           "of it"}}},
        {Kind::AutoValue,
         "auto_value",
         C2S,
         "A value of a pass in progress (not answered unless refused; at most 200 a second).",
         {{"path", F::String, true, ""},
          {"value", F::Any, true, "number or bool in the parameter's range"},
          {"at", F::Number, false, "as in auto_begin"}}},
        {Kind::AutoEnd,
         "auto_end",
         C2S,
         "The control was released: a touch pass ends and is stored; a latch or write pass holds its last value until "
         "the transport stops (pause, seek, loop, end of the song). A pass also ends when its owner disconnects. "
         "Answered with `pass`.",
         {{"clientSeq", F::Integer, true, ""}, {"path", F::String, true, ""}, {"at", F::Number, false, "as in auto_begin"}}},
        {Kind::Pass,
         "pass",
         S2C,
         "An automation pass, to every member: recording, value (at most 20 a second per pass), holding (latch/write "
         "released), stored (ended; its lane goes to the op log as a set_lane of the member, broadcast as an edit once "
         "committed), taken_over (another member's pass "
         "began on the parameter) or dropped (nothing was recorded). The requester's copy carries clientSeq.",
         {{"path", F::String, true, ""},
          {"state", F::String, true, "recording, value, holding, stored, taken_over or dropped"},
          {"member", F::String, true, "the member recording it"},
          {"name", F::String, true, "that member's name"},
          {"mode", F::String, true, "touch, latch or write"},
          {"value", F::Any, false, "the latest value"},
          {"at", F::Number, false, "transport position of the latest value, ms"},
          {"from", F::Number, false, "stored: the range the pass replaced, ms"},
          {"to", F::Number, false, ""},
          {"clientSeq", F::Integer, false, ""}}},
    };
}
} // namespace

const QVector<MessageSpec>& messageTable()
{
    static const QVector<MessageSpec> table = build();
    return table;
}

const MessageSpec& spec(Kind k)
{
    return messageTable()[static_cast<int>(k)];
}

QByteArray AudioFrameHeader::encode(const QByteArray& opusPacket) const
{
    QByteArray out(kSize, '\0');
    char* p = out.data();
    std::memcpy(p, kMagic, 4);
    for (int i = 0; i < 4; ++i)
        p[4 + i] = static_cast<char>(stream >> (8 * i));
    for (int i = 0; i < 4; ++i)
        p[8 + i] = static_cast<char>(seq >> (8 * i));
    for (int i = 0; i < 8; ++i)
        p[12 + i] = static_cast<char>(position >> (8 * i));
    p[20] = static_cast<char>(flags);
    return out + opusPacket;
}

std::optional<AudioFrameHeader> AudioFrameHeader::decode(const QByteArray& frame, QByteArray* payload)
{
    if (frame.size() < kSize || std::memcmp(frame.constData(), kMagic, 4) != 0) return std::nullopt;
    auto byte = [&](int i) { return static_cast<quint64>(static_cast<unsigned char>(frame[i])); };
    AudioFrameHeader h;
    for (int i = 0; i < 4; ++i)
        h.stream |= static_cast<quint32>(byte(4 + i) << (8 * i));
    for (int i = 0; i < 4; ++i)
        h.seq |= static_cast<quint32>(byte(8 + i) << (8 * i));
    for (int i = 0; i < 8; ++i)
        h.position |= byte(12 + i) << (8 * i);
    h.flags = static_cast<quint8>(frame[20]);
    if (payload) *payload = frame.mid(kSize);
    return h;
}

std::optional<Kind> kindFromName(const QString& name)
{
    for (const auto& m : messageTable())
        if (name == QLatin1String(m.name)) return m.kind;
    return std::nullopt;
}

const char* fieldTypeName(FieldType t)
{
    switch (t) {
    case FieldType::String: return "string";
    case FieldType::Number: return "number";
    case FieldType::Integer: return "integer";
    case FieldType::Bool: return "bool";
    case FieldType::Object: return "object";
    case FieldType::Array: return "array";
    case FieldType::Any: return "any";
    }
    return "?";
}

namespace {
bool hasType(const QJsonValue& v, FieldType t)
{
    switch (t) {
    case FieldType::String: return v.isString();
    case FieldType::Number: return v.isDouble() && std::isfinite(v.toDouble());
    case FieldType::Integer: {
        const double d = v.toDouble();
        return v.isDouble() && std::isfinite(d) && d == std::floor(d) && std::abs(d) <= 9007199254740992.0;
    }
    case FieldType::Bool: return v.isBool();
    case FieldType::Object: return v.isObject();
    case FieldType::Array: return v.isArray();
    case FieldType::Any: return !v.isUndefined() && !v.isNull() && !(v.isDouble() && !std::isfinite(v.toDouble()));
    }
    return false;
}
} // namespace

// Text that is not Unicode: a UTF-16 surrogate without its pair (JSON "\\ud800" decodes to one).
static bool hasLoneSurrogate(const QJsonValue& v, int depth = 0)
{
    if (depth > 64) return true; // nothing the protocol sends nests this deep
    if (v.isString()) {
        const QString s = v.toString();
        for (qsizetype i = 0; i < s.size(); ++i) {
            if (s[i].isHighSurrogate() && i + 1 < s.size() && s[i + 1].isLowSurrogate()) {
                ++i;
                continue;
            }
            if (s[i].isSurrogate()) return true;
        }
        return false;
    }
    if (v.isArray()) {
        for (const QJsonValue& x : v.toArray())
            if (hasLoneSurrogate(x, depth + 1)) return true;
        return false;
    }
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            if (hasLoneSurrogate(QJsonValue(it.key()), depth + 1) || hasLoneSurrogate(it.value(), depth + 1)) return true;
    }
    return false;
}

std::variant<Message, DecodeError> decode(const QByteArray& frame, Direction expected)
{
    // The limit guards the server against what clients send; what a server sends (a welcome with
    // a large session, a list of a thousand versions) is bounded by the client's socket instead.
    if (expected == Direction::ClientToServer && frame.size() > kMaxControlMessageBytes)
        return DecodeError{codes::BadMessage,
                           QString("message of %1 bytes is over the limit of %2").arg(frame.size()).arg(kMaxControlMessageBytes)};
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(frame, &pe);
    if (pe.error != QJsonParseError::NoError)
        return DecodeError{codes::BadMessage, QString("malformed JSON at byte %1: %2").arg(pe.offset).arg(pe.errorString())};
    if (!doc.isObject()) return DecodeError{codes::BadMessage, "a message must be a JSON object"};
    const QJsonObject o = doc.object();
    if (!o.value("type").isString()) return DecodeError{codes::BadMessage, "the message has no \"type\" string"};
    const QString type = o.value("type").toString();
    const auto kind = kindFromName(type);
    if (!kind || spec(*kind).direction != expected)
        return DecodeError{codes::UnknownMessage, QString("unknown message type \"%1\"").arg(type.left(64))};
    const QVector<Field>& fields = spec(*kind).fields;
    // Only declared fields reach the op log and other members: a client's unknown field is refused.
    // (A client reading the server's messages ignores fields it does not know, so servers can grow.)
    if (expected == Direction::ClientToServer)
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            if (it.key() != QLatin1String("type") &&
                std::none_of(fields.begin(), fields.end(), [&](const Field& f) { return it.key() == QLatin1String(f.name); }))
                return DecodeError{codes::BadMessage, QString("%1: unknown field \"%2\"").arg(type, it.key().left(64))};
    if (expected == Direction::ClientToServer && hasLoneSurrogate(o))
        return DecodeError{codes::BadMessage, QString("%1: a text field is not valid Unicode (a lone UTF-16 surrogate)").arg(type)};
    for (const Field& f : fields) {
        const QJsonValue v = o.value(QLatin1String(f.name));
        if (v.isUndefined()) {
            if (f.required) return DecodeError{codes::BadMessage, QString("%1: the field \"%2\" is required").arg(type, f.name)};
            continue;
        }
        if (!hasType(v, f.type))
            return DecodeError{codes::WrongType, QString("%1: the field \"%2\" must be %3").arg(type, f.name, fieldTypeName(f.type))};
    }
    return Message{*kind, o};
}

QByteArray encode(Kind kind, QJsonObject fields)
{
    fields.insert("type", QLatin1String(spec(kind).name));
    return QJsonDocument(fields).toJson(QJsonDocument::Compact);
}

QByteArray errorMessage(const QString& code, const QString& message, const QJsonObject& extra)
{
    QJsonObject o = extra;
    o.insert("code", code);
    o.insert("message", message);
    return encode(Kind::Error, o);
}

QString messageReferenceMarkdown()
{
    QString out;
    for (const auto& m : messageTable()) {
        out += QString("### `%1` (%2)\n\n%3\n\n")
                   .arg(m.name, m.direction == Direction::ClientToServer ? "client → server" : "server → client", m.doc);
        if (!m.fields.isEmpty()) {
            out += "| field | type | required | meaning |\n|---|---|---|---|\n";
            for (const auto& f : m.fields)
                out += QString("| `%1` | %2 | %3 | %4 |\n").arg(f.name, fieldTypeName(f.type), f.required ? "yes" : "no", f.doc);
            out += "\n";
        }
    }
    return out;
}

} // namespace mixroom::protocol
