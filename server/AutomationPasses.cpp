// SPDX-License-Identifier: MIT
#include "server/AutomationPasses.h"

#include "protocol/Messages.h"
#include "protocol/SessionCodec.h"

#include <QJsonArray>

#include <cmath>

namespace mixroom::server {

using namespace mixroom::protocol;

namespace {
QString modeName(engine::LaneMode m)
{
    return QString::fromStdString(engine::toString(m));
}

// The value of a pass message as a number in the parameter's unit, or why it is not one.
std::optional<double> passValue(const engine::ParamSpec& spec, const QJsonValue& v, QString* why)
{
    const QString path = QString::fromStdString(spec.pattern);
    if (spec.type == engine::ParamType::Bool) {
        if (v.isBool()) return v.toBool() ? 1.0 : 0.0;
        if (v.isDouble() && (v.toDouble() == 0 || v.toDouble() == 1)) return v.toDouble();
        *why = "a switch takes true or false";
        return std::nullopt;
    }
    if (!v.isDouble() || !std::isfinite(v.toDouble())) {
        *why = "the value must be a number";
        return std::nullopt;
    }
    const double x = v.toDouble();
    if (x < spec.min || x > spec.max) {
        *why = QString("%1 is outside %2 to %3%4")
                   .arg(QString::fromStdString(engine::formatNumber(x)), QString::fromStdString(engine::formatNumber(spec.min)),
                        QString::fromStdString(engine::formatNumber(spec.max)),
                        spec.unit.empty() ? QString() : " " + QString::fromStdString(spec.unit));
        return std::nullopt;
    }
    return x;
}

QJsonValue jsonValue(const engine::ParamSpec& spec, double v)
{
    return spec.type == engine::ParamType::Bool ? QJsonValue(v != 0) : QJsonValue(v);
}

// Recorded points reduced to what the curve needs: switches keep their changes; numbers are
// thinned within the parameter's tolerance (0.1 dB, or 0.5 % of the range).
std::vector<engine::AutoPoint> thinned(const engine::ParamSpec& spec, const std::vector<engine::AutoPoint>& raw)
{
    if (spec.type == engine::ParamType::Bool) {
        std::vector<engine::AutoPoint> out;
        for (const auto& p : raw)
            if (out.empty() || p.value != out.back().value) out.push_back(p);
        if (raw.size() > 1 && out.back().time != raw.back().time) out.push_back(raw.back());
        return out;
    }
    return engine::thinPoints(raw, engine::thinTolerance(spec), [](double a, double b) { return std::abs(a - b); });
}
} // namespace

QJsonObject AutomationPasses::message(const Pass& p, const QString& state) const
{
    QJsonObject o{{"path", p.path}, {"state", state}, {"member", p.memberId}, {"name", p.memberName}, {"mode", modeName(p.mode)}};
    if (!p.raw.empty()) {
        o.insert("value", jsonValue(*p.spec, p.raw.back().value));
        o.insert("at", 1000.0 * static_cast<double>(p.raw.back().time) / p.rate);
    }
    return o;
}

std::optional<int64_t> AutomationPasses::timeOf(ClientSocket* c, const QJsonObject& body, const Pass* pass, qint64 clientSeq)
{
    const QString op = body.value("type").toString();
    QJsonObject extra{{"path", body.value("path")}};
    if (clientSeq >= 0) extra.insert("clientSeq", clientSeq);
    const auto heard = m_host.heard(c);
    if (!heard) {
        m_host.refuse(c, codes::Conflict, op + ": you are not listening; automation is written while your stream plays (listen, then play)",
                      extra);
        return std::nullopt;
    }
    if (pass && heard->stream != pass->stream) {
        m_host.refuse(c, codes::Conflict, op + ": the pass was begun on another stream", extra);
        return std::nullopt;
    }
    if (!heard->playing || !heard->live) {
        m_host.refuse(c, codes::Conflict,
                      op + (heard->live ? ": the transport is stopped; automation is written while it plays"
                                        : ": your stream plays a version; automation is written on the live mix"),
                      extra);
        return std::nullopt;
    }
    const int rate = m_host.applied().sampleRate;
    if (!body.contains("at")) return heard->frame;
    const double at = body.value("at").toDouble(-1);
    const double serverMs = 1000.0 * static_cast<double>(heard->frame) / rate;
    if (!(at >= 0) || std::abs(at - serverMs) > kMaxSkewMs) {
        m_host.refuse(c, codes::OutOfRange,
                      QString("%1: at %2 ms is not within %3 s of the transport (%4 ms)")
                          .arg(op)
                          .arg(at, 0, 'f', 0)
                          .arg(kMaxSkewMs / 1000)
                          .arg(serverMs, 0, 'f', 0),
                      extra);
        return std::nullopt;
    }
    return static_cast<int64_t>(std::llround(at * rate / 1000.0));
}

void AutomationPasses::begin(ClientSocket* c, const QJsonObject& b)
{
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    const QString path = b.value("path").toString();
    QJsonObject extra{{"clientSeq", clientSeq}, {"path", path}};
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    const engine::Session& s = m_host.applied();
    engine::Session& mutableState = const_cast<engine::Session&>(s); // resolveField only locates the field
    const engine::FieldRef ref = spec ? engine::resolveField(mutableState, path.toStdString()) : engine::FieldRef{};
    if (!spec || !ref) return m_host.refuse(c, codes::UnknownPath, QString("%1: no such parameter").arg(path.left(200)), extra);
    if (!engine::automatable(*spec)) return m_host.refuse(c, codes::Forbidden, QString("%1 cannot be automated").arg(path), extra);
    const auto mode = engine::laneModeFromString(b.value("mode").toString().toStdString());
    if (!mode || *mode == engine::LaneMode::Off || *mode == engine::LaneMode::Read)
        return m_host.refuse(c, codes::OutOfRange,
                             QString("auto_begin: mode \"%1\" is not touch, latch or write").arg(b.value("mode").toString().left(20)),
                             extra);
    int mine = 0;
    for (const Pass& p : std::as_const(m_passes))
        mine += p.memberId == c->memberId && p.path != path ? 1 : 0;
    if (mine >= kMaxPassesPerMember)
        return m_host.refuse(c, codes::RateLimited, QString("auto_begin: at most %1 passes at once per member").arg(kMaxPassesPerMember),
                             extra);
    const auto t = timeOf(c, b, nullptr, clientSeq);
    if (!t) return;
    double v = 0;
    const auto lane = s.automation.find(path.toStdString());
    const bool hasLane = lane != s.automation.end() && !lane->second.points.empty() && lane->second.mode != engine::LaneMode::Off;
    if (b.contains("value")) {
        QString why;
        const auto given = passValue(*spec, b.value("value"), &why);
        if (!given) return m_host.refuse(c, codes::OutOfRange, QString("%1: %2").arg(path, why), extra);
        v = *given;
    } else {
        v = hasLane ? engine::laneValue(lane->second, *spec, *t) : ref.number();
    }
    // One pass per parameter: an earlier one (anybody's) ends where this begins.
    if (m_passes.contains(path)) finish(path, *t, m_passes[path].owner == c ? "stored" : "taken_over");

    Pass p;
    p.owner = c;
    p.memberId = c->memberId;
    p.memberName = c->memberName;
    p.clientSeq = clientSeq;
    p.path = path;
    p.spec = spec;
    p.mode = *mode;
    p.stream = m_host.heard(c)->stream;
    p.rate = s.sampleRate;
    p.raw.push_back({*t, v, engine::Curve::Linear});
    p.lastBroadcastMs = m_clock.elapsed();
    const QJsonObject msg = message(p, "recording");
    m_passes.insert(path, std::move(p));
    m_host.liveChanged(true);
    QJsonObject own = msg;
    own.insert("clientSeq", clientSeq);
    c->send(encode(Kind::Pass, own));
    const QByteArray others = encode(Kind::Pass, msg);
    m_host.broadcast(others); // (the owner gets both; its copy with clientSeq first)
}

void AutomationPasses::value(ClientSocket* c, const QJsonObject& b)
{
    const QString path = b.value("path").toString();
    const auto it = m_passes.find(path);
    if (it == m_passes.end() || it->owner != c)
        return m_host.refuse(c, codes::NotFound, QString("auto_value: you have no pass on %1 (send auto_begin)").arg(path.left(200)),
                             {{"path", path}});
    QString why;
    const auto v = passValue(*it->spec, b.value("value"), &why);
    if (!v) return m_host.refuse(c, codes::OutOfRange, QString("%1: %2").arg(path, why), {{"path", path}});
    const auto t = timeOf(c, b, &*it, -1);
    if (!t) return;
    Pass& p = *it;
    const int64_t last = p.raw.back().time;
    if (*t < last - static_cast<int64_t>(kJitterMs * p.rate / 1000)) {
        finish(path, last, "stored"); // the transport went back
        return;
    }
    if (*t <= last)
        p.raw.back().value = *v;
    else
        p.raw.push_back({*t, *v, engine::Curve::Linear});
    p.holding = false;
    m_host.liveChanged(false);
    if (p.raw.size() >= kMaxRecorded) {
        finish(path, p.raw.back().time, "stored");
        return;
    }
    if (const qint64 now = m_clock.elapsed(); now - p.lastBroadcastMs >= kValueBroadcastMs) {
        p.lastBroadcastMs = now;
        m_host.broadcast(encode(Kind::Pass, message(p, "value")));
    }
}

void AutomationPasses::end(ClientSocket* c, const QJsonObject& b)
{
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    const QString path = b.value("path").toString();
    const auto it = m_passes.find(path);
    if (it == m_passes.end() || it->owner != c)
        return m_host.refuse(c, codes::NotFound, QString("auto_end: you have no pass on %1").arg(path.left(200)),
                             {{"clientSeq", clientSeq}, {"path", path}});
    int64_t until = it->raw.back().time;
    if (const auto h = m_host.heard(c); h && h->stream == it->stream && h->playing) {
        const auto t = b.contains("at") ? timeOf(c, b, &*it, clientSeq) : std::optional<int64_t>(h->frame);
        if (t && *t > until) until = *t;
    }
    if (it->mode == engine::LaneMode::Touch) {
        QJsonObject own = finish(path, until, "stored");
        own.insert("clientSeq", clientSeq);
        c->send(encode(Kind::Pass, own));
        return;
    }
    it->holding = true;
    QJsonObject msg = message(*it, "holding");
    m_host.broadcast(encode(Kind::Pass, msg));
    msg.insert("clientSeq", clientSeq);
    c->send(encode(Kind::Pass, msg));
}

void AutomationPasses::jumped(quint32 stream)
{
    QStringList ending;
    for (auto it = m_passes.cbegin(); it != m_passes.cend(); ++it)
        if (it->stream == stream) ending.append(it.key());
    for (const QString& path : ending) {
        const Pass& p = m_passes[path];
        int64_t until = p.raw.back().time;
        if (const auto h = p.owner ? m_host.heard(p.owner) : std::nullopt; h && h->stream == stream) until = std::max(until, h->frame);
        finish(path, until, "stored");
    }
}

void AutomationPasses::leave(ClientSocket* c)
{
    QStringList ending;
    for (auto it = m_passes.cbegin(); it != m_passes.cend(); ++it)
        if (it->owner == c) ending.append(it.key());
    for (const QString& path : ending)
        finish(path, m_passes[path].raw.back().time, "stored");
}

QJsonObject AutomationPasses::finish(const QString& path, int64_t until, const QString& state)
{
    Pass p = m_passes.take(path);
    std::vector<engine::AutoPoint> raw = p.raw;
    // The control stayed where it was until the pass ended (a touch pass: until release).
    if (until > raw.back().time && !p.holding && p.mode == engine::LaneMode::Touch)
        raw.push_back({until, raw.back().value, engine::Curve::Linear});
    const engine::Session& s = m_host.applied();
    const auto current = s.automation.find(path.toStdString());
    const engine::Lane* lane = current != s.automation.end() && current->second.mode != engine::LaneMode::Off ? &current->second : nullptr;
    engine::Session& mutableState = const_cast<engine::Session&>(s);
    const engine::FieldRef ref = engine::resolveField(mutableState, path.toStdString());
    QJsonObject msg = message(p, state);
    if (!ref) { // the strip went away meanwhile: nothing to store
        msg["state"] = "dropped";
        m_host.broadcast(encode(Kind::Pass, msg));
        m_host.liveChanged(true);
        return msg;
    }
    const int64_t returnFrames = static_cast<int64_t>(kTouchReturnMs) * p.rate / 1000;
    const bool touch = p.mode == engine::LaneMode::Touch;
    engine::Lane merged = engine::mergePass(lane, ref.number(), *p.spec, thinned(*p.spec, raw), touch ? -1 : until, returnFrames);
    merged.mode = p.mode;
    if (merged.points.size() > engine::kMaxLanePoints) merged.points.resize(engine::kMaxLanePoints);
    msg.insert("from", 1000.0 * static_cast<double>(raw.front().time) / p.rate);
    msg.insert("to", 1000.0 * static_cast<double>(touch ? raw.back().time + returnFrames : until) / p.rate);
    const auto seq = m_host.store(p.owner, p.clientSeq, path, merged);
    if (seq) m_storing.insert(path, Storing{*seq, std::move(merged)});
    m_host.liveChanged(true);
    if (!seq) msg["state"] = "dropped";
    m_host.broadcast(encode(Kind::Pass, msg));
    if (state == "taken_over" && p.owner) {
        QJsonObject own = msg;
        own.insert("clientSeq", p.clientSeq);
        own["state"] = "taken_over";
        p.owner->send(encode(Kind::Pass, own));
    }
    return msg;
}

void AutomationPasses::committed(qint64 seq)
{
    bool changed = false;
    for (auto it = m_storing.begin(); it != m_storing.end();)
        if (it->seq <= seq) {
            it = m_storing.erase(it);
            changed = true;
        } else {
            ++it;
        }
    if (changed) m_host.liveChanged(true);
}

void AutomationPasses::commitFailed()
{
    if (m_storing.isEmpty()) return;
    m_storing.clear();
    m_host.liveChanged(true);
}

void AutomationPasses::overlay(engine::Session& doc) const
{
    for (auto it = m_storing.cbegin(); it != m_storing.cend(); ++it)
        doc.automation[it.key().toStdString()] = it->lane;
    for (auto it = m_passes.cbegin(); it != m_passes.cend(); ++it)
        doc.automation.erase(it.key().toStdString());
    overlayValues(doc);
}

void AutomationPasses::overlayValues(engine::Session& doc) const
{
    for (auto it = m_passes.cbegin(); it != m_passes.cend(); ++it)
        if (const engine::FieldRef ref = engine::resolveField(doc, it.key().toStdString())) ref.setNumber(it->raw.back().value);
}

} // namespace mixroom::server
