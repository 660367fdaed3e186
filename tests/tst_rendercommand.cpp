// SPDX-License-Identifier: MIT
// `mixroomd render` as a user runs it: a real process, real files, exit codes and messages.
#include "TestFiles.h"
#include "TestSignals.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace mixroom::test;

namespace {
struct Run {
    int code;
    QByteArray out, err;
};
Run mixroomd(const QStringList& args)
{
    QProcess p;
    QString exe = qEnvironmentVariable("MIXROOMD");
    if (exe.isEmpty()) // run outside CTest: the build tree's own binary
        exe = QCoreApplication::applicationDirPath() + "/../server/mixroomd";
    p.start(exe, args);
    p.waitForFinished(120000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}
} // namespace

class TestRenderCommand : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_session;

  private slots:
    void initTestCase()
    {
        // A 1 kHz sine at -23 dBFS on both channels: the report must read -23 LUFS.
        const auto s = sine(1000, 48000, std::pow(10, -23 / 20.0), 48000 * 5);
        QVERIFY(writeAudio((m_dir.path() + "/tone.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, interleave(s, s)));
        m_session = m_dir.path() + "/song.json";
        QFile f(m_session);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "mixroom-session", "version": 1, "tail": 0,
                   "tracks": [{"id": "tone", "stem": "tone.wav"}],
                   "master": {"limiter": {"enabled": false}}})");
    }

    void rendersWithJsonReport()
    {
        const QString out = m_dir.path() + "/out.flac";
        auto r = mixroomd({"render", m_session, "--out", out, "--json", "--store", m_dir.path() + "/store"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(std::abs(o["integratedLufs"].toDouble() - (-23.0)) <= 0.1);
        QVERIFY(std::abs(o["samplePeakDbfs"].toDouble() - (-23.0)) <= 0.05);
        QCOMPARE(o["durationSeconds"].toDouble(), 5.0);
        QCOMPARE(o["format"].toString(), QString("flac24"));
        QCOMPARE(o["strips"].toArray().size(), 1);
        QVERIFY(QFile::exists(out));
    }

    void textReportAndHelp()
    {
        auto r = mixroomd({"render", m_session, "--out", m_dir.path() + "/o.wav", "--format", "wav16", "--store", m_dir.path() + "/store"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("integrated"));
        QVERIFY(r.out.contains("LUFS"));
        auto h = mixroomd({"--help"});
        QCOMPARE(h.code, 0);
        QVERIFY(h.out.contains("render"));
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("stderrText");
        QTest::newRow("no command") << QStringList{} << 2 << "Usage";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << "unknown command";
        QTest::newRow("no out") << QStringList{"render", "x.json"} << 2 << "--out FILE is required";
        QTest::newRow("bad format") << QStringList{"render", "x.json", "--out", "a.wav", "--format", "mp3"} << 2 << "unknown format 'mp3'";
        QTest::newRow("format vs name") << QStringList{"render", "x.json", "--out", "a.wav", "--format", "flac16"} << 2 << "does not match";
        QTest::newRow("missing session") << QStringList{"render", "/nonexistent.json", "--out", "/tmp/x.wav"} << 1
                                         << "cannot read /nonexistent.json";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, stderrText);
        auto r = mixroomd(args);
        QCOMPARE(r.code, code);
        QVERIFY2(QString(r.err).contains(stderrText), r.err.constData());
    }

    void paramsDocIsCurrent()
    {
        // docs/PARAMETERS.md is the output of `mixroomd params`: regenerate it when the table changes.
        auto r = mixroomd({"params"});
        QCOMPARE(r.code, 0);
        QFile doc(QStringLiteral(MIXROOM_SOURCE_DIR) + "/docs/PARAMETERS.md");
        QVERIFY(doc.open(QIODevice::ReadOnly));
        QVERIFY2(doc.readAll() == r.out, "docs/PARAMETERS.md is stale: run mixroomd params > docs/PARAMETERS.md");
        auto j = mixroomd({"params", "--json"});
        QCOMPARE(j.code, 0);
        QCOMPARE(QJsonDocument::fromJson(j.out).array().size(), r.out.count("\n| `"));
    }

    void badSessionNamesThePath()
    {
        const QString bad = m_dir.path() + "/bad.json";
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "mixroom-session", "version": 1, "tracks": [{"id": "tone", "stem": "tone.wav", "pan": 2}]})");
        f.close();
        const QString out = m_dir.path() + "/never.wav";
        auto r = mixroomd({"render", bad, "--out", out, "--store", m_dir.path() + "/store"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("tracks/tone/pan: 2 is above the maximum 1"), r.err.constData());
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".part"));
    }

    void missingStemIsReported()
    {
        const QString bad = m_dir.path() + "/nostem.json";
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "mixroom-session", "version": 1, "tracks": [{"id": "gone", "stem": "gone.wav"}]})");
        f.close();
        auto r = mixroomd({"render", bad, "--out", m_dir.path() + "/never.wav", "--store", m_dir.path() + "/store"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("tracks/gone/stem") && r.err.contains("No such file"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestRenderCommand)
#include "tst_rendercommand.moc"
