// SPDX-License-Identifier: MIT
#include "server/SessionRoom.h"

#include "protocol/SessionCodec.h"
#include "server/Tokens.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace mixroom::server {

using namespace protocol;

std::unique_ptr<SessionRoom> SessionRoom::load(const QString& id, const Services& services, QString* error)
{
    Store& store = services.store;
    auto row = store.session(id);
    if (!row) {
        *error = QString("no session \"%1\"").arg(id);
        return nullptr;
    }
    auto decoded = decodeSession(row->snapshot);
    if (!decoded) {
        *error = QString("session %1: stored snapshot is unreadable: %2").arg(id, QString::fromStdString(decoded.error().message));
        return nullptr;
    }
    std::unique_ptr<SessionRoom> room(new SessionRoom(services));
    room->m_clock.start();
    room->m_id = row->id;
    room->m_name = row->name;
    room->m_state = decoded.value();
    room->m_snapshotSeq = row->snapshotSeq;
    room->m_seq = row->snapshotSeq;
    // Replay the log after the snapshot: the state equals a replay of the log.
    const auto ops = store.opsAfter(id, row->snapshotSeq);
    if (!ops) {
        *error = QString("session %1: %2").arg(id, store.lastError());
        return nullptr;
    }
    for (const OpRow& op : *ops) {
        if (auto e = protocol::applyOp(room->m_state, op.op, op.args, room->m_stems)) {
            *error = QString("session %1: op %2 does not replay: %3").arg(id).arg(op.seq).arg(e->message);
            return nullptr;
        }
        room->m_seq = op.seq;
    }
    room->m_committed = room->m_state;
    room->m_committedSeq = room->m_seq;
    SessionRoom* r = room.get();
    ReviewService::Host host{[r]() -> const engine::Session& { return r->m_committed; }, [r] { return r->m_committedSeq; },
                             [r](const engine::Session& s) { return r->lengthMs(s); }, [r](const QByteArray& json) { r->broadcast(json); },
                             [r](ClientSocket* except, const QByteArray& json) {
                                 for (ClientSocket* c : r->m_clients)
                                     if (c != except) c->send(json);
                             }};
    room->m_review = std::make_unique<ReviewService>(id, store, services.review, services.renders, services.metrics, host);
    PreviewHub::Host previewHost{[r]() -> const engine::Session& { return r->liveState(); },
                                 [r](const QString& v) { return r->m_review->versionState(v); },
                                 services.newStreamId,
                                 [r, id, reg = services.registerStream](quint32 stream) {
                                     if (reg) reg(stream, id);
                                 },
                                 services.stems,
                                 services.previews,
                                 [m = &services.metrics](const QString& kind, double ms) { m->jobDone(kind, ms); },
                                 [r](const engine::Session& s) { return r->lengthMs(s); },
                                 [r](quint32 stream) {
                                     if (r->m_passes) r->m_passes->jumped(stream);
                                 }};
    if (services.previews && services.stems) room->m_preview = std::make_unique<PreviewHub>(previewHost);
    AutomationPasses::Host passHost;
    passHost.applied = [r]() -> const engine::Session& { return r->m_state; };
    passHost.heard = [r](ClientSocket* c) { return r->m_preview ? r->m_preview->heard(c) : std::nullopt; };
    passHost.store = [r](ClientSocket* owner, qint64 clientSeq, const QString& path, const engine::Lane& lane) -> std::optional<qint64> {
        if (!owner) return std::nullopt;
        const QJsonObject l = protocol::laneToJson(lane);
        const qint64 before = r->m_seq;
        r->applyEdit(owner, Message{Kind::SetLane, QJsonObject{{"type", "set_lane"},
                                                               {"clientSeq", clientSeq},
                                                               {"path", path},
                                                               {"mode", l.value("mode")},
                                                               {"points", l.value("points")}}});
        if (r->m_seq == before) return std::nullopt; // refused (the owner was told why)
        return r->m_seq;
    };
    passHost.liveChanged = [r](bool lanes) {
        if (lanes || !r->m_passes->active())
            r->refreshLive();
        else
            r->m_passes->overlayValues(r->m_live);
        // The streams take the live document once per pass of the event loop: a burst of values
        // (a client's queue after a stall, a flood) costs one update, not one each.
        if (!r->m_preview || r->m_livePublishScheduled) return;
        r->m_livePublishScheduled = true;
        QTimer::singleShot(0, r, [r] {
            r->m_livePublishScheduled = false;
            if (r->m_preview) r->m_preview->committed(false);
        });
    };
    passHost.broadcast = [r](const QByteArray& json) { r->broadcast(json); };
    passHost.refuse = [r](ClientSocket* c, const QString& code, const QString& message, const QJsonObject& extra) {
        r->refuse(c, code, message, extra);
    };
    room->m_passes = std::make_unique<AutomationPasses>(passHost);
    return room;
}

void SessionRoom::join(ClientSocket* c, qint64 lastSeq)
{
    // The welcome carries committed state; edits committed later reach the newcomer as broadcasts.
    m_clients.append(c);
    QJsonObject w{{"major", kProtocolMajor},
                  {"features", QJsonArray{"edits", "structure", "presence", "replay"}},
                  {"admin", false},
                  {"session", QJsonObject{{"id", m_id}, {"name", m_name}}},
                  {"member", QJsonObject{{"id", c->memberId}, {"name", c->memberName}, {"role", roleName(c->role)}}},
                  {"permissions", permissionsOf(c->role)},
                  {"seq", m_committedSeq},
                  {"lengthMs", lengthMs(m_committed)}};
    // A replay when the client is close behind and the log reads; otherwise the whole state. The
    // replay stops at the committed seq the welcome names: the writer thread's next batch may
    // already be in the database, but its ops reach the newcomer as broadcasts once the room has
    // heard of the commit (replayed as well, they were applied twice). A log that does not hold
    // every op in between (it always should) gets the whole state too.
    auto missed = lastSeq >= 0 && lastSeq <= m_committedSeq && m_committedSeq - lastSeq <= kMaxReplay
                      ? m_store.opsAfter(m_id, lastSeq, m_committedSeq)
                      : std::nullopt;
    if (missed && missed->size() != m_committedSeq - lastSeq) missed.reset(); // seqs are unique: the count says it is whole
    if (missed) {
        QJsonArray replay;
        for (const OpRow& op : *missed)
            replay.append(QJsonObject{{"seq", op.seq}, {"op", op.op}, {"args", op.args}, {"member", op.member}, {"time", op.time}});
        w.insert("replay", replay);
    } else {
        w.insert("state", QJsonDocument::fromJson(encodeSession(m_committed)).object());
    }
    w.insert("presence", presenceList(presenceNow()));
    c->send(encode(Kind::Welcome, w));
    presenceChanged();
}

void SessionRoom::refreshLive()
{
    m_live = m_committed;
    if (m_passes) m_passes->overlay(m_live);
}

void SessionRoom::handlePass(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    QJsonObject extra{{"path", b.value("path")}};
    if (b.contains("clientSeq")) extra.insert("clientSeq", b.value("clientSeq"));
    if (msg.kind == Kind::AutoValue) {
        if (!m_limiter.take(c->memberId + "/pass", kPassValueRule))
            return refuse(c, codes::RateLimited, "too many auto_value messages; this value was not recorded", extra);
        return m_passes->value(c, b);
    }
    if (!m_limiter.take(c->memberId + "/edit", kEditRule)) return refuse(c, codes::RateLimited, "too many edits; slow down", extra);
    if (msg.kind == Kind::AutoEnd) return m_passes->end(c, b);
    const QString path = b.value("path").toString();
    const auto action = actionForPath(path);
    if (!action) return refuse(c, codes::UnknownPath, QString("%1: no such parameter").arg(path.left(200)), extra);
    if (!allowed(c->role, *action)) return refuse(c, codes::Forbidden, refusal(c->role, *action), extra);
    if (!m_preview) return refuse(c, codes::Internal, "previews are not available on this server", extra);
    m_passes->begin(c, b);
}

void SessionRoom::leave(ClientSocket* c)
{
    if (m_passes) m_passes->leave(c);
    if (m_preview) m_preview->leave(c);
    if (m_clients.removeAll(c) > 0) presenceChanged();
}

void SessionRoom::refuse(ClientSocket* c, const QString& code, const QString& message, const QJsonObject& extra)
{
    m_metrics.error(code);
    c->sendError(code, message, extra);
}

namespace {
// Requests answered from committed state: they wait for the edits before them to be committed.
bool readsCommitted(Kind k)
{
    return k == Kind::SaveVersion || k == Kind::Approve || k == Kind::SetPolicy || PreviewHub::handles(k) || ReviewService::handles(k);
}
} // namespace

void SessionRoom::handle(ClientSocket* c, const Message& msg)
{
    // Once one request waits, everything after it waits too: requests keep their order.
    if (!m_deferred.isEmpty() || (readsCommitted(msg.kind) && uncommitted())) {
        if (m_deferred.size() >= kMaxDeferred) // a slow disk and a flood: bounded like every inbox
            return refuse(c, codes::RateLimited, "the session is waiting for the disk; this request was not handled, send it again",
                          {{"clientSeq", msg.body.value("clientSeq")}});
        m_deferred.append(Deferred{c, msg});
        scheduleFlush();
        return;
    }
    dispatch(c, msg);
}

void SessionRoom::runDeferred()
{
    while (!m_deferred.isEmpty()) {
        if (readsCommitted(m_deferred.first().msg.kind) && uncommitted()) return; // after the next commit
        const Deferred d = m_deferred.takeFirst();
        if (d.client) dispatch(d.client, d.msg);
    }
}

void SessionRoom::dispatch(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    switch (msg.kind) {
    case Kind::Ping:
        if (!m_limiter.take(c->memberId + "/other", kOtherRule)) return refuse(c, codes::RateLimited, "too many requests; slow down");
        c->send(encode(Kind::Pong, b.contains("id") ? QJsonObject{{"id", b.value("id")}} : QJsonObject{}));
        return;
    case Kind::Touch: {
        if (!m_limiter.take(c->memberId + "/other", kOtherRule)) return refuse(c, codes::RateLimited, "too many requests; slow down");
        const QString path = b.value("path").toString().left(200);
        if (path != c->touching) {
            c->touching = path;
            presenceChanged();
        }
        return;
    }
    case Kind::AutoBegin:
    case Kind::AutoValue:
    case Kind::AutoEnd: handlePass(c, msg); return;
    case Kind::Invite:
    case Kind::ListMembers:
    case Kind::Revoke: handleMembers(c, msg); return;
    case Kind::SaveVersion:
    case Kind::Approve:
    case Kind::SetPolicy:
        if (!m_limiter.take(c->memberId + "/structure", kStructureRule))
            return refuse(c, codes::RateLimited, "too many requests; slow down", {{"clientSeq", b.value("clientSeq")}});
        m_review->handle(c, msg); // committed state: handle() made it wait for the edits before it
        return;
    default:
        if (PreviewHub::handles(msg.kind)) {
            if (!m_limiter.take(c->memberId + "/other", kOtherRule))
                return refuse(c, codes::RateLimited, "too many requests; slow down", {{"clientSeq", b.value("clientSeq")}});
            if (!m_preview)
                return refuse(c, codes::Internal, "previews are not available on this server", {{"clientSeq", b.value("clientSeq")}});
            m_preview->handle(c, msg);
            return;
        }
        if (ReviewService::handles(msg.kind)) {
            if (!m_limiter.take(c->memberId + "/other", kOtherRule))
                return refuse(c, codes::RateLimited, "too many requests; slow down", {{"clientSeq", b.value("clientSeq")}});
            m_review->handle(c, msg);
            return;
        }
        applyEdit(c, msg);
        return;
    }
}

double SessionRoom::lengthMs(const engine::Session& session) const
{
    qint64 frames = 0;
    for (const auto& t : session.tracks)
        frames = std::max(frames, m_stemFrames ? m_stemFrames(QString::fromStdString(t.stem)) : 0);
    return session.sampleRate > 0 ? 1000.0 * static_cast<double>(frames) / session.sampleRate : 0.0;
}

void SessionRoom::addValue(QJsonObject& extra, const QString& path) const
{
    // A refusal carries the authoritative value to roll back to, when the path exists: a path
    // that no longer does (its strip was removed meanwhile) has none, and `value` must not be
    // null (clients drop messages whose declared fields have the wrong type).
    const QJsonValue v = path.isEmpty() ? QJsonValue() : protocol::valueAt(m_state, path);
    if (!v.isNull() && !v.isUndefined()) extra.insert("value", v);
}

void SessionRoom::applyEdit(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    const QString op = QString::fromLatin1(spec(msg.kind).name);
    QJsonObject extra{{"clientSeq", clientSeq}};
    if (!b.contains("clientSeq")) return refuse(c, codes::BadMessage, op + ": the field \"clientSeq\" is required");

    // Permission: per request kind, and for parameter edits per path.
    std::optional<Action> action = actionForKind(msg.kind);
    QString path;
    if (msg.kind == Kind::Set || msg.kind == Kind::SetLane) {
        path = b.value("path").toString();
        extra.insert("path", path);
        action = actionForPath(path);
        if (!action) {
            if (path == "sampleRate")
                return refuse(c, codes::Forbidden, "sampleRate: the sample rate is fixed when the session is created", extra);
            return refuse(c, codes::UnknownPath, QString("%1: no such parameter").arg(path.left(200)), extra);
        }
    }
    if (!action) return refuse(c, codes::UnknownMessage, QString("%1 is not a session edit").arg(op), extra);
    if (!allowed(c->role, *action)) {
        addValue(extra, path);
        return refuse(c, codes::Forbidden, refusal(c->role, *action), extra);
    }

    // Idempotent retries: a resend of an op already applied gets its original answer. The key is
    // the member's own (member, clientId, clientSeq): nobody can claim another member's op.
    const QString opClient = c->memberId + "/" + c->clientId;
    for (const Pending& p : m_committing) // in flight: answered with its batch
        if (p.row.clientId == opClient && p.row.clientSeq == clientSeq) {
            m_committing.append(Pending{p.row, c, m_clock.nsecsElapsed(), true});
            return;
        }
    for (const Pending& p : m_pending)
        if (p.row.clientId == opClient && p.row.clientSeq == clientSeq) {
            m_pending.append(Pending{p.row, c, m_clock.nsecsElapsed(), true});
            scheduleFlush();
            return;
        }
    // The rate limit before the op log is consulted: a flood is refused without a query each.
    const bool structural = protocol::rateClassOf(op, b) == engine::RateClass::Structure;
    if (!m_limiter.take(c->memberId + (structural ? "/structure" : "/edit"), structural ? kStructureRule : kEditRule)) {
        addValue(extra, path);
        return refuse(c, codes::RateLimited, "too many edits; this one was not applied", extra);
    }
    qint64 storedSeq = 0;
    switch (m_store.seqOfClientOp(m_id, opClient, clientSeq, &storedSeq)) {
    case Store::Lookup::Found: c->send(encode(Kind::Ack, {{"clientSeq", clientSeq}, {"seq", storedSeq}})); return;
    case Store::Lookup::Failed: // cannot tell whether it was applied: applying it again could double it
        return refuse(c, codes::Internal, "the edit could not be checked against the op log: " + m_store.lastError(), extra);
    case Store::Lookup::Absent: break;
    }

    QJsonObject args = b;
    args.remove("type");
    args.remove("clientSeq");
    QString opName = op;
    if (msg.kind == Kind::RestoreVersion) {
        // The version's whole document travels in the op, so replaying the log needs nothing else.
        const QString name = b.value("version").toString();
        const auto restored = m_review->versionState(name);
        if (!restored) return refuse(c, codes::NotFound, QString("no version \"%1\"").arg(name.left(64)), extra);
        if (auto denied = replaceRefusal(c->role, m_state, *restored))
            return refuse(c, codes::Forbidden, QString("restore_version \"%1\" would change %2").arg(name.left(64), *denied), extra);
        args = QJsonObject{{"version", name}, {"state", QJsonDocument::fromJson(encodeSession(*restored)).object()}};
        opName = "restore";
    }
    if (auto e = protocol::applyOp(m_state, opName, args, m_stems)) {
        if (!e->path.isEmpty()) {
            extra.insert("path", e->path);
            addValue(extra, e->path);
        }
        return refuse(c, e->code, e->message, extra);
    }
    OpRow row{m_id, ++m_seq, opClient, clientSeq, c->memberId, opName, args, static_cast<double>(QDateTime::currentMSecsSinceEpoch())};
    m_pending.append(Pending{row, c, m_clock.nsecsElapsed(), false});
    scheduleFlush();
}

void SessionRoom::scheduleFlush()
{
    if (m_flushScheduled) return;
    m_flushScheduled = true;
    // A zero timer runs after the messages already received in this pass: they share one commit.
    QTimer::singleShot(0, this, [this] { flush(); });
}

void SessionRoom::flush()
{
    m_flushScheduled = false;
    if (m_inFlight || m_pending.isEmpty()) return; // the batch in flight hands over the next
    QList<Pending> batch = std::exchange(m_pending, {});
    OpBatch ops;
    for (const Pending& p : batch)
        if (!p.duplicate) ops.rows.append(p.row);
    m_committingSnapshot = m_seq - m_snapshotSeq >= kSnapshotEvery;
    if (m_committingSnapshot) {
        ops.snapshotSession = m_id;
        ops.snapshotSeq = m_seq;
        ops.snapshot = encodeSession(m_state);
    }
    m_committing = std::move(batch);
    m_committingState = m_state;
    m_committingSeq = m_seq;
    m_inFlight = true;
    m_writer.submit(std::move(ops), this, [this](bool ok, const QString& error) { onCommitted(ok, error); });
}

void SessionRoom::onCommitted(bool ok, const QString& error)
{
    m_inFlight = false;
    const QList<Pending> batch = std::exchange(m_committing, {});
    if (!ok) {
        // Nothing of the batch is durable: back to the committed state. The edits applied after it
        // were applied on top of it, so they go too; their senders are told.
        m_failed = true;
        m_state = m_committed;
        m_seq = m_committedSeq;
        const QList<Pending> dropped = std::exchange(m_pending, {});
        for (const QList<Pending>* list : {&batch, &dropped})
            for (const Pending& p : *list)
                if (p.sender)
                    p.sender->sendError(codes::Internal, "the edit could not be stored: " + error, {{"clientSeq", p.row.clientSeq}});
        m_metrics.error(codes::Internal);
        if (m_passes) m_passes->commitFailed();
        qWarning("mixroomd: session %s: a commit failed: %s", qPrintable(m_id), qPrintable(error));
        runDeferred();
        return;
    }
    if (m_committingSnapshot) m_snapshotSeq = m_committingSeq;
    QList<OpRow> rows;
    for (const Pending& p : batch)
        if (!p.duplicate) rows.append(p.row);
    // Only now, committed, does a restore make its version the parent of the next one.
    for (const OpRow& r : rows)
        if (r.op == "restore") m_review->restored(r.args.value("version").toString());
    m_committed = std::move(m_committingState);
    m_committedSeq = m_committingSeq;
    if (m_passes && m_passes->active()) {
        m_passes->committed(m_committedSeq); // (its liveChanged publishes too; the call below is then cheap)
        refreshLive();
    }
    if (m_preview)
        m_preview->committed(
            std::any_of(rows.begin(), rows.end(), [](const OpRow& r) { return protocol::isStructuralEdit(r.op, r.args); }));
    m_metrics.opsApplied(rows.size());
    // Acknowledge, then broadcast in sequence order (after the commit, never before).
    const qint64 now = m_clock.nsecsElapsed();
    for (const Pending& p : batch) {
        if (p.sender) p.sender->send(encode(Kind::Ack, {{"clientSeq", p.row.clientSeq}, {"seq", p.row.seq}}));
        m_metrics.ackLatency((now - p.receivedNs) / 1e6);
    }
    for (const OpRow& r : rows)
        broadcast(encode(Kind::Edit, {{"seq", r.seq}, {"op", r.op}, {"args", r.args}, {"member", r.member}, {"time", r.time}}));
    flush(); // what arrived meanwhile
    runDeferred();
}

bool SessionRoom::flushNow()
{
    m_failed = false;
    while (uncommitted()) {
        flush();
        m_writer.waitIdle();
        QCoreApplication::sendPostedEvents(this); // onCommitted()
    }
    runDeferred();
    return !m_failed;
}

void SessionRoom::handleMembers(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    const QJsonObject extra{{"clientSeq", clientSeq}};
    const Action action = *actionForKind(msg.kind);
    if (!allowed(c->role, action)) return refuse(c, codes::Forbidden, refusal(c->role, action), extra);
    if (!m_limiter.take(c->memberId + "/structure", kStructureRule))
        return refuse(c, codes::RateLimited, "too many requests; slow down", extra);
    if (msg.kind == Kind::ListMembers) {
        QJsonArray list;
        for (const MemberRow& m : m_store.members(m_id)) {
            int connections = 0;
            for (ClientSocket* s : m_clients)
                connections += s->memberId == m.id;
            QJsonObject o{{"id", m.id}, {"name", m.name}, {"role", m.role}, {"connected", connections > 0}, {"revoked", m.revoked}};
            if (m.expiresMs > 0) o.insert("expires", static_cast<double>(m.expiresMs));
            list.append(o);
        }
        c->send(encode(Kind::MemberList, {{"clientSeq", clientSeq}, {"members", list}}));
        return;
    }
    if (msg.kind == Kind::Invite) {
        const auto role = roleFromName(b.value("role").toString());
        if (!role)
            return refuse(c, codes::OutOfRange,
                          QString("role \"%1\" is not mix, artist, mastering or client").arg(b.value("role").toString().left(20)), extra);
        QString name = b.value("name").toString(roleName(*role)).trimmed();
        if (name.isEmpty() || name.size() > 64 || name.contains(QChar('\n')))
            return refuse(c, codes::OutOfRange, "name must be 1-64 characters on one line", extra);
        qint64 expires = 0;
        if (b.contains("expiresIn")) {
            const double seconds = b.value("expiresIn").toDouble();
            if (seconds < 60 || seconds > 366.0 * 86400)
                return refuse(c, codes::OutOfRange, "expiresIn must be 60 seconds to 1 year", extra);
            expires = QDateTime::currentMSecsSinceEpoch() + static_cast<qint64>(seconds * 1000);
        }
        const QString token = newToken();
        MemberRow m{newId("m_"), m_id, name, roleName(*role), tokenHash(token), false, expires};
        if (!m_store.addMember(m)) return refuse(c, codes::Internal, "the member could not be stored: " + m_store.lastError(), extra);
        QJsonObject member{{"id", m.id}, {"name", m.name}, {"role", m.role}};
        if (expires > 0) member.insert("expires", static_cast<double>(expires));
        c->send(encode(Kind::Invited, {{"clientSeq", clientSeq}, {"member", member}, {"token", token}}));
        return;
    }
    const QString member = b.value("member").toString();
    bool found = false;
    for (const MemberRow& m : m_store.members(m_id))
        found = found || (m.id == member && !m.revoked);
    if (!found) return refuse(c, codes::NotFound, QString("no member \"%1\" in this session").arg(member.left(40)), extra);
    if (member == c->memberId) return refuse(c, codes::Conflict, "you cannot revoke yourself", extra);
    if (member == m_store.creatorOf(m_id)) return refuse(c, codes::Forbidden, "the session's creator cannot be revoked", extra);
    if (!m_store.revokeMember(member)) return refuse(c, codes::Internal, "the revocation could not be stored", extra);
    c->send(encode(Kind::Revoked, {{"clientSeq", clientSeq}, {"member", member}}));
    disconnectMember(member, "your membership was revoked");
}

void SessionRoom::disconnectMember(const QString& memberId, const QString& reason)
{
    for (ClientSocket* s : QList<ClientSocket*>(m_clients))
        if (s->memberId == memberId) s->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
}

void SessionRoom::disconnectAll(QWebSocketProtocol::CloseCode code, const QString& reason)
{
    for (ClientSocket* s : QList<ClientSocket*>(m_clients))
        s->close(code, reason);
}

void SessionRoom::broadcast(const QByteArray& json)
{
    for (ClientSocket* s : m_clients)
        s->send(json);
}

void SessionRoom::presenceChanged()
{
    if (!m_presenceTimer.isActive()) m_presenceTimer.start();
}

QJsonArray SessionRoom::presenceList(const std::pair<QStringList, QHash<QString, QJsonObject>>& p)
{
    QJsonArray members;
    for (const QString& id : p.first)
        members.append(p.second.value(id));
    return members;
}

void SessionRoom::sendPresence()
{
    const auto [order, now] = presenceNow();
    QJsonArray changed, left;
    for (const QString& id : order)
        if (m_presenceSent.value(id) != now.value(id)) changed.append(now.value(id));
    for (auto it = m_presenceSent.cbegin(); it != m_presenceSent.cend(); ++it)
        if (!now.contains(it.key())) left.append(it.key());
    m_presenceSent = now;
    if (changed.isEmpty() && left.isEmpty()) return;
    broadcast(encode(Kind::Presence, {{"members", changed}, {"left", left}}));
}

std::pair<QStringList, QHash<QString, QJsonObject>> SessionRoom::presenceNow() const
{
    QHash<QString, QJsonObject> byMember;
    QStringList order;
    for (ClientSocket* s : m_clients) {
        if (s->quiet) continue; // one-off commands come and go without a presence change
        if (!byMember.contains(s->memberId)) {
            order.append(s->memberId);
            byMember[s->memberId] = QJsonObject{
                {"id", s->memberId}, {"name", s->memberName}, {"role", roleName(s->role)}, {"connections", 0}, {"touching", ""}};
        }
        QJsonObject& o = byMember[s->memberId];
        o["connections"] = o["connections"].toInt() + 1;
        if (!s->touching.isEmpty()) o["touching"] = s->touching;
    }
    return {order, byMember};
}

} // namespace mixroom::server
