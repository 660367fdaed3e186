// SPDX-License-Identifier: MIT
// Acknowledged means durable: mixroomd runs as its own process, is killed with SIGKILL during a
// burst of acknowledged edits, restarts on the same data, and every acknowledged edit is in the
// log exactly once, in order, and the state equals the replay of the log.
#include "client/Connection.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace mixroom;

namespace {
QString mixroomd()
{
    const QString exe = qEnvironmentVariable("MIXROOMD");
    return exe.isEmpty() ? QCoreApplication::applicationDirPath() + "/../server/mixroomd" : exe;
}

struct Daemon {
    QProcess proc;
    QString output, url, adminToken;
    bool start(const QString& dataDir)
    {
        proc.setProcessChannelMode(QProcess::MergedChannels);
        proc.start(mixroomd(), {"serve", "--data", dataDir, "--listen", "127.0.0.1:0"});
        if (!proc.waitForStarted(10000)) return false;
        static const QRegularExpression listening("listening on (ws://[0-9.:]+)");
        static const QRegularExpression admin("\\n  (mxr_[A-Za-z0-9_-]+)\\n");
        while (!listening.match(output).hasMatch()) {
            if (!proc.waitForReadyRead(10000)) return false;
            output += QString::fromUtf8(proc.readAll());
        }
        url = listening.match(output).captured(1);
        adminToken = admin.match(output).captured(1);
        return true;
    }
};

QJsonObject rawHello(QWebSocket& ws, const QString& url, const QString& token, qint64 lastSeq)
{
    QSignalSpy connected(&ws, &QWebSocket::connected);
    ws.open(QUrl(url));
    if (!connected.wait(10000)) return {};
    QSignalSpy got(&ws, &QWebSocket::textMessageReceived);
    QJsonObject hello{{"type", "hello"}, {"major", 1}, {"token", token}, {"clientId", "durability-check"}};
    if (lastSeq >= 0) hello.insert("lastSeq", lastSeq);
    ws.sendTextMessage(QString::fromUtf8(QJsonDocument(hello).toJson()));
    if (!got.wait(10000)) return {};
    return QJsonDocument::fromJson(got.first().at(0).toString().toUtf8()).object();
}
} // namespace

class TestDurability : public QObject {
    Q_OBJECT
  private slots:
    void acknowledgedEditsSurviveSigkill()
    {
        QTemporaryDir data;
        Daemon first;
        QVERIFY2(first.start(data.path()), qPrintable(first.output));
        QVERIFY(!first.adminToken.isEmpty());

        // The admin creates a session; its owner bursts edits.
        client::Connection admin(QUrl(first.url), first.adminToken, "durability-admin");
        QSignalSpy adminWelcome(&admin, &client::Connection::welcomed);
        admin.open();
        QVERIFY(adminWelcome.wait(10000));
        QSignalSpy created(&admin, &client::Connection::reply);
        admin.request(protocol::Kind::CreateSession, {{"name", "Durable"}});
        QVERIFY(created.wait(10000));
        const QString ownerToken = created.first().at(1).toJsonObject().value("token").toString();
        QVERIFY(!ownerToken.isEmpty());

        client::Connection owner(QUrl(first.url), ownerToken, "durability-owner");
        owner.setAutoReconnect(false);
        QSignalSpy ownerWelcome(&owner, &client::Connection::welcomed);
        owner.open();
        QVERIFY(ownerWelcome.wait(10000));
        QMap<qint64, double> sent;  // clientSeq -> value
        QMap<qint64, double> acked; // seq -> value
        int next = 0;
        auto sendOne = [&] {
            const double v = (next++ % 800) * 0.25;
            sent.insert(owner.request(protocol::Kind::Set, {{"path", "master/width"}, {"value", v}}), v);
        };
        connect(&owner, &client::Connection::acked, this, [&](qint64 clientSeq, qint64 seq) {
            acked.insert(seq, sent.value(clientSeq));
            if (acked.size() < 150)
                sendOne();
            else if (first.proc.state() == QProcess::Running)
                first.proc.kill(); // SIGKILL mid-burst: edits are still in flight
        });
        connect(&owner, &client::Connection::refused, this, [&](qint64, const QJsonObject&) { sendOne(); });
        QSignalSpy killed(&first.proc, &QProcess::finished);
        for (int i = 0; i < 16; ++i) // a window of edits in flight
            sendOne();
        QVERIFY(killed.wait(30000)); // the event loop runs: acks arrive, the kill comes at 150
        QCOMPARE(first.proc.exitStatus(), QProcess::CrashExit);
        QVERIFY(acked.size() >= 150);

        // Restart on the same data; ask for the whole log from sequence 0.
        Daemon second;
        QVERIFY2(second.start(data.path()), qPrintable(second.output));
        QWebSocket ws;
        const QJsonObject w = rawHello(ws, second.url, ownerToken, 0);
        QCOMPARE(w.value("type").toString(), QString("welcome"));
        const QJsonArray replay = w.value("replay").toArray();
        QMap<qint64, double> logged;
        qint64 expectSeq = 1;
        for (const QJsonValue& v : replay) {
            const QJsonObject e = v.toObject();
            const qint64 seq = e.value("seq").toInteger();
            QCOMPARE(seq, expectSeq++); // contiguous, each once
            logged.insert(seq, e.value("args").toObject().value("value").toDouble());
        }
        for (auto it = acked.begin(); it != acked.end(); ++it) {
            QVERIFY2(logged.contains(it.key()), qPrintable(QString("acknowledged edit %1 is missing").arg(it.key())));
            QCOMPARE(logged.value(it.key()), it.value());
        }
        QCOMPARE(w.value("seq").toInteger(), qint64(replay.size()));
        // The state equals the replay of the log: the last logged width.
        QWebSocket ws2;
        const QJsonObject full = rawHello(ws2, second.url, ownerToken, -1);
        QCOMPARE(full.value("state").toObject().value("master").toObject().value("width").toDouble(), logged.last());
        second.proc.kill();
        second.proc.waitForFinished(10000);
    }

    void cleanShutdownOnSigterm()
    {
        QTemporaryDir data;
        Daemon d;
        QVERIFY(d.start(data.path()));
        QWebSocket ws;
        QCOMPARE(rawHello(ws, d.url, d.adminToken, -1).value("type").toString(), QString("welcome"));
        QSignalSpy closed(&ws, &QWebSocket::disconnected);
        d.proc.terminate(); // SIGTERM
        QVERIFY(closed.wait(10000));
        QCOMPARE(ws.closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
        QVERIFY(d.proc.waitForFinished(10000));
        QCOMPARE(d.proc.exitStatus(), QProcess::NormalExit);
        QCOMPARE(d.proc.exitCode(), 0);
    }

    void badOptionsTouchNothing()
    {
        // A mistyped option is refused (exit 2, the option named on stderr) before the data
        // folder is touched: no database, no admin token printed for a server that never ran.
        for (const QStringList& bad : {QStringList{"--preview-budget", "7"}, QStringList{"--max-per-address", "0"},
                                       QStringList{"--render-cache-gb", "x"}, QStringList{"--upload-expiry", "-1"}}) {
            QTemporaryDir data;
            QProcess proc;
            proc.start(mixroomd(), QStringList{"serve", "--data", data.path(), "--listen", "127.0.0.1:0"} + bad);
            QVERIFY(proc.waitForFinished(10000));
            QCOMPARE(proc.exitCode(), 2);
            QVERIFY2(QString::fromUtf8(proc.readAllStandardError()).contains(bad.first()), qPrintable(bad.join(' ')));
            QVERIFY2(!QString::fromUtf8(proc.readAllStandardOutput()).contains("Admin token"), qPrintable(bad.join(' ')));
            QVERIFY2(QDir(data.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty(), qPrintable(bad.join(' ')));
        }
    }

    void adminTokenCannotBeLost()
    {
        // A first start that dies after printing the token (here: SIGKILL) leaves it usable: the
        // next start prints the same token, until the admin first logs in; after that it is not
        // printed again, and `mixroomd admin-token --reset` on the host issues a new one.
        QTemporaryDir data;
        QString token;
        {
            Daemon first;
            QVERIFY(first.start(data.path()));
            token = first.adminToken;
            QVERIFY(token.startsWith("mxr_"));
            QCOMPARE(QFile(data.path() + "/admin-token").permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                     QFileDevice::Permissions{});
            first.proc.kill();
            QVERIFY(first.proc.waitForFinished(10000));
        }
        {
            Daemon second;
            QVERIFY(second.start(data.path()));
            QCOMPARE(second.adminToken, token);
            QWebSocket ws;
            QCOMPARE(rawHello(ws, second.url, token, -1).value("admin").toBool(), true);
            second.proc.terminate();
            QVERIFY(second.proc.waitForFinished(10000));
        }
        {
            Daemon third;
            QVERIFY(third.start(data.path()));
            QVERIFY2(third.adminToken.isEmpty(), qPrintable(third.output)); // used: only its hash is kept
            third.proc.terminate();
            QVERIFY(third.proc.waitForFinished(10000));
        }
        QProcess show;
        show.start(mixroomd(), {"admin-token", "--data", data.path()});
        QVERIFY(show.waitForFinished(10000));
        QCOMPARE(show.exitCode(), 1);
        QVERIFY(QString::fromUtf8(show.readAllStandardError()).contains("--reset"));
        QProcess reset;
        reset.start(mixroomd(), {"admin-token", "--data", data.path(), "--reset"});
        QVERIFY(reset.waitForFinished(10000));
        QCOMPARE(reset.exitCode(), 0);
        static const QRegularExpression fresh("(mxr_[A-Za-z0-9_-]+)");
        const QString newToken = fresh.match(QString::fromUtf8(reset.readAllStandardOutput())).captured(1);
        QVERIFY(!newToken.isEmpty() && newToken != token);
        Daemon fourth;
        QVERIFY(fourth.start(data.path()));
        QCOMPARE(fourth.adminToken, newToken);
        QWebSocket oldWs, newWs;
        QCOMPARE(rawHello(oldWs, fourth.url, token, -1).value("code").toString(), QString("bad_token"));
        QCOMPARE(rawHello(newWs, fourth.url, newToken, -1).value("admin").toBool(), true);
        fourth.proc.terminate();
        QVERIFY(fourth.proc.waitForFinished(10000));
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
