// SPDX-License-Identifier: MIT
#pragma once
// Every control message, defined once. The table in Messages.cpp gives each kind its wire name,
// who sends it, its fields (name, JSON type, required) and its documentation; decoding validates
// against it, PROTOCOL.md's message reference is generated from it (a test keeps them equal).
// Append only: never insert in between or remove an entry (ids are stable).
// Thread: any (the table is immutable).
#include <QJsonObject>
#include <QString>
#include <QVector>

#include <optional>
#include <variant>

namespace mixroom::protocol {

inline constexpr int kProtocolMajor = 1;
inline constexpr int kMaxControlMessageBytes = 64 * 1024;

enum class Kind {
    Hello,
    Welcome,
    Error,
    Set,
    Ack,
    Edit,
    Touch,
    Presence,
    Ping,
    Pong,
    CreateSession,
    SessionCreated,
    ListSessions,
    SessionList,
    DeleteSession,
    SessionDeleted,
    Invite,
    Invited,
    ListMembers,
    MemberList,
    Revoke,
    Revoked,
    AddTrack,
    RemoveTrack,
    RenameTrack,
    MoveTrack,
    AddGroup,
    AddReturn,
    AddBand,
    RemoveBand,
    AddSend,
    RemoveSend,
    RemoveGroup,
    RemoveReturn,
    MoveBand,
    SetLane,
    Snapshot,
    AddNote,
    EditNote,
    DeleteNote,
    ResolveNote,
    ListNotes,
    NoteList,
    Note,
    SaveVersion,
    ListVersions,
    VersionList,
    DiffVersions,
    VersionDiff,
    RestoreVersion,
    Version,
    Approve,
    Approval,
    SetPolicy,
    Render,
    Listen,
    Listening,
    StopListening,
    Transport,
    TransportState,
    AbSwitch,
    Meters,
    GetPeaks,
    Peaks,
    AutoBegin,
    AutoValue,
    AutoEnd,
    Pass,
};

// The header of every binary (audio) frame, little-endian, followed by one Opus packet:
// "MXA1", stream id u32, seq u32, position u64 (48 kHz samples), flags u8, 3 reserved bytes.
struct AudioFrameHeader {
    static constexpr char kMagic[4] = {'M', 'X', 'A', '1'};
    static constexpr int kSize = 24;
    enum Flags : quint8 { Discontinuity = 1, Silence = 2 };
    quint32 stream = 0;
    quint32 seq = 0;      // per stream, +1 per frame
    quint64 position = 0; // transport position of the frame's first sample, in 48 kHz samples
    quint8 flags = 0;
    QByteArray encode(const QByteArray& opusPacket) const;
    // Parses a binary frame; nullopt if it is not one. `payload` gets the Opus packet.
    static std::optional<AudioFrameHeader> decode(const QByteArray& frame, QByteArray* payload);
};

enum class Direction { ClientToServer, ServerToClient };
enum class FieldType { String, Number, Integer, Bool, Object, Array, Any };

struct Field {
    const char* name;
    FieldType type;
    bool required;
    const char* doc;
};

struct MessageSpec {
    Kind kind;
    const char* name;
    Direction direction;
    const char* doc;
    QVector<Field> fields;
};

const QVector<MessageSpec>& messageTable();
const MessageSpec& spec(Kind k);
std::optional<Kind> kindFromName(const QString& name);
const char* fieldTypeName(FieldType t);

// Stable error codes carried by Error messages.
namespace codes {
inline constexpr const char* BadMessage = "bad_message";
inline constexpr const char* UnknownMessage = "unknown_message";
inline constexpr const char* Forbidden = "forbidden";
inline constexpr const char* OutOfRange = "out_of_range";
inline constexpr const char* WrongType = "wrong_type";
inline constexpr const char* UnknownPath = "unknown_path";
inline constexpr const char* RateLimited = "rate_limited";
inline constexpr const char* VersionUnsupported = "version_unsupported";
inline constexpr const char* BadToken = "bad_token";
inline constexpr const char* TokenRevoked = "token_revoked";
inline constexpr const char* TokenExpired = "token_expired";
inline constexpr const char* NotFound = "not_found";
inline constexpr const char* Conflict = "conflict";
inline constexpr const char* Internal = "internal";
inline constexpr const char* AtCapacity = "at_capacity";
} // namespace codes

struct DecodeError {
    QString code;
    QString message;
};

struct Message {
    Kind kind;
    QJsonObject body; // the whole message, "type" included
};

// Parses and validates one text frame against the table (known type, required fields present
// with the right JSON types, non-finite numbers refused). A client's message with a field the table
// does not declare is refused; a server's extra fields are ignored (clients tolerate newer servers).
std::variant<Message, DecodeError> decode(const QByteArray& frame, Direction expected);
// Builds a message of `kind` from `fields` (adds "type").
QByteArray encode(Kind kind, QJsonObject fields);
QByteArray errorMessage(const QString& code, const QString& message, const QJsonObject& extra = {});

// The message reference section of PROTOCOL.md, generated from the table.
QString messageReferenceMarkdown();

} // namespace mixroom::protocol
