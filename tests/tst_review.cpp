// SPDX-License-Identifier: MIT
// The review workflow against the real server: notes and threads per role with live broadcast,
// versions (save, diff, restore as an edit), approval policy and status, and the hash chain:
// approval hash = pulled bytes = a fresh render of the version; refused and resumed pulls.
#include "ServerFixture.h"
#include "engine/render/Renderer.h"
#include "engine/stems/SessionStems.h"
#include "server/DiskCollector.h"
#include "server/Tokens.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

namespace {

struct Http {
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers;
};
Http get(const QString& url, const QString& token, const QByteArray& range = {})
{
    QNetworkAccessManager nam;
    QNetworkRequest req{QUrl(url)};
    req.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    if (!range.isEmpty()) req.setRawHeader("Range", range);
    QNetworkReply* r = nam.get(req);
    QSignalSpy done(r, &QNetworkReply::finished);
    done.wait(30000);
    Http h;
    h.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    h.body = r->readAll();
    for (const auto& [k, v] : r->rawHeaderPairs())
        h.headers.insert(k.toLower(), v);
    r->deleteLater();
    return h;
}
// The mix engineer saves v1, moves a pan, saves v2; returns the connection.
std::unique_ptr<client::Connection> twoVersions(ServerFixture& f)
{
    auto mix = f.connect("mix");
    if (!mix) return nullptr;
    call(*mix, Kind::SaveVersion, {{"name", "v1"}});
    call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", 0.2}});
    call(*mix, Kind::SaveVersion, {{"name", "v2"}});
    return mix;
}

// Saves v1 as the mix engineer (who may pull any version) and pulls it once rendered.
Http saveAndPull(ServerFixture& f, client::Connection& mix, const QString& format, QString* url)
{
    call(mix, Kind::SaveVersion, {{"name", "v1"}});
    *url = QString("http://127.0.0.1:%1/sessions/%2/versions/v1/mix?format=%3").arg(f.port).arg(f.sessionId).arg(format);
    Http h;
    (void)QTest::qWaitFor([&] { return (h = get(*url, f.tokens["mix"])).status != 202; }, 30000); // 202 while rendering
    return h;
}

QString sha(const QByteArray& b)
{
    return QString::fromLatin1(QCryptographicHash::hash(b, QCryptographicHash::Sha256).toHex());
}
} // namespace

class TestReview : public QObject {
    Q_OBJECT
  private slots:
    void notesAndThreads()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        auto label = f.connect("client");
        QVERIFY(mix && artist && label);
        QSignalSpy seenByMix(mix.get(), &client::Connection::reply);
        // Every role may add notes; they reach everyone live.
        const QJsonObject added = call(*label, Kind::AddNote, {{"at", 500.0}, {"text", "vocal too quiet here"}});
        QCOMPARE(added.value("type").toString(), QString("note"));
        const QJsonObject note = added.value("note").toObject();
        QCOMPARE(note.value("role").toString(), QString("client"));
        QTRY_VERIFY(std::any_of(seenByMix.begin(), seenByMix.end(), [&](const QList<QVariant>& a) {
            return a.at(1).toJsonObject().value("note").toObject().value("id") == note.value("id");
        }));
        const QString id = note.value("id").toString();
        // Ranges, replies, filters.
        QCOMPARE(call(*artist, Kind::AddNote, {{"at", 100.0}, {"to", 900.0}, {"text", "chorus lift"}}).value("type").toString(),
                 QString("note"));
        QCOMPARE(call(*mix, Kind::AddNote, {{"parent", id}, {"text", "raised 2 dB"}}).value("note").toObject().value("at").toDouble(),
                 500.0);
        QJsonObject list = call(*artist, Kind::ListNotes, {});
        QCOMPARE(list.value("notes").toArray().size(), 2);
        QCOMPARE(list.value("notes").toArray().at(0).toObject().value("replies").toArray().size(), 1);
        // Only the author edits; author or owner resolves; others are refused.
        QCOMPARE(call(*artist, Kind::EditNote, {{"id", id}, {"text", "x"}}).value("code").toString(), QString("forbidden"));
        QCOMPARE(call(*artist, Kind::ResolveNote, {{"id", id}, {"resolved", true}}).value("code").toString(), QString("forbidden"));
        QCOMPARE(
            call(*label, Kind::EditNote, {{"id", id}, {"text", "vocal much too quiet"}}).value("note").toObject().value("text").toString(),
            QString("vocal much too quiet"));
        QCOMPARE(call(*mix, Kind::ResolveNote, {{"id", id}, {"resolved", true}}).value("event").toString(), QString("resolved"));
        QCOMPARE(call(*mix, Kind::ListNotes, {{"open", true}}).value("notes").toArray().size(), 1);
        QCOMPARE(call(*mix, Kind::ListNotes, {{"open", false}}).value("notes").toArray().size(), 1);
        QCOMPARE(call(*mix, Kind::ListNotes, {{"author", "m_artist"}}).value("notes").toArray().size(), 1);
        QCOMPARE(call(*label, Kind::ResolveNote, {{"id", id}, {"resolved", false}}).value("event").toString(), QString("reopened"));
        QCOMPARE(call(*artist, Kind::DeleteNote, {{"id", id}}).value("code").toString(), QString("forbidden"));
        QCOMPARE(call(*label, Kind::DeleteNote, {{"id", id}}).value("event").toString(), QString("deleted"));
        QCOMPARE(call(*mix, Kind::ListNotes, {}).value("notes").toArray().size(), 1);
    }

    void badNotes_data()
    {
        QTest::addColumn<QJsonObject>("fields");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("says");
        QTest::newRow("negative") << QJsonObject{{"at", -1.0}, {"text", "x"}} << "out_of_range"
                                  << "before the start";
        QTest::newRow("past the end") << QJsonObject{{"at", 5000.0}, {"text", "x"}} << "out_of_range"
                                      << "past the end";
        QTest::newRow("range backwards") << QJsonObject{{"at", 500.0}, {"to", 100.0}, {"text", "x"}} << "out_of_range"
                                         << "range";
        QTest::newRow("empty") << QJsonObject{{"at", 0.0}, {"text", "  "}} << "out_of_range"
                               << "empty";
        QTest::newRow("too long") << QJsonObject{{"at", 0.0}, {"text", QString(4001, 'a')}} << "out_of_range"
                                  << "4001 characters";
        QTest::newRow("control character") << QJsonObject{{"at", 0.0}, {"text", QString("a\u0007b")}} << "out_of_range"
                                           << "control";
        QTest::newRow("unknown version") << QJsonObject{{"at", 0.0}, {"version", "v9"}, {"text", "x"}} << "not_found"
                                         << "v9";
        QTest::newRow("no position") << QJsonObject{{"text", "x"}} << "bad_message"
                                     << "at";
        QTest::newRow("unknown parent") << QJsonObject{{"parent", "n_nope"}, {"text", "x"}} << "not_found"
                                        << "reply";
    }
    void badNotes()
    {
        QFETCH(QJsonObject, fields);
        QFETCH(QString, code);
        QFETCH(QString, says);
        ServerFixture f;
        QVERIFY(f.start());
        auto c = f.connect("artist");
        const QJsonObject e = call(*c, Kind::AddNote, fields);
        QCOMPARE(e.value("code").toString(), code);
        QVERIFY2(e.value("message").toString().contains(says), qPrintable(e.value("message").toString()));
        QCOMPARE(call(*c, Kind::ListNotes, {}).value("notes").toArray().size(), 0);
    }

    void versionsSaveDiffRestore()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        auto mastering = f.connect("mastering");
        QVERIFY(mix && artist && mastering);
        QCOMPARE(call(*mix, Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -4.0}}).value("type").toString(), QString("ack"));
        const QJsonObject v1 = call(*mix, Kind::SaveVersion, {{"name", "v1"}, {"message", "first pass"}});
        QCOMPARE(v1.value("version").toObject().value("name").toString(), QString("v1"));
        QCOMPARE(v1.value("version").toObject().value("status").toString(), QString("pending"));
        call(*artist, Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -1.0}});
        call(*mix, Kind::AddGroup, {{"id", "band"}});
        QCOMPARE(call(*artist, Kind::SaveVersion, {{"name", "v2"}}).value("version").toObject().value("parent").toString(), QString("v1"));
        // Diff: every changed parameter with both values, and the added strip.
        const QJsonObject diff = call(*mastering, Kind::DiffVersions, {{"from", "v1"}, {"to", "v2"}});
        QCOMPARE(diff.value("added").toArray(), QJsonArray{"groups/band"});
        bool faderSeen = false;
        for (const QJsonValue& ch : diff.value("changes").toArray())
            if (ch.toObject().value("path").toString() == "tracks/bass/fader") {
                faderSeen = true;
                QCOMPARE(ch.toObject().value("before").toDouble(), -4.0);
                QCOMPARE(ch.toObject().value("after").toDouble(), -1.0);
            }
        QVERIFY(faderSeen);
        QCOMPARE(diff.value("changes").toArray().size(), 1);
        QCOMPARE(call(*mix, Kind::DiffVersions, {{"from", "v2"}}).value("changes").toArray().size(), 0); // v2 is the live mix
        // Immutable names, roles, unknown versions.
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "v1"}}).value("code").toString(), QString("conflict"));
        QCOMPARE(call(*mastering, Kind::SaveVersion, {{"name", "m1"}}).value("code").toString(), QString("forbidden"));
        QCOMPARE(call(*mix, Kind::DiffVersions, {{"from", "v7"}}).value("code").toString(), QString("not_found"));
        // Restore is checked field by field: v1 lacks the group the mix engineer added, and the
        // artist may not remove strips.
        const QJsonObject denied = call(*artist, Kind::RestoreVersion, {{"version", "v1"}});
        QCOMPARE(denied.value("code").toString(), QString("forbidden"));
        QVERIFY2(denied.value("message").toString().contains("groups/band"), qPrintable(denied.value("message").toString()));
        // Restore: an ordinary edit, broadcast, and everyone's state equals v1.
        QSignalSpy edits(mastering.get(), &client::Connection::edit);
        QCOMPARE(call(*mix, Kind::RestoreVersion, {{"version", "v1"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY(!edits.isEmpty());
        QCOMPARE(edits.last().at(0).toJsonObject().value("op").toString(), QString("restore"));
        QCOMPARE(mastering->mirror().state().tracks[0].fader, -4.0);
        QVERIFY(mastering->mirror().state().groups.empty());
        QCOMPARE(call(*mix, Kind::DiffVersions, {{"from", "v1"}}).value("changes").toArray().size(), 0);
        QCOMPARE(call(*mastering, Kind::RestoreVersion, {{"version", "v1"}}).value("code").toString(), QString("forbidden"));
    }

    void approvalsRenderAndPull()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        auto mastering = f.connect("mastering");
        auto label = f.connect("client");
        QVERIFY(mix && artist && mastering && label);
        call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", 0.4}});
        call(*mix, Kind::SaveVersion, {{"name", "v1"}});
        const QString base = QString("http://127.0.0.1:%1/sessions/%2/versions/").arg(f.port).arg(f.sessionId);

        // Not approved yet: the mastering engineer is told who is missing; the client role never pulls.
        Http refused = get(base + "v1/mix?format=wav24", f.tokens["mastering"]);
        QCOMPARE(refused.status, 403);
        QVERIFY2(refused.body.contains("version 'v1' is not approved: waiting for artist, client"), refused.body.constData());
        QCOMPARE(get(base + "v1/mix", f.tokens["client"]).status, 403);
        QCOMPARE(get(base + "v9/mix", f.tokens["mix"]).status, 404);
        QCOMPARE(get(base + "v1/mix?format=mp3", f.tokens["mix"]).status, 400);
        QCOMPARE(get(base + "v1/mix", "mxr_nope").status, 401);

        // Policy: artist and client. The artist approves (render starts), then the client.
        QSignalSpy renders(mastering.get(), &client::Connection::reply);
        QJsonObject a = call(*artist, Kind::Approve, {{"version", "v1"}, {"approved", true}});
        QCOMPARE(a.value("status").toString(), QString("pending"));
        QCOMPARE(a.value("waiting").toArray(), QJsonArray{"client"});
        a = call(*label, Kind::Approve, {{"version", "v1"}, {"approved", true}});
        QCOMPARE(a.value("status").toString(), QString("approved"));
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(renders.begin(), renders.end(),
                                             [](const QList<QVariant>& r) {
                                                 const QJsonObject m = r.at(1).toJsonObject();
                                                 return m.value("type") == "render" && m.value("done").toBool();
                                             }),
                                 30000);
        QJsonObject listed = call(*mastering, Kind::ListVersions, {}).value("versions").toArray().at(0).toObject();
        QCOMPARE(listed.value("status").toString(), QString("approved"));
        // The approval renders the canonical file only; the delivery formats are made when pulled.
        QCOMPARE(listed.value("hashes").toObject().keys(), QStringList{"wav32f"});
        const QString canonical = listed.value("hashes").toObject().value("wav32f").toString();
        QVERIFY(!QFileInfo::exists(f.dir.path() + "/renders/" +
                                   QDir(f.dir.path() + "/renders").entryList(QDir::Dirs | QDir::NoDotAndDotDot).value(0) +
                                   "/mix-wav24.wav"));

        // The hash chain: approval hash = pulled bytes = a fresh render of the version.
        QMap<QString, QString> pulledHashes;
        for (const QString format : {"wav24", "wav32f", "flac24"}) {
            Http pulled = get(base + "v1/mix?format=" + format, f.tokens["mastering"]);
            QVERIFY(pulled.status == 200 || (format != "wav32f" && pulled.status == 202)); // 202: being made from the canonical file
            QTRY_VERIFY_WITH_TIMEOUT((pulled = get(base + "v1/mix?format=" + format, f.tokens["mastering"])).status == 200, 30000);
            QCOMPARE(pulled.headers.value("content-length").toLongLong(), pulled.body.size());
            QCOMPARE(sha(pulled.body), QString::fromLatin1(pulled.headers.value("x-mixroom-sha256")));
            QCOMPARE(QString::fromLatin1(pulled.headers.value("x-mixroom-canonical-sha256")), canonical);
            pulledHashes[format] = sha(pulled.body);
        }
        QCOMPARE(pulledHashes["wav32f"], canonical);
        // Each format's hash is recorded with the version once made, and served the same again.
        const QJsonObject hashes =
            call(*mastering, Kind::ListVersions, {}).value("versions").toArray().at(0).toObject().value("hashes").toObject();
        QCOMPARE(hashes.keys(), (QStringList{"flac24", "wav24", "wav32f"}));
        for (const QString format : {"wav24", "wav32f", "flac24"})
            QCOMPARE(hashes.value(format).toString(), pulledHashes[format]);
        engine::StemStore stems((f.dir.path() + "/stems").toStdString());
        auto stemMap = engine::loadSessionStems(f.srv->room(f.sessionId)->state(), f.dir.path().toStdString(), stems);
        QVERIFY(stemMap.ok());
        engine::RenderOptions opt;
        opt.format = engine::FileFormat::Wav24;
        const QString fresh = f.dir.path() + "/fresh.wav";
        QVERIFY(engine::renderToFile(f.srv->room(f.sessionId)->state(), stemMap.value(), fresh.toStdString(), opt).ok());
        QFile freshFile(fresh);
        QVERIFY(freshFile.open(QIODevice::ReadOnly));
        QCOMPARE(sha(freshFile.readAll()), hashes.value("wav24").toString());

        // A resumed download: a range, then the rest; together the same bytes.
        const Http head = get(base + "v1/mix?format=flac24", f.tokens["mastering"], "bytes=0-999");
        QCOMPARE(head.status, 206);
        QCOMPARE(head.body.size(), 1000);
        const Http rest = get(base + "v1/mix?format=flac24", f.tokens["mastering"], "bytes=1000-");
        QCOMPARE(rest.status, 206);
        QCOMPARE(sha(head.body + rest.body), hashes.value("flac24").toString());
        QCOMPARE(get(base + "v1/mix?format=flac24", f.tokens["mastering"], "bytes=999999999-").status, 416);

        // Taking an approval back returns the version to pending; a later approved version supersedes.
        QCOMPARE(call(*label, Kind::Approve, {{"version", "v1"}, {"approved", false}}).value("status").toString(), QString("pending"));
        QCOMPARE(get(base + "v1/mix", f.tokens["mastering"]).status, 403);
        call(*label, Kind::Approve, {{"version", "v1"}, {"approved", true}});
        call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", -0.4}});
        call(*mix, Kind::SaveVersion, {{"name", "v2"}});
        call(*artist, Kind::Approve, {{"version", "v2"}, {"approved", true}});
        call(*label, Kind::Approve, {{"version", "v2"}, {"approved", true}});
        const QJsonArray versions = call(*mix, Kind::ListVersions, {}).value("versions").toArray();
        QCOMPARE(versions.at(0).toObject().value("status").toString(), QString("superseded"));
        QCOMPARE(versions.at(1).toObject().value("status").toString(), QString("approved"));
        const Http superseded = get(base + "v1/mix", f.tokens["mastering"]);
        QCOMPARE(superseded.status, 403);
        QVERIFY(superseded.body.contains("superseded"));
        // The owner may pull any version (rendering on demand answers 202 first).
        Http any = get(base + "v2/mix", f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT((any = get(base + "v2/mix", f.tokens["mix"])).status == 200, 30000);
    }

    // The pull is sent by a transfer thread: a reader that stops half-way frees it; a request sent
    // behind the pull on the same connection is not answered into the file's bytes.
    void pullsEndCleanly()
    {
        ServerFixture f;
        f.stemSeconds = 60; // ~23 MB of wav32f: more than the socket buffers hold
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        QString url;
        const Http whole = saveAndPull(f, *mix, "wav32f", &url);
        QCOMPARE(whole.status, 200);
        QVERIFY(whole.body.size() > 20 << 20);
        QCOMPARE(sha(whole.body), QString::fromLatin1(whole.headers.value("x-mixroom-sha256")));
        QCOMPARE(whole.headers.value("connection"), QByteArray("close"));

        const QByteArray request = "GET /sessions/" + f.sessionId.toUtf8() +
                                   "/versions/v1/mix?format=wav32f HTTP/1.1\r\nHost: x\r\n"
                                   "Authorization: Bearer " +
                                   f.tokens["mix"].toUtf8() + "\r\n\r\n";
        {
            // Reads 64 KiB, then goes away.
            QTcpSocket quitter;
            quitter.setReadBufferSize(64 << 10);
            quitter.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 16 << 10);
            quitter.connectToHost(QHostAddress::LocalHost, f.port);
            QVERIFY(quitter.waitForConnected(5000));
            quitter.write(request);
            QTRY_VERIFY_WITH_TIMEOUT(quitter.bytesAvailable() >= 64 << 10, 10000);
            QCOMPARE(f.srv->activeTransfers(), 1);
            quitter.abort();
        }
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->activeTransfers(), 0, 10000);

        // A second request pipelined behind the pull: the answer is the file and nothing else.
        QTcpSocket pipelined;
        pipelined.connectToHost(QHostAddress::LocalHost, f.port);
        QVERIFY(pipelined.waitForConnected(5000));
        pipelined.write(request + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray got;
        QObject::connect(&pipelined, &QTcpSocket::readyRead, [&] { got += pipelined.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(pipelined.state() == QAbstractSocket::UnconnectedState, 20000);
        got += pipelined.readAll();
        const qsizetype split = got.indexOf("\r\n\r\n");
        QVERIFY(split > 0);
        QCOMPARE(got.mid(split + 4).size(), whole.body.size());
        QCOMPARE(sha(got.mid(split + 4)), sha(whole.body));
        QCOMPARE(f.srv->activeTransfers(), 0);
    }

    // Edits commit on the op-log writer's thread; a request that reads committed state waits for
    // the edits sent before it, so a version saved right after an edit (no wait for its ack) has it.
    void requestsWaitForTheEditsBeforeThem()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket raw;
        QVERIFY(raw.open(f.url()));
        QCOMPARE(raw.hello(f.tokens["mix"]).value("type").toString(), QString("welcome"));
        for (int i = 1; i <= 20; ++i)
            raw.ws.sendTextMessage(QString(R"({"type":"set","clientSeq":%1,"path":"tracks/vox/pan","value":%2})").arg(i).arg(i / 100.0));
        raw.ws.sendTextMessage(R"({"type":"save_version","clientSeq":21,"name":"right-after"})");
        QList<qint64> order;
        QJsonObject saved;
        while (order.size() < 21) {
            const QJsonObject m = raw.next();
            QVERIFY2(!m.isEmpty(), "an answer is missing");
            if (m.value("type") == "ack" || m.value("type") == "version") order.append(m.value("clientSeq").toInteger());
            if (m.value("type") == "version") saved = m;
            QVERIFY2(m.value("type") != "error", QJsonDocument(m).toJson().constData());
        }
        QCOMPARE(order.last(), 21); // answered after every edit before it was acknowledged
        const auto state = f.srv->room(f.sessionId)->review().versionState("right-after");
        QVERIFY(state);
        const auto vox = std::find_if(state->tracks.begin(), state->tracks.end(), [](const engine::Track& t) { return t.id == "vox"; });
        QVERIFY(vox != state->tracks.end());
        QCOMPARE(vox->pan, 0.2);
        QVERIFY(f.srv->room(f.sessionId)->flushNow());
    }

    // gc removes exactly what nothing refers to: a stem never used, a deleted session's stem, a
    // render no version hashes to, and the import shortcut of a removed stem; it keeps the session's
    // stem and the render of a saved version (still pulled bit for bit afterwards).
    void diskCollection()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        QString url;
        const Http before = saveAndPull(f, *mix, "wav24", &url);
        QCOMPARE(before.status, 200);

        const QString dir = f.dir.path();
        engine::StemStore stems((dir + "/stems").toStdString());
        auto importTone = [&](double freq) {
            writeAudio((dir + "/tone.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, sine(freq, 48000, 0.2, 4800));
            auto info = stems.import((dir + "/tone.wav").toStdString(), 48000);
            return info ? QString::fromStdString(info->hash) : QString();
        };
        const QString unused = importTone(330), gone = importTone(440);
        QVERIFY(!unused.isEmpty() && !gone.isEmpty());
        // A session that used `gone`, deleted.
        engine::Session doc;
        engine::Track t;
        t.id = t.name = "t";
        t.stem = gone.toStdString();
        doc.tracks.push_back(t);
        QVERIFY(
            f.store->createSession(server::SessionRow{"s_gone", "Gone", 0, 0, protocol::encodeSession(doc)},
                                   server::MemberRow{"m_gone", "s_gone", "Owner", "mix", server::tokenHash(server::newToken()), false}));
        QVERIFY(f.store->deleteSession("s_gone"));
        // A render folder no version hashes to (a copy of v1's under another key).
        const QStringList renders = QDir(dir + "/renders").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(renders.size(), 1);
        const QString orphan = QString(64, QChar('a'));
        QVERIFY(QDir().mkpath(dir + "/renders/" + orphan));
        for (const QString& file : QDir(dir + "/renders/" + renders[0]).entryList(QDir::Files))
            QVERIFY(QFile::copy(dir + "/renders/" + renders[0] + "/" + file, dir + "/renders/" + orphan + "/" + file));
        auto stemFiles = [&] { return QDir(dir + "/stems").entryList({"*.f32"}, QDir::Files); };
        QCOMPARE(stemFiles().size(), 3);

        // Everything is younger than the grace period: nothing goes.
        server::DiskReport r = server::collectDisk(dir, false, 3600 * 1000);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QVERIFY(r.stems.isEmpty() && r.renders.isEmpty());
        QCOMPARE(r.young, 3);
        // A dry run lists exactly the unreferenced files and removes nothing.
        r = server::collectDisk(dir, true, 0);
        QCOMPARE(QSet<QString>(r.stems.begin(), r.stems.end()), (QSet<QString>{unused + ".f32", gone + ".f32"}));
        QCOMPARE(r.renders, QStringList{orphan});
        QCOMPARE(r.refs.size(), 2);
        QCOMPARE(r.keptStems, 1);
        QCOMPARE(r.keptRenders, 1);
        QCOMPARE(stemFiles().size(), 3);
        QVERIFY(QFileInfo::exists(dir + "/renders/" + orphan));
        // The real run.
        r = server::collectDisk(dir, false, 0);
        QCOMPARE(r.stems.size(), 2);
        QVERIFY(r.bytes > 0);
        QCOMPARE(stemFiles(), QStringList{f.stemHash + ".f32"});
        QCOMPARE(QDir(dir + "/renders").entryList(QDir::Dirs | QDir::NoDotAndDotDot), renders);
        QCOMPARE(QDir(dir + "/stems").entryList({"src-*.ref"}, QDir::Files).size(), 1); // the kept stem's import shortcut
        // What is referenced still works: the session edits, the version is pulled bit for bit.
        QCOMPARE(call(*mix, Kind::Set, {{"path", "tracks/vox/fader"}, {"value", -2.0}}).value("type").toString(), QString("ack"));
        const Http after = get(url, f.tokens["mix"]);
        QCOMPARE(after.status, 200);
        QCOMPARE(sha(after.body), sha(before.body));
        // And a missing data folder is an error, not an empty store.
        QVERIFY(!server::collectDisk(dir + "/nowhere", true).error.isEmpty());
    }

    // The render cache keeps at most its size: the least recently used render goes first, never
    // the one just made.
    void renderCacheEvictsLeastRecentlyUsed()
    {
        QTemporaryDir dir;
        auto make = [&](const QString& key, int kb, int ageSeconds) {
            QDir().mkpath(dir.path() + "/" + key);
            QFile data(dir.path() + "/" + key + "/mix-wav24.wav");
            QVERIFY(data.open(QIODevice::WriteOnly));
            data.write(QByteArray(kb * 1024, 'x'));
            QFile h(dir.path() + "/" + key + "/hashes.json");
            QVERIFY(h.open(QIODevice::WriteOnly));
            h.write("{}");
            h.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-ageSeconds), QFileDevice::FileModificationTime);
        };
        make("old", 400, 300);
        make("used", 400, 10);
        make("new", 400, 200); // just made (kept whatever its time says)
        QDir().mkpath(dir.path() + "/running.part");
        QCOMPARE(server::RenderCache::evict(dir.path(), 900 * 1024, "new"), qint64(400 * 1024) + 2);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot), (QStringList{"new", "running.part", "used"}));
        QCOMPARE(server::RenderCache::evict(dir.path(), 0, "new"), qint64(400 * 1024) + 2);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot), (QStringList{"new", "running.part"}));
    }

    void statusesOfManyVersions()
    {
        // Statuses come from one pass over every version: an approval supersedes exactly the
        // versions before it, and only versions whose status moved are announced.
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        auto label = f.connect("client");
        QVERIFY(mix && artist && label);
        for (int i = 1; i <= 12; ++i) {
            call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", i / 20.0}});
            QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", QString("v%1").arg(i)}}).value("type").toString(), QString("version"));
        }
        auto approve = [&](const QString& v) {
            call(*artist, Kind::Approve, {{"version", v}, {"approved", true}});
            return call(*label, Kind::Approve, {{"version", v}, {"approved", true}});
        };
        QCOMPARE(approve("v5").value("status").toString(), QString("approved"));
        QStringList announced;
        QObject::connect(mix.get(), &client::Connection::reply, [&](qint64, const QJsonObject& m) {
            if (m.value("type") == "version" && m.value("event") == "status")
                announced << m.value("version").toObject().value("name").toString();
        });
        QCOMPARE(approve("v9").value("status").toString(), QString("approved"));
        const QJsonArray list = call(*mix, Kind::ListVersions, {}).value("versions").toArray();
        QCOMPARE(list.size(), 12);
        for (const QJsonValue& v : list) {
            const QString name = v.toObject().value("name").toString();
            const int n = name.mid(1).toInt();
            const QString want = n < 9 ? "superseded" : n == 9 ? "approved" : "pending";
            QCOMPARE(v.toObject().value("status").toString(), want);
        }
        // When v9 was approved, v5 (approved) and v6-v8 (pending) became superseded; v1-v4 were
        // superseded already and v10-v12 stay pending: not announced. (The broadcasts reached this
        // socket before the answer to list_versions.)
        announced.sort();
        QCOMPARE(announced, (QStringList{"v5", "v6", "v7", "v8"}));
    }

    void unreadableOrAlteredRendersAreNotServed()
    {
        // A version whose stored document cannot be read answers 500 with the reason (the server
        // used to terminate on it); a render whose hash is not the one recorded with the version
        // (the approval's) is refused, never served under the approved name.
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = twoVersions(f);
        QVERIFY(mix);
        const QString base = QString("http://127.0.0.1:%1/sessions/%2/versions/").arg(f.port).arg(f.sessionId);
        QSqlQuery q(QSqlDatabase::database(f.store->connectionName()));
        QVERIFY(q.exec("UPDATE versions SET state = '{\"format\": 1' WHERE name = 'v1'"));
        const Http broken = get(base + "v1/mix", f.tokens["mix"]);
        QCOMPARE(broken.status, 500);
        QVERIFY2(broken.body.contains("version 'v1' is stored unreadably"), broken.body.constData());

        Http v2 = get(base + "v2/mix", f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT((v2 = get(base + "v2/mix", f.tokens["mix"])).status == 200, 30000);
        QVERIFY(q.exec("UPDATE versions SET hashes = '{\"wav24\": \"00ff\", \"wav32f\": \"00ff\", \"flac24\": \"00ff\"}' "
                       "WHERE name = 'v2'"));
        const Http altered = get(base + "v2/mix", f.tokens["mix"]);
        QCOMPARE(altered.status, 500);
        QVERIFY2(altered.body.contains("hash_mismatch"), altered.body.constData());
        QCOMPARE(get(QString("http://127.0.0.1:%1/health").arg(f.port), f.tokens["mix"]).status, 200); // still up
    }

    void restoredParentOnlyAfterCommit()
    {
        // A restore whose commit fails must not make its version the parent of the next one.
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = twoVersions(f);
        QVERIFY(mix);
        QSqlQuery q(QSqlDatabase::database(f.store->connectionName()));
        QVERIFY(q.exec("ALTER TABLE ops RENAME TO ops_away")); // the next commit fails
        const QJsonObject refused = call(*mix, Kind::RestoreVersion, {{"version", "v1"}});
        QCOMPARE(refused.value("code").toString(), QString("internal"));
        QVERIFY(q.exec("ALTER TABLE ops_away RENAME TO ops"));
        call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", 0.3}});
        call(*mix, Kind::SaveVersion, {{"name", "v3"}});
        const QJsonArray versions = call(*mix, Kind::ListVersions, {}).value("versions").toArray();
        QCOMPARE(versions.at(2).toObject().value("parent").toString(), QString("v2"));
    }

    void anUnreadableOpLogIsNotAnEmptyOne()
    {
        // The op log cannot be read: loading the session fails with the reason instead of
        // starting from the snapshot alone (which would lose every op after it).
        ServerFixture f;
        QVERIFY(f.start());
        {
            auto mix = f.connect("mix");
            QVERIFY(mix);
            QCOMPARE(call(*mix, Kind::Set, {{"path", "tracks/vox/pan"}, {"value", 0.2}}).value("type").toString(), QString("ack"));
        }
        QVERIFY(f.restart());
        QSqlQuery q(QSqlDatabase::database(f.store->connectionName()));
        QVERIFY(q.exec("ALTER TABLE ops RENAME TO ops_away"));
        QVERIFY(f.srv->room(f.sessionId) == nullptr);
        QVERIFY(q.exec("ALTER TABLE ops_away RENAME TO ops"));
        QVERIFY(f.srv->room(f.sessionId) != nullptr);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[1].pan, 0.2);
    }

    void policyIsTheOwners()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        call(*mix, Kind::SaveVersion, {{"name", "v1"}});
        QCOMPARE(call(*artist, Kind::SetPolicy, {{"roles", QJsonArray{"artist"}}}).value("code").toString(), QString("forbidden"));
        QCOMPARE(call(*mix, Kind::SetPolicy, {{"roles", QJsonArray{"boss"}}}).value("code").toString(), QString("out_of_range"));
        QCOMPARE(call(*mix, Kind::SetPolicy, {{"roles", QJsonArray{"artist"}}}).value("type").toString(), QString("ack"));
        QCOMPARE(call(*artist, Kind::Approve, {{"version", "v1"}, {"approved", true}}).value("status").toString(), QString("approved"));
    }
};

QTEST_GUILESS_MAIN(TestReview)
#include "tst_review.moc"
