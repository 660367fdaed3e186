// SPDX-License-Identifier: MIT
#include "protocol/SessionCodec.h"

#include "engine/model/Automation.h"
#include "engine/model/ParamTable.h"
#include "protocol/SessionOps.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace mixroom::protocol {

using engine::Error;
using engine::Session;

namespace {

Error err(const QString& path, const QString& msg, const char* code = "bad_session")
{
    return Error{code, (path.isEmpty() ? msg : path + ": " + msg).toStdString()};
}

std::optional<Error> setLeaf(Session& s, const QString& path, const QJsonValue& v)
{
    const auto pv = toParamValue(v);
    if (!pv) {
        const char* what = v.isNull() ? "null" : v.isArray() ? "an array" : "an object";
        if (!engine::findSpec(path.toStdString())) return err(path, "unknown key", "unknown_path");
        return err(path, QString("%1 is not allowed here").arg(what), "wrong_type");
    }
    if (auto e = engine::setParam(s, path.toStdString(), *pv)) {
        if (e->code == engine::ParamError::Code::UnknownPath) return err(path, "unknown key", "unknown_path");
        return Error{engine::ParamError::codeName(e->code), e->message};
    }
    return std::nullopt;
}

// Sets every leaf under `obj`; `skip` holds keys handled by the structural pass.
std::optional<Error> walk(Session& s, const QJsonObject& obj, const QString& prefix, const QSet<QString>& skip)
{
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const QString key = it.key();
        if (skip.contains(key)) continue;
        const QString path = prefix + key;
        const QJsonValue v = it.value();
        if (v.isObject()) {
            if (key == "sends") {
                const QJsonObject sends = v.toObject();
                for (auto sit = sends.begin(); sit != sends.end(); ++sit) {
                    if (!sit.value().isObject())
                        return err(path + "/" + sit.key(), "must be an object {\"level\": dB, \"pre\": bool}", "wrong_type");
                    if (auto e = walk(s, sit.value().toObject(), path + "/" + sit.key() + "/", {})) return e;
                }
                continue;
            }
            if (key != "comp" && key != "effect" && key != "limiter") return err(path, "unknown key", "unknown_path");
            if (auto e = walk(s, v.toObject(), path + "/", {})) return e;
        } else if (v.isArray()) {
            if (key != "eq") return err(path, "unknown key", "unknown_path");
            const QJsonArray bands = v.toArray();
            for (int i = 0; i < bands.size(); ++i) {
                const QString bandPath = path + "/" + QString::number(i + 1);
                if (!bands[i].isObject()) return err(bandPath, "an EQ band must be an object", "wrong_type");
                if (auto e = walk(s, bands[i].toObject(), bandPath + "/", {})) return e;
            }
        } else if (auto e = setLeaf(s, path, v)) {
            return e;
        }
    }
    return std::nullopt;
}

// Structural pass for one strip: EQ band count and sends.
std::optional<Error> shapeStrip(engine::Strip& st, const QJsonObject& o, const QString& prefix, const Session& s)
{
    if (o.contains("eq")) {
        if (!o["eq"].isArray()) return err(prefix + "eq", "must be an array of bands", "wrong_type");
        const auto n = o["eq"].toArray().size();
        if (n > engine::kMaxEqBands)
            return err(prefix + "eq", QString("%1 bands; at most %2 are allowed").arg(n).arg(engine::kMaxEqBands), "out_of_range");
        st.eq.assign(static_cast<size_t>(n), engine::EqBand{});
    }
    if (o.contains("sends")) {
        if (!o["sends"].isObject()) return err(prefix + "sends", "must be an object keyed by aux return id", "wrong_type");
        const QJsonObject sends = o["sends"].toObject();
        for (auto it = sends.begin(); it != sends.end(); ++it)
            if (!s.aux(it.key().toStdString())) return err(prefix + "sends/" + it.key(), "no aux return with this id", "unknown_path");
        for (const auto& r : s.returns) // in the session's return order: JSON objects have none
            if (sends.contains(QString::fromStdString(r.id))) st.sends.push_back(engine::Send{r.id});
    }
    return std::nullopt;
}

template <typename T> std::optional<Error> readList(const QJsonObject& root, const char* key, std::vector<T>& out, QSet<QString>& ids)
{
    if (!root.contains(key)) return std::nullopt;
    if (!root[key].isArray()) return err(key, "must be an array", "wrong_type");
    const QJsonArray arr = root[key].toArray();
    for (int i = 0; i < arr.size(); ++i) {
        if (!arr[i].isObject()) return err(QString("%1/%2").arg(key).arg(i), "must be an object", "wrong_type");
        const QJsonObject o = arr[i].toObject();
        const QString id = o["id"].toString();
        if (!o["id"].isString() || !isValidId(id))
            return err(QString("%1/%2/id").arg(key).arg(i), "an id of 1-32 letters, digits, '-' or '_' is required", "bad_id");
        if (id == "master" || ids.contains(id)) return err(QString("%1/%2").arg(key, id), "duplicate or reserved id", "bad_id");
        ids.insert(id);
        T item;
        item.id = id.toStdString();
        item.name = item.id;
        out.push_back(item);
    }
    return std::nullopt;
}

} // namespace

std::optional<engine::ParamValue> toParamValue(const QJsonValue& v)
{
    if (v.isDouble()) return engine::ParamValue(v.toDouble());
    if (v.isBool()) return engine::ParamValue(v.toBool());
    if (v.isString()) return engine::ParamValue(v.toString().toStdString());
    return std::nullopt;
}

bool isValidId(const QString& id)
{
    static const QRegularExpression re("^[A-Za-z0-9_-]{1,32}\\z"); // \z: "$" would also match before a final newline
    return re.match(id).hasMatch();
}

engine::Result<Session> decodeSession(const QByteArray& json)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError)
        return err({}, QString("malformed JSON at byte %1: %2").arg(pe.offset).arg(pe.errorString()), "bad_json");
    if (!doc.isObject()) return err({}, "a session document must be a JSON object", "bad_json");
    const QJsonObject root = doc.object();
    if (root["format"].toString() != kSessionFormat) return err("format", QString("must be \"%1\"").arg(kSessionFormat), "bad_session");
    if (!root["version"].isDouble()) return err("version", "a format version number is required", "bad_session");
    const int version = root["version"].toInt();
    if (version != Session::kFormatVersion)
        return err("version",
                   QString("version %1 is not supported (this build reads version %2)").arg(version).arg(Session::kFormatVersion),
                   "version_unsupported");
    static const QSet<QString> rootKeys = {"format", "version", "sampleRate", "tempo",  "tail",
                                           "tracks", "groups",  "returns",    "master", "automation"};
    for (auto it = root.begin(); it != root.end(); ++it)
        if (!rootKeys.contains(it.key())) return err(it.key(), "unknown key", "unknown_path");

    Session s;
    QSet<QString> ids;
    if (auto e = readList(root, "groups", s.groups, ids)) return *e;
    if (auto e = readList(root, "returns", s.returns, ids)) return *e;
    if (auto e = readList(root, "tracks", s.tracks, ids)) return *e;

    // Structure: effect types, EQ bands, sends; then every leaf through the parameter table.
    const QSet<QString> skipStrip = {"id"};
    auto listItems = [&](const char* key) { return root[key].toArray(); };
    for (int i = 0; i < static_cast<int>(s.groups.size()); ++i) {
        const QJsonObject o = listItems("groups")[i].toObject();
        const QString pre = QString("groups/%1/").arg(QString::fromStdString(s.groups[size_t(i)].id));
        if (auto e = shapeStrip(s.groups[size_t(i)], o, pre, s)) return *e;
    }
    for (int i = 0; i < static_cast<int>(s.returns.size()); ++i) {
        const QJsonObject o = listItems("returns")[i].toObject();
        const QString pre = QString("returns/%1/").arg(QString::fromStdString(s.returns[size_t(i)].id));
        if (auto e = shapeStrip(s.returns[size_t(i)], o, pre, s)) return *e;
        if (!s.returns[size_t(i)].sends.empty()) return err(pre + "sends", "aux returns have no sends", "unknown_path");
    }
    for (int i = 0; i < static_cast<int>(s.tracks.size()); ++i) {
        const QJsonObject o = listItems("tracks")[i].toObject();
        const QString pre = QString("tracks/%1/").arg(QString::fromStdString(s.tracks[size_t(i)].id));
        if (auto e = shapeStrip(s.tracks[size_t(i)], o, pre, s)) return *e;
        if (!o.contains("stem")) return err(pre + "stem", "every track needs a stem", "bad_session");
    }
    if (root.contains("master")) {
        if (!root["master"].isObject()) return err("master", "must be an object", "wrong_type");
        const QJsonObject m = root["master"].toObject();
        if (m.contains("eq")) {
            if (!m["eq"].isArray()) return err("master/eq", "must be an array of bands", "wrong_type");
            const auto n = m["eq"].toArray().size();
            if (n > engine::kMaxEqBands)
                return err("master/eq", QString("%1 bands; at most %2 are allowed").arg(n).arg(engine::kMaxEqBands), "out_of_range");
            s.master.eq.assign(static_cast<size_t>(n), engine::EqBand{});
        }
        if (auto e = walk(s, m, "master/", {})) return *e;
    }
    for (const char* key : {"sampleRate", "tempo", "tail"})
        if (root.contains(key))
            if (auto e = setLeaf(s, key, root[key])) return *e;
    const std::pair<const char*, const char*> lists[] = {{"groups", "groups/"}, {"returns", "returns/"}, {"tracks", "tracks/"}};
    for (const auto& [key, prefix] : lists) {
        const QJsonArray arr = listItems(key);
        for (const QJsonValue& v : arr) {
            const QJsonObject o = v.toObject();
            if (auto e = walk(s, o, prefix + o["id"].toString() + "/", skipStrip)) return *e;
        }
    }
    for (const auto& t : s.tracks)
        if (t.output != "master" && !s.group(t.output))
            return err(QString("tracks/%1/output").arg(QString::fromStdString(t.id)),
                       QString("no group \"%1\" (use \"master\" or a group id)").arg(QString::fromStdString(t.output)), "bad_routing");
    // Automation last: its paths must name fields of the structure read above.
    if (root.contains("automation")) {
        if (!root["automation"].isObject()) return err("automation", "must be an object of lanes by parameter path", "wrong_type");
        const QJsonObject lanes = root["automation"].toObject();
        for (auto it = lanes.begin(); it != lanes.end(); ++it) {
            const std::string path = it.key().toStdString();
            const engine::ParamSpec* spec = engine::findSpec(path);
            if (!spec || !engine::resolveField(s, path)) return err("automation/" + it.key(), "no such parameter", "unknown_path");
            QString why;
            auto lane = laneFromJson(it.value(), *spec, &why);
            if (!lane) return err("automation/" + it.key(), why, "bad_session");
            s.automation[path] = std::move(*lane);
        }
    }
    return s;
}

namespace {
QJsonArray pointJson(const engine::AutoPoint& q)
{
    QJsonArray p{static_cast<double>(q.time), q.value};
    if (q.curve != engine::Curve::Linear) p.append(QString::fromStdString(engine::toString(q.curve)));
    return p;
}
} // namespace

QJsonObject laneToJson(const engine::Lane& lane)
{
    QJsonArray points;
    for (const engine::AutoPoint& q : lane.points)
        points.append(pointJson(q));
    return QJsonObject{{"mode", QString::fromStdString(engine::toString(lane.mode))}, {"points", points}};
}

QJsonObject laneChangeToJson(const engine::LaneChange& c)
{
    QJsonArray added, removed, moved;
    for (const auto& p : c.added)
        added.append(pointJson(p));
    for (const auto& p : c.removed)
        removed.append(pointJson(p));
    for (const auto& [from, to] : c.moved)
        moved.append(QJsonObject{{"from", pointJson(from)}, {"to", pointJson(to)}});
    QJsonObject o{{"path", QString::fromStdString(c.path)},
                  {"lane", c.lane == engine::LaneChange::Lane::Added     ? "added"
                           : c.lane == engine::LaneChange::Lane::Removed ? "removed"
                                                                         : "changed"},
                  {"added", added},
                  {"removed", removed},
                  {"moved", moved}};
    if (c.mode)
        o.insert("mode", QJsonObject{{"before", QString::fromStdString(engine::toString(c.mode->first))},
                                     {"after", QString::fromStdString(engine::toString(c.mode->second))}});
    return o;
}

std::optional<engine::Lane> laneFromJson(const QJsonValue& json, const engine::ParamSpec& spec, QString* error)
{
    if (!json.isObject()) {
        *error = "a lane is {mode, points}";
        return std::nullopt;
    }
    const QJsonObject o = json.toObject();
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.key() != "mode" && it.key() != "points") {
            *error = QString("unknown key \"%1\" in a lane").arg(it.key().left(40));
            return std::nullopt;
        }
    engine::Lane lane;
    if (o.contains("mode")) {
        const auto mode = engine::laneModeFromString(o["mode"].toString().toStdString());
        if (!mode) {
            *error = "mode must be off, read, write, touch or latch";
            return std::nullopt;
        }
        lane.mode = *mode;
    }
    if (!o["points"].isArray()) {
        *error = "points must be an array of [time, value] or [time, value, curve]";
        return std::nullopt;
    }
    const QJsonArray points = o["points"].toArray();
    if (static_cast<size_t>(points.size()) > engine::kMaxLanePoints) {
        *error = QString("a lane holds at most %1 points").arg(engine::kMaxLanePoints);
        return std::nullopt;
    }
    lane.points.reserve(static_cast<size_t>(points.size()));
    for (int i = 0; i < points.size(); ++i) {
        const QJsonArray p = points[i].toArray();
        const bool numbers = p.size() >= 2 && p.size() <= 3 && p[0].isDouble() && (p[1].isDouble() || p[1].isBool());
        const double t = numbers ? p[0].toDouble() : -1;
        if (!numbers || t != std::floor(t) || t >= 9007199254740992.0) {
            *error = QString("point %1: give [time in samples, value] or [time, value, \"step\"|\"linear\"|\"curved\"]").arg(i + 1);
            return std::nullopt;
        }
        engine::AutoPoint q{static_cast<int64_t>(t), p[1].isBool() ? (p[1].toBool() ? 1.0 : 0.0) : p[1].toDouble(), engine::Curve::Linear};
        if (p.size() == 3) {
            const auto c = engine::curveFromString(p[2].toString().toStdString());
            if (!c) {
                *error = QString("point %1: the curve is step, linear or curved").arg(i + 1);
                return std::nullopt;
            }
            q.curve = *c;
        }
        lane.points.push_back(q);
    }
    if (auto why = engine::validateLane(spec, lane)) {
        *error = QString::fromStdString(*why);
        return std::nullopt;
    }
    return lane;
}

namespace {

// The document as an ordered tree built from paths, then turned into JSON: lists of strips
// ("tracks", "groups", "returns") become arrays of objects carrying their "id", "eq" becomes an
// array of bands, everything else objects keyed by segment.
struct Tree {
    QJsonValue leaf;
    bool list = false; // an array (of strips with ids, or of EQ bands)
    bool strips = false;
    // Children in insertion order (the session's order). Two vectors, not a vector of pairs: a
    // pair of an incomplete type is not allowed (clang's libstdc++ checks), a vector of one is.
    std::vector<QString> keys;
    std::vector<Tree> kids;

    Tree& child(const QString& key)
    {
        for (size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return kids[i];
        keys.push_back(key);
        kids.emplace_back();
        return kids.back();
    }
    QJsonValue json() const
    {
        if (list) {
            QJsonArray a;
            for (size_t i = 0; i < kids.size(); ++i) {
                QJsonObject o = kids[i].json().toObject();
                if (strips) o.insert("id", keys[i]);
                a.append(o);
            }
            return a;
        }
        if (kids.empty()) return leaf;
        QJsonObject o;
        for (size_t i = 0; i < kids.size(); ++i)
            o.insert(keys[i], kids[i].json());
        return o;
    }
};

QJsonValue toJson(const engine::ParamValue& v)
{
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<bool>(v)) return std::get<bool>(v);
    return QString::fromStdString(std::get<std::string>(v));
}

} // namespace

QByteArray encodeSession(const Session& s)
{
    // Every field the table has for this session's structure, active or not: what the server
    // accepted is what a snapshot, a version or a joining client gets.
    Tree root;
    for (const char* list : {"groups", "returns", "tracks"}) { // present even when empty
        root.child(list).list = true;
        root.child(list).strips = true;
    }
    engine::forEachField(s, [&](const std::string& path, const engine::ParamSpec&, engine::FieldRef ref) {
        const QStringList seg = QString::fromStdString(path).split('/');
        const int eqAt = seg[0] == "master" ? 1 : 2; // "master/eq/1/..." or "tracks/bass/eq/1/..."
        Tree* node = &root;
        for (int i = 0; i < seg.size(); ++i) {
            node = &node->child(seg[i]);
            if (i == eqAt && seg[i] == "eq" && seg.size() == i + 3) node->list = true;
        }
        node->leaf = toJson(ref.get());
    });
    QJsonObject doc = root.json().toObject();
    if (!s.automation.empty()) {
        QJsonObject lanes;
        for (const auto& [path, lane] : s.automation)
            lanes.insert(QString::fromStdString(path), laneToJson(lane));
        doc.insert("automation", lanes);
    }
    doc.insert("format", kSessionFormat);
    doc.insert("version", Session::kFormatVersion);
    return QJsonDocument(doc).toJson(QJsonDocument::Indented);
}

} // namespace mixroom::protocol
