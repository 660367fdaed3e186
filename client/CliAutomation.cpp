// SPDX-License-Identifier: MIT
// mixroom auto ...: automation lanes from the command line. Every change reads the lane from the
// mirror (the committed state at connect), changes it, and sends the whole lane as one set_lane,
// which the server validates against the parameter's row like any edit.
#include "client/AutomationText.h"
#include "client/CliSupport.h"
#include "client/NameResolver.h"
#include "engine/model/Automation.h"
#include "protocol/SessionCodec.h"

#include <QFile>
#include <QJsonArray>
#include <QSaveFile>
#include <QTextStream>

#include <cmath>

namespace mixroom::client::cli {

namespace {

const char* kSynopsis = "auto show PATH | add PATH TIME VALUE [--curve step|linear|curved] | remove PATH TIME | "
                        "clear PATH [--from TIME] [--to TIME] | mode PATH off|read|touch|latch|write | "
                        "fade in|out LENGTH [--shape linear|equal-power|exponential|s-curve] | export PATH FILE.csv | import PATH FILE.csv";

QJsonArray pointsJson(const std::vector<engine::AutoPoint>& points)
{
    return protocol::laneToJson(engine::Lane{engine::LaneMode::Read, points}).value("points").toArray();
}

QString laneText(const QString& path, const engine::Lane& lane, int rate)
{
    QStringList lines{QString("%1: %2, %3 point%4")
                          .arg(path, QString::fromStdString(engine::toString(lane.mode)))
                          .arg(lane.points.size())
                          .arg(lane.points.size() == 1 ? "" : "s")};
    for (size_t i = 0; i < lane.points.size(); ++i)
        lines << QString("  %1  %2").arg(i + 1, 4).arg(pointText(path, lane.points[i], rate));
    return lines.join('\n');
}

// CSV: a header naming the columns (time_samples or time_seconds, value, optional curve), then
// one point per line.
std::optional<std::vector<engine::AutoPoint>> readCsv(const QString& file, int rate, QString* error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QString("cannot read %1: %2").arg(file, f.errorString());
        return std::nullopt;
    }
    QTextStream in(&f);
    const QStringList header = in.readLine().trimmed().toLower().split(',');
    const int samples = header.indexOf("time_samples"), seconds = header.indexOf("time_seconds"), value = header.indexOf("value"),
              curve = header.indexOf("curve");
    if ((samples < 0 && seconds < 0) || value < 0) {
        *error = QString("%1: line 1 must name the columns: time_samples or time_seconds, value, and optionally curve").arg(file);
        return std::nullopt;
    }
    std::vector<engine::AutoPoint> points;
    for (int line = 2; !in.atEnd(); ++line) {
        const QString text = in.readLine().trimmed();
        if (text.isEmpty()) continue;
        const QStringList cells = text.split(',');
        auto cell = [&](int i) { return i >= 0 && i < cells.size() ? cells[i].trimmed() : QString(); };
        bool okT = false, okV = false;
        engine::AutoPoint p;
        if (samples >= 0)
            p.time = cell(samples).toLongLong(&okT);
        else
            p.time = std::llround(cell(seconds).toDouble(&okT) * rate);
        const QString v = cell(value).toLower();
        if (v == "true" || v == "on")
            p.value = 1, okV = true;
        else if (v == "false" || v == "off")
            p.value = 0, okV = true;
        else
            p.value = v.toDouble(&okV);
        if (!okT || !okV || !std::isfinite(p.value)) {
            *error = QString("%1: line %2: \"%3\" is not a time and a value").arg(file).arg(line).arg(text.left(80));
            return std::nullopt;
        }
        if (const QString c = cell(curve); !c.isEmpty()) {
            const auto parsed = engine::curveFromString(c.toLower().toStdString());
            if (!parsed) {
                *error = QString("%1: line %2: curve \"%3\" is not step, linear or curved").arg(file).arg(line).arg(c.left(20));
                return std::nullopt;
            }
            p.curve = *parsed;
        }
        if (!points.empty() && p.time <= points.back().time) {
            *error = QString("%1: line %2: times must increase").arg(file).arg(line);
            return std::nullopt;
        }
        points.push_back(p);
        if (points.size() > engine::kMaxLanePoints) {
            *error = QString("%1: more than %2 points").arg(file).arg(engine::kMaxLanePoints);
            return std::nullopt;
        }
    }
    return points;
}

} // namespace

int runAutomationCommand(const QString& cmd, const Options& o, Session& s)
{
    if (cmd != "auto") return -1;
    const QStringList& a = o.rest;
    const QString sub = a.value(0);
    const engine::Session& state = s.conn().mirror().state();
    const int rate = state.sampleRate;
    QString error;
    // TIME as a position (1:23.5, 83.5, 83500ms) -> samples at the session rate.
    auto samplesAt = [&](const QString& text) -> std::optional<int64_t> {
        const double ms = parsePosition(text);
        if (ms < 0) return std::nullopt;
        return std::llround(ms * rate / 1000.0);
    };
    auto badTime = [](const QString& t) { return fail("usage", QString("\"%1\" is not a time (use 1:23.5, 83.5 or 83500ms)").arg(t), 2); };
    auto send = [&](const QString& path, const QJsonObject& fields, const QString& done) {
        QJsonObject f = fields;
        f.insert("path", path);
        const QJsonObject r = s.call(Kind::SetLane, f);
        if (isError(r)) return failWith(r);
        QJsonObject json{{"path", path}, {"seq", r.value("seq")}};
        if (fields.contains("points")) json.insert("points", fields.value("points"));
        if (fields.contains("mode")) json.insert("mode", fields.value("mode"));
        out(o, json, QString("%1 (seq %2)").arg(done).arg(r.value("seq").toInteger()));
        return 0;
    };

    if (sub == "fade") {
        if (a.size() != 3 || (a[1] != "in" && a[1] != "out"))
            return usage("auto fade in|out LENGTH [--shape linear|equal-power|exponential|s-curve]");
        const auto length = samplesAt(a[2]);
        if (!length || *length <= 0) return badTime(a[2]);
        const QString shapeName = o.shape.isEmpty() ? QString("equal-power") : o.shape;
        const auto shape = engine::fadeShapeFromString(shapeName.toStdString());
        if (!shape) return fail("usage", QString("--shape %1: use linear, equal-power, exponential or s-curve").arg(shapeName), 2);
        const QString path = "master/fader";
        const auto it = state.automation.find(path.toStdString());
        const engine::Lane* lane = it == state.automation.end() ? nullptr : &it->second;
        const int64_t songEnd = std::llround(s.conn().welcome().value("lengthMs").toDouble() * rate / 1000.0);
        const bool in = a[1] == "in";
        if (!in && songEnd <= 0) return fail("not_found", "the song has no length yet (no stems): nothing to fade out");
        const int64_t start = in ? 0 : std::max<int64_t>(0, songEnd - *length);
        const int64_t end = in ? *length : songEnd;
        const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
        const double level = lane ? engine::laneValue(*lane, *spec, in ? end : start) : state.master.fader;
        std::vector<engine::AutoPoint> points;
        if (lane)
            for (const auto& p : lane->points)
                if (p.time < start) points.push_back(p);
        for (const auto& p : engine::fadePoints(*shape, in, start, end - start, level))
            points.push_back(p);
        if (lane)
            for (const auto& p : lane->points)
                if (p.time > end) points.push_back(p);
        return send(path, {{"points", pointsJson(points)}},
                    QString("Fade %1 on master/fader: %2 from %3 to %4 (%5 points)")
                        .arg(a[1], shapeName, laneTime(start, rate), laneTime(end, rate))
                        .arg(points.size()));
    }

    if (a.size() < 2) return usage(kSynopsis);
    const auto resolved = resolveParamPath(state, a[1], false, &error);
    if (!resolved) return fail(protocol::codes::UnknownPath, error);
    const QString path = *resolved;
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    if (!spec || !engine::automatable(*spec))
        return fail(protocol::codes::OutOfRange, QString("%1 cannot be automated (docs/PARAMETERS.md lists what can)").arg(path));
    const auto it = state.automation.find(path.toStdString());
    const engine::Lane lane = it == state.automation.end() ? engine::Lane{} : it->second;
    const bool hasLane = it != state.automation.end();

    if (sub == "show") {
        if (a.size() != 2) return usage("auto show PATH");
        QJsonObject json{{"path", path}};
        if (hasLane) {
            const QJsonObject l = protocol::laneToJson(lane);
            json.insert("mode", l.value("mode"));
            json.insert("points", l.value("points"));
        }
        out(o, json, hasLane ? laneText(path, lane, rate) : QString("%1: no automation").arg(path));
        return 0;
    }
    if (sub == "add") {
        if (a.size() != 4) return usage("auto add PATH TIME VALUE [--curve step|linear|curved]");
        const auto t = samplesAt(a[2]);
        if (!t) return badTime(a[2]);
        const auto v = parseParamValue(path, a[3], &error);
        if (!v) return fail(protocol::codes::BadMessage, error);
        const auto curve = engine::curveFromString((o.curve.isEmpty() ? QString("linear") : o.curve).toStdString());
        if (!curve) return fail("usage", QString("--curve %1: use step, linear or curved").arg(o.curve), 2);
        std::vector<engine::AutoPoint> points;
        const engine::AutoPoint p{*t, v->isBool() ? (v->toBool() ? 1.0 : 0.0) : v->toDouble(), *curve};
        for (const auto& q : lane.points)
            if (q.time != p.time) points.push_back(q);
        points.insert(
            std::upper_bound(points.begin(), points.end(), p.time, [](int64_t x, const engine::AutoPoint& q) { return x < q.time; }), p);
        return send(path, {{"points", pointsJson(points)}}, QString("Added %1 to %2").arg(pointText(path, p, rate), path));
    }
    if (sub == "remove") {
        if (a.size() != 3) return usage("auto remove PATH TIME");
        const auto t = samplesAt(a[2]);
        if (!t) return badTime(a[2]);
        // The point at TIME, to the millisecond (times print to the millisecond).
        const int64_t slack = std::max<int64_t>(1, rate / 2000);
        std::vector<engine::AutoPoint> points;
        std::optional<engine::AutoPoint> gone;
        for (const auto& q : lane.points)
            if (!gone && std::llabs(q.time - *t) <= slack)
                gone = q;
            else
                points.push_back(q);
        if (!gone)
            return fail(protocol::codes::NotFound,
                        QString("%1 has no point at %2 (mixroom auto show %1 lists them)").arg(path, laneTime(*t, rate)));
        return send(path, {{"points", pointsJson(points)}}, QString("Removed %1 from %2").arg(pointText(path, *gone, rate), path));
    }
    if (sub == "clear") {
        if (a.size() != 2) return usage("auto clear PATH [--from TIME] [--to TIME]");
        if (!hasLane) return fail(protocol::codes::NotFound, QString("%1 has no automation").arg(path));
        const auto from = o.from.isEmpty() ? std::optional<int64_t>(0) : samplesAt(o.from);
        if (!from) return badTime(o.from);
        const auto to = o.to.isEmpty() ? std::optional<int64_t>(INT64_MAX) : samplesAt(o.to);
        if (!to) return badTime(o.to);
        if (*to < *from) return fail("usage", "--to must not be before --from", 2);
        std::vector<engine::AutoPoint> points;
        for (const auto& q : lane.points)
            if (q.time < *from || q.time > *to) points.push_back(q);
        const size_t removed = lane.points.size() - points.size();
        return send(path, {{"points", pointsJson(points)}},
                    points.empty() ? QString("Cleared the automation of %1").arg(path)
                                   : QString("Removed %1 point%2 from %3").arg(removed).arg(removed == 1 ? "" : "s").arg(path));
    }
    if (sub == "mode") {
        if (a.size() != 3 || !engine::laneModeFromString(a[2].toStdString())) return usage("auto mode PATH off|read|touch|latch|write");
        if (!hasLane) return fail(protocol::codes::NotFound, QString("%1 has no automation; add points first").arg(path));
        return send(path, {{"mode", a[2]}}, QString("%1: mode %2").arg(path, a[2]));
    }
    if (sub == "export") {
        if (a.size() != 3) return usage("auto export PATH FILE.csv");
        if (!hasLane) return fail(protocol::codes::NotFound, QString("%1 has no automation").arg(path));
        QSaveFile f(a[2]);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return fail("io", QString("cannot write %1: %2").arg(a[2], f.errorString()));
        QTextStream ts(&f);
        ts << "time_samples,time_seconds,value,curve\n";
        for (const auto& q : lane.points)
            ts << q.time << ',' << QString::number(static_cast<double>(q.time) / rate, 'f', 6) << ','
               << QString::fromStdString(engine::formatNumber(q.value)) << ',' << QString::fromStdString(engine::toString(q.curve)) << '\n';
        ts.flush();
        if (!f.commit()) return fail("io", QString("cannot write %1: %2").arg(a[2], f.errorString()));
        out(o, QJsonObject{{"path", path}, {"file", a[2]}, {"points", static_cast<double>(lane.points.size())}},
            QString("Wrote %1 points of %2 to %3").arg(lane.points.size()).arg(path, a[2]));
        return 0;
    }
    if (sub == "import") {
        if (a.size() != 3) return usage("auto import PATH FILE.csv");
        const auto points = readCsv(a[2], rate, &error);
        if (!points) return fail(protocol::codes::BadMessage, error);
        if (points->empty()) return fail(protocol::codes::BadMessage, QString("%1 has no points").arg(a[2]));
        return send(path, {{"points", pointsJson(*points)}}, QString("Imported %1 points into %2").arg(points->size()).arg(path));
    }
    return usage(kSynopsis);
}

} // namespace mixroom::client::cli
