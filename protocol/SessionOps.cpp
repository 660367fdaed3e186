// SPDX-License-Identifier: MIT
#include "protocol/SessionOps.h"

#include "engine/model/ParamTable.h"
#include "protocol/Messages.h"
#include "protocol/SessionCodec.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cstdlib>
#include <map>

namespace mixroom::protocol {

using engine::Session;

namespace {

OpError fail(const QString& code, const QString& message, const QString& path = {})
{
    return OpError{code, message, path};
}

engine::Strip* stripAt(Session& s, const QString& path)
{
    const QStringList parts = path.split('/');
    if (parts.size() != 2) return nullptr;
    const std::string id = parts[1].toStdString();
    if (parts[0] == "tracks") return s.track(id);
    if (parts[0] == "groups") return s.group(id);
    if (parts[0] == "returns") return s.aux(id);
    return nullptr;
}

bool idTaken(const Session& s, const std::string& id)
{
    return id == "master" || s.track(id) || s.group(id) || s.aux(id);
}

std::optional<OpError> checkNewId(const Session& s, const QJsonObject& args)
{
    const QString id = args.value("id").toString();
    if (!isValidId(id)) return fail(codes::OutOfRange, QString("id \"%1\" must be 1-32 letters, digits, '-' or '_'").arg(id.left(40)));
    if (idTaken(s, id.toStdString())) return fail(codes::Conflict, QString("id \"%1\" is already in use").arg(id));
    return std::nullopt;
}

std::optional<OpError> setText(Session& s, const QString& path, const QJsonValue& v)
{
    if (auto e = engine::setParam(s, path.toStdString(), v.toString().toStdString()))
        return fail(codes::OutOfRange, QString::fromStdString(e->message), path);
    return std::nullopt;
}

} // namespace

bool isStructuralEdit(const QString& op, const QJsonObject& args)
{
    if (op != "set") return true;
    const engine::ParamSpec* spec = engine::findSpec(args.value("path").toString().toStdString());
    return spec && spec->rebuild;
}

engine::RateClass rateClassOf(const QString& op, const QJsonObject& args)
{
    if (op != "set") return engine::RateClass::Structure;
    const engine::ParamSpec* spec = engine::findSpec(args.value("path").toString().toStdString());
    return spec ? spec->rate : engine::RateClass::Edit;
}

QJsonValue valueAt(const Session& session, const QString& path)
{
    auto v = engine::getParam(session, path.toStdString());
    if (!std::holds_alternative<engine::ParamValue>(v)) return QJsonValue(QJsonValue::Null);
    const auto& pv = std::get<engine::ParamValue>(v);
    if (std::holds_alternative<double>(pv)) return std::get<double>(pv);
    if (std::holds_alternative<bool>(pv)) return std::get<bool>(pv);
    return QString::fromStdString(std::get<std::string>(pv));
}

std::optional<OpError> applyStructure(Session& s, const QString& op, const QJsonObject& args, const StemExists& stemExists);

namespace {
// Lanes follow their EQ band when bands are removed or moved: `to(n)` is band n's new number, 0
// when it is gone.
void renumberBandLanes(Session& s, const QString& strip, const std::function<int(int)>& to)
{
    const std::string prefix = strip.toStdString() + "/eq/";
    std::map<std::string, engine::Lane> moved;
    for (auto it = s.automation.begin(); it != s.automation.end();) {
        if (it->first.rfind(prefix, 0) != 0) {
            ++it;
            continue;
        }
        const std::string rest = it->first.substr(prefix.size());
        const size_t slash = rest.find('/');
        const int band = std::atoi(rest.substr(0, slash).c_str());
        if (const int n = to(band); n > 0 && slash != std::string::npos)
            moved[prefix + std::to_string(n) + rest.substr(slash)] = std::move(it->second);
        it = s.automation.erase(it);
    }
    s.automation.merge(moved);
}

// Lanes whose parameter is gone (its strip, send or band removed) go with it.
void pruneLanes(Session& s)
{
    for (auto it = s.automation.begin(); it != s.automation.end();)
        it = engine::resolveField(s, it->first) ? std::next(it) : s.automation.erase(it);
}

std::optional<OpError> setLane(Session& s, const QJsonObject& args)
{
    const QString path = args.value("path").toString();
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    if (!spec || !engine::resolveField(s, path.toStdString()))
        return fail(codes::UnknownPath, QString("%1: no such parameter").arg(path.left(200)), path);
    if (!args.contains("mode") && !args.contains("points")) return fail(codes::BadMessage, "set_lane needs mode, points or both", path);
    const auto current = s.automation.find(path.toStdString());
    const QJsonObject now =
        current != s.automation.end() ? laneToJson(current->second) : QJsonObject{{"mode", "read"}, {"points", QJsonArray{}}};
    QJsonObject next = now;
    if (args.contains("mode")) next["mode"] = args.value("mode");
    if (args.contains("points")) next["points"] = args.value("points");
    QString why;
    auto lane = laneFromJson(next, *spec, &why);
    if (!lane) return fail(codes::OutOfRange, QString("%1: %2").arg(path, why), path);
    if (lane->points.empty())
        s.automation.erase(path.toStdString());
    else
        s.automation[path.toStdString()] = std::move(*lane);
    return std::nullopt;
}
} // namespace

std::optional<OpError> applyOp(Session& s, const QString& op, const QJsonObject& args, const StemExists& stemExists)
{
    if (op == "set_lane") return setLane(s, args);
    auto result = applyStructure(s, op, args, stemExists);
    if (!result && op != "set") {
        if (op == "remove_band" || op == "move_band") {
            const int band = args.value("band").toInt(), to = args.value("to").toInt();
            renumberBandLanes(s, args.value("strip").toString(), [&](int n) {
                if (op == "remove_band") return n == band ? 0 : n > band ? n - 1 : n;
                if (n == band) return to;
                if (band < to && n > band && n <= to) return n - 1;
                if (to < band && n >= to && n < band) return n + 1;
                return n;
            });
        }
        pruneLanes(s);
    }
    return result;
}

std::optional<OpError> applyStructure(Session& s, const QString& op, const QJsonObject& args, const StemExists& stemExists)
{
    if (op == "set") {
        const QString path = args.value("path").toString();
        const QJsonValue v = args.value("value");
        if (path == "sampleRate") return fail(codes::Forbidden, "sampleRate: the sample rate is fixed when the session is created", path);
        const auto pv = toParamValue(v);
        if (!pv) return fail(codes::WrongType, path + ": the value must be a number, true/false or text", path);
        if (path.endsWith("/output")) {
            const std::string out = v.toString().toStdString();
            if (out != "master" && !s.group(out))
                return fail(codes::OutOfRange, QString("%1: no group \"%2\"").arg(path, v.toString()), path);
        }
        if (path.endsWith("/stem") && !(stemExists && stemExists(v.toString())))
            return fail(codes::NotFound, QString("%1: no stem %2 in the store").arg(path, v.toString().left(64)), path);
        if (auto e = engine::setParam(s, path.toStdString(), *pv)) {
            const QString code = e->code == engine::ParamError::Code::UnknownPath ? codes::UnknownPath
                                 : e->code == engine::ParamError::Code::WrongType ? codes::WrongType
                                                                                  : codes::OutOfRange;
            return fail(code, QString::fromStdString(e->message), path);
        }
        return std::nullopt;
    }
    if (op == "restore") {
        auto restored = decodeSession(QJsonDocument(args.value("state").toObject()).toJson(QJsonDocument::Compact));
        if (!restored)
            return fail(codes::BadMessage,
                        "restore: the version's document is unreadable: " + QString::fromStdString(restored.error().message));
        if (restored->sampleRate != s.sampleRate) return fail(codes::OutOfRange, "restore: the version has another sample rate");
        s = restored.value();
        return std::nullopt;
    }
    if (op == "add_track") {
        if (auto e = checkNewId(s, args)) return e;
        const QString stem = args.value("stem").toString();
        if (!(stemExists && stemExists(stem)))
            return fail(codes::NotFound, QString("no stem %1 in the store; upload it first").arg(stem.left(64)));
        engine::Track t;
        t.id = args.value("id").toString().toStdString();
        t.name = args.value("name").toString(args.value("id").toString()).toStdString();
        t.stem = stem.toStdString();
        t.output = args.value("output").toString("master").toStdString();
        if (t.output != "master" && !s.group(t.output))
            return fail(codes::OutOfRange, QString("no group \"%1\"").arg(QString::fromStdString(t.output)));
        Session next = s;
        next.tracks.push_back(t);
        if (auto e = setText(next, QString("tracks/%1/name").arg(QString::fromStdString(t.id)), QString::fromStdString(t.name))) return e;
        s = std::move(next);
        return std::nullopt;
    }
    if (op == "add_group" || op == "add_return") {
        if (auto e = checkNewId(s, args)) return e;
        Session next = s;
        const std::string id = args.value("id").toString().toStdString();
        QString prefix;
        if (op == "add_group") {
            engine::Group g;
            g.id = g.name = id;
            next.groups.push_back(g);
            prefix = "groups/";
        } else {
            engine::Return r;
            r.id = r.name = id;
            const QString fx = args.value("effect").toString();
            if (fx != "reverb" && fx != "delay")
                return fail(codes::OutOfRange, QString("effect \"%1\" is not reverb or delay").arg(fx.left(20)));
            r.effect = fx == "reverb" ? engine::EffectType::Reverb : engine::EffectType::Delay;
            next.returns.push_back(r);
            prefix = "returns/";
        }
        if (args.contains("name"))
            if (auto e = setText(next, prefix + QString::fromStdString(id) + "/name", args.value("name"))) return e;
        s = std::move(next);
        return std::nullopt;
    }
    if (op == "remove_track" || op == "rename_track" || op == "move_track") {
        const std::string id = args.value("id").toString().toStdString();
        auto it = std::find_if(s.tracks.begin(), s.tracks.end(), [&](const engine::Track& t) { return t.id == id; });
        if (it == s.tracks.end()) return fail(codes::NotFound, QString("no track \"%1\"").arg(args.value("id").toString().left(40)));
        if (op == "remove_track") {
            s.tracks.erase(it);
            return std::nullopt;
        }
        if (op == "rename_track") return setText(s, QString("tracks/%1/name").arg(QString::fromStdString(id)), args.value("name"));
        const int index = args.value("index").toInt(-1);
        if (index < 0 || index >= static_cast<int>(s.tracks.size()))
            return fail(codes::OutOfRange, QString("index %1 is outside 0-%2").arg(index).arg(s.tracks.size() - 1));
        engine::Track t = *it;
        s.tracks.erase(it);
        s.tracks.insert(s.tracks.begin() + index, t);
        return std::nullopt;
    }
    if (op == "remove_group" || op == "remove_return") {
        const std::string id = args.value("id").toString().toStdString();
        Session next = s;
        if (op == "remove_group") {
            auto it = std::find_if(next.groups.begin(), next.groups.end(), [&](const engine::Group& g) { return g.id == id; });
            if (it == next.groups.end()) return fail(codes::NotFound, QString("no group \"%1\"").arg(args.value("id").toString().left(40)));
            next.groups.erase(it);
            for (auto& t : next.tracks)
                if (t.output == id) t.output = "master";
        } else {
            auto it = std::find_if(next.returns.begin(), next.returns.end(), [&](const engine::Return& r) { return r.id == id; });
            if (it == next.returns.end())
                return fail(codes::NotFound, QString("no aux return \"%1\"").arg(args.value("id").toString().left(40)));
            next.returns.erase(it);
            auto drop = [&](engine::Strip& st) {
                st.sends.erase(std::remove_if(st.sends.begin(), st.sends.end(), [&](const engine::Send& x) { return x.to == id; }),
                               st.sends.end());
            };
            for (auto& t : next.tracks)
                drop(t);
            for (auto& g : next.groups)
                drop(g);
            for (auto& r : next.returns)
                drop(r);
        }
        s = std::move(next);
        return std::nullopt;
    }
    if (op == "move_band") {
        const QString strip = args.value("strip").toString();
        std::vector<engine::EqBand>* eq = strip == "master" ? &s.master.eq : nullptr;
        if (!eq)
            if (engine::Strip* st = stripAt(s, strip)) eq = &st->eq;
        if (!eq) return fail(codes::NotFound, QString("no strip \"%1\"").arg(strip.left(80)));
        const int band = args.value("band").toInt(), to = args.value("to").toInt();
        const int n = static_cast<int>(eq->size());
        if (band < 1 || band > n) return fail(codes::NotFound, QString("%1 has no EQ band %2").arg(strip).arg(band));
        if (to < 1 || to > n) return fail(codes::OutOfRange, QString("%1: position %2 is outside 1-%3").arg(strip).arg(to).arg(n));
        const engine::EqBand moved = (*eq)[band - 1];
        eq->erase(eq->begin() + (band - 1));
        eq->insert(eq->begin() + (to - 1), moved);
        return std::nullopt;
    }
    if (op == "add_band" || op == "remove_band") {
        const QString strip = args.value("strip").toString();
        std::vector<engine::EqBand>* eq = strip == "master" ? &s.master.eq : nullptr;
        if (!eq)
            if (engine::Strip* st = stripAt(s, strip)) eq = &st->eq;
        if (!eq) return fail(codes::NotFound, QString("no strip \"%1\"").arg(strip.left(80)));
        if (op == "add_band") {
            if (eq->size() >= static_cast<size_t>(engine::kMaxEqBands))
                return fail(codes::OutOfRange, QString("%1 already has %2 EQ bands").arg(strip).arg(engine::kMaxEqBands));
            Session next = s;
            std::vector<engine::EqBand>* neq = strip == "master" ? &next.master.eq : &stripAt(next, strip)->eq;
            neq->push_back(engine::EqBand{});
            if (args.contains("bandType"))
                if (auto e = engine::setParam(next, QString("%1/eq/%2/type").arg(strip).arg(neq->size()).toStdString(),
                                              args.value("bandType").toString().toStdString()))
                    return fail(codes::OutOfRange, QString::fromStdString(e->message));
            s = std::move(next);
            return std::nullopt;
        }
        const int band = args.value("band").toInt();
        if (band < 1 || band > static_cast<int>(eq->size()))
            return fail(codes::NotFound, QString("%1 has no EQ band %2").arg(strip).arg(band));
        eq->erase(eq->begin() + (band - 1));
        return std::nullopt;
    }
    if (op == "add_send" || op == "remove_send") {
        const QString strip = args.value("strip").toString();
        engine::Strip* st = strip.startsWith("returns/") ? nullptr : stripAt(s, strip);
        if (!st) return fail(codes::NotFound, QString("no track or group \"%1\"").arg(strip.left(80)));
        const std::string to = args.value("to").toString().toStdString();
        auto it = std::find_if(st->sends.begin(), st->sends.end(), [&](const engine::Send& x) { return x.to == to; });
        if (op == "remove_send") {
            if (it == st->sends.end())
                return fail(codes::NotFound, QString("%1 has no send to \"%2\"").arg(strip, args.value("to").toString().left(40)));
            st->sends.erase(it);
            return std::nullopt;
        }
        if (!s.aux(to)) return fail(codes::NotFound, QString("no aux return \"%1\"").arg(args.value("to").toString().left(40)));
        if (it != st->sends.end())
            return fail(codes::Conflict, QString("%1 already sends to \"%2\"").arg(strip, args.value("to").toString()));
        // Sends follow the session's return order, as in the session document.
        std::vector<engine::Send> sends;
        for (const auto& r : s.returns) {
            auto found = std::find_if(st->sends.begin(), st->sends.end(), [&](const engine::Send& x) { return x.to == r.id; });
            if (found != st->sends.end())
                sends.push_back(*found);
            else if (r.id == to)
                sends.push_back(engine::Send{to});
        }
        st->sends = sends;
        return std::nullopt;
    }
    return fail(codes::UnknownMessage, QString("unknown edit \"%1\"").arg(op.left(40)));
}

} // namespace mixroom::protocol
