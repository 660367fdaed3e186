// SPDX-License-Identifier: MIT
#include "client/Cli.h"
#include "client/CliSupport.h"

#include "client/ClientConfig.h"
#include "client/Connection.h"
#include "client/NameResolver.h"
#include "client/SignalQuit.h"
#include "client/Tls.h"
#include "client/Uploader.h"
#include "engine/model/ParamTable.h"
#include "protocol/SessionCodec.h"
#include "protocol/SessionOps.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <QRegularExpression>

#include <cstdio>
#include <map>
#include <unistd.h>

namespace mixroom::client {

using namespace protocol;
using namespace cli;

namespace {

const char* kUsage = "Usage: mixroom <command> [args] [--server URL] [--token TOKEN] [--session ID] [--json]\n"
                     "\n"
                     "Connecting\n"
                     "  login URL --token TOKEN [--ca FILE]\n"
                     "                                remember the server (ws://HOST:PORT or wss://...) and a token;\n"
                     "                                --ca trusts a private CA's certificate (PEM) for wss://\n"
                     "  sessions                      list sessions (admin)\n"
                     "  create NAME [--rate HZ]       create a session (admin); you become its owner\n"
                     "  use SESSION                   make a session you have a token for the current one\n"
                     "  invite --role artist|mix|mastering|client [--name NAME] [--link] [--expires 7d]\n"
                     "                                create a member (owner); --link prints a review-page link\n"
                     "                                (https://HOST/r#t=TOKEN) for a browser; --expires 30m|12h|7d|4w\n"
                     "  members                       list the session's members\n"
                     "  revoke MEMBER                 revoke a member by name or id (owner)\n"
                     "\n"
                     "Building the mix (owner)\n"
                     "  upload FILE... [--name NAME] [--output GROUP] [--replace]\n"
                     "                                upload stems and add a track for each; resumes an interrupted upload;\n"
                     "                                --replace swaps the stem of the track with that name\n"
                     "  track remove TRACK | rename TRACK NAME | move TRACK POSITION (1 = first)\n"
                     "  output TRACK GROUP|master     route a track to a group or the master\n"
                     "  group add NAME [--id ID] | remove GROUP | rename GROUP NAME\n"
                     "  return add NAME --effect reverb|delay [PARAM=VALUE...] | remove RETURN | rename RETURN NAME\n"
                     "                                e.g. return add Plate --effect reverb decay=2.4 predelay=20\n"
                     "                                (--id ID picks the id; by default it comes from the name)\n"
                     "  send add STRIP RETURN [--level DB] [--pre] | remove STRIP RETURN\n"
                     "  band add STRIP [--type TYPE] [freq=HZ gain=DB q=Q] | remove STRIP N | move STRIP N POSITION\n"
                     "                                STRIP is a track, group or return name, or master\n"
                     "\n"
                     "Mixing\n"
                     "  tracks                        list tracks, groups and returns\n"
                     "  set PATH VALUE                set a parameter, e.g. set tracks/Vocals/fader -3.5\n"
                     "  get PATH                      print a parameter, or every parameter under it (get master, get tracks/bass)\n"
                     "  state                         print the whole session\n"
                     "  watch                         print edits, notes, versions and presence as they happen (Ctrl-C stops)\n"
                     "\n"
                     "Automation (TIME: 1:23.5, 83.5 or 83500ms)\n"
                     "  auto show PATH                a parameter's lane: mode and points\n"
                     "  auto add PATH TIME VALUE [--curve step|linear|curved]   add (or replace) a point\n"
                     "  auto remove PATH TIME         remove the point at TIME\n"
                     "  auto clear PATH [--from TIME] [--to TIME]   remove the points in a range (all: the lane)\n"
                     "  auto mode PATH off|read|touch|latch|write\n"
                     "  auto fade in|out LENGTH [--shape linear|equal-power|exponential|s-curve]\n"
                     "                                a song fade on the master fader (default equal-power)\n"
                     "  auto export PATH FILE.csv, auto import PATH FILE.csv\n"
                     "                                columns time_samples (or time_seconds), value, curve\n"
                     "\n"
                     "Reviewing\n"
                     "  note add POSITION TEXT [--to POSITION] [--version NAME]   pin a note (1:23.5, 83.5 or 83500ms)\n"
                     "  note reply|edit ID TEXT, note resolve|reopen|delete ID    (ID: a unique prefix is enough)\n"
                     "  notes [--open|--resolved] [--version NAME] [--author MEMBER]\n"
                     "  version save NAME [--message TEXT], version diff A [B], version restore NAME, versions\n"
                     "  approve NAME, unapprove NAME, status [NAME], version show NAME\n"
                     "  policy ROLE...                the roles whose every member must approve (owner)\n"
                     "  pull NAME -o FILE [--format wav24|wav32f|flac24]   download a version's mix (the format follows\n"
                     "                                FILE's extension: .wav is wav24, .flac flac24; resumes, verifies SHA-256)\n"
                     "\n"
                     "Listening\n"
                     "  listen [--follow|--own] [--bitrate KBPS] [--frame 10|20] [--device N [--buffer MS] | --out FILE.opus|FILE.wav]\n"
                     "         [--duration SECONDS]   hear the live mix (--duration is wall-clock time)\n"
                     "  ab VERSION|live [--match]     switch a running `listen --own` between the live mix and a version\n"
                     "                                (--match: loudness-matched)\n"
                     "  devices                       list audio outputs (for listen --device N)\n"
                     "  play, pause, seek POSITION, loop FROM TO, unloop   drive the shared transport (editors); with --own,\n"
                     "                                your own listen --own transport\n"
                     "\n"
                     "Paths name tracks, groups, returns and sends by name or id (any case, or a unique prefix);\n"
                     "parameters are listed in docs/PARAMETERS.md. --json prints one JSON object per command:\n"
                     "{\"ok\":true,...} or {\"ok\":false,\"error\":{\"code\",\"message\"}}. Errors also go to stderr.\n"
                     "Exit codes: 0 done, 1 refused or failed, 2 usage, 3 cannot connect.\n"
                     "  -h, --help    this text        -V, --version   the client's version\n";

// "30m", "12h", "7d", "4w", "3600s" or plain seconds; 0 when not understood.
qint64 parseDuration(const QString& text)
{
    static const QRegularExpression re("^(\\d+(?:\\.\\d+)?)\\s*([smhdw]?)$");
    const auto m = re.match(text.trimmed().toLower());
    if (!m.hasMatch()) return 0;
    const double n = m.captured(1).toDouble();
    const QString unit = m.captured(2);
    const double scale = unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : unit == "w" ? 7 * 86400 : 1;
    return static_cast<qint64>(n * scale);
}

// The review page's share link for a server address: the token in the fragment, which browsers
// never send to the server.
QString reviewLink(const QString& server, const QString& token)
{
    QUrl u(server);
    u.setScheme(u.scheme() == "wss" ? "https" : "http");
    u.setPath("/r");
    u.setQuery(QString());
    u.setFragment("t=" + token);
    return u.toString();
}

int needArgs(const Options& o, int n, const QString& synopsis)
{
    if (o.rest.size() != n) return usage(synopsis);
    return 0;
}

// The server's address must be its WebSocket URL.
int checkServerUrl(const QString& url)
{
    const QUrl u(url);
    if (u.scheme() == "http" || u.scheme() == "https")
        return fail("usage",
                    QString("%1 is an HTTP address; use ws:// or wss:// (e.g. %2)")
                        .arg(url, QString(url).replace(QRegularExpression("^http"), "ws")),
                    2);
    if (!u.isValid() || (u.scheme() != "ws" && u.scheme() != "wss") || u.host().isEmpty())
        return fail("usage", QString("%1 is not a server address; use ws://HOST:PORT or wss://HOST:PORT").arg(url), 2);
    return 0;
}

} // namespace

int runCli(const QStringList& argv)
{
    Options o;
    QStringList args = argv;
    if (args.size() == 1 && (args[0] == "--version" || args[0] == "-V")) {
        std::printf("mixroom %s\n", MIXROOM_VERSION);
        return 0;
    }
    g_json = args.contains("--json");
    QString rate, role, name, bitrate, frame, duration, device, buffer, expires, ca;
    bool link = false;
    bool match = false;
    bool listenOwn = false, listenFollow = false;
    // Options taking a value, and flags.
    const std::map<QString, QString*> values = {
        {"--server", &o.server},   {"--token", &o.token}, {"--session", &o.session}, {"--rate", &rate},         {"--role", &role},
        {"--name", &name},         {"--to", &o.to},       {"--version", &o.version}, {"--message", &o.message}, {"--author", &o.author},
        {"-o", &o.outFile},        {"--out", &o.outFile}, {"--format", &o.format},   {"--bitrate", &bitrate},   {"--frame", &frame},
        {"--duration", &duration}, {"--device", &device}, {"--buffer", &buffer},     {"--output", &o.output},   {"--effect", &o.effect},
        {"--type", &o.bandType},   {"--level", &o.level}, {"--id", &o.id},           {"--expires", &expires},   {"--ca", &ca},
        {"--curve", &o.curve},     {"--shape", &o.shape}, {"--from", &o.from}};
    const std::map<QString, bool*> flags = {{"--json", &o.json},       {"--open", &o.open}, {"--resolved", &o.resolved},
                                            {"--own", &listenOwn},     {"--match", &match}, {"--follow", &listenFollow},
                                            {"--replace", &o.replace}, {"--pre", &o.pre},   {"--link", &link}};
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args[i];
        if (a == "-h" || a == "--help") {
            std::printf("%s", kUsage);
            return 0;
        }
        if (auto v = values.find(a); v != values.end()) {
            if (i + 1 >= args.size()) return fail("usage", QString("%1 needs a value").arg(a), 2);
            *v->second = args[++i];
        } else if (auto f = flags.find(a); f != flags.end()) {
            *f->second = true;
        } else if (a.startsWith("--")) {
            return fail("usage", QString("unknown option %1 (mixroom --help lists them)").arg(a), 2);
        } else {
            o.rest.append(a);
        }
    }
    if (o.rest.isEmpty()) {
        if (g_json) return fail("usage", "no command (mixroom --help lists them)", 2);
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    const QString cmd = o.rest.takeFirst();
    static const QStringList known = {"login",    "sessions", "create",    "use",    "invite",  "members", "revoke", "upload",
                                      "tracks",   "set",      "get",       "state",  "watch",   "note",    "notes",  "version",
                                      "versions", "approve",  "unapprove", "status", "pull",    "policy",  "listen", "play",
                                      "pause",    "seek",     "loop",      "unloop", "devices", "ab",      "track",  "group",
                                      "return",   "send",     "band",      "output", "auto"};
    if (!known.contains(cmd))
        return fail("usage", QString("unknown command \"%1\"%2 (mixroom --help lists them)").arg(cmd, didYouMean(cmd, known)), 2);
    if (cmd == "devices") return runDevicesCommand(o);
    ClientConfig config;
    QString error;
    if (!config.load(&error)) return fail("config", error);
    const QString server = o.server.isEmpty() ? config.server() : o.server;
    // A private CA for wss:// (and the HTTPS of uploads and pulls): given now, or remembered by login.
    const QString caFile = !ca.isEmpty() ? ca : config.caFile();
    if (!caFile.isEmpty() && !trustCaFile(caFile, &error)) return fail("usage", error, 2);
    const QString clientId = config.clientId();

    if (cmd == "login") {
        if (int rc = needArgs(o, 1, "login URL --token TOKEN")) return rc;
        if (o.token.isEmpty()) return usage("login URL --token TOKEN");
        if (int rc = checkServerUrl(o.rest[0])) return rc;
        Session s(o.rest[0], o.token, clientId);
        if (int rc = s.connect()) return rc;
        const QJsonObject w = s.conn().welcome();
        config.setServer(o.rest[0]);
        config.setCaFile(ca.isEmpty() ? QString() : QFileInfo(ca).absoluteFilePath());
        QString who;
        if (w.value("admin").toBool()) {
            config.setAdminToken(o.token);
            who = "the admin";
        } else {
            const QJsonObject ses = w.value("session").toObject();
            const QString r = w.value("member").toObject().value("role").toString();
            config.setSessionToken(ses.value("id").toString(), ses.value("name").toString(), r, o.token);
            config.setCurrent(ses.value("id").toString());
            who = QString("%1 in session \"%2\" (%3)").arg(r, ses.value("name").toString(), ses.value("id").toString());
        }
        if (!config.save(&error)) return fail("config", error);
        out(o,
            QJsonObject{{"server", o.rest[0]}, {"admin", w.value("admin")}, {"session", w.value("session")}, {"member", w.value("member")}},
            QString("Logged in to %1 as %2").arg(o.rest[0], who));
        return 0;
    }
    if (server.isEmpty())
        return fail("not_logged_in", "no server known: run mixroom login URL --token TOKEN (or pass --server and --token)", 2);
    if (int rc = checkServerUrl(server)) return rc;

    const bool adminCommand = cmd == "sessions" || cmd == "create";
    if (adminCommand) {
        const QString token = o.token.isEmpty() ? config.adminToken() : o.token;
        if (token.isEmpty()) return fail("not_logged_in", "this needs the admin token: mixroom login URL --token ADMIN_TOKEN", 2);
        Session s(server, token, clientId);
        if (int rc = s.connect()) return rc;
        if (!s.conn().isAdmin()) return fail("forbidden", "this needs the admin token, not a member token");
        if (cmd == "sessions") {
            const QJsonObject r = s.call(Kind::ListSessions, {});
            if (isError(r)) return failWith(r);
            QString text = "ID                NAME                              EDITS  MEMBERS";
            for (const QJsonValue& v : r.value("sessions").toArray()) {
                const QJsonObject x = v.toObject();
                text += QString("\n%1 %2 %3 %4")
                            .arg(x.value("id").toString(), -17)
                            .arg(x.value("name").toString(), -33)
                            .arg(x.value("seq").toInteger(), 5)
                            .arg(x.value("members").toInteger(), 8);
            }
            out(o, QJsonObject{{"sessions", r.value("sessions")}}, text);
            return 0;
        }
        if (int rc = needArgs(o, 1, "create NAME [--rate HZ]")) return rc;
        QJsonObject f{{"name", o.rest[0]}};
        if (!rate.isEmpty()) f.insert("sampleRate", rate.toInt());
        const QJsonObject r = s.call(Kind::CreateSession, f);
        if (isError(r)) return failWith(r);
        const QJsonObject ses = r.value("session").toObject();
        config.setSessionToken(ses.value("id").toString(), ses.value("name").toString(), "mix", r.value("token").toString());
        config.setCurrent(ses.value("id").toString());
        if (!config.save(&error)) return fail("config", error);
        out(o, r,
            QString("Created session \"%1\" (%2); you are its owner.\nOwner token (shown once, saved in %3):\n  %4")
                .arg(ses.value("name").toString(), ses.value("id").toString(), config.path(), r.value("token").toString()));
        return 0;
    }
    if (cmd == "use") {
        if (int rc = needArgs(o, 1, "use SESSION")) return rc;
        const QJsonObject known = config.sessions();
        QString id = known.contains(o.rest[0]) ? o.rest[0] : QString();
        for (auto it = known.begin(); id.isEmpty() && it != known.end(); ++it)
            if (it.value().toObject().value("name").toString() == o.rest[0]) id = it.key();
        if (id.isEmpty())
            return fail("not_found",
                        QString("no token for session \"%1\"; ask its owner for an invite, then mixroom login").arg(o.rest[0]));
        config.setCurrent(id);
        if (!config.save(&error)) return fail("config", error);
        out(o, QJsonObject{{"current", id}}, QString("Now using session %1").arg(id));
        return 0;
    }

    const QString sessionId = o.session.isEmpty() ? config.current() : o.session;
    const QString token = !o.token.isEmpty() ? o.token : config.sessionToken(sessionId);
    if (token.isEmpty()) return fail("not_logged_in", "no session token: mixroom login URL --token TOKEN, or mixroom use SESSION", 2);
    Session s(server, token, clientId);
    s.conn().setQuiet(cmd != "watch" && cmd != "listen"); // a one-off command is not "present"
    if (int rc = s.connect()) return rc;
    if (s.conn().isAdmin()) return fail("forbidden", QString("%1 needs a member token of a session, not the admin token").arg(cmd));
    const engine::Session& state = s.conn().mirror().state();

    if (cmd == "invite") {
        if (role.isEmpty()) return usage("invite --role artist|mix|mastering|client [--name NAME] [--link] [--expires 7d]");
        QJsonObject f{{"role", role}};
        if (!name.isEmpty()) f.insert("name", name);
        if (!expires.isEmpty()) {
            const qint64 seconds = parseDuration(expires);
            if (seconds <= 0) return fail("usage", QString("--expires %1: give a duration such as 30m, 12h, 7d or 4w").arg(expires), 2);
            f.insert("expiresIn", static_cast<double>(seconds));
        }
        QJsonObject r = s.call(Kind::Invite, f);
        if (isError(r)) return failWith(r);
        const QJsonObject member = r.value("member").toObject();
        const QString token = r.value("token").toString();
        const QString until = member.contains("expires")
                                  ? QString(" until %1")
                                        .arg(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(member.value("expires").toDouble()))
                                                 .toString("yyyy-MM-dd HH:mm"))
                                  : QString();
        if (link) {
            const QString url = reviewLink(server, token);
            r.insert("link", url);
            out(o, r,
                QString("Invited %1 as %2%3. Send them this link (anyone holding it can join until it expires or is revoked,\n"
                        "so send it privately; revoke it with: mixroom revoke \"%1\"):\n  %4")
                    .arg(member.value("name").toString(), role, until, url));
            return 0;
        }
        out(o, r,
            QString("Invited %1 as %2%5. Their token (shown once):\n  %3\nThey join with:\n  mixroom login %4 --token %3")
                .arg(member.value("name").toString(), role, token, server, until));
        return 0;
    }
    if (cmd == "members") {
        const QJsonObject r = s.call(Kind::ListMembers, {});
        if (isError(r)) return failWith(r);
        QString text = "ID                 ROLE       NAME                 STATUS";
        for (const QJsonValue& v : r.value("members").toArray()) {
            const QJsonObject m = v.toObject();
            const bool expired = m.contains("expires") && m.value("expires").toDouble() <= QDateTime::currentMSecsSinceEpoch();
            const QString status = m.value("revoked").toBool()     ? "revoked"
                                   : expired                       ? "expired"
                                   : m.value("connected").toBool() ? "online"
                                                                   : "offline";
            text += QString("\n%1 %2 %3 %4")
                        .arg(m.value("id").toString(), -18)
                        .arg(m.value("role").toString(), -10)
                        .arg(m.value("name").toString(), -20)
                        .arg(status);
        }
        out(o, QJsonObject{{"members", r.value("members")}}, text);
        return 0;
    }
    if (cmd == "revoke") {
        if (int rc = needArgs(o, 1, "revoke MEMBER")) return rc;
        const QJsonObject list = s.call(Kind::ListMembers, {});
        if (isError(list)) return failWith(list);
        QList<Named> members;
        for (const QJsonValue& v : list.value("members").toArray())
            if (!v.toObject().value("revoked").toBool())
                members.append({v.toObject().value("id").toString(), v.toObject().value("name").toString()});
        auto member = findNamed(members, o.rest[0], "member", &error);
        if (!member) return fail(codes::NotFound, error + " (mixroom members lists them)");
        const QJsonObject r = s.call(Kind::Revoke, {{"member", *member}});
        if (isError(r)) return failWith(r);
        out(o, r, QString("Revoked %1").arg(*member));
        return 0;
    }
    if (cmd == "upload") {
        if (o.rest.isEmpty()) return usage("upload FILE... [--name NAME] [--output GROUP] [--replace]");
        if (!name.isEmpty() && o.rest.size() > 1) return fail("usage", "--name applies to one file at a time", 2);
        QString output = "master";
        if (!o.output.isEmpty() && o.output.compare("master", Qt::CaseInsensitive) != 0) {
            auto group = findNamed(groupsOf(state), o.output, "group", &error);
            if (!group) return fail(codes::NotFound, error + " (add one with: mixroom group add NAME)");
            output = *group;
        }
        // Every file is checked before the first byte goes: a name clash asks for a decision.
        QStringList displays, replacing;
        for (const QString& file : o.rest) {
            const QFileInfo fi(file);
            if (!fi.isFile()) return fail("unreadable", QString("%1 is not a readable file").arg(file));
            const QString display = (name.isEmpty() ? fi.completeBaseName() : name).left(64);
            QString existing;
            for (const auto& t : state.tracks)
                if (QString::fromStdString(t.name).compare(display, Qt::CaseInsensitive) == 0) existing = QString::fromStdString(t.id);
            if (!existing.isEmpty() && !o.replace)
                return fail(codes::Conflict, QString("there is already a track named \"%1\" (%2); upload with --name NEW-NAME for a new "
                                                     "track, or --replace to give %2 this file as its stem")
                                                 .arg(display, existing));
            if (existing.isEmpty() && o.replace)
                return fail(codes::NotFound,
                            QString("--replace: no track named \"%1\" to replace%2").arg(display, didYouMean(display, [&] {
                                                                                             QStringList names;
                                                                                             for (const auto& t : state.tracks)
                                                                                                 names << QString::fromStdString(t.name);
                                                                                             return names;
                                                                                         }())));
            displays << display;
            replacing << existing;
        }
        const bool tty = isatty(fileno(stderr));
        QJsonArray added;
        for (int i = 0; i < o.rest.size(); ++i) {
            const QString& file = o.rest[i];
            const QFileInfo fi(file);
            const QString key = QString("%1|%2|%3").arg(fi.absoluteFilePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
            Uploader up(QUrl(server), token);
            up.onStarted([&](const QString& id) { // saved before the first byte: a killed client resumes
                config.setUploadFor(key, id);
                QString saveError;
                if (!config.save(&saveError)) std::fprintf(stderr, "mixroom: cannot remember the upload: %s\n", qPrintable(saveError));
            });
            const QString resumeId = config.uploadFor(key);
            auto res = up.upload(file, resumeId, [&](qint64 sent, qint64 total) {
                if (!tty || o.json) return;
                const int width = 30, filled = total ? int(width * sent / total) : width;
                std::fprintf(stderr, "\r%-24s [%s%s] %3d%% %6.1f MB", qPrintable(fi.fileName().left(24)),
                             QByteArray(filled, '#').constData(), QByteArray(width - filled, '.').constData(),
                             total ? int(100 * sent / total) : 100, sent / 1e6);
                std::fflush(stderr);
            });
            if (tty && !o.json) std::fprintf(stderr, "\n");
            config.setUploadFor(key, res.ok ? QString() : res.uploadId);
            config.save(&error);
            if (!res.ok)
                return fail(res.code, res.message + (res.uploadId.isEmpty() ? QString() : " (run the same command again to resume)"));
            const QString display = displays[i];
            const QJsonObject stem = res.stem;
            QString id = replacing[i];
            QJsonObject r;
            if (id.isEmpty()) {
                id = newStripId(state, display);
                QJsonObject f{{"id", id}, {"name", display}, {"stem", stem.value("hash")}};
                if (output != "master") f.insert("output", output);
                r = s.call(Kind::AddTrack, f);
            } else {
                r = s.call(Kind::Set, {{"path", QString("tracks/%1/stem").arg(id)}, {"value", stem.value("hash")}});
            }
            if (isError(r)) return failWith(r);
            const int rate = stem.value("sampleRate").toInt(), sourceRate = stem.value("sourceRate").toInt(rate);
            const QString rateText = sourceRate == rate
                                         ? QString("%1 kHz").arg(rate / 1000.0)
                                         : QString("%1 kHz, resampled to %2 kHz").arg(sourceRate / 1000.0).arg(rate / 1000.0);
            added.append(QJsonObject{{"track", id},
                                     {"name", display},
                                     {"replaced", !replacing[i].isEmpty()},
                                     {"output", output},
                                     {"stem", stem},
                                     {"seq", r.value("seq")},
                                     {"resumedAt", static_cast<double>(res.resumedAt)}});
            if (!o.json)
                std::printf("%s track %s (\"%s\"): %s, %d ch, %.1f s, %s%s%s, stem %s\n",
                            replacing[i].isEmpty() ? "Added" : "Replaced the stem of", qPrintable(id), qPrintable(display),
                            qPrintable(stem.value("sourceFormat").toString()), stem.value("channels").toInt(),
                            stem.value("frames").toDouble() / std::max(1, rate), qPrintable(rateText),
                            output != "master" && replacing[i].isEmpty() ? ", into " : "",
                            output != "master" && replacing[i].isEmpty() ? qPrintable(output) : "",
                            qPrintable(stem.value("hash").toString().left(12)));
            if (res.resumedAt > 0 && !o.json) std::printf("  (resumed at %.1f MB of an earlier upload)\n", res.resumedAt / 1e6);
        }
        if (o.json) out(o, QJsonObject{{"added", added}}, {});
        return 0;
    }
    if (cmd == "tracks") {
        QJsonArray arr;
        QString text = "KIND    ID              NAME                 FADER    PAN  MUTE SOLO OUTPUT";
        auto row = [&](const char* kind, const engine::Strip& st, const QString& output) {
            arr.append(QJsonObject{{"kind", kind},
                                   {"id", QString::fromStdString(st.id)},
                                   {"name", QString::fromStdString(st.name)},
                                   {"fader", st.fader},
                                   {"pan", st.pan},
                                   {"mute", st.mute},
                                   {"solo", st.solo},
                                   {"output", output}});
            text += QString("\n%1 %2 %3 %4 %5 %6 %7 %8")
                        .arg(kind, -7)
                        .arg(QString::fromStdString(st.id), -15)
                        .arg(QString::fromStdString(st.name), -20)
                        .arg(st.fader <= engine::kSilenceDb ? QString("-inf") : QString::number(st.fader, 'f', 1), 6)
                        .arg(QString::number(st.pan, 'f', 2), 6)
                        .arg(st.mute ? "M" : "-", 4)
                        .arg(st.solo ? "S" : "-", 4)
                        .arg(output);
        };
        for (const auto& t : state.tracks)
            row("track", t, QString::fromStdString(t.output));
        for (const auto& g : state.groups)
            row("group", g, "master");
        for (const auto& r : state.returns)
            row("return", r, "master");
        out(o, QJsonObject{{"strips", arr}}, text);
        return 0;
    }
    if (cmd == "get") {
        if (int rc = needArgs(o, 1, "get PATH")) return rc;
        auto path = resolveParamPath(state, o.rest[0], true, &error);
        if (!path) return fail(codes::UnknownPath, error);
        const auto fields = fieldsUnder(state, *path);
        if (fields.size() == 1 && fields[0].first == *path) {
            const QJsonValue v = fields[0].second;
            out(o, QJsonObject{{"path", *path}, {"value", v}, {"seq", s.conn().mirror().seq()}}, valueText(v));
            return 0;
        }
        QJsonObject values;
        QStringList lines;
        for (const auto& [p, v] : fields) {
            values.insert(p, v);
            lines << QString("%1 = %2").arg(p, valueText(v));
        }
        out(o, QJsonObject{{"path", *path}, {"values", values}, {"seq", s.conn().mirror().seq()}}, lines.join('\n'));
        return 0;
    }
    if (cmd == "state") {
        const QJsonObject doc = QJsonDocument::fromJson(encodeSession(state)).object();
        if (o.json) {
            out(o, QJsonObject{{"seq", s.conn().mirror().seq()}, {"state", doc}}, {});
        } else {
            const QJsonObject w = s.conn().welcome();
            std::printf("Session \"%s\" (%s), sequence %lld; you are %s (%s)\n%s",
                        qPrintable(w.value("session").toObject().value("name").toString()),
                        qPrintable(w.value("session").toObject().value("id").toString()), static_cast<long long>(s.conn().mirror().seq()),
                        qPrintable(w.value("member").toObject().value("name").toString()),
                        qPrintable(w.value("member").toObject().value("role").toString()), encodeSession(state).constData());
        }
        return 0;
    }
    if (cmd == "set") {
        if (int rc = needArgs(o, 2, "set PATH VALUE")) return rc;
        auto path = resolveParamPath(state, o.rest[0], false, &error);
        if (!path) return fail(codes::UnknownPath, error);
        auto value = parseParamValue(*path, o.rest[1], &error);
        if (!value) return fail(codes::BadMessage, error);
        const QJsonObject r = s.call(Kind::Set, {{"path", *path}, {"value", *value}});
        if (isError(r)) {
            QString msg = r.value("message").toString();
            if (r.contains("value")) msg += QString(" (current value: %1)").arg(valueText(r.value("value")));
            return fail(r.value("code").toString(), msg);
        }
        out(o, QJsonObject{{"path", *path}, {"value", *value}, {"seq", r.value("seq")}},
            QString("%1 = %2 (seq %3)").arg(*path, valueText(*value)).arg(r.value("seq").toInteger()));
        return 0;
    }
    if (cmd == "watch") {
        const QJsonObject w = s.conn().welcome();
        // Names for member ids: the member list now, then whatever presence brings.
        QHash<QString, QString> names;
        const QJsonObject list = s.call(Kind::ListMembers, {});
        for (const QJsonValue& v : list.value("members").toArray())
            names.insert(v.toObject().value("id").toString(),
                         QString("%1 (%2)").arg(v.toObject().value("name").toString(), v.toObject().value("role").toString()));
        auto who = [&](const QString& id) { return names.value(id, id); };
        auto line = [&](const QJsonObject& json, const QString& text) {
            out(o, json, QDateTime::currentDateTime().toString("HH:mm:ss ") + text);
            std::fflush(stdout);
        };
        QSet<QString> present;
        for (const QJsonValue& v : w.value("presence").toArray())
            present.insert(v.toObject().value("id").toString());
        line(QJsonObject{{"type", "watching"}, {"session", w.value("session")}, {"seq", s.conn().mirror().seq()}},
             QString("Watching \"%1\" from sequence %2 (Ctrl-C stops)")
                 .arg(w.value("session").toObject().value("name").toString())
                 .arg(s.conn().mirror().seq()));
        QObject::connect(&s.conn(), &Connection::edit, [&](const QJsonObject& e) {
            const QJsonObject a = e.value("args").toObject();
            QString text =
                QString("#%1 %2: %3").arg(e.value("seq").toInteger()).arg(who(e.value("member").toString()), e.value("op").toString());
            if (e.value("op").toString() == "set")
                text += QString(" %1 = %2").arg(a.value("path").toString(), valueText(a.value("value")));
            else if (e.value("op").toString() == "restore")
                text += " (the whole mix)";
            else
                text += " " + QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
            line(e, text);
        });
        QObject::connect(&s.conn(), &Connection::presence, [&](const QJsonObject& p) {
            QSet<QString> now;
            for (const QJsonValue& v : p.value("members").toArray()) {
                const QJsonObject m = v.toObject();
                const QString id = m.value("id").toString();
                names.insert(id, QString("%1 (%2)").arg(m.value("name").toString(), m.value("role").toString()));
                now.insert(id);
                if (!present.contains(id)) line(QJsonObject{{"type", "joined"}, {"member", m}}, who(id) + " joined");
            }
            for (const QString& id : std::as_const(present))
                if (!now.contains(id)) line(QJsonObject{{"type", "left"}, {"member", id}}, who(id) + " left");
            present = now;
        });
        QObject::connect(&s.conn(), &Connection::reply, [&](qint64, const QJsonObject& m) {
            const QString type = m.value("type").toString();
            if (type == "note") {
                const QJsonObject n = m.value("note").toObject();
                const qint64 at = static_cast<qint64>(n.value("at").toDouble());
                line(m, QString("note %1 by %2 at %3:%4: %5")
                            .arg(m.value("event").toString(), n.value("authorName").toString())
                            .arg(at / 60000)
                            .arg((at / 1000) % 60, 2, 10, QChar('0'))
                            .arg(n.value("text").toString()));
            } else if (type == "version") {
                const QJsonObject v = m.value("version").toObject();
                const QString event = m.value("event").toString();
                line(m,
                     event == "saved" ? QString("version %1 saved by %2").arg(v.value("name").toString(), v.value("authorName").toString())
                     : event == "rendered" ? QString("version %1 rendered").arg(v.value("name").toString())
                                           : QString("version %1 is now %2").arg(v.value("name").toString(), v.value("status").toString()));
            } else if (type == "approval") {
                QStringList waiting;
                for (const QJsonValue& x : m.value("waiting").toArray())
                    waiting << x.toString();
                const QJsonObject member = m.value("member").toObject();
                line(m, QString("%1 (%2) %3 %4: %5%6")
                            .arg(member.value("name").toString(), member.value("role").toString(),
                                 m.value("approved").toBool() ? "approved" : "took back the approval of", m.value("version").toString(),
                                 m.value("status").toString(), waiting.isEmpty() ? QString() : ", waiting for " + waiting.join(", ")));
            }
        });
        QObject::connect(&s.conn(), &Connection::stateChanged, [&](Connection::State st) {
            if (st == Connection::State::Reconnecting)
                line(QJsonObject{{"type", "disconnected"}}, "connection lost; reconnecting ...");
            else if (st == Connection::State::Connected)
                line(QJsonObject{{"type", "reconnected"}, {"seq", s.conn().mirror().seq()}},
                     QString("reconnected; caught up to sequence %1").arg(s.conn().mirror().seq()));
        });
        QObject::connect(&s.conn(), &Connection::failed, [&](const QString& code, const QString& message) {
            fail(code, message);
            QCoreApplication::exit(1);
        });
        s.conn().setAutoReconnect(true);
        SignalQuit quit; // Ctrl-C: leave the event loop, never from inside the signal handler
        return QCoreApplication::exec();
    }
    if (const int rc = runStructureCommand(cmd, o, s); rc >= 0) return rc;
    if (const int rc = runAutomationCommand(cmd, o, s); rc >= 0) return rc;
    if (const int rc = runReviewCommand(cmd, o, server, token, s); rc >= 0) return rc;
    const QStringList extra{
        listenOwn ? "own" : "follow", "bitrate", bitrate, "frame", frame, "duration", duration, "device", device, "buffer", buffer,
        match ? "match" : ""};
    if (const int rc = runListenCommand(cmd, o, s, extra); rc >= 0) return rc;
    return fail("usage", QString("unknown command \"%1\" (try mixroom --help)").arg(cmd), 2);
}

} // namespace mixroom::client
