// SPDX-License-Identifier: MIT
// The `mixroom` binary as a user runs it, against a real server on loopback: login (config file
// 0600), tracks by name, set/get, refusals with the server's code and exit status, --json, invite,
// members, admin commands, upload with an added track.
#include "ServerFixture.h"
#include "engine/model/ParamTable.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>

#include "engine/model/Automation.h"
#include <QRegularExpression>

#include <cmath>
#include <csignal>
#include <numbers>
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

    // mixroom auto ...: points added, shown, removed, cleared in a range; modes; a CSV round trip
    // and a broken CSV named by line; song fades on the master fader; refusals with their codes;
    // and a version diff that lists the points.
    void automationCommands()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        QCOMPARE(mixroom({"version", "save", "before-automation"}).code, 0);
        Run r = mixroom({"auto", "add", "tracks/Vocals/fader", "0.2", "-6"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(mixroom({"auto", "add", "tracks/vox/fader", "0:00.6", "0", "--curve", "curved"}).code, 0);
        QCOMPARE(mixroom({"auto", "add", "tracks/vox/fader", "400ms", "-2"}).code, 0);
        auto lane = [&](const char* path) { return f.srv->room(f.sessionId)->state().automation.at(path); };
        const engine::Lane vox = lane("tracks/vox/fader");
        QCOMPARE(vox.points.size(), size_t(3));
        QCOMPARE(vox.points[0].time, int64_t(9600));
        QCOMPARE(vox.points[1].time, int64_t(19200));
        QVERIFY(vox.points[2].curve == engine::Curve::Curved);
        r = mixroom({"auto", "show", "tracks/vox/fader"});
        QVERIFY2(r.out.contains("tracks/vox/fader: read, 3 points") && r.out.contains("0:00.200  -6 dB  linear") &&
                     r.out.contains("0:00.600  0 dB  curved"),
                 r.out.constData());
        r = mixroom({"auto", "show", "tracks/vox/fader", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("points").toArray().size(), 3);
        // Refusals: out of range (the server's), not automatable, a bad time, no such point, the
        // artist on the master.
        r = mixroom({"auto", "add", "tracks/vox/fader", "0.3", "40"});
        QVERIFY2(r.code == 1 && r.err.contains("out_of_range"), r.err.constData());
        r = mixroom({"auto", "add", "tracks/vox/stem", "0.3", "1"});
        QVERIFY2(r.code == 1 && r.err.contains("cannot be automated"), r.err.constData());
        QCOMPARE(mixroom({"auto", "add", "tracks/vox/fader", "soon", "-6"}).code, 2);
        r = mixroom({"auto", "remove", "tracks/vox/fader", "0.7"});
        QVERIFY2(r.code == 1 && r.err.contains("no point at 0:00.700"), r.err.constData());
        r = mixroom({"auto", "add", "master/fader", "0.1", "-3", "--token", f.tokens["artist"]});
        QVERIFY2(r.code == 1 && r.err.contains("forbidden"), r.err.constData());
        QCOMPARE(mixroom({"auto", "remove", "tracks/vox/fader", "0.4"}).code, 0);
        QCOMPARE(lane("tracks/vox/fader").points.size(), size_t(2));
        QCOMPARE(mixroom({"auto", "mode", "tracks/vox/fader", "touch"}).code, 0);
        QVERIFY(lane("tracks/vox/fader").mode == engine::LaneMode::Touch);
        QCOMPARE(mixroom({"auto", "mode", "tracks/vox/fader", "sideways"}).code, 2);

        // CSV out and back in (seconds this time), and a broken file named by its line.
        const QString csv = f.dir.path() + "/vox.csv";
        QCOMPARE(mixroom({"auto", "export", "tracks/vox/fader", csv}).code, 0);
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray exported = file.readAll();
        file.close();
        QVERIFY2(exported.startsWith("time_samples,time_seconds,value,curve\n9600,0.200000,-6,linear\n"), exported.constData());
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("time_seconds,value\n0.1,-10\n0.5,-4\n0.9,-8\n");
        file.close();
        QCOMPARE(mixroom({"auto", "import", "tracks/bass/pan", csv}).code, 1); // -10 is no pan
        r = mixroom({"auto", "import", "tracks/bass/fader", csv});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(lane("tracks/bass/fader").points.size(), size_t(3));
        QCOMPARE(lane("tracks/bass/fader").points[1].time, int64_t(24000));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("time_seconds,value\n0.1,-10\n0.05,-4\n");
        file.close();
        r = mixroom({"auto", "import", "tracks/bass/fader", csv});
        QVERIFY2(r.code == 1 && r.err.contains("line 3: times must increase"), r.err.constData());

        // Song fades: out over the last 0.5 s (linear), in over the first 0.25 s (equal power).
        QCOMPARE(mixroom({"auto", "fade", "out", "0.5", "--shape", "linear"}).code, 0);
        QCOMPARE(mixroom({"auto", "fade", "in", "0.25"}).code, 0);
        QCOMPARE(mixroom({"auto", "fade", "in", "0.25", "--shape", "cosine"}).code, 2);
        const engine::Lane master = lane("master/fader");
        const engine::ParamSpec& fader = *engine::findSpec("master/fader");
        const double level = f.srv->room(f.sessionId)->state().master.fader;
        QCOMPARE(master.points.front().time, int64_t(0));
        QVERIFY(engine::laneValue(master, fader, 0) < -59);                        // silence at the start
        QVERIFY(std::abs(engine::laneValue(master, fader, 12000) - level) < 1e-9); // the fader's level between the fades
        QVERIFY(std::abs(engine::laneValue(master, fader, 24000) - level) < 1e-9);
        // The song's end: the longest stem (other tests here upload longer ones).
        const auto songEnd = static_cast<int64_t>(std::llround(f.srv->room(f.sessionId)->lengthMs(f.srv->room(f.sessionId)->state()) * 48));
        QCOMPARE(master.points.back().time, songEnd);
        QVERIFY(engine::laneValue(master, fader, songEnd) < -59);
        // Halfway through a linear fade out, the gain is half the level's.
        const double half = std::pow(10.0, engine::laneValue(master, fader, songEnd - 12000) / 20) / std::pow(10.0, level / 20);
        QVERIFY2(std::abs(half - 0.5) < 0.01, qPrintable(QString::number(half)));

        // The diff lists the points; clearing a range, then the lane.
        r = mixroom({"version", "diff", "before-automation"});
        QVERIFY2(r.out.contains("automation tracks/vox/fader (lane added): 2 added points") &&
                     r.out.contains("+ 0:00.200  -6 dB  linear") && r.out.contains("automation master/fader (lane added)"),
                 r.out.constData());
        QCOMPARE(mixroom({"auto", "clear", "tracks/bass/fader", "--from", "0.2", "--to", "0.6"}).code, 0);
        QCOMPARE(lane("tracks/bass/fader").points.size(), size_t(2));
        QCOMPARE(mixroom({"auto", "clear", "tracks/vox/fader"}).code, 0);
        QVERIFY(!f.srv->room(f.sessionId)->state().automation.count("tracks/vox/fader"));
        for (const char* path : {"tracks/bass/fader", "master/fader"})
            QCOMPARE(mixroom({"auto", "clear", path}).code, 0);
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
        // --duration is wall-clock time: about two seconds of audio, less what the start takes.
        static const QRegularExpression length("Playback length: 0m:(\\d+\\.\\d+)s");
        const double seconds = length.match(text).captured(1).toDouble();
        QVERIFY2(seconds > 1.6 && seconds < 2.2, qPrintable(text));
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

    // The whole structure of a mix, from the command line, by display names in any case; checked
    // field by field on the server's own state (not through the CLI).
    void structureFromTheCommandLine()
    {
        QVERIFY(mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]}).code == 0);
        auto ok = [&](const QStringList& args) {
            const Run r = mixroom(args);
            if (r.code != 0) qWarning("%s: %s", qPrintable(args.join(' ')), r.err.constData());
            return r.code == 0;
        };
        auto state = [&] { return f.srv->room(f.sessionId)->state(); };
        QVERIFY(ok({"group", "add", "Rhythm Section"}));
        QVERIFY(state().group("rhythm-section") && state().group("rhythm-section")->name == "Rhythm Section");
        QVERIFY(ok({"output", "Bass", "rhythm section"}));
        QCOMPARE(state().track("bass")->output, std::string("rhythm-section"));
        QVERIFY(ok({"return", "add", "Plate", "--effect", "reverb", "decay=2.4", "predelay=20"}));
        QVERIFY(state().aux("plate"));
        QVERIFY(state().aux("plate")->effect == engine::EffectType::Reverb);
        QCOMPARE(state().aux("plate")->reverb.decay, 2.4);
        QCOMPARE(state().aux("plate")->reverb.predelay, 20.0);
        QVERIFY(ok({"return", "add", "Slap", "--effect", "delay", "time=120", "feedback=10"}));
        QVERIFY(state().aux("slap")->effect == engine::EffectType::Delay);
        QCOMPARE(state().aux("slap")->delay.time, 120.0);
        QVERIFY(ok({"send", "add", "Vocals", "Plate", "--level", "-12", "--pre"}));
        const auto sendOf = [&](const char* track, const char* to) -> std::optional<engine::Send> {
            const engine::Session st = state();
            for (const auto& x : st.track(track)->sends)
                if (x.to == to) return x;
            return std::nullopt;
        };
        QVERIFY(sendOf("vox", "plate"));
        QCOMPARE(sendOf("vox", "plate")->level, -12.0);
        QVERIFY(sendOf("vox", "plate")->pre);
        // Send paths name the return (they used to be rewritten with the track's id).
        Run r = mixroom({"get", "tracks/Vocals/sends/Plate/level"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(r.out.trimmed(), QByteArray("-12"));
        QVERIFY(ok({"set", "tracks/vocals/sends/PLATE/level", "-9"}));
        QCOMPARE(sendOf("vox", "plate")->level, -9.0);
        // EQ bands: add with settings, move, remove.
        QVERIFY(ok({"band", "add", "Vocals", "--type", "hp24", "freq=90"}));
        QCOMPARE(state().track("vox")->eq.size(), size_t(2));
        QVERIFY(state().track("vox")->eq[1].type == engine::EqType::HighPass24);
        QCOMPARE(state().track("vox")->eq[1].freq, 90.0);
        QVERIFY(ok({"band", "move", "Vocals", "2", "1"}));
        QVERIFY(state().track("vox")->eq[0].type == engine::EqType::HighPass24);
        QVERIFY(state().track("vox")->eq[1].type == engine::EqType::Peak);
        QVERIFY(ok({"band", "add", "master", "freq=3000", "gain=1.5", "q=2"}));
        const auto masterBand = state().master.eq.back();
        QCOMPARE(masterBand.freq, 3000.0);
        QCOMPARE(masterBand.gain, 1.5);
        QVERIFY(ok({"band", "remove", "master", QString::number(state().master.eq.size())}));
        QVERIFY(ok({"band", "remove", "vocals", "2"}));
        QCOMPARE(state().track("vox")->eq.size(), size_t(1));
        // Tracks: rename, move, remove.
        QVERIFY(ok({"track", "rename", "vocals", "Lead Vox"}));
        QCOMPARE(state().track("vox")->name, std::string("Lead Vox"));
        QVERIFY(ok({"track", "move", "lead vox", "1"}));
        QCOMPARE(state().tracks.front().id, std::string("vox"));
        QVERIFY(ok({"track", "move", "Lead Vox", "2"}));
        QCOMPARE(state().tracks[1].id, std::string("vox"));
        QVERIFY(ok({"group", "rename", "rhythm-section", "Rhythm"}));
        QCOMPARE(state().group("rhythm-section")->name, std::string("Rhythm"));
        // Removing a group sends its tracks to the master; removing a return removes its sends.
        QVERIFY(ok({"group", "remove", "Rhythm"}));
        QVERIFY(!state().group("rhythm-section"));
        QCOMPARE(state().track("bass")->output, std::string("master"));
        QVERIFY(ok({"return", "remove", "plate"}));
        QVERIFY(!state().aux("plate"));
        QVERIFY(!sendOf("vox", "plate"));
        QVERIFY(ok({"return", "remove", "Slap"}));
        QVERIFY(ok({"track", "rename", "vox", "Vocals"}));
        // --json for structure commands.
        r = mixroom({"group", "add", "Keys Bus", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("ok").toBool(), true);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("group").toString(), QString("keys-bus"));
        QVERIFY(ok({"group", "remove", "keys-bus"}));
    }

    void typosFailAtOnceWithASuggestion_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("stderrText");
        QTest::newRow("track") << QStringList{"set", "tracks/Basss/fader", "-3"} << "no track \"Basss\"; did you mean \"bass\"?";
        QTest::newRow("field") << QStringList{"get", "tracks/bass/fadr"} << "did you mean \"fader\"?";
        QTest::newRow("root") << QStringList{"get", "mastr/limiter/ceiling"} << "did you mean \"master\"?";
        QTest::newRow("band") << QStringList{"set", "tracks/bass/eq/7/gain", "1"} << "tracks/bass has no EQ band \"7\"";
        QTest::newRow("send") << QStringList{"get", "tracks/vox/sends/verb/level"} << "tracks/vox has no send to \"verb\"";
        QTest::newRow("return") << QStringList{"get", "tracks/bass/sends/verbb/level"} << "no aux return \"verbb\"; did you mean \"verb\"?";
        QTest::newRow("output") << QStringList{"output", "bass", "drumz"} << "no group \"drumz\"";
        QTest::newRow("send add") << QStringList{"send", "add", "Bas", "nowhere"} << "no aux return \"nowhere\"";
        QTest::newRow("band remove") << QStringList{"band", "remove", "vocals", "5"} << "has no EQ band \"5\"";
        QTest::newRow("track remove") << QStringList{"track", "remove", "Vocalz"} << "did you mean \"Vocals\"?";
        QTest::newRow("member") << QStringList{"revoke", "Nobody"} << "no member \"Nobody\"";
        QTest::newRow("note") << QStringList{"note", "resolve", "n_zzzz"} << "no note \"n_zzzz\"";
        QTest::newRow("choice") << QStringList{"set", "tracks/bass/eq/1/type", "peek"} << "did you mean \"peak\"?";
        QTest::newRow("effect") << QStringList{"return", "add", "X", "--effect", "revreb"} << "did you mean \"reverb\"?";
        QTest::newRow("command") << QStringList{"versoins"} << "did you mean \"versions\"?";
    }
    void typosFailAtOnceWithASuggestion()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, stderrText);
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        const Run r = mixroom(args);
        QVERIFY2(r.code == 1 || r.code == 2, r.err.constData());
        QVERIFY2(QString(r.err).contains(stderrText), r.err.constData());
        QVERIFY2(!r.err.contains("timeout") && !r.err.contains("mixroomd"), r.err.constData()); // no server-side tool named
    }

    void getReadsASubtree()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        Run r = mixroom({"get", "master/limiter", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject values = QJsonDocument::fromJson(r.out).object().value("values").toObject();
        const engine::Session st = f.srv->room(f.sessionId)->state();
        QCOMPARE(values.value("master/limiter/ceiling").toDouble(), st.master.limiter.ceiling);
        QCOMPARE(values.value("master/limiter/lookahead").toDouble(), st.master.limiter.lookahead);
        QCOMPARE(values.size(), 4);
        r = mixroom({"get", "tracks/Bass"});
        QVERIFY(r.out.contains("tracks/bass/fader = ") && r.out.contains("tracks/bass/eq/1/freq = ") &&
                r.out.contains("tracks/bass/sends/verb/level = "));
        // Every field of the strip: the table's track rows expanded by hand over this strip's bands
        // and sends (not through forEachField, which the CLI itself uses).
        int expected = 0;
        const engine::Track& bassTrack = *st.track("bass");
        for (const engine::ParamSpec& spec : engine::paramTable()) {
            const QString pattern = QString::fromStdString(spec.pattern);
            if (!pattern.startsWith("tracks/*/")) continue;
            expected += pattern.contains("/eq/*/")      ? static_cast<int>(bassTrack.eq.size())
                        : pattern.contains("/sends/*/") ? static_cast<int>(bassTrack.sends.size())
                                                        : 1;
        }
        QCOMPARE(r.out.count('\n'), expected);
    }

    void jsonEnvelopeOnEveryOutcome()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        const QList<QPair<QStringList, bool>> cases = {{{"tracks", "--json"}, true},
                                                       {{"members", "--json"}, true},
                                                       {{"versions", "--json"}, true},
                                                       {{"set", "tracks/bass/fader", "99", "--json"}, false},
                                                       {{"set", "tracks/nope/fader", "1", "--json"}, false},
                                                       {{"set", "--json"}, false},
                                                       {{"frobnicate", "--json"}, false},
                                                       {{"state", "--json", "--token", "mxr_bad"}, false}};
        for (const auto& [args, success] : cases) {
            const Run r = mixroom(args);
            QJsonParseError error;
            const QJsonObject o = QJsonDocument::fromJson(r.out, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(args.join(' ') + ": " + r.out));
            QCOMPARE(o.value("ok").toBool(), success);
            QCOMPARE(r.code == 0, success);
            if (!success) {
                QVERIFY2(!o.value("error").toObject().value("code").toString().isEmpty(), qPrintable(args.join(' ')));
                QVERIFY2(!o.value("error").toObject().value("message").toString().isEmpty(), qPrintable(args.join(' ')));
            }
        }
    }

    void helpVersionAndServerAddress()
    {
        Run r = mixroom({"--version"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith("mixroom 0."));
        r = mixroom({"--help"});
        QCOMPARE(r.code, 0);
        // Every option the parser knows is in the help.
        for (const char* option : {"--server",  "--token",   "--session", "--json",    "--rate",    "--role",  "--name",     "--to",
                                   "--version", "--message", "--author",  "--format",  "--bitrate", "--frame", "--duration", "--device",
                                   "--buffer",  "--output",  "--effect",  "--type",    "--level",   "--id",    "--open",     "--resolved",
                                   "--own",     "--follow",  "--match",   "--replace", "--pre"})
            QVERIFY2(r.out.contains(option), option);
        for (const char* command : {"ab VERSION", "track remove", "group add", "return add", "send add", "band add", "output TRACK"})
            QVERIFY2(r.out.contains(command), command);
        r = mixroom({"login", "http://127.0.0.1:7870", "--token", "mxr_x"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("use ws:// or wss://") && r.err.contains("ws://127.0.0.1:7870"), r.err.constData());
        r = mixroom({"set", "x"});
        QCOMPARE(r.code, 2);
        QCOMPARE(r.err.count("usage:"), 1);
    }

    void uploadNameClashAsksForADecision()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        // A 44.1 kHz take named like the existing track "Bass": refused before a byte is sent.
        const auto s = sine(110, 44100, 0.3, 44100);
        const QString file = f.dir.path() + "/bass.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 1, s));
        const size_t before = f.srv->room(f.sessionId)->state().tracks.size();
        Run r = mixroom({"upload", file});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("already a track named \"bass\"") && r.err.contains("--replace") && r.err.contains("--name"),
                 r.err.constData());
        QVERIFY(QDir(f.dir.path() + "/uploads").entryList({"*.part"}, QDir::Files).isEmpty());
        // --replace gives the track the new stem; the source rate is reported.
        const std::string oldStem = f.srv->room(f.sessionId)->state().track("bass")->stem;
        r = mixroom({"upload", file, "--replace"});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.out.contains("44.1 kHz, resampled to 48 kHz"), r.out.constData());
        QTRY_VERIFY(f.srv->room(f.sessionId)->state().track("bass")->stem != oldStem);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks.size(), before);
        // --name makes a new track.
        r = mixroom({"upload", file, "--name", "Bass DI", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("added").toArray().at(0).toObject().value("track").toString(),
                 QString("bass-di"));
        QVERIFY(mixroom({"track", "remove", "Bass DI"}).code == 0);
    }

    void watchShowsNamesAndReviewEventsNotOneOffCommands()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        QProcess watch;
        start(watch, {"watch"});
        QByteArray seen;
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("Watching"), 10000);
        // One-off commands of the same member: edits and notes show, presence does not.
        QCOMPARE(mixroom({"set", "tracks/bass/pan", "0.125"}).code, 0);
        QCOMPARE(mixroom({"note", "add", "0.2", "watch this"}).code, 0);
        QCOMPARE(mixroom({"version", "save", "watched"}).code, 0);
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("version watched saved by"), 10000);
        QVERIFY2(seen.contains("Mix (mix): set tracks/bass/pan = 0.125"), seen.constData());
        QVERIFY2(seen.contains("note added by Mix at 0:00: watch this"), seen.constData());
        // A member who stays connected does show.
        auto artist = f.connect("artist");
        QVERIFY(artist);
        QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("artist (artist) joined"), 10000);
        QVERIFY2(!seen.contains("Mix (mix) joined") && !seen.contains("Mix (mix) left"), seen.constData());
        watch.kill();
        QVERIFY(watch.waitForFinished(10000));
    }

    void pullFormatFollowsTheExtension()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        // An approved version to pull (reviewCommands approved v1).
        const QString flac = f.dir.path() + "/v1.flac";
        Run r = mixroom({"pull", "v1", "-o", flac, "--token", f.tokens["mastering"]});
        QVERIFY2(r.code == 0, r.err.constData());
        QFile file(flac);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.read(4), QByteArray("fLaC"));
        r = mixroom({"pull", "v1", "-o", f.dir.path() + "/v1x.flac", "--format", "wav24", "--token", f.tokens["mastering"]});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("does not match"), r.err.constData());
        r = mixroom({"pull", "v1", "-o", f.dir.path() + "/v1.mp3", "--token", f.tokens["mastering"]});
        QCOMPARE(r.code, 2);
        // A refused pull leaves nothing behind.
        const QString refused = f.dir.path() + "/never.wav";
        r = mixroom({"pull", "no-such-version", "-o", refused, "--token", f.tokens["mastering"]});
        QCOMPARE(r.code, 1);
        QVERIFY(!QFile::exists(refused) && !QFile::exists(refused + ".part"));
    }

    void approvalsOutsideThePolicyAreRefused()
    {
        mixroom({"login", f.url().toString(), "--token", f.tokens["mix"]});
        QCOMPARE(mixroom({"policy", "artist", "client"}).code, 0);
        QCOMPARE(mixroom({"version", "save", "policy-check"}).code, 0);
        const Run r = mixroom({"approve", "policy-check", "--token", f.tokens["mastering"]});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("would not count"), r.err.constData());
        QCOMPARE(mixroom({"approve", "policy-check", "--token", f.tokens["artist"]}).code, 0);
    }

    // A recording lines up with the render sample for sample: the Opus encoder's delay and the
    // limiter's lookahead are compensated. Reference: the analytic sine the stems hold.
    void listenRecordingLinesUpWithTheRender()
    {
        ServerFixture own;
        own.stemSeconds = 6;
        QVERIFY(own.start());
        const QString file = own.dir.path() + "/aligned.wav";
        const Run r = mixroom({"listen", "--own", "--out", file, "--duration", "2", "--json", "--server", own.url().toString(), "--token",
                               own.tokens["mix"]});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject report = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(report.value("startSample").toInteger(), 0);
        SF_INFO info{};
        SNDFILE* snd = sf_open(file.toLocal8Bit().constData(), SFM_READ, &info);
        QVERIFY(snd);
        std::vector<float> pcm(static_cast<size_t>(info.frames * 2));
        sf_readf_float(snd, pcm.data(), info.frames);
        sf_close(snd);
        QVERIFY(info.frames > 48000);
        // Phase of the 220 Hz component by least squares, against the sine from sample 0.
        const double w = 2 * std::numbers::pi * 220 / 48000;
        double sinPart = 0, cosPart = 0;
        for (int64_t n = 4800; n < 48000; ++n) {
            const double x = pcm[static_cast<size_t>(2 * n)];
            sinPart += x * std::sin(w * static_cast<double>(n));
            cosPart += x * std::cos(w * static_cast<double>(n));
        }
        const double lagSamples = std::atan2(cosPart, sinPart) / w;
        QVERIFY2(std::abs(lagSamples) < 2.0, qPrintable(QString("the recording is %1 samples off the render").arg(lagSamples)));
        QVERIFY(std::hypot(sinPart, cosPart) > 0.01 * 43200);
    }

    // Following a paused room: told so, and --duration still ends it (it used to run on).
    void listenToAPausedRoomEndsOnTime()
    {
        ServerFixture paused;
        QVERIFY(paused.start());
        const QString file = paused.dir.path() + "/paused.wav";
        const Run r = mixroom({"listen", "--follow", "--out", file, "--duration", "1", "--server", paused.url().toString(), "--token",
                               paused.tokens["artist"]});
        QCOMPARE(r.code, 0); // not -1: it finished
        QVERIFY2(r.err.contains("the room's transport is paused") && r.err.contains("ending in 1 s"), r.err.constData());
        QVERIFY(QFileInfo::exists(file));
    }

    // Last: it bans this machine's address on a server of its own.
    void aBannedAddressIsToldSo()
    {
        server::ServerLimits limits;
        limits.failuresBeforeBan = 2;
        ServerFixture banning;
        QVERIFY(banning.start(limits));
        for (int i = 0; i < 2; ++i)
            QCOMPARE(mixroom({"state", "--server", banning.url().toString(), "--token", "mxr_wrong"}).code, 1);
        const Run r = mixroom({"state", "--server", banning.url().toString(), "--token", banning.tokens["mix"]});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("banned") && r.err.contains("minute"), r.err.constData());
        QVERIFY(!r.err.contains("cannot connect"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
