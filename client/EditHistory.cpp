// SPDX-License-Identifier: MIT
#include "client/EditHistory.h"

#include "client/NameResolver.h"
#include "engine/model/ParamTable.h"
#include "protocol/SessionOps.h"

namespace mixroom::client {

using protocol::Kind;

namespace {
constexpr qint64 kMergeMs = 1000; // sets of one path closer than this are one step (a fader drag)
constexpr int kMaxSteps = 500;
} // namespace

EditHistory::EditHistory(Connection* conn, QObject* parent) : QObject(parent), m_conn(conn)
{
    m_clock.start();
    conn->setRequestObserver([this](Kind kind, const QJsonObject& fields) {
        observe(kind, fields);
        if (kind == Kind::Set)
            m_inFlight.insert(fields.value("path").toString(), fields.value("value"));
        else if (kind != Kind::Touch && kind != Kind::Ping)
            m_inFlight.clear(); // structure moves paths: trust the server again
    });
    connect(conn, &Connection::edit, this, [this](const QJsonObject& e) {
        const QJsonObject a = e.value("args").toObject();
        const QString path = a.value("path").toString();
        if (m_inFlight.contains(path) && m_inFlight.value(path) == a.value("value")) m_inFlight.remove(path);
    });
    connect(conn, &Connection::refused, this, [this] { m_inFlight.clear(); });
}

QJsonValue EditHistory::latest(const QString& path) const
{
    if (m_inFlight.contains(path)) return m_inFlight.value(path);
    return protocol::valueAt(m_conn->mirror().state(), path);
}

void EditHistory::clear()
{
    m_undo.clear();
    m_redo.clear();
    emit changed();
}

void EditHistory::observe(Kind kind, const QJsonObject& f)
{
    if (m_replaying) return;
    const engine::Session& s = m_conn->mirror().state();
    Step step;
    step.at = m_clock.elapsed();
    step.forward = {{kind, f}};
    switch (kind) {
    case Kind::Set: {
        const QString path = f.value("path").toString();
        const QJsonValue before = latest(path);
        if (before.isNull() || before.isUndefined()) return;
        // A drag: the same control again within a second extends the last step.
        if (!m_undo.isEmpty() && m_undo.last().path == path && step.at - m_undo.last().at < kMergeMs) {
            m_undo.last().forward = {{kind, f}};
            m_undo.last().at = step.at;
            m_redo.clear();
            emit changed();
            return;
        }
        step.path = path;
        step.label = "set " + path;
        step.inverse = {{Kind::Set, {{"path", path}, {"value", before}}}};
        break;
    }
    case Kind::AddBand: {
        const QString strip = f.value("strip").toString();
        const auto* eq = eqByPath(s, strip);
        if (!eq) return;
        step.label = "add EQ band to " + strip;
        step.inverse = {{Kind::RemoveBand, {{"strip", strip}, {"band", static_cast<int>(eq->size()) + 1}}}};
        break;
    }
    case Kind::RemoveBand: {
        const QString strip = f.value("strip").toString();
        const auto* eq = eqByPath(s, strip);
        const int band = f.value("band").toInt();
        if (!eq || band < 1 || band > static_cast<int>(eq->size())) return;
        const QString from = QString("%1/eq/%2/").arg(strip).arg(band);
        const QString at = QString("%1/eq/%2/").arg(strip).arg(eq->size()); // re-added last, then moved back
        step.label = QString("remove EQ band %1 of %2").arg(band).arg(strip);
        step.inverse = {{Kind::AddBand, {{"strip", strip}, {"bandType", latest(from + "type")}}}};
        for (const char* field : {"freq", "gain", "q", "enabled"})
            step.inverse.append({Kind::Set, {{"path", at + field}, {"value", latest(from + field)}}});
        if (band != static_cast<int>(eq->size()))
            step.inverse.append({Kind::MoveBand, {{"strip", strip}, {"band", static_cast<int>(eq->size())}, {"to", band}}});
        break;
    }
    case Kind::AddSend:
        step.label = "add send to " + f.value("to").toString();
        step.inverse = {{Kind::RemoveSend, {{"strip", f.value("strip")}, {"to", f.value("to")}}}};
        break;
    case Kind::RemoveSend: {
        const QString stripPath = f.value("strip").toString();
        const engine::Strip* st = stripPath.startsWith("returns/") ? nullptr : stripByPath(s, stripPath);
        if (!st) return;
        const std::string to = f.value("to").toString().toStdString();
        for (const engine::Send& x : st->sends)
            if (x.to == to) {
                const QString at = f.value("strip").toString() + "/sends/" + f.value("to").toString() + "/";
                step.label = "remove send to " + f.value("to").toString();
                step.inverse = {{Kind::AddSend, {{"strip", f.value("strip")}, {"to", f.value("to")}}},
                                {Kind::Set, {{"path", at + "level"}, {"value", latest(at + "level")}}},
                                {Kind::Set, {{"path", at + "pre"}, {"value", latest(at + "pre")}}}};
            }
        if (step.inverse.isEmpty()) return;
        break;
    }
    default: return; // not an edit of the mix this history can invert
    }
    m_undo.append(step);
    if (m_undo.size() > kMaxSteps) m_undo.removeFirst();
    m_redo.clear();
    emit changed();
}

void EditHistory::send(const QList<Request>& requests)
{
    m_replaying = true;
    for (const Request& r : requests) {
        QJsonObject fields = r.fields;
        fields.remove("clientSeq"); // a new request, numbered afresh
        m_conn->request(r.kind, fields);
    }
    m_replaying = false;
}

void EditHistory::undo()
{
    if (m_undo.isEmpty()) return;
    Step step = m_undo.takeLast();
    send(step.inverse);
    step.at = -kMergeMs; // never merged into after a redo
    m_redo.append(step);
    emit changed();
}

void EditHistory::redo()
{
    if (m_redo.isEmpty()) return;
    Step step = m_redo.takeLast();
    send(step.forward);
    step.at = -kMergeMs;
    m_undo.append(step);
    emit changed();
}

} // namespace mixroom::client
