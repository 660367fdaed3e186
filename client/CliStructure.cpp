// SPDX-License-Identifier: MIT
// The structure commands of the mixroom CLI: tracks (remove, rename, move), routing, groups, aux
// returns with their effect settings, sends and EQ bands. Every name is resolved against the
// session the welcome brought, so a typo fails at once with a suggestion; the server still checks
// everything.
#include "client/CliSupport.h"
#include "client/NameResolver.h"
#include "engine/model/ParamTable.h"

#include <QRegularExpression>

namespace mixroom::client::cli {

namespace {

const char* kTrackUsage = "track remove TRACK | track rename TRACK NAME | track move TRACK POSITION (1 = first)";
const char* kGroupUsage = "group add NAME [--id ID] | group remove GROUP | group rename GROUP NAME";
const char* kReturnUsage =
    "return add NAME --effect reverb|delay [PARAM=VALUE...] [--id ID] | return remove RETURN | return rename RETURN NAME";
const char* kSendUsage = "send add STRIP RETURN [--level DB] [--pre] | send remove STRIP RETURN";
const char* kBandUsage = "band add STRIP [--type TYPE] [freq=HZ gain=DB q=Q] | band remove STRIP N | band move STRIP N POSITION";

// Runs one request; prints nothing. Returns the exit code (0 on ack).
int request(Session& s, Kind kind, const QJsonObject& fields, qint64* seq = nullptr)
{
    const QJsonObject r = s.call(kind, fields);
    if (isError(r)) return failWith(r);
    if (seq) *seq = r.value("seq").toInteger();
    return 0;
}

// PARAM=VALUE arguments, set one by one under `prefix` ("returns/plate/effect", "tracks/bass/eq/3").
int setAssignments(Session& s, const QString& prefix, const QStringList& assignments, qint64* seq)
{
    for (const QString& a : assignments) {
        const int eq = a.indexOf('=');
        if (eq <= 0) return usage(QString("... %1: expected PARAM=VALUE").arg(a));
        const QString typed = prefix + "/" + a.left(eq);
        QString error;
        auto path = resolveParamPath(s.conn().mirror().state(), typed, false, &error);
        if (!path) return fail(protocol::codes::UnknownPath, error);
        auto value = parseParamValue(*path, a.mid(eq + 1), &error);
        if (!value) return fail(protocol::codes::WrongType, error);
        if (int rc = request(s, Kind::Set, {{"path", *path}, {"value", *value}}, seq)) return rc;
    }
    return 0;
}

// A strip for EQ bands: any strip, or the master.
std::optional<QString> bandStrip(const engine::Session& state, const QString& text, QString* error)
{
    if (text.compare("master", Qt::CaseInsensitive) == 0) return QString("master");
    return findStripPath(state, text, true, error);
}

} // namespace

int runStructureCommand(const QString& cmd, const Options& o, Session& s)
{
    static const QStringList commands{"track", "group", "return", "send", "band", "output"};
    if (!commands.contains(cmd)) return -1;
    const engine::Session& state = s.conn().mirror().state();
    const QStringList& a = o.rest;
    const QString sub = a.value(0);
    QString error;
    qint64 seq = 0;
    auto done = [&](QJsonObject json, const QString& text) {
        json.insert("seq", seq);
        out(o, json, text);
        return 0;
    };

    if (cmd == "output") {
        if (a.size() != 2) return usage("output TRACK GROUP|master");
        auto track = findNamed(tracksOf(state), a[0], "track", &error);
        if (!track) return fail(protocol::codes::NotFound, error);
        QString to = "master";
        if (a[1].compare("master", Qt::CaseInsensitive) != 0) {
            auto group = findNamed(groupsOf(state), a[1], "group", &error);
            if (!group) return fail(protocol::codes::NotFound, error + " (tracks go to a group or the master)");
            to = *group;
        }
        if (int rc = request(s, Kind::Set, {{"path", QString("tracks/%1/output").arg(*track)}, {"value", to}}, &seq)) return rc;
        return done({{"track", *track}, {"output", to}}, QString("%1 now plays into %2").arg(*track, to));
    }

    if (cmd == "track") {
        if (!((sub == "remove" && a.size() == 2) || ((sub == "rename" || sub == "move") && a.size() == 3))) return usage(kTrackUsage);
        auto id = findNamed(tracksOf(state), a[1], "track", &error);
        if (!id) return fail(protocol::codes::NotFound, error);
        if (sub == "remove") {
            if (int rc = request(s, Kind::RemoveTrack, {{"id", *id}}, &seq)) return rc;
            return done({{"removed", *id}}, QString("Removed track %1").arg(*id));
        }
        if (sub == "rename") {
            if (int rc = request(s, Kind::RenameTrack, {{"id", *id}, {"name", a[2]}}, &seq)) return rc;
            return done({{"track", *id}, {"name", a[2]}}, QString("Renamed track %1 to \"%2\"").arg(*id, a[2]));
        }
        bool ok = false;
        const int position = a[2].toInt(&ok);
        const int count = static_cast<int>(state.tracks.size());
        if (!ok || position < 1 || position > count)
            return fail(protocol::codes::OutOfRange, QString("position \"%1\" is not between 1 and %2").arg(a[2]).arg(count));
        if (int rc = request(s, Kind::MoveTrack, {{"id", *id}, {"index", position - 1}}, &seq)) return rc;
        return done({{"track", *id}, {"position", position}}, QString("Moved track %1 to position %2").arg(*id).arg(position));
    }

    if (cmd == "group" || cmd == "return") {
        const bool group = cmd == "group";
        const char* synopsis = group ? kGroupUsage : kReturnUsage;
        if (sub == "add") {
            if (a.size() < 2 || (group && a.size() != 2)) return usage(synopsis);
            const QString display = a[1];
            const QString id = o.id.isEmpty() ? newStripId(state, display) : o.id;
            QJsonObject f{{"id", id}, {"name", display}};
            if (group) {
                if (int rc = request(s, Kind::AddGroup, f, &seq)) return rc;
                return done({{"group", id}, {"name", display}}, QString("Added group %1 (\"%2\")").arg(id, display));
            }
            const QString effect = o.effect.isEmpty() ? QString("reverb") : o.effect.toLower();
            if (effect != "reverb" && effect != "delay")
                return fail(protocol::codes::OutOfRange,
                            QString("effect \"%1\" is not reverb or delay%2").arg(o.effect, didYouMean(o.effect, {"reverb", "delay"})));
            f.insert("effect", effect);
            if (int rc = request(s, Kind::AddReturn, f, &seq)) return rc;
            if (int rc = setAssignments(s, QString("returns/%1/effect").arg(id), a.mid(2), &seq)) return rc;
            return done({{"return", id}, {"name", display}, {"effect", effect}},
                        QString("Added aux return %1 (\"%2\", %3)").arg(id, display, effect));
        }
        if (!((sub == "remove" && a.size() == 2) || (sub == "rename" && a.size() == 3))) return usage(synopsis);
        auto id = findNamed(group ? groupsOf(state) : returnsOf(state), a[1], group ? "group" : "aux return", &error);
        if (!id) return fail(protocol::codes::NotFound, error);
        if (sub == "rename") {
            if (int rc = request(s, Kind::Set, {{"path", QString("%1s/%2/name").arg(cmd, *id)}, {"value", a[2]}}, &seq)) return rc;
            return done({{cmd, *id}, {"name", a[2]}}, QString("Renamed %1 %2 to \"%3\"").arg(cmd, *id, a[2]));
        }
        if (int rc = request(s, group ? Kind::RemoveGroup : Kind::RemoveReturn, {{"id", *id}}, &seq)) return rc;
        return done({{"removed", *id}}, group ? QString("Removed group %1; its tracks now play into the master").arg(*id)
                                              : QString("Removed aux return %1 and every send to it").arg(*id));
    }

    if (cmd == "send") {
        if (!((sub == "add" || sub == "remove") && a.size() == 3)) return usage(kSendUsage);
        auto strip = findStripPath(state, a[1], false, &error);
        if (!strip) return fail(protocol::codes::NotFound, error);
        auto to = findNamed(returnsOf(state), a[2], "aux return", &error);
        if (!to) return fail(protocol::codes::NotFound, error);
        if (sub == "remove") {
            if (int rc = request(s, Kind::RemoveSend, {{"strip", *strip}, {"to", *to}}, &seq)) return rc;
            return done({{"strip", *strip}, {"removed", *to}}, QString("Removed the send from %1 to %2").arg(*strip, *to));
        }
        if (int rc = request(s, Kind::AddSend, {{"strip", *strip}, {"to", *to}}, &seq)) return rc;
        const QString base = QString("%1/sends/%2").arg(*strip, *to);
        double level = engine::kSilenceDb;
        if (!o.level.isEmpty()) {
            bool ok = false;
            level = o.level == "-inf" ? engine::kSilenceDb : o.level.toDouble(&ok);
            if (o.level != "-inf" && !ok) return fail(protocol::codes::WrongType, QString("--level \"%1\" is not a number").arg(o.level));
            if (int rc = request(s, Kind::Set, {{"path", base + "/level"}, {"value", level}}, &seq)) return rc;
        }
        if (o.pre)
            if (int rc = request(s, Kind::Set, {{"path", base + "/pre"}, {"value", true}}, &seq)) return rc;
        return done({{"strip", *strip}, {"to", *to}, {"level", level}, {"pre", o.pre}},
                    QString("%1 now sends to %2 at %3 dB%4%5")
                        .arg(*strip, *to, level <= engine::kSilenceDb ? QString("-inf") : QString::number(level))
                        .arg(o.pre ? " (pre-fader)" : "")
                        .arg(o.level.isEmpty() ? QString("; raise it with mixroom set %1/level -12").arg(base) : QString()));
    }

    // band
    if (!((sub == "add" && a.size() >= 2) || (sub == "remove" && a.size() == 3) || (sub == "move" && a.size() == 4)))
        return usage(kBandUsage);
    auto strip = bandStrip(state, a[1], &error);
    if (!strip) return fail(protocol::codes::NotFound, error);
    const int bands = static_cast<int>(eqByPath(state, *strip)->size());
    if (sub == "add") {
        QJsonObject f{{"strip", *strip}};
        if (!o.bandType.isEmpty()) {
            const engine::ParamSpec* spec = engine::findSpec("master/eq/1/type");
            QStringList types;
            for (const std::string& t : spec->choices)
                types << QString::fromStdString(t);
            if (!types.contains(o.bandType))
                return fail(
                    protocol::codes::OutOfRange,
                    QString("band type \"%1\" is not one of %2%3").arg(o.bandType, types.join(", "), didYouMean(o.bandType, types)));
            f.insert("bandType", o.bandType);
        }
        if (bands >= engine::kMaxEqBands)
            return fail(protocol::codes::OutOfRange,
                        QString("%1 already has %2 EQ bands, the most a strip can have").arg(*strip).arg(bands));
        if (int rc = request(s, Kind::AddBand, f, &seq)) return rc;
        const int band = bands + 1;
        if (int rc = setAssignments(s, QString("%1/eq/%2").arg(*strip).arg(band), a.mid(2), &seq)) return rc;
        return done({{"strip", *strip}, {"band", band}}, QString("Added EQ band %1 to %2").arg(band).arg(*strip));
    }
    bool ok = false;
    const int band = a[2].toInt(&ok);
    if (!ok || band < 1 || band > bands)
        return fail(protocol::codes::NotFound,
                    bands == 0 ? QString("%1 has no EQ bands").arg(*strip)
                               : QString("%1 has no EQ band \"%2\" (bands are numbered 1-%3)").arg(*strip, a[2]).arg(bands));
    if (sub == "remove") {
        if (int rc = request(s, Kind::RemoveBand, {{"strip", *strip}, {"band", band}}, &seq)) return rc;
        return done({{"strip", *strip}, {"removed", band}}, QString("Removed EQ band %1 from %2").arg(band).arg(*strip));
    }
    const int to = a[3].toInt(&ok);
    if (!ok || to < 1 || to > bands)
        return fail(protocol::codes::OutOfRange, QString("position \"%1\" is not between 1 and %2").arg(a[3]).arg(bands));
    if (int rc = request(s, Kind::MoveBand, {{"strip", *strip}, {"band", band}, {"to", to}}, &seq)) return rc;
    return done({{"strip", *strip}, {"band", band}, {"to", to}},
                QString("Moved EQ band %1 of %2 to position %3").arg(band).arg(*strip).arg(to));
}

} // namespace mixroom::client::cli
