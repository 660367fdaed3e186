// SPDX-License-Identifier: MIT
// The review commands of the mixroom CLI: notes, versions, approvals and the mastering pull.
#include "client/AutomationText.h"
#include "client/CliSupport.h"
#include "client/MixPull.h"
#include "client/NameResolver.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>

#include <unistd.h>

namespace mixroom::client::cli {

namespace {

QString position(double ms)
{
    const qint64 t = static_cast<qint64>(ms);
    return QString("%1:%2.%3").arg(t / 60000).arg((t / 1000) % 60, 2, 10, QChar('0')).arg((t % 1000) / 100);
}

QString noteLine(const QJsonObject& n, const QString& indent = {})
{
    QString where = position(n.value("at").toDouble());
    if (!n.value("to").isNull()) where += "-" + position(n.value("to").toDouble());
    const QString version = n.value("version").isNull() ? QString("live") : n.value("version").toString();
    return QString("%1%2 %3 [%4] %5 (%6, %7)%8: %9")
        .arg(indent, n.value("id").toString(), where, version, n.value("resolved").toBool() ? "resolved" : "open",
             n.value("authorName").toString(), n.value("role").toString(), n.value("edited").isNull() ? "" : " edited",
             n.value("text").toString());
}

QString versionLine(const QJsonObject& v)
{
    QStringList approvers;
    for (const QJsonValue& a : v.value("approvals").toArray())
        approvers << a.toObject().value("name").toString();
    QString line = QString("%1  %2  by %3, seq %4%5")
                       .arg(v.value("name").toString(), -12)
                       .arg(v.value("status").toString(), -10)
                       .arg(v.value("authorName").toString())
                       .arg(v.value("seq").toInteger())
                       .arg(v.value("parent").isNull() ? "" : ", from " + v.value("parent").toString());
    if (!v.value("message").toString().isEmpty()) line += "\n    " + v.value("message").toString();
    if (!approvers.isEmpty()) line += "\n    approved by " + approvers.join(", ");
    const QJsonArray waiting = v.value("waiting").toArray();
    if (!waiting.isEmpty() && v.value("status").toString() == "pending") {
        QStringList w;
        for (const QJsonValue& x : waiting)
            w << x.toString();
        line += "\n    waiting for " + w.join(", ");
    }
    if (!v.value("hashes").toObject().isEmpty())
        line += "\n    render sha256 wav24 " + v.value("hashes").toObject().value("wav24").toString();
    return line;
}

int pull(const Options& o, const QString& server, const QString& token, const QString& sessionId, const QString& version)
{
    if (o.outFile.isEmpty()) return usage("pull NAME -o FILE [--format wav24|wav32f|flac24]");
    // The format follows the file's extension; --format must agree with it.
    const QString ext = QFileInfo(o.outFile).suffix().toLower();
    const QStringList formats{"wav24", "wav32f", "flac24"};
    if (!o.format.isEmpty() && !formats.contains(o.format))
        return fail("usage", QString("--format %1 is not one of %2%3").arg(o.format, formats.join(", "), didYouMean(o.format, formats)), 2);
    if (ext != "wav" && ext != "flac")
        return fail("usage", QString("%1: name the file .wav (wav24 or wav32f) or .flac (flac24)").arg(o.outFile), 2);
    const QString format = !o.format.isEmpty() ? o.format : ext == "flac" ? QString("flac24") : QString("wav24");
    if (format.startsWith("flac") != (ext == "flac"))
        return fail(
            "usage",
            QString("--format %1 does not match %2; name the file .%3").arg(format, o.outFile, format.startsWith("flac") ? "flac" : "wav"),
            2);
    const bool tty = isatty(fileno(stderr)) && !o.json;
    MixPull job({server, token, sessionId, version, format, o.outFile});
    QEventLoop loop;
    int rc = 0;
    bool toldRendering = false;
    QObject::connect(&job, &MixPull::rendering, [&](const QString&) {
        if (tty && !toldRendering) std::fprintf(stderr, "the server is rendering %s ...\n", qPrintable(version));
        toldRendering = true;
    });
    QObject::connect(&job, &MixPull::progress, [&](qint64 now, qint64 total) {
        if (!tty) return;
        const int width = 30, filled = static_cast<int>(width * now / total);
        std::fprintf(stderr, "\r%-20s [%s%s] %3d%% %7.1f MB", qPrintable(version.left(20)), QByteArray(filled, '#').constData(),
                     QByteArray(width - filled, '.').constData(), static_cast<int>(100 * now / total), now / 1e6);
        if (now == total) std::fprintf(stderr, "\n");
    });
    QObject::connect(&job, &MixPull::failed, [&](const QString& code, const QString& message, int exitCode) {
        rc = fail(code, message, exitCode);
        loop.quit();
    });
    QObject::connect(&job, &MixPull::finished, [&](const QString& file, const QString& sha, qint64 bytes) {
        out(o, QJsonObject{{"file", file}, {"version", version}, {"format", format}, {"bytes", bytes}, {"sha256", sha}},
            QString("Pulled %1 (%2) to %3: %4 bytes, SHA-256 %5 verified").arg(version, format, file).arg(bytes).arg(sha));
        loop.quit();
    });
    job.start();
    loop.exec();
    return rc;
}

// A note id from a unique prefix (of a note or a reply), as `notes` prints them.
std::optional<QString> findNote(Session& s, const QString& text, QString* error)
{
    const QJsonObject r = s.call(Kind::ListNotes, {});
    if (isError(r)) {
        *error = r.value("message").toString();
        return std::nullopt;
    }
    QStringList ids;
    for (const QJsonValue& v : r.value("notes").toArray()) {
        ids << v.toObject().value("id").toString();
        for (const QJsonValue& reply : v.toObject().value("replies").toArray())
            ids << reply.toObject().value("id").toString();
    }
    if (ids.contains(text)) return text;
    QStringList matches;
    for (const QString& id : ids)
        if (id.startsWith(text, Qt::CaseInsensitive) || id.mid(2).startsWith(text, Qt::CaseInsensitive)) matches << id;
    if (matches.size() == 1) return matches[0];
    *error = matches.isEmpty() ? QString("no note \"%1\" (mixroom notes lists them)").arg(text)
                               : QString("\"%1\" could be note %2; type more of the id").arg(text, matches.mid(0, 5).join(" or "));
    return std::nullopt;
}

// A member id from a name, id or unique prefix.
std::optional<QString> findMember(Session& s, const QString& text, QString* error)
{
    const QJsonObject r = s.call(Kind::ListMembers, {});
    if (isError(r)) {
        *error = r.value("message").toString();
        return std::nullopt;
    }
    QList<Named> members;
    for (const QJsonValue& v : r.value("members").toArray())
        members.append({v.toObject().value("id").toString(), v.toObject().value("name").toString()});
    return findNamed(members, text, "member", error);
}

Options showOne(const Options& o, const QString& name)
{
    Options one = o;
    one.rest = {name};
    return one;
}

} // namespace

int runReviewCommand(const QString& cmd, const Options& o, const QString& server, const QString& token, Session& s)
{
    const QStringList& a = o.rest;
    auto answer = [&](Kind kind, const QJsonObject& fields, const std::function<QString(const QJsonObject&)>& text) {
        const QJsonObject r = s.call(kind, fields);
        if (isError(r)) return failWith(r);
        out(o, r, text(r));
        return 0;
    };
    if (cmd == "note") {
        const QString sub = a.value(0);
        if (sub == "add") {
            if (a.size() != 3) return usage("note add POSITION TEXT [--to POSITION] [--version NAME]");
            const double at = parsePosition(a[1]);
            if (at < 0) return fail("usage", QString("\"%1\" is not a position (use 1:23.5, 83.5 or 83500ms)").arg(a[1]), 2);
            QJsonObject f{{"at", at}, {"text", a[2]}};
            if (!o.to.isEmpty()) {
                const double to = parsePosition(o.to);
                if (to < 0) return fail("usage", QString("\"%1\" is not a position").arg(o.to), 2);
                f.insert("to", to);
            }
            if (!o.version.isEmpty()) f.insert("version", o.version);
            return answer(Kind::AddNote, f, [](const QJsonObject& r) { return "Added " + noteLine(r.value("note").toObject()); });
        }
        QString error;
        std::optional<QString> id;
        if (((sub == "reply" || sub == "edit") && a.size() == 3) ||
            ((sub == "resolve" || sub == "reopen" || sub == "delete") && a.size() == 2)) {
            id = findNote(s, a[1], &error);
            if (!id) return fail(protocol::codes::NotFound, error);
        }
        if ((sub == "reply" || sub == "edit") && a.size() == 3)
            return answer(sub == "reply" ? Kind::AddNote : Kind::EditNote,
                          sub == "reply" ? QJsonObject{{"parent", *id}, {"text", a[2]}} : QJsonObject{{"id", *id}, {"text", a[2]}},
                          [](const QJsonObject& r) { return noteLine(r.value("note").toObject()); });
        if ((sub == "resolve" || sub == "reopen") && a.size() == 2)
            return answer(Kind::ResolveNote, {{"id", *id}, {"resolved", sub == "resolve"}},
                          [](const QJsonObject& r) { return noteLine(r.value("note").toObject()); });
        if (sub == "delete" && a.size() == 2)
            return answer(Kind::DeleteNote, {{"id", *id}}, [&](const QJsonObject&) { return "Deleted " + *id; });
        return usage("note add|reply|edit|resolve|reopen|delete ...");
    }
    if (cmd == "notes") {
        QJsonObject f;
        if (o.open) f.insert("open", true);
        if (o.resolved) f.insert("open", false);
        if (!o.version.isEmpty()) f.insert("version", o.version);
        if (!o.author.isEmpty()) {
            QString error;
            auto author = findMember(s, o.author, &error);
            if (!author) return fail(protocol::codes::NotFound, error + " (mixroom members lists them)");
            f.insert("author", *author);
        }
        return answer(Kind::ListNotes, f, [](const QJsonObject& r) {
            QStringList lines;
            for (const QJsonValue& v : r.value("notes").toArray()) {
                lines << noteLine(v.toObject());
                for (const QJsonValue& reply : v.toObject().value("replies").toArray())
                    lines << noteLine(reply.toObject(), "    ↳ ");
            }
            return lines.isEmpty() ? QString("No notes") : lines.join('\n');
        });
    }
    if (cmd == "version" && a.value(0) == "show" && a.size() == 2) return runReviewCommand("status", showOne(o, a[1]), server, token, s);
    if (cmd == "version") {
        const QString sub = a.value(0);
        if (sub == "save" && a.size() == 2) {
            QJsonObject f{{"name", a[1]}};
            if (!o.message.isEmpty()) f.insert("message", o.message);
            return answer(Kind::SaveVersion, f, [](const QJsonObject& r) { return "Saved " + versionLine(r.value("version").toObject()); });
        }
        if (sub == "diff" && (a.size() == 2 || a.size() == 3)) {
            QJsonObject f{{"from", a[1]}};
            if (a.size() == 3) f.insert("to", a[2]);
            const int rate = s.conn().mirror().state().sampleRate;
            return answer(Kind::DiffVersions, f, [rate](const QJsonObject& r) {
                QStringList lines{QString("%1 -> %2").arg(r.value("from").toString(), r.value("to").toString())};
                for (const QJsonValue& x : r.value("added").toArray())
                    lines << "  + " + x.toString();
                for (const QJsonValue& x : r.value("removed").toArray())
                    lines << "  - " + x.toString();
                for (const QJsonValue& c : r.value("changes").toArray()) {
                    const QJsonObject ch = c.toObject();
                    lines << QString("  %1: %2 -> %3")
                                 .arg(ch.value("path").toString(), valueText(ch.value("before")), valueText(ch.value("after")));
                }
                for (const QJsonValue& l : r.value("lanes").toArray())
                    for (const QString& line : laneChangeLines(l.toObject(), rate))
                        lines << "  " + line;
                if (lines.size() == 1) lines << "  no differences";
                return lines.join('\n');
            });
        }
        if (sub == "restore" && a.size() == 2)
            return answer(Kind::RestoreVersion, {{"version", a[1]}}, [&](const QJsonObject& r) {
                return QString("Restored %1 as the live mix (seq %2)").arg(a[1]).arg(r.value("seq").toInteger());
            });
        if (sub != "show") return usage("version save NAME [--message TEXT] | show NAME | diff A [B] | restore NAME");
    }
    if (cmd == "policy") {
        if (a.isEmpty()) return usage("policy ROLE... (the roles whose every member must approve, e.g. artist client)");
        return answer(Kind::SetPolicy, {{"roles", QJsonArray::fromStringList(a)}},
                      [&](const QJsonObject&) { return "Approval now needs every member with the role " + a.join(" or "); });
    }
    if (cmd == "versions" || cmd == "status") {
        const QJsonObject r = s.call(Kind::ListVersions, {});
        if (isError(r)) return failWith(r);
        QJsonArray versions = r.value("versions").toArray();
        if (cmd == "status" && !a.isEmpty()) {
            QJsonArray one;
            for (const QJsonValue& v : versions)
                if (v.toObject().value("name").toString() == a[0]) one.append(v);
            if (one.isEmpty()) return fail("not_found", QString("no version \"%1\"").arg(a[0]));
            versions = one;
        }
        QStringList lines;
        for (const QJsonValue& v : versions)
            lines << versionLine(v.toObject());
        out(o, QJsonObject{{"versions", versions}, {"policy", r.value("policy")}},
            lines.isEmpty() ? QString("No versions") : lines.join('\n'));
        return 0;
    }
    if (cmd == "approve" || cmd == "unapprove") {
        if (a.size() != 1) return usage(cmd + " NAME");
        return answer(Kind::Approve, {{"version", a[0]}, {"approved", cmd == "approve"}}, [&](const QJsonObject& r) {
            QStringList waiting;
            for (const QJsonValue& w : r.value("waiting").toArray())
                waiting << w.toString();
            return QString("%1 %2: now %3%4")
                .arg(cmd == "approve" ? "Approved" : "Took back your approval of", a[0], r.value("status").toString(),
                     waiting.isEmpty() ? QString() : ", waiting for " + waiting.join(", "));
        });
    }
    if (cmd == "pull") {
        if (a.size() != 1) return usage("pull NAME -o FILE [--format wav24|wav32f|flac24]");
        return pull(o, server, token, s.conn().welcome().value("session").toObject().value("id").toString(), a[0]);
    }
    return -1;
}

} // namespace mixroom::client::cli
