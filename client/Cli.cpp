// SPDX-License-Identifier: MIT
#include "client/Cli.h"
#include "client/CliSupport.h"

#include "client/ClientConfig.h"
#include "client/Connection.h"
#include "client/SignalQuit.h"
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
                     "  login URL --token TOKEN       remember the server and a token (admin or member)\n"
                     "  sessions                      list sessions (admin)\n"
                     "  create NAME [--rate HZ]       create a session (admin); you become its owner\n"
                     "  use SESSION                   make a session you have a token for the current one\n"
                     "  invite --role artist|mix|mastering|client [--name NAME]   create a member (owner)\n"
                     "  members                       list the session's members\n"
                     "  revoke MEMBER                 revoke a member (owner)\n"
                     "  upload FILE... [--name NAME]  upload stems and add a track for each (owner); resumes\n"
                     "  tracks                        list tracks, groups and returns\n"
                     "  set PATH VALUE                set a parameter, e.g. set tracks/Vocals/fader -3.5\n"
                     "  get PATH                      print a parameter\n"
                     "  state                         print the whole session\n"
                     "  watch                         print edits and presence as they happen (Ctrl-C stops)\n"
                     "  note add POSITION TEXT [--to POSITION] [--version NAME]   pin a note (1:23.5, 83.5 or 83500ms)\n"
                     "  note reply|edit ID TEXT, note resolve|reopen|delete ID\n"
                     "  notes [--open|--resolved] [--version NAME] [--author MEMBER]\n"
                     "  version save NAME [--message TEXT], version diff A [B], version restore NAME, versions\n"
                     "  approve NAME, unapprove NAME, status [NAME], version show NAME\n"
                     "  policy ROLE...                the roles whose every member must approve (owner)\n"
                     "  listen [--follow|--own] [--bitrate KBPS] [--frame 10|20] [--device N [--buffer MS] | --out FILE.opus|FILE.wav] "
                     "[--duration SECONDS]\n"
                     "  devices                       list audio outputs (for listen --device N)\n"
                     "  play, pause, seek POSITION, loop FROM TO, unloop   drive the shared transport (editors)\n"
                     "  pull NAME -o FILE [--format wav24|wav32f|flac24]   download a version's mix (resumes, verifies SHA-256)\n"
                     "\n"
                     "Paths name tracks, groups and returns by id or by name; parameters: see docs/PARAMETERS.md.\n"
                     "--json prints machine-readable output. Errors go to stderr with the server's code.\n";

// Resolves a path's strip segment by id or display name: tracks/Vocals/fader -> tracks/vocals/fader.
QString resolvePath(const engine::Session& s, const QString& path)
{
    QStringList parts = path.split('/');
    if (parts.size() < 2) return path;
    auto byName = [&](const auto& list) -> QString {
        for (const auto& x : list)
            if (QString::fromStdString(x.id) == parts[1]) return parts[1];
        for (const auto& x : list)
            if (QString::fromStdString(x.name) == parts[1]) return QString::fromStdString(x.id);
        for (const auto& x : list)
            if (QString::fromStdString(x.name).compare(parts[1], Qt::CaseInsensitive) == 0) return QString::fromStdString(x.id);
        return parts[1];
    };
    if (parts[0] == "tracks")
        parts[1] = byName(s.tracks);
    else if (parts[0] == "groups")
        parts[1] = byName(s.groups);
    else if (parts[0] == "returns")
        parts[1] = byName(s.returns);
    if (parts.size() >= 4 && parts[2] == "sends") parts[3] = byName(s.returns);
    return parts.join('/');
}

// Text from the command line to the parameter's JSON type.
std::optional<QJsonValue> parseValue(const QString& path, const QString& text, QString* error)
{
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    if (!spec) {
        *error = QString("%1: no such parameter (see mixroomd params)").arg(path);
        return std::nullopt;
    }
    switch (spec->type) {
    case engine::ParamType::Number: {
        if (text == "-inf") return QJsonValue(engine::kSilenceDb);
        bool ok = false;
        const double d = text.toDouble(&ok);
        if (!ok) {
            *error = QString("%1: \"%2\" is not a number").arg(path, text);
            return std::nullopt;
        }
        return QJsonValue(d);
    }
    case engine::ParamType::Bool: {
        const QString t = text.toLower();
        if (t == "true" || t == "on" || t == "1" || t == "yes") return QJsonValue(true);
        if (t == "false" || t == "off" || t == "0" || t == "no") return QJsonValue(false);
        *error = QString("%1: \"%2\" is not true or false").arg(path, text);
        return std::nullopt;
    }
    default: return QJsonValue(text);
    }
}

int needArgs(const Options& o, int n, const char* usage)
{
    if (o.rest.size() != n) return fail("usage", QString("usage: mixroom %1").arg(usage), 2);
    return 0;
}

} // namespace

int runCli(const QStringList& argv)
{
    Options o;
    QStringList args = argv;
    QString rate, role, name, bitrate, frame, duration, device, buffer;
    bool match = false;
    bool listenOwn = false, listenFollow = false;
    // Options taking a value, and flags.
    const std::map<QString, QString*> values = {
        {"--server", &o.server},   {"--token", &o.token}, {"--session", &o.session}, {"--rate", &rate},         {"--role", &role},
        {"--name", &name},         {"--to", &o.to},       {"--version", &o.version}, {"--message", &o.message}, {"--author", &o.author},
        {"-o", &o.outFile},        {"--out", &o.outFile}, {"--format", &o.format},   {"--bitrate", &bitrate},   {"--frame", &frame},
        {"--duration", &duration}, {"--device", &device}, {"--buffer", &buffer}};
    const std::map<QString, bool*> flags = {{"--json", &o.json},   {"--open", &o.open},         {"--resolved", &o.resolved},
                                            {"--own", &listenOwn}, {"--follow", &listenFollow}, {"--match", &match}};
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
            return fail("usage", QString("unknown option %1 (try --help)").arg(a), 2);
        } else {
            o.rest.append(a);
        }
    }
    if (o.rest.isEmpty()) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    const QString cmd = o.rest.takeFirst();
    static const QStringList known = {"login",    "sessions", "create",    "use",    "invite",  "members", "revoke", "upload",
                                      "tracks",   "set",      "get",       "state",  "watch",   "note",    "notes",  "version",
                                      "versions", "approve",  "unapprove", "status", "pull",    "policy",  "listen", "play",
                                      "pause",    "seek",     "loop",      "unloop", "devices", "ab"};
    if (!known.contains(cmd)) return fail("usage", QString("unknown command \"%1\" (try mixroom --help)").arg(cmd), 2);
    if (cmd == "devices") return runDevicesCommand(o);
    ClientConfig config;
    QString error;
    if (!config.load(&error)) return fail("config", error);
    const QString server = o.server.isEmpty() ? config.server() : o.server;
    const QString clientId = config.clientId();

    if (cmd == "login") {
        if (int rc = needArgs(o, 1, "login URL --token TOKEN")) return rc;
        if (o.token.isEmpty()) return fail("usage", "login needs --token TOKEN", 2);
        Session s(o.rest[0], o.token, clientId);
        if (int rc = s.connect()) return rc;
        const QJsonObject w = s.conn().welcome();
        config.setServer(o.rest[0]);
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
    if (int rc = s.connect()) return rc;
    if (s.conn().isAdmin()) return fail("forbidden", QString("%1 needs a member token of a session, not the admin token").arg(cmd));
    const engine::Session& state = s.conn().mirror().state();

    if (cmd == "invite") {
        if (role.isEmpty()) return fail("usage", "usage: mixroom invite --role artist|mix|mastering|client [--name NAME]", 2);
        QJsonObject f{{"role", role}};
        if (!name.isEmpty()) f.insert("name", name);
        const QJsonObject r = s.call(Kind::Invite, f);
        if (isError(r)) return failWith(r);
        out(o, r,
            QString("Invited %1 as %2. Their token (shown once):\n  %3\nThey join with:\n  mixroom login %4 --token %3")
                .arg(r.value("member").toObject().value("name").toString(), role, r.value("token").toString(), server));
        return 0;
    }
    if (cmd == "members") {
        const QJsonObject r = s.call(Kind::ListMembers, {});
        if (isError(r)) return failWith(r);
        QString text = "ID                 ROLE       NAME                 STATUS";
        for (const QJsonValue& v : r.value("members").toArray()) {
            const QJsonObject m = v.toObject();
            const QString status = m.value("revoked").toBool() ? "revoked" : m.value("connected").toBool() ? "online" : "offline";
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
        const QJsonObject r = s.call(Kind::Revoke, {{"member", o.rest[0]}});
        if (isError(r)) return failWith(r);
        out(o, r, QString("Revoked %1").arg(o.rest[0]));
        return 0;
    }
    if (cmd == "upload") {
        if (o.rest.isEmpty()) return fail("usage", "usage: mixroom upload FILE... [--name NAME]", 2);
        if (!name.isEmpty() && o.rest.size() > 1) return fail("usage", "--name applies to one file at a time", 2);
        const bool tty = isatty(fileno(stderr));
        QJsonArray added;
        for (const QString& file : o.rest) {
            const QFileInfo fi(file);
            if (!fi.isFile()) return fail("unreadable", QString("%1 is not a readable file").arg(file));
            const QString key = QString("%1|%2|%3").arg(fi.absoluteFilePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
            Uploader up(QUrl(server), token);
            up.onStarted([&](const QString& id) { // saved before the first byte: a killed client resumes
                config.setUploadFor(key, id);
                QString saveError;
                if (!config.save(&saveError)) std::fprintf(stderr, "mixroom: cannot remember the upload: %s\n", qPrintable(saveError));
            });
            auto res = up.upload(file, config.uploadFor(key), [&](qint64 sent, qint64 total) {
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
            // A track id from the name: lower-case letters, digits and dashes, unique in the session.
            const QString display = (name.isEmpty() ? fi.completeBaseName() : name).left(64);
            QString base = display.toLower();
            base.replace(QRegularExpression("[^a-z0-9_-]+"), "-");
            base = base.left(28).remove(QRegularExpression("^-+|-+$"));
            if (base.isEmpty()) base = "track";
            QString id = base;
            for (int n = 2; state.track(id.toStdString()) || state.group(id.toStdString()) || state.aux(id.toStdString()) || id == "master";
                 ++n)
                id = QString("%1-%2").arg(base).arg(n);
            const QJsonObject stem = res.stem;
            const QJsonObject r = s.call(Kind::AddTrack, {{"id", id}, {"name", display}, {"stem", stem.value("hash")}});
            if (isError(r)) return failWith(r);
            added.append(QJsonObject{{"track", id},
                                     {"name", display},
                                     {"stem", stem},
                                     {"seq", r.value("seq")},
                                     {"resumedAt", static_cast<double>(res.resumedAt)}});
            if (!o.json)
                std::printf("Added track %s (\"%s\"): %s, %d ch, %.1f s at %d Hz, stem %s\n", qPrintable(id), qPrintable(display),
                            qPrintable(stem.value("sourceFormat").toString()), stem.value("channels").toInt(),
                            stem.value("frames").toDouble() / stem.value("sampleRate").toDouble(), stem.value("sampleRate").toInt(),
                            qPrintable(stem.value("hash").toString().left(12)));
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
        const QString path = resolvePath(state, o.rest[0]);
        const QJsonValue v = protocol::valueAt(state, path);
        if (v.isNull()) return fail(codes::UnknownPath, QString("%1: no such parameter").arg(path));
        out(o, QJsonObject{{"path", path}, {"value", v}, {"seq", s.conn().mirror().seq()}}, valueText(v));
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
        const QString path = resolvePath(state, o.rest[0]);
        auto value = parseValue(path, o.rest[1], &error);
        if (!value) return fail(codes::BadMessage, error);
        const QJsonObject r = s.call(Kind::Set, {{"path", path}, {"value", *value}});
        if (isError(r)) {
            QString msg = r.value("message").toString();
            if (r.contains("value")) msg += QString(" (current value: %1)").arg(valueText(r.value("value")));
            return fail(r.value("code").toString(), msg);
        }
        out(o, QJsonObject{{"path", path}, {"value", *value}, {"seq", r.value("seq")}},
            QString("%1 = %2 (seq %3)").arg(path, valueText(*value)).arg(r.value("seq").toInteger()));
        return 0;
    }
    if (cmd == "watch") {
        const QJsonObject w = s.conn().welcome();
        out(o, QJsonObject{{"type", "watching"}, {"session", w.value("session")}, {"seq", s.conn().mirror().seq()}},
            QString("Watching \"%1\" from sequence %2 (Ctrl-C stops)")
                .arg(w.value("session").toObject().value("name").toString())
                .arg(s.conn().mirror().seq()));
        std::fflush(stdout);
        QObject::connect(&s.conn(), &Connection::edit, [&](const QJsonObject& e) {
            const QJsonObject a = e.value("args").toObject();
            QString text = QString("#%1 %2 %3").arg(e.value("seq").toInteger()).arg(e.value("member").toString(), e.value("op").toString());
            if (e.value("op").toString() == "set")
                text += QString(" %1 = %2").arg(a.value("path").toString(), valueText(a.value("value")));
            else
                text += " " + QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
            out(o, e, text);
            std::fflush(stdout);
        });
        QObject::connect(&s.conn(), &Connection::presence, [&](const QJsonObject& p) {
            QStringList who;
            for (const QJsonValue& v : p.value("members").toArray()) {
                const QJsonObject m = v.toObject();
                who << QString("%1 (%2)%3")
                           .arg(m.value("name").toString(), m.value("role").toString(),
                                m.value("touching").toString().isEmpty() ? "" : " touching " + m.value("touching").toString());
            }
            out(o, p, "present: " + who.join(", "));
            std::fflush(stdout);
        });
        s.conn().setAutoReconnect(true);
        SignalQuit quit; // Ctrl-C: leave the event loop, never from inside the signal handler
        return QCoreApplication::exec();
    }
    if (const int rc = runReviewCommand(cmd, o, server, token, s); rc >= 0) return rc;
    const QStringList extra{
        listenOwn ? "own" : "follow", "bitrate", bitrate, "frame", frame, "duration", duration, "device", device, "buffer", buffer,
        match ? "match" : ""};
    if (const int rc = runListenCommand(cmd, o, s, extra); rc >= 0) return rc;
    return fail("usage", QString("unknown command \"%1\" (try mixroom --help)").arg(cmd), 2);
}

} // namespace mixroom::client
