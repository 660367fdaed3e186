// SPDX-License-Identifier: MIT
#include "server/ReviewService.h"

#include "engine/model/SessionDiff.h"
#include "protocol/SessionCodec.h"
#include "protocol/SessionOps.h"
#include "server/Permissions.h"
#include "server/Tokens.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace mixroom::server {

using namespace protocol;

namespace {
constexpr int kMaxText = 4000;

// Plain text: 1-4000 characters (code points), no control characters except newline and tab.
QString checkText(const QString& text, const char* what)
{
    const auto points = text.toUcs4();
    if (text.trimmed().isEmpty()) return QString("%1 must not be empty").arg(what);
    if (points.size() > kMaxText) return QString("%1 is %2 characters; at most %3 are allowed").arg(what).arg(points.size()).arg(kMaxText);
    for (char32_t ch : points)
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) return QString("%1 contains a control character").arg(what);
    return {};
}

QString formatMs(double ms)
{
    if (!(ms >= 0 && ms < 1e12)) return QString("%1 ms").arg(ms); // not a position within any song: said as a number
    const qint64 t = static_cast<qint64>(ms);
    return QString("%1:%2.%3").arg(t / 60000).arg((t / 1000) % 60, 2, 10, QChar('0')).arg((t % 1000) / 100);
}

QJsonValue paramJson(const std::optional<engine::ParamValue>& v)
{
    if (!v) return QJsonValue(QJsonValue::Null);
    if (std::holds_alternative<double>(*v)) return std::get<double>(*v);
    if (std::holds_alternative<bool>(*v)) return std::get<bool>(*v);
    return QString::fromStdString(std::get<std::string>(*v));
}
} // namespace

bool ReviewService::handles(Kind k)
{
    switch (k) {
    case Kind::AddNote:
    case Kind::EditNote:
    case Kind::DeleteNote:
    case Kind::ResolveNote:
    case Kind::ListNotes:
    case Kind::SaveVersion:
    case Kind::ListVersions:
    case Kind::DiffVersions:
    case Kind::Approve:
    case Kind::SetPolicy: return true;
    default: return false;
    }
}

ReviewService::ReviewService(QString session, Store& store, ReviewStore& review, RenderCache& renders, Metrics& metrics, Host host,
                             QObject* parent)
    : QObject(parent), m_session(std::move(session)), m_store(store), m_review(review), m_renders(renders), m_metrics(metrics),
      m_host(std::move(host))
{
    const auto all = versions();
    if (!all.isEmpty()) m_lastVersion = all.last().name;
    connect(&m_renders, &RenderCache::finished, this, &ReviewService::onRendered);
    connect(&m_renders, &RenderCache::progress, this, [this](const QString& key, double f) {
        for (const QString& v : m_renderWaiters.value(key))
            m_host.broadcast(encode(Kind::Render, {{"version", v}, {"progress", f}, {"done", false}}));
    });
}

void ReviewService::refuse(ClientSocket* c, qint64 clientSeq, const QString& code, const QString& message)
{
    m_metrics.error(code);
    c->sendError(code, message, {{"clientSeq", clientSeq}});
}

void ReviewService::sendEvent(ClientSocket* c, qint64 clientSeq, Kind kind, QJsonObject body)
{
    // Everyone sees the event; the requester's copy carries its clientSeq.
    m_host.broadcastExcept(c, encode(kind, body));
    body.insert("clientSeq", clientSeq);
    c->send(encode(kind, body));
}

void ReviewService::handle(ClientSocket* c, const Message& msg)
{
    const qint64 clientSeq = static_cast<qint64>(msg.body.value("clientSeq").toDouble());
    switch (msg.kind) {
    case Kind::AddNote:
    case Kind::EditNote:
    case Kind::DeleteNote:
    case Kind::ResolveNote:
    case Kind::ListNotes: notes(c, msg, clientSeq); return;
    case Kind::SaveVersion:
    case Kind::ListVersions:
    case Kind::DiffVersions: versions(c, msg, clientSeq); return;
    default: approvals(c, msg, clientSeq); return;
    }
}

void ReviewService::notes(ClientSocket* c, const Message& msg, qint64 clientSeq)
{
    const QJsonObject& b = msg.body;
    const double now = static_cast<double>(QDateTime::currentMSecsSinceEpoch());
    if (msg.kind == Kind::ListNotes) {
        const QString version = b.value("version").toString();
        QJsonArray out;
        const auto all = m_review.notes(m_session);
        for (const NoteRow& n : all) {
            if (!n.parent.isEmpty()) continue;
            if (b.contains("open") && n.resolved == b.value("open").toBool()) continue;
            if (b.contains("author") && n.author != b.value("author").toString()) continue;
            if (b.contains("version") && n.version != (version == "live" ? QString() : version)) continue;
            QJsonObject o = n.toJson();
            QJsonArray replies;
            for (const NoteRow& r : all)
                if (r.parent == n.id) replies.append(r.toJson());
            o.insert("replies", replies);
            out.append(o);
        }
        c->send(encode(Kind::NoteList, {{"clientSeq", clientSeq}, {"notes", out}}));
        return;
    }
    if (msg.kind == Kind::AddNote) {
        NoteRow n;
        n.id = newId("n_");
        n.session = m_session;
        n.author = c->memberId;
        n.authorName = c->memberName;
        n.role = roleName(c->role);
        n.created = now;
        n.text = b.value("text").toString();
        if (const QString bad = checkText(n.text, "the note"); !bad.isEmpty()) return refuse(c, clientSeq, codes::OutOfRange, bad);
        if (b.contains("parent")) {
            const auto parent = m_review.note(b.value("parent").toString());
            if (!parent || parent->session != m_session)
                return refuse(c, clientSeq, codes::NotFound,
                              QString("no note \"%1\" to reply to").arg(b.value("parent").toString().left(40)));
            if (!parent->parent.isEmpty())
                return refuse(c, clientSeq, codes::OutOfRange, "reply to the thread's first note, not to a reply");
            n.parent = parent->id;
            n.version = parent->version;
            n.at = parent->at;
            n.to = parent->to;
        } else {
            if (!b.contains("at")) return refuse(c, clientSeq, codes::BadMessage, "add_note: \"at\" (ms) is required for a new note");
            n.version = b.value("version").toString();
            engine::Session target = m_host.state();
            if (!n.version.isEmpty()) {
                auto v = versionState(n.version);
                if (!v) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(n.version.left(64)));
                target = *v;
            }
            const double length = m_host.lengthMs(target);
            n.at = b.value("at").toDouble();
            n.to = b.contains("to") ? b.value("to").toDouble() : -1;
            if (n.at < 0) return refuse(c, clientSeq, codes::OutOfRange, QString("the position %1 ms is before the start").arg(n.at));
            if (n.at > length)
                return refuse(c, clientSeq, codes::OutOfRange,
                              QString("the position %1 is past the end of the song (%2)").arg(formatMs(n.at), formatMs(length)));
            if (b.contains("to") && (n.to <= n.at || n.to > length))
                return refuse(c, clientSeq, codes::OutOfRange,
                              QString("the range must end after its start and by the end of the song (%1)").arg(formatMs(length)));
        }
        if (!m_review.addNote(n)) return refuse(c, clientSeq, codes::Internal, "the note could not be stored: " + m_review.lastError());
        sendEvent(c, clientSeq, Kind::Note, {{"event", "added"}, {"note", n.toJson()}});
        return;
    }
    auto n = m_review.note(b.value("id").toString());
    if (!n || n->session != m_session)
        return refuse(c, clientSeq, codes::NotFound, QString("no note \"%1\"").arg(b.value("id").toString().left(40)));
    const bool own = n->author == c->memberId;
    const bool owner = c->role == Role::Mix;
    if (msg.kind == Kind::EditNote) {
        if (!own) return refuse(c, clientSeq, codes::Forbidden, "only its author may edit a note");
        const QString text = b.value("text").toString();
        if (const QString bad = checkText(text, "the note"); !bad.isEmpty()) return refuse(c, clientSeq, codes::OutOfRange, bad);
        n->text = text;
        n->edited = now;
    } else if (msg.kind == Kind::ResolveNote) {
        if (!own && !owner)
            return refuse(c, clientSeq, codes::Forbidden, "only the note's author or the session owner may resolve or reopen it");
        n->resolved = b.value("resolved").toBool();
    } else { // delete
        if (!own && !owner) return refuse(c, clientSeq, codes::Forbidden, "only its author (or the session owner) may delete a note");
        if (!m_review.deleteNote(n->id)) return refuse(c, clientSeq, codes::Internal, "the note could not be deleted");
        sendEvent(c, clientSeq, Kind::Note, {{"event", "deleted"}, {"note", n->toJson()}});
        return;
    }
    if (!m_review.updateNote(*n)) return refuse(c, clientSeq, codes::Internal, "the note could not be stored");
    const QString event = msg.kind == Kind::EditNote ? "edited" : (n->resolved ? "resolved" : "reopened");
    sendEvent(c, clientSeq, Kind::Note, {{"event", event}, {"note", n->toJson()}});
}

std::optional<engine::Session> ReviewService::versionState(const QString& name)
{
    const auto v = m_review.version(m_session, name);
    if (!v) return std::nullopt;
    auto decoded = decodeSession(v->state);
    if (!decoded) return std::nullopt;
    return decoded.value();
}

ReviewService::Statuses ReviewService::statuses()
{
    Statuses out;
    const QList<VersionRow>& versions = this->versions();
    out.members = m_store.members(m_session);
    out.approvers = m_review.approvalsByVersion(m_session);
    const QStringList roles = m_review.policyRoles(m_session);
    std::vector<char> approved(static_cast<size_t>(versions.size()), 0);
    for (qsizetype i = 0; i < versions.size(); ++i) {
        const QStringList& ids = out.approvers[versions[i].name];
        bool anyRequired = false;
        QStringList missing;
        for (const MemberRow& m : out.members) {
            if (m.revoked || !roles.contains(m.role)) continue;
            anyRequired = true;
            if (!ids.contains(m.id)) missing.append(m.name);
        }
        // No member holds a required role: one approval from anyone is enough.
        approved[static_cast<size_t>(i)] = anyRequired ? missing.isEmpty() : !ids.isEmpty();
        out.waiting.insert(versions[i].name, missing);
    }
    // A version is superseded once a later version is approved.
    bool laterApproved = false;
    for (qsizetype i = versions.size() - 1; i >= 0; --i) {
        const bool a = approved[static_cast<size_t>(i)];
        out.status.insert(versions[i].name, laterApproved ? "superseded" : a ? "approved" : "pending");
        laterApproved = laterApproved || a;
    }
    return out;
}

QString ReviewService::renderKeyOf(const VersionRow& v)
{
    if (auto it = m_renderKeys.constFind(v.name); it != m_renderKeys.constEnd()) return *it;
    QByteArray doc = v.state;
    if (doc.isEmpty())
        if (auto full = m_review.version(m_session, v.name)) doc = full->state;
    auto state = decodeSession(doc);
    const QString key = state ? RenderCache::keyOf(state.value()) : QString();
    m_renderKeys.insert(v.name, key);
    return key;
}

QJsonObject ReviewService::versionJson(const VersionRow& v, const Statuses& st)
{
    QJsonArray approvers;
    const QStringList ids = st.approvers.value(v.name);
    for (const MemberRow& m : st.members)
        if (ids.contains(m.id)) approvers.append(QJsonObject{{"id", m.id}, {"name", m.name}, {"role", m.role}});
    const QString key = renderKeyOf(v);
    return {{"name", v.name},
            {"message", v.message},
            {"author", v.author},
            {"authorName", v.authorName},
            {"time", v.time},
            {"seq", v.seq},
            {"parent", v.parent.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(v.parent)},
            {"status", st.status.value(v.name, "pending")},
            {"approvals", approvers},
            {"waiting", QJsonArray::fromStringList(st.waiting.value(v.name))},
            {"hashes", v.hashes},
            {"rendering", !key.isEmpty() && m_renders.running(key)}};
}

void ReviewService::versions(ClientSocket* c, const Message& msg, qint64 clientSeq)
{
    const QJsonObject& b = msg.body;
    if (msg.kind == Kind::ListVersions) {
        QJsonArray out;
        const Statuses st = statuses();
        for (const VersionRow& v : versions())
            out.append(versionJson(v, st));
        c->send(
            encode(Kind::VersionList, {{"clientSeq", clientSeq},
                                       {"versions", out},
                                       {"policy", QJsonObject{{"roles", QJsonArray::fromStringList(m_review.policyRoles(m_session))}}}}));
        return;
    }
    if (msg.kind == Kind::DiffVersions) {
        const QString from = b.value("from").toString();
        const QString to = b.value("to").toString();
        auto a = versionState(from);
        if (!a) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(from.left(64)));
        std::optional<engine::Session> z = to.isEmpty() ? std::optional(m_host.state()) : versionState(to);
        if (!z) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(to.left(64)));
        const engine::SessionDiff d = engine::diffSessions(*a, *z);
        QJsonArray changes, added, removed, lanes;
        for (const auto& l : d.lanes)
            lanes.append(laneChangeToJson(l));
        for (const auto& ch : d.changes)
            changes.append(
                QJsonObject{{"path", QString::fromStdString(ch.path)}, {"before", paramJson(ch.before)}, {"after", paramJson(ch.after)}});
        for (const auto& s : d.added)
            added.append(QString::fromStdString(s));
        for (const auto& s : d.removed)
            removed.append(QString::fromStdString(s));
        c->send(encode(Kind::VersionDiff, {{"clientSeq", clientSeq},
                                           {"from", from},
                                           {"to", to.isEmpty() ? QString("live") : to},
                                           {"changes", changes},
                                           {"added", added},
                                           {"removed", removed},
                                           {"lanes", lanes}}));
        return;
    }
    // save_version
    if (!allowed(c->role, Action::SaveVersion)) return refuse(c, clientSeq, codes::Forbidden, refusal(c->role, Action::SaveVersion));
    const QString name = b.value("name").toString().trimmed();
    if (name.isEmpty() || name.size() > 64 || name.contains('/') || name == "live" || !checkText(name, "name").isEmpty() ||
        name.contains('\n'))
        return refuse(c, clientSeq, codes::OutOfRange, "a version name is 1-64 characters on one line, without '/', and not \"live\"");
    const QString message = b.value("message").toString();
    if (!message.isEmpty())
        if (const QString bad = checkText(message, "the message"); !bad.isEmpty()) return refuse(c, clientSeq, codes::OutOfRange, bad);
    if (m_review.version(m_session, name))
        return refuse(c, clientSeq, codes::Conflict, QString("a version \"%1\" exists already; versions are immutable").arg(name));
    VersionRow v{m_session,
                 name,
                 message,
                 c->memberId,
                 c->memberName,
                 m_lastVersion,
                 static_cast<double>(QDateTime::currentMSecsSinceEpoch()),
                 m_host.seq(),
                 encodeSession(m_host.state()),
                 {}};
    if (const auto cached = m_renders.hashes(RenderCache::keyOf(m_host.state()))) v.hashes = *cached;
    if (!m_review.addVersion(v)) return refuse(c, clientSeq, codes::Internal, "the version could not be stored: " + m_review.lastError());
    if (m_versionsLoaded) { // the list keeps its order (by seq): a new version is the latest
        VersionRow listed = v;
        listed.state.clear();
        m_versions.append(listed);
    }
    m_lastVersion = name;
    sendEvent(c, clientSeq, Kind::Version, {{"event", "saved"}, {"version", versionJson(v, statuses())}});
}

void ReviewService::approvals(ClientSocket* c, const Message& msg, qint64 clientSeq)
{
    const QJsonObject& b = msg.body;
    if (msg.kind == Kind::SetPolicy) {
        if (!allowed(c->role, Action::ManageMembers))
            return refuse(c, clientSeq, codes::Forbidden, refusal(c->role, Action::ManageMembers));
        QStringList roles;
        for (const QJsonValue& r : b.value("roles").toArray()) {
            if (!roleFromName(r.toString()))
                return refuse(c, clientSeq, codes::OutOfRange, QString("\"%1\" is not a role").arg(r.toString().left(20)));
            roles.append(r.toString());
        }
        if (!m_review.setPolicyRoles(m_session, roles)) return refuse(c, clientSeq, codes::Internal, "the policy could not be stored");
        const Statuses st = statuses();
        for (const VersionRow& v : versions())
            m_host.broadcast(encode(Kind::Version, {{"event", "status"}, {"version", versionJson(v, st)}}));
        c->send(encode(Kind::Ack, {{"clientSeq", clientSeq}, {"seq", m_host.seq()}}));
        return;
    }
    // approve
    if (!allowed(c->role, Action::Approve)) return refuse(c, clientSeq, codes::Forbidden, refusal(c->role, Action::Approve));
    const QString name = b.value("version").toString();
    const auto v = m_review.version(m_session, name);
    if (!v) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(name.left(64)));
    const bool approved = b.value("approved").toBool();
    if (approved) {
        // An approval outside the policy would not count: refused, so nobody believes it did.
        const QStringList roles = m_review.policyRoles(m_session);
        const QString mine = roleName(c->role);
        bool someoneRequired = false;
        for (const MemberRow& m : m_store.members(m_session))
            someoneRequired = someoneRequired || (!m.revoked && roles.contains(m.role));
        if (someoneRequired && !roles.contains(mine))
            return refuse(c, clientSeq, codes::Forbidden,
                          QString("the session's approval policy asks every %1 to approve; an approval from the %2 role would not count")
                              .arg(roles.join(" and "), mine));
    }
    const Statuses before = statuses();
    if (!m_review.setApproval(m_session, name, c->memberId, approved))
        return refuse(c, clientSeq, codes::Internal, "the approval could not be stored");
    const Statuses after = statuses();
    sendEvent(c, clientSeq, Kind::Approval,
              {{"version", name},
               {"member", QJsonObject{{"id", c->memberId}, {"name", c->memberName}, {"role", roleName(c->role)}}},
               {"approved", approved},
               {"status", after.status.value(name)},
               {"waiting", QJsonArray::fromStringList(after.waiting.value(name))}});
    // Other versions whose status moved (superseded, or no longer): only those are announced.
    for (const VersionRow& other : versions())
        if (other.name != name && before.status.value(other.name) != after.status.value(other.name))
            m_host.broadcast(encode(Kind::Version, {{"event", "status"}, {"version", versionJson(other, after)}}));
    if (approved && v->hashes.isEmpty()) startRender(*v);
}

void ReviewService::startRender(const VersionRow& v)
{
    auto state = decodeSession(v.state);
    if (!state) return;
    const QString key = RenderCache::keyOf(state.value());
    if (auto done = m_renders.hashes(key)) {
        onRendered(key, *done, {});
        return;
    }
    if (!m_renderWaiters[key].contains(v.name)) m_renderWaiters[key].append(v.name);
    m_renders.start(key, state.value());
}

void ReviewService::onRendered(const QString& key, const QJsonObject& hashes, const QString& error)
{
    QStringList names = m_renderWaiters.take(key);
    if (names.isEmpty()) // a cached render, or a format made later: the versions with this content
        for (const VersionRow& v : versions())
            if (renderKeyOf(v) == key) {
                const QStringList known = hashes.keys();
                if (std::any_of(known.begin(), known.end(), [&](const QString& format) { return !v.hashes.contains(format); }))
                    names.append(v.name);
            }
    std::optional<Statuses> st; // computed once for all the versions announced
    for (const QString& name : names) {
        if (!error.isEmpty()) {
            m_host.broadcast(encode(Kind::Render, {{"version", name}, {"progress", 0}, {"done", true}, {"error", error}}));
            continue;
        }
        const auto& all = versions();
        const auto v = std::find_if(all.begin(), all.end(), [&](const VersionRow& r) { return r.name == name; });
        if (v == all.end()) continue;
        // A hash recorded with the version stays: a file that differs from it is refused at the pull.
        QJsonObject merged = v->hashes;
        for (auto it = hashes.begin(); it != hashes.end(); ++it)
            if (!merged.contains(it.key())) merged.insert(it.key(), it.value());
        if (merged == v->hashes) continue;
        setHashes(name, merged);
        m_host.broadcast(encode(Kind::Render, {{"version", name}, {"progress", 1}, {"done", true}, {"hashes", merged}}));
        if (!st) st = statuses();
        for (const VersionRow& after : versions())
            if (after.name == name) m_host.broadcast(encode(Kind::Version, {{"event", "rendered"}, {"version", versionJson(after, *st)}}));
    }
}

const QList<VersionRow>& ReviewService::versions()
{
    if (!m_versionsLoaded) {
        m_versions = m_review.versionList(m_session);
        m_versionsLoaded = true;
    }
    return m_versions;
}

void ReviewService::setHashes(const QString& name, const QJsonObject& hashes)
{
    m_review.setVersionHashes(m_session, name, hashes);
    for (VersionRow& v : m_versions)
        if (v.name == name) v.hashes = hashes;
}

ReviewService::Pull ReviewService::pull(const MemberRow& member, const QString& version, const QString& format)
{
    Pull p;
    const Role role = roleFromName(member.role).value_or(Role::Client);
    const auto v = m_review.version(m_session, version);
    if (!RenderCache::formats().contains(format))
        return {400, "bad_format", QString("format \"%1\" is not wav24, wav32f or flac24").arg(format.left(20)), {}, {}, {}, 0};
    if (!v) return {404, "not_found", QString("no version '%1' in this session").arg(version.left(64)), {}, {}, {}, 0};
    if (!allowed(role, Action::PullAny)) {
        if (!allowed(role, Action::PullApproved))
            return {403, "forbidden", QString("the %1 role may not pull mixes").arg(member.role), {}, {}, {}, 0};
        const Statuses all = statuses();
        const QStringList waiting = all.waiting.value(version);
        const QString st = all.status.value(version);
        if (st == "superseded")
            return {403, "forbidden", QString("version '%1' is superseded by a later approved version").arg(version), {}, {}, {}, 0};
        if (st != "approved")
            return {403,
                    "forbidden",
                    QString("version '%1' is not approved: waiting for %2")
                        .arg(version, waiting.isEmpty() ? "an approval" : waiting.join(", ")),
                    {},
                    {},
                    {},
                    0};
    }
    auto state = decodeSession(v->state);
    if (!state) {
        m_metrics.error("internal");
        return {
            500, "internal", QString("version '%1' is stored unreadably: %2").arg(version, QString::fromStdString(state.error().message)),
            {},  {},         {},
            0};
    }
    const QString key = RenderCache::keyOf(state.value());
    const auto hashes = m_renders.hashes(key);
    if (!hashes) {
        startRender(*v);
        return {202, "rendering", QString("version '%1' is being rendered; retry shortly").arg(version), {}, {}, {}, 0};
    }
    // What is pulled must be what was approved: the canonical render on disk against the hash
    // recorded with the version (approvals are bound to it), and a delivery format against its own
    // hash once one has been recorded (the first one made is recorded).
    const QString canonical = RenderCache::canonical();
    for (const QString& f : {canonical, format}) {
        const QString recorded = v->hashes.value(f).toString(), onDisk = hashes->value(f).toString();
        if (recorded.isEmpty() || onDisk.isEmpty() || recorded == onDisk) continue;
        m_metrics.error("hash_mismatch");
        return {500,
                "hash_mismatch",
                QString("the %1 render of version '%2' on this server (SHA-256 %3) is not the one recorded with the version (%4); "
                        "it is not served")
                    .arg(f, version, onDisk.left(16), recorded.left(16)),
                {},
                {},
                {},
                0};
    }
    if (!hashes->contains(format)) { // made from the canonical render the first time it is asked for
        m_renders.derive(key, format);
        return {202, "rendering", QString("the %1 file of version '%2' is being made from its render; retry shortly").arg(format, version),
                {},  {},          {},
                0};
    }
    QJsonObject merged = v->hashes;
    for (auto it = hashes->begin(); it != hashes->end(); ++it)
        if (!merged.contains(it.key())) merged.insert(it.key(), it.value());
    if (merged != v->hashes) setHashes(version, merged);
    p.canonicalSha256 = merged.value(canonical).toString();
    const QString recorded = merged.value(format).toString();
    p.file = m_renders.file(key, format);
    m_renders.touch(key); // recently used: the last to be evicted
    p.sha256 = recorded;
    return p;
}

} // namespace mixroom::server
