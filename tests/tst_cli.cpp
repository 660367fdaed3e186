// SPDX-License-Identifier: MIT
// The `mixroom` binary as a user runs it, against a real server on loopback: login (config file
// 0600), tracks by name, set/get, refusals with the server's code and exit status, --json, invite,
// members, admin commands, upload with an added track.
#include "ServerFixture.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>

#include <csignal>
#include <sndfile.h>

using namespace mixroom;
using namespace mixroom::test;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
};
} // namespace

class TestCli : public QObject {
    Q_OBJECT
    ServerFixture f;
    QString config;

    // Starts `mixroom args` with this test's config, without waiting.
    void start(QProcess& p, const QStringList& args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("MIXROOM_CONFIG", config);
        p.setProcessEnvironment(env);
        p.start(QCoreApplication::applicationDirPath() + "/../client/mixroom", args);
    }

    Run mixroom(const QStringList& args)
    {
        QProcess p;
        QSignalSpy finished(&p, &QProcess::finished);
        start(p, args);
        // The server lives in this process: keep its event loop running while the CLI works.
        if (!finished.wait(30000)) return {};
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

  private slots:
    void initTestCase()
    {
        QVERIFY(f.start());
        config = f.dir.path() + "/cli/config.json";
    }

    void loginStoresTokenPrivately()
    {
        const Run r = mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(r.out.contains("as mix in session \"Test\""));
        QCOMPARE(QFile(config).permissions() &
                     (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther),
                 QFileDevice::Permissions{});
    }

    void setAndGetByName()
    {
        Run r = mixroom({"set", "tracks/Vocals/fader", "-3.5"});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(r.out.contains("tracks/vox/fader = -3.5"));
        r = mixroom({"get", "tracks/vox/fader", "--json"});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("value").toDouble(), -3.5);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[1].fader, -3.5);
        r = mixroom({"tracks", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("strips").toArray().size(), 3);
    }

    void refusalsExitNonZeroWithTheServerCode_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("stderrText");
        QTest::newRow("out of range") << QStringList{"set", "master/limiter/ceiling", "3"} << 1
                                      << "out_of_range: master/limiter/ceiling: 3 is above the maximum 0";
        QTest::newRow("not a number") << QStringList{"set", "tracks/bass/fader", "loud"} << 1 << "\"loud\" is not a number";
        QTest::newRow("unknown path") << QStringList{"set", "tracks/bass/volume", "1"} << 1 << "tracks/bass has no \"volume\"";
        QTest::newRow("client role") << QStringList{"set", "tracks/bass/fader", "0", "--token", "CLIENT"} << 1
                                     << "forbidden: the client role may not";
        QTest::newRow("bad token") << QStringList{"state", "--token", "mxr_bad"} << 1 << "bad_token";
        QTest::newRow("no server") << QStringList{"state", "--server", "ws://127.0.0.1:1"} << 3 << "cannot connect";
        QTest::newRow("usage") << QStringList{"set", "only-one-arg"} << 2 << "usage: mixroom set PATH VALUE";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << "unknown command";
    }
    void refusalsExitNonZeroWithTheServerCode()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, stderrText);
        for (QString& a : args)
            if (a == "CLIENT") a = f.tokens["client"];
        const Run r = mixroom(args);
        QCOMPARE(r.code, code);
        QVERIFY2(QString(r.err).contains(stderrText), r.err.constData());
    }

    void watchShowsLiveEdits()
    {
        QProcess watch;
        QSignalSpy output(&watch, &QProcess::readyReadStandardOutput);
        start(watch, {"watch", "--json"});
        QByteArray seen;
        // It says when it is live.
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("\"watching\""), 10000);
        auto c = f.connect("artist");
        QVERIFY(c);
        c->request(protocol::Kind::Set, {{"path", "tracks/bass/pan"}, {"value", -0.25}});
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("tracks/bass/pan"), 10000);
        QVERIFY(seen.contains("-0.25"));
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("\"joined\""), 5000); // the artist joining
        // Ctrl-C: a clean exit through the event loop (the handler only wakes it).
        QSignalSpy finished(&watch, &QProcess::finished);
        ::kill(static_cast<pid_t>(watch.processId()), SIGINT);
        QVERIFY(watch.state() == QProcess::NotRunning || finished.wait(10000));
        QCOMPARE(watch.exitStatus(), QProcess::NormalExit);
        QCOMPARE(watch.exitCode(), 0);
    }

    void listenStopsCleanlyOnCtrlC()
    {
        // `listen --out` with no duration: Ctrl-C ends it, and the file is complete (its header
        // written when the loop returns, not from inside a signal handler).
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        const QString file = f.dir.path() + "/until-ctrl-c.wav";
        QProcess listen;
        QSignalSpy finished(&listen, &QProcess::finished);
        start(listen, {"listen", "--own", "--out", file, "--json"});
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(file).size() > 200000, 15000); // about half a second of float stereo
        ::kill(static_cast<pid_t>(listen.processId()), SIGINT);
        QVERIFY(finished.wait(10000));
        QCOMPARE(listen.exitStatus(), QProcess::NormalExit);
        QCOMPARE(listen.exitCode(), 0);
        SF_INFO info{};
        SNDFILE* snd = sf_open(file.toLocal8Bit().constData(), SFM_READ, &info);
        QVERIFY2(snd, sf_strerror(nullptr));
        sf_close(snd);
        QCOMPARE(info.samplerate, 48000);
        QVERIFY2(info.frames > 20000, qPrintable(QString::number(info.frames)));
    }

    void membersAndInvites()
    {
        Run r = mixroom({"invite", "--role", "artist", "--name", "Ana", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QString token = QJsonDocument::fromJson(r.out).object().value("token").toString();
        QVERIFY(token.startsWith("mxr_"));
        r = mixroom({"members"});
        QVERIFY(r.out.contains("Ana"));
        r = mixroom({"invite", "--role", "boss"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("role \"boss\""));
    }

    void uploadAddsTrack()
    {
        const auto s = sine(330, 44100, 0.3, 44100 * 2);
        const QString file = f.dir.path() + "/Lead Vocal.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, s));
        const Run r = mixroom({"upload", file, "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject added = QJsonDocument::fromJson(r.out).object().value("added").toArray().first().toObject();
        QCOMPARE(added.value("track").toString(), QString("lead-vocal"));
        QCOMPARE(added.value("stem").toObject().value("sampleRate").toInt(), 48000);
        QTRY_COMPARE(f.srv->room(f.sessionId)->state().tracks.size(), size_t(3));
    }

    void killedUploadResumes()
    {
        // `mixroom upload` killed mid-transfer (kill -9: no chance to save anything then): the
        // same command again continues from the server's offset instead of starting over.
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        const auto s = sine(220, 48000, 0.3, 48000 * 120);
        const QString file = f.dir.path() + "/Long Take.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, interleave(s, s))); // ~92 MB
        QProcess first;
        start(first, {"upload", file, "--json"});
        const QDir uploads(f.dir.path() + "/uploads");
        auto partSize = [&] {
            qint64 size = 0;
            for (const QFileInfo& i : uploads.entryInfoList({"*.part"}, QDir::Files))
                size = std::max(size, i.size());
            return size;
        };
        QTRY_VERIFY_WITH_TIMEOUT(partSize() >= 8 << 20, 30000);
        ::kill(static_cast<pid_t>(first.processId()), SIGKILL);
        QVERIFY(first.waitForFinished(10000));
        const qint64 stood = partSize();
        const Run again = mixroom({"upload", file, "--json"});
        QVERIFY2(again.code == 0, again.err.constData());
        const QJsonObject added = QJsonDocument::fromJson(again.out).object().value("added").toArray().first().toObject();
        QVERIFY2(added.value("resumedAt").toDouble() >= double(std::min<qint64>(stood, 8 << 20)), again.out.constData());
        QCOMPARE(added.value("track").toString(), QString("long-take"));
    }

    void reviewCommands()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        Run r = mixroom({"note", "add", "0:00.5", "vocal too quiet here", "--to", "0.9", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QString id = QJsonDocument::fromJson(r.out).object().value("note").toObject().value("id").toString();
        QVERIFY(mixroom({"note", "reply", id, "raised it"}).out.contains("raised it"));
        QCOMPARE(mixroom({"note", "add", "9:00", "too late"}).code, 1);
        QCOMPARE(mixroom({"note", "add", "soon", "x"}).code, 2);
        QVERIFY(mixroom({"notes", "--open"}).out.contains("vocal too quiet here"));
        QCOMPARE(mixroom({"note", "resolve", id}).code, 0);
        QVERIFY(!mixroom({"notes", "--open"}).out.contains("vocal too quiet here"));
        QCOMPARE(mixroom({"version", "save", "v1", "--message", "first"}).code, 0);
        mixroom({"set", "tracks/bass/pan", "0.5"});
        r = mixroom({"version", "diff", "v1"});
        QVERIFY2(r.out.contains("tracks/bass/pan: ") && r.out.contains(" -> 0.5"), r.out.constData());
        QCOMPARE(mixroom({"version", "restore", "v1"}).code, 0);
        QVERIFY(f.srv->room(f.sessionId)->state().tracks[0].pan != 0.5);
        // The policy asks every artist and client: members invited earlier in this test run leave first.
        for (const QJsonValue& m : QJsonDocument::fromJson(mixroom({"members", "--json"}).out).object().value("members").toArray())
            if (m.toObject().value("name").toString() == "Ana") mixroom({"revoke", m.toObject().value("id").toString()});
        QCOMPARE(mixroom({"approve", "v1", "--token", f.tokens["artist"]}).code, 0);
        r = mixroom({"approve", "v1", "--token", f.tokens["client"]});
        QVERIFY(r.out.contains("now approved"));
        r = mixroom({"status", "v1", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("versions").toArray().at(0).toObject().value("status").toString(),
                 QString("approved"));

        QVERIFY(mixroom({"version", "show", "v1"}).out.contains("approved by"));
        QCOMPARE(mixroom({"policy", "artist", "--token", f.tokens["artist"]}).code, 1); // owner only
        QCOMPARE(mixroom({"policy", "artist", "client"}).code, 0);
        // The mastering engineer pulls (waiting through the render), resumes, and the hash is verified.
        const QString out = f.dir.path() + "/v1.wav";
        r = mixroom({"pull", "v1", "-o", out, "--token", f.tokens["mastering"], "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject pulled = QJsonDocument::fromJson(r.out).object();
        QFile whole(out);
        QVERIFY(whole.open(QIODevice::ReadOnly));
        const QByteArray bytes = whole.readAll();
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()),
                 pulled.value("sha256").toString());
        // An interrupted pull left a partial file: the next run continues from it.
        QFile part(out + ".part");
        QVERIFY(part.open(QIODevice::WriteOnly));
        part.write(bytes.left(bytes.size() / 3));
        part.close();
        QFile::remove(out);
        r = mixroom({"pull", "v1", "-o", out, "--token", f.tokens["mastering"], "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("sha256"), pulled.value("sha256"));
        QVERIFY(!QFile::exists(out + ".part"));
        // Refused pulls say why.
        r = mixroom({"pull", "v1", "-o", out, "--token", f.tokens["client"]});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("the client role may not pull"));
    }

    void listenToOggOpusWithAb()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        mixroom({"version", "save", "ab-base"});
        const QString file = f.dir.path() + "/take.opus";
        QProcess listen;
        QSignalSpy finished(&listen, &QProcess::finished);
        start(listen, {"listen", "--own", "--out", file, "--duration", "2", "--json"});
        // Another invocation with the same login switches the running listener's stream.
        QTRY_VERIFY_WITH_TIMEOUT(mixroom({"ab", "ab-base"}).code == 0, 10000);
        QCOMPARE(mixroom({"ab", "nope"}).code, 1);
        QVERIFY(finished.wait(20000));
        QCOMPARE(listen.exitCode(), 0);
        const QJsonObject report = QJsonDocument::fromJson(listen.readAllStandardOutput()).object();
        QCOMPARE(report.value("lost").toInt(), 0);
        // The Ogg Opus file is valid and as long as asked.
        QProcess info;
        info.start("opusinfo", {file});
        QSignalSpy infoDone(&info, &QProcess::finished);
        QVERIFY2(info.waitForStarted(5000), "opusinfo (Debian package opus-tools) is needed");
        QVERIFY(info.state() == QProcess::NotRunning || infoDone.wait(10000));
        const QString text = QString::fromUtf8(info.readAllStandardOutput() + info.readAllStandardError());
        QCOMPARE(info.exitCode(), 0);
        QVERIFY2(text.contains("Playback length: 0m:02."), qPrintable(text));
        QVERIFY2(!text.contains("WARNING"), qPrintable(text));
    }

    void adminCommands()
    {
        Run r = mixroom({"login", f.url().toString(), "--token", f.adminToken});
        QCOMPARE(r.code, 0);
        r = mixroom({"create", "Album track 2", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QString id = QJsonDocument::fromJson(r.out).object().value("session").toObject().value("id").toString();
        r = mixroom({"sessions", "--json"});
        bool found = false;
        for (const QJsonValue& v : QJsonDocument::fromJson(r.out).object().value("sessions").toArray())
            found = found || v.toObject().value("id").toString() == id;
        QVERIFY(found);
        // `create` made the new session current with its owner token.
        r = mixroom({"state", "--json"});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("seq").toInt(), 0);
        r = mixroom({"use", f.sessionId});
        QCOMPARE(r.code, 0);
        r = mixroom({"use", "nope"});
        QCOMPARE(r.code, 1);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
