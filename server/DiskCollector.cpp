// SPDX-License-Identifier: MIT
#include "server/DiskCollector.h"

#include "protocol/SessionCodec.h"
#include "server/RenderCache.h"
#include "server/Store.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>

#include <cstdio>

namespace mixroom::server {

namespace {
bool isHash(const QString& s)
{
    if (s.size() != 64) return false;
    for (QChar c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// Every 64-hex string anywhere in a JSON value: a stem is named by its hash wherever a document
// or an op's arguments put it (tracks, restored documents); counting a few other hashes too only
// keeps more.
void hashesIn(const QJsonValue& v, QSet<QString>& out)
{
    if (v.isString()) {
        if (isHash(v.toString())) out.insert(v.toString());
    } else if (v.isArray()) {
        for (const QJsonValue& x : v.toArray())
            hashesIn(x, out);
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            hashesIn(it.value(), out);
    }
}

void hashesIn(const QByteArray& json, QSet<QString>& out)
{
    const QJsonDocument d = QJsonDocument::fromJson(json);
    hashesIn(d.isObject() ? QJsonValue(d.object()) : QJsonValue(d.array()), out);
}

qint64 treeBytes(const QString& path)
{
    QFileInfo info(path);
    if (!info.isDir()) return info.size();
    qint64 n = 0;
    for (QDirIterator it(path, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories); it.hasNext();) {
        it.next();
        n += it.fileInfo().size();
    }
    return n;
}

// Reads what names stems and renders. False (and *error) if any of it cannot be read: then
// nothing may be removed.
bool references(const QString& dbPath, QSet<QString>* stems, QSet<QString>* renders, QString* error)
{
    const QString connection = "mixroom-gc-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    bool ok = Store::openConnection(connection, dbPath, Store::Durability::Power, error);
    if (ok) {
        QSqlDatabase db = QSqlDatabase::database(connection);
        auto read = [&](const QString& sql, const std::function<void(const QSqlQuery&)>& row) {
            QSqlQuery q(db);
            q.setForwardOnly(true);
            if (!q.exec(sql)) {
                *error = QString("%1: %2").arg(sql.left(40), q.lastError().text());
                return false;
            }
            while (q.next())
                row(q);
            return true;
        };
        bool versions = false;
        ok =
            read("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'versions'", [&](const QSqlQuery&) { versions = true; }) &&
            db.transaction() && // one consistent picture
            read("SELECT snapshot FROM sessions", [&](const QSqlQuery& q) { hashesIn(q.value(0).toByteArray(), *stems); }) &&
            read("SELECT o.args FROM ops o JOIN sessions s ON o.session = s.id WHERE o.seq > s.snapshot_seq",
                 [&](const QSqlQuery& q) { hashesIn(q.value(0).toByteArray(), *stems); }) &&
            (!versions || read("SELECT state FROM versions", [&](const QSqlQuery& q) {
                const QByteArray state = q.value(0).toByteArray();
                hashesIn(state, *stems);
                if (auto s = protocol::decodeSession(state)) renders->insert(RenderCache::keyOf(s.value()));
            }));
        if (db.isOpen()) db.rollback();
        if (!ok && error->isEmpty()) *error = db.lastError().text();
    }
    QSqlDatabase::removeDatabase(connection);
    return ok;
}
} // namespace

DiskReport collectDisk(const QString& dataDir, bool dryRun, qint64 graceMs)
{
    DiskReport r;
    const QString dbPath = dataDir + "/mixroom.sqlite";
    if (!QFileInfo::exists(dbPath)) {
        r.error = QString("no mixroomd data in %1 (no mixroom.sqlite)").arg(dataDir);
        return r;
    }
    QSet<QString> stems, renders;
    if (!references(dbPath, &stems, &renders, &r.error)) return r;
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-graceMs);

    const QDir stemDir(dataDir + "/stems");
    QSet<QString> removedStems;
    for (const QFileInfo& f : stemDir.entryInfoList({"*.f32"}, QDir::Files)) {
        const QString hash = f.completeBaseName();
        if (stems.contains(hash)) {
            ++r.keptStems;
        } else if (f.lastModified() > before) {
            ++r.young;
        } else {
            r.stems << f.fileName();
            r.bytes += f.size();
            removedStems.insert(hash);
            if (!dryRun) QFile::remove(f.filePath());
        }
    }
    // The import shortcuts (source bytes -> stem) that lead to a removed stem go with it.
    for (const QFileInfo& f : stemDir.entryInfoList({"src-*.ref"}, QDir::Files)) {
        QFile in(f.filePath());
        const QString hash = in.open(QIODevice::ReadOnly) ? QString::fromLatin1(in.readAll()).trimmed() : QString();
        if (removedStems.contains(hash) || (!QFileInfo::exists(stemDir.filePath(hash + ".f32")) && f.lastModified() < before)) {
            r.refs << f.fileName();
            if (!dryRun) QFile::remove(f.filePath());
        }
    }
    const QDir renderDir(dataDir + "/renders");
    for (const QFileInfo& f : renderDir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (f.fileName().endsWith(".part")) continue; // being made
        if (renders.contains(f.fileName())) {
            ++r.keptRenders;
        } else if (QFileInfo(f.filePath() + "/hashes.json").lastModified() > before) {
            ++r.young;
        } else {
            r.renders << f.fileName();
            r.bytes += treeBytes(f.filePath());
            if (!dryRun) QDir(f.filePath()).removeRecursively();
        }
    }
    return r;
}

int runGc(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription("Removes stems and renders that no session, op or version refers to any more. Safe while "
                                "mixroomd runs on the same folder: what is younger than the grace period is kept.");
    const QCommandLineOption help = p.addHelpOption();
    QCommandLineOption data("data", "mixroomd's data folder (default: as mixroomd serve).", "DIR");
    QCommandLineOption dry("dry-run", "Only list what would be removed.");
    QCommandLineOption grace("grace-hours", "Keep unreferenced files younger than this (default 1).", "HOURS", "1");
    QCommandLineOption json("json", "Print the report as JSON.");
    p.addOptions({data, dry, grace, json});
    if (!p.parse(QStringList{"mixroomd gc"} + args)) {
        std::fprintf(stderr, "mixroomd gc: %s\n", qPrintable(p.errorText()));
        return 2;
    }
    if (p.isSet(help)) {
        std::printf("Usage: mixroomd gc [--data DIR] [--dry-run] [--grace-hours H] [--json]\n%s",
                    qPrintable(p.helpText().section('\n', 1)));
        return 0;
    }
    bool ok = false;
    const double hours = p.value(grace).toDouble(&ok);
    if (!ok || hours < 0) {
        std::fprintf(stderr, "mixroomd gc: --grace-hours %s: give hours, 0 or more\n", qPrintable(p.value(grace)));
        return 2;
    }
    QString dir = p.value(data);
    if (dir.isEmpty()) dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/mixroom";
    const DiskReport r = collectDisk(dir, p.isSet(dry), static_cast<qint64>(hours * 3600 * 1000));
    if (!r.error.isEmpty()) {
        std::fprintf(stderr, "mixroomd gc: %s; nothing was removed\n", qPrintable(r.error));
        return 1;
    }
    if (p.isSet(json)) {
        std::printf("%s\n", QJsonDocument(QJsonObject{{"dryRun", p.isSet(dry)},
                                                      {"stems", QJsonArray::fromStringList(r.stems)},
                                                      {"renders", QJsonArray::fromStringList(r.renders)},
                                                      {"refs", QJsonArray::fromStringList(r.refs)},
                                                      {"bytes", static_cast<double>(r.bytes)},
                                                      {"keptStems", r.keptStems},
                                                      {"keptRenders", r.keptRenders},
                                                      {"young", r.young}})
                                .toJson(QJsonDocument::Compact)
                                .constData());
        return 0;
    }
    const char* verb = p.isSet(dry) ? "would remove" : "removed";
    for (const QString& s : r.stems)
        std::printf("%s stem %s\n", verb, qPrintable(s));
    for (const QString& s : r.renders)
        std::printf("%s render %s\n", verb, qPrintable(s));
    std::printf("%s %lld stem(s), %lld render(s): %.1f MB; kept %d referenced stem(s), %d referenced render(s), %d recent file(s)\n", verb,
                static_cast<long long>(r.stems.size()), static_cast<long long>(r.renders.size()), r.bytes / 1e6, r.keptStems, r.keptRenders,
                r.young);
    return 0;
}

} // namespace mixroom::server
