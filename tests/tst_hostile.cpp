// SPDX-License-Identifier: MIT
// A hostile member against the role table and the protocol: undeclared fields, restore as a back
// door to fields the role may not set, revoking the creator, un-revoking at restart, claiming
// another member's op id, positions far past the song. A real server on loopback.
#include "ServerFixture.h"
#include "engine/stems/StemStore.h"
#include "server/DemoSetup.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

namespace {
// A member that authenticates and then never reads: a raw TCP socket doing the WebSocket handshake
// by hand, with tiny receive buffers so the server's data backs up at once.
struct NonReader {
    QTcpSocket s;
    bool join(quint16 port, const QString& token, const QString& clientId, const char* from = "127.0.0.1", bool hello = true)
    {
        // The receive buffer is set on the descriptor before connecting, so the window starts small.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); // loopback connects at once
        const int small = 4096;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, from, &local.sin_addr);
        ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 || !s.setSocketDescriptor(fd)) return false;
        s.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        QByteArray in;
        QElapsedTimer t;
        t.start();
        while (!in.contains("\r\n\r\n") && t.elapsed() < 5000) {
            QTest::qWait(2);
            in += s.readAll();
        }
        if (!in.startsWith("HTTP/1.1 101")) return false;
        if (!hello) return true; // waits, unauthenticated
        sendText(QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", token}, {"clientId", clientId}})
                     .toJson(QJsonDocument::Compact));
        s.setReadBufferSize(1); // from now on nothing is read
        return true;
    }
    void sendText(const QByteArray& payload) // one masked text frame (RFC 6455 5.2)
    {
        QByteArray f;
        f.append(char(0x81));
        if (payload.size() < 126) {
            f.append(char(0x80 | payload.size()));
        } else {
            f.append(char(0x80 | 126));
            f.append(char(payload.size() >> 8));
            f.append(char(payload.size() & 0xff));
        }
        const char mask[4] = {0x12, 0x34, 0x56, 0x78};
        f.append(mask, 4);
        for (qsizetype i = 0; i < payload.size(); ++i)
            f.append(char(payload[i] ^ mask[i % 4]));
        s.write(f);
    }
};

} // namespace

class TestHostile : public QObject {
    Q_OBJECT
  private slots:
    // An edit with a field the message table does not declare is refused and stored nowhere.
    void undeclaredFieldsNeverReachTheLog()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket raw;
        QVERIFY(raw.open(f.url()));
        QCOMPARE(raw.hello(f.tokens["mix"]).value("type").toString(), QString("welcome"));
        const qint64 seqBefore = f.store->session(f.sessionId)->seq;
        const QString junk(60 * 1000, QChar('j'));
        const QJsonObject answer = raw.exchange(
            QJsonDocument(QJsonObject{{"type", "set"}, {"clientSeq", 1}, {"path", "tracks/bass/fader"}, {"value", -3.0}, {"junk", junk}})
                .toJson(QJsonDocument::Compact));
        QCOMPARE(answer.value("code").toString(), QString("bad_message"));
        QVERIFY(answer.value("message").toString().contains("\"junk\""));
        f.srv->room(f.sessionId)->flushNow();
        QCOMPARE(f.store->session(f.sessionId)->seq, seqBefore);
        for (const auto& op : f.store->opsAfter(f.sessionId, 0).value_or(QList<server::OpRow>{}))
            QVERIFY(!op.args.contains("junk"));
    }

    // restore_version replaces many fields: each is checked as the single edit would be.
    void restoreIsCheckedFieldByField()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        QVERIFY(mix && artist);
        QCOMPARE(call(*mix, Kind::Set, {{"path", "master/limiter/ceiling"}, {"value", -3.0}}).value("type").toString(), QString("ack"));
        QVERIFY(call(*mix, Kind::SaveVersion, {{"name", "loud"}}).contains("version"));
        QCOMPARE(call(*mix, Kind::Set, {{"path", "master/limiter/ceiling"}, {"value", -1.0}}).value("type").toString(), QString("ack"));
        // The artist may not set the ceiling, so may not restore a version that would.
        QCOMPARE(call(*artist, Kind::Set, {{"path", "master/limiter/ceiling"}, {"value", -3.0}}).value("code").toString(),
                 QString("forbidden"));
        const QJsonObject refused = call(*artist, Kind::RestoreVersion, {{"version", "loud"}});
        QCOMPARE(refused.value("code").toString(), QString("forbidden"));
        QVERIFY2(refused.value("message").toString().contains("master/limiter/ceiling"), qPrintable(refused.value("message").toString()));
        QCOMPARE(f.srv->room(f.sessionId)->state().master.limiter.ceiling, -1.0);
        // A version differing only in what the artist may edit restores fine.
        QCOMPARE(call(*artist, Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -6.0}}).value("type").toString(), QString("ack"));
        QVERIFY(call(*artist, Kind::SaveVersion, {{"name", "quiet-bass"}}).contains("version"));
        QCOMPARE(call(*artist, Kind::Set, {{"path", "tracks/bass/fader"}, {"value", 0.0}}).value("type").toString(), QString("ack"));
        QCOMPARE(call(*artist, Kind::RestoreVersion, {{"version", "quiet-bass"}}).value("type").toString(), QString("ack"));
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[0].fader, -6.0);
        // The owner restores anything.
        QCOMPARE(call(*mix, Kind::RestoreVersion, {{"version", "loud"}}).value("type").toString(), QString("ack"));
        QCOMPARE(f.srv->room(f.sessionId)->state().master.limiter.ceiling, -3.0);
    }

    // An invited mix engineer may manage members but not revoke the session's creator.
    void creatorCannotBeRevoked()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto owner = f.connect("mix");
        QVERIFY(owner);
        const QJsonObject invited = call(*owner, Kind::Invite, {{"role", "mix"}, {"name", "Second"}});
        const QString token = invited.value("token").toString();
        QVERIFY(!token.isEmpty());
        client::Connection second(f.url(), token, "second");
        QSignalSpy welcomed(&second, &client::Connection::welcomed);
        second.open();
        QVERIFY(welcomed.wait(5000));
        const QJsonObject r = call(second, Kind::Revoke, {{"member", "m_mix"}});
        QCOMPARE(r.value("code").toString(), QString("forbidden"));
        QVERIFY(r.value("message").toString().contains("creator"));
        QVERIFY(!f.store->memberByToken(server::tokenHash(f.tokens["mix"]))->revoked);
        // Other members: yes.
        QCOMPARE(call(second, Kind::Revoke, {{"member", "m_client"}}).value("type").toString(), QString("revoked"));
    }

    // A demo member the owner revoked stays revoked when the server starts again; the others keep their tokens.
    void demoTokensAndRevocationsSurviveRestart()
    {
        QTemporaryDir dir;
        QString error;
        auto store = server::Store::open(dir.path(), &error);
        QVERIFY(store);
        engine::StemStore stems((dir.path() + "/stems").toStdString());
        auto first = server::ensureDemo(*store, stems, dir.path(), &error);
        QCOMPARE(first.size(), 4);
        QVERIFY(store->revokeMember("demo-artist"));
        auto again = server::ensureDemo(*store, stems, dir.path(), &error);
        QCOMPARE(again.size(), 4);
        for (int i = 0; i < again.size(); ++i) {
            if (again[i].memberId == "demo-artist") {
                QVERIFY(again[i].token.isEmpty());
            } else {
                const auto m = store->memberByToken(server::tokenHash(again[i].token));
                QVERIFY(m && !m->revoked);
                QCOMPARE(again[i].token, first[i].token); // a demo login keeps working across restarts
            }
        }
        QCOMPARE(QFile(dir.path() + "/demo-tokens.json").permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                 QFileDevice::Permissions{});
        for (const auto& m : store->members("demo"))
            if (m.id == "demo-artist") QVERIFY(m.revoked);
    }

    // (clientId, clientSeq) belongs to the member who sent it: another member reusing the pair gets
    // the answer for their own request (here: forbidden), never someone else's ack.
    void opIdsBelongToTheirMember()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket artist, client;
        QVERIFY(artist.open(f.url()) && client.open(f.url()));
        auto hello = [](const QString& token) {
            return QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", token}, {"clientId", "same-device"}}).toJson();
        };
        QCOMPARE(artist.exchange(hello(f.tokens["artist"])).value("type").toString(), QString("welcome"));
        QCOMPARE(client.exchange(hello(f.tokens["client"])).value("type").toString(), QString("welcome"));
        const QByteArray set =
            QJsonDocument(QJsonObject{{"type", "set"}, {"clientSeq", 7}, {"path", "tracks/bass/fader"}, {"value", -2.0}}).toJson();
        QCOMPARE(artist.exchange(set).value("type").toString(), QString("ack"));
        QJsonObject answer = client.exchange(set);
        while (answer.value("type").toString() == "edit")
            answer = client.next();
        QCOMPARE(answer.value("code").toString(), QString("forbidden"));
        // And a mix engineer reusing it gets their own edit applied, not the artist's ack.
        RawSocket mix;
        QVERIFY(mix.open(f.url()));
        QCOMPARE(mix.exchange(hello(f.tokens["mix"])).value("type").toString(), QString("welcome"));
        const QByteArray mixSet =
            QJsonDocument(QJsonObject{{"type", "set"}, {"clientSeq", 7}, {"path", "tracks/bass/fader"}, {"value", -9.0}}).toJson();
        answer = mix.exchange(mixSet);
        while (answer.value("type").toString() == "edit")
            answer = mix.next();
        QCOMPARE(answer.value("type").toString(), QString("ack"));
        QTRY_COMPARE(f.srv->room(f.sessionId)->state().tracks[0].fader, -9.0);
    }

    // Members that never read are closed once their queue passes the bound (the close frame they
    // never read does not keep them either); the server does not buffer for them without bound and
    // the editor stays connected.
    void nonReadersAreClosedAtTheBound()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.sendQueueBytes = 64 * 1024;
        QVERIFY(f.start(limits));
        auto mix = f.connect("mix");
        QVERIFY(mix);
        std::vector<std::unique_ptr<NonReader>> readers;
        for (int i = 0; i < 30; ++i) {
            readers.push_back(std::make_unique<NonReader>());
            QVERIFY(readers.back()->join(f.port, f.tokens["client"], QString("nr%1").arg(i)));
        }
        QTRY_COMPARE(f.srv->httpConnections(), 31);
        const qint64 before = rssKiB();
        // Edits fan out to everyone; the non-readers back up and are cut off.
        QElapsedTimer t;
        t.start();
        int i = 0;
        while (f.srv->httpConnections() > 1 && t.elapsed() < 30000) {
            mix->request(Kind::Set, {{"path", "tracks/bass/pan"}, {"value", (i++ % 200) / 200.0 - 0.5}});
            QTest::qWait(5);
        }
        QCOMPARE(f.srv->httpConnections(), 1);
        QCOMPARE(mix->state(), client::Connection::State::Connected);
#ifndef __SANITIZE_ADDRESS__ // ASan keeps freed memory in quarantine: RSS says nothing there
        QVERIFY2(rssKiB() - before < 50 * 1024, qPrintable(QString("grew %1 KiB").arg(rssKiB() - before)));
#endif
        QVERIFY(f.srv->metrics().render(1).contains("send_queue_full"));
    }

    // A listener that never reads is dropped (its frames first, then the socket after 10 s of
    // stall, cut off 2 s later since it does not answer the close either).
    void listenerThatNeverReadsIsDropped()
    {
        ServerFixture f;
        f.stemSeconds = 60;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        NonReader listener;
        QVERIFY(listener.join(f.port, f.tokens["client"], "deaf"));
        listener.sendText(R"({"type":"listen","clientSeq":1,"mode":"follow","bitrate":256})");
        QTRY_VERIFY(f.srv->room(f.sessionId) != nullptr);
        QCOMPARE(call(*mix, Kind::Transport, {{"target", "follow"}, {"action", "play"}}).value("type").toString(), QString("ack"));
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->httpConnections(), 1, 40000);
        QCOMPARE(mix->state(), client::Connection::State::Connected);
    }

    // Sockets waiting to authenticate from two addresses fill the global cap; a member from a third
    // address still gets in every time (the busiest address's oldest waiting socket makes room).
    void unauthenticatedSharesAreFair()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.maxUnauthenticated = 32;
        limits.maxUnauthenticatedPerAddress = 16;
        limits.authTimeoutMs = 60000;
        QVERIFY(f.start(limits));
        std::vector<std::unique_ptr<NonReader>> waiting;
        for (const char* from : {"127.0.0.2", "127.0.0.3"})
            for (int i = 0; i < 16; ++i) {
                waiting.push_back(std::make_unique<NonReader>());
                QVERIFY(waiting.back()->join(f.port, {}, {}, from, false));
            }
        QTRY_COMPARE(f.srv->unauthenticatedCount(), 32);
        for (int i = 0; i < 8; ++i) {
            NonReader legit;
            QVERIFY(legit.join(f.port, f.tokens["client"], QString("legit%1").arg(i), "127.0.0.4", false));
            legit.s.setReadBufferSize(0);
            legit.sendText(QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", f.tokens["client"]}, {"clientId", "legit"}})
                               .toJson(QJsonDocument::Compact));
            QByteArray in;
            QVERIFY2(QTest::qWaitFor([&] { return (in += legit.s.readAll()).contains("\"welcome\""); }, 5000),
                     qPrintable(QString("attempt %1 was not let in").arg(i)));
        }
        QVERIFY(f.srv->unauthenticatedCount() <= 32);
    }

    // Presence is coalesced and sent as deltas: 60 members joining cost O(n) presence bytes for an
    // observer, not O(n^2).
    void presenceIsCoalescedDeltas()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket observer;
        QVERIFY(observer.open(f.url()));
        QCOMPARE(observer.hello(f.tokens["mix"]).value("type").toString(), QString("welcome"));
        qint64 presenceBytes = 0;
        int presenceMessages = 0;
        QObject::connect(&observer.ws, &QWebSocket::textMessageReceived, [&](const QString& t) {
            if (t.contains("\"presence\"")) {
                presenceBytes += t.size();
                ++presenceMessages;
            }
        });
        std::vector<std::unique_ptr<client::Connection>> members;
        for (int i = 0; i < 60; ++i) {
            members.push_back(f.connect("client", QString("c%1").arg(i)));
            QVERIFY(members.back());
        }
        QTRY_VERIFY(presenceMessages > 0);
        QTest::qWait(2 * server::SessionRoom::kPresenceIntervalMs + 100); // the last coalesced delta
        // One entry per member that joined, plus the coalescing windows' envelopes.
        QVERIFY2(presenceBytes < 60 * 200 + presenceMessages * 100, qPrintable(QString("%1 bytes").arg(presenceBytes)));
        // The members' own view is whole: 61 connections of two members.
        QSignalSpy spy(members.back().get(), &client::Connection::presence);
        members.front().reset();
        QVERIFY(spy.wait(5000));
        int connections = 0;
        for (const QJsonValue& v : spy.last().at(0).toJsonObject().value("members").toArray())
            connections += v.toObject().value("connections").toInt();
        QCOMPARE(connections, 60);
    }

    // A member flooding edits does not starve another editor: the other's ack comes back before the
    // flood is through, and the flood itself is answered in full (applied or rate_limited, never
    // dropped). How long the editor waits during a flood is a timing figure: bench_abuse edit-flood.
    void floodingWaitsItsTurn()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket flooder;
        QVERIFY(flooder.open(f.url()));
        QCOMPARE(flooder.hello(f.tokens["artist"]).value("type").toString(), QString("welcome"));
        int floodAnswers = 0;
        QObject::connect(&flooder.ws, &QWebSocket::textMessageReceived, [&](const QString& t) {
            if (t.contains("\"clientSeq\"")) ++floodAnswers;
        });
        auto editor = f.connect("mix");
        QVERIFY(editor);
        // Just under the inbox bound; the editor's request goes right behind the flood.
        const int flood = 4000;
        int answersWhenAcked = -1;
        QObject::connect(editor.get(), &client::Connection::acked, [&] {
            if (answersWhenAcked < 0) answersWhenAcked = floodAnswers;
        });
        for (int i = 0; i < flood; ++i)
            flooder.ws.sendTextMessage(
                QString(R"({"type":"set","clientSeq":%1,"path":"tracks/vox/pan","value":%2})").arg(i + 1).arg((i % 100) / 100.0));
        editor->request(Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -5.0}});
        QTRY_VERIFY_WITH_TIMEOUT(answersWhenAcked >= 0, 20000);
        // Served in a round soon after its arrival, not after the flood.
        qInfo("flood answers before the editor's ack: %d of %d", answersWhenAcked, flood);
        QVERIFY2(answersWhenAcked < flood * 3 / 4, qPrintable(QString("%1 flood answers before the editor's ack").arg(answersWhenAcked)));
        QTRY_COMPARE_WITH_TIMEOUT(floodAnswers, flood, 30000); // and the flood is answered in full
    }

    void requestsWaitingForTheDiskAreBounded()
    {
        // While an edit's commit cannot reach the disk, requests that read committed state wait
        // for it (and everything after them, to keep their order). Past kMaxDeferred per session
        // they are refused with a code and a message that say so, not queued without bound; and
        // every request gets an answer: the waiting ones once the disk is back.
        ServerFixture f;
        QVERIFY(f.start());
        QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "disk-locker");
        db.setDatabaseName(f.dir.path() + "/mixroom.sqlite");
        QVERIFY(db.open());
        QSqlQuery lock(db);
        QVERIFY(lock.exec("BEGIN EXCLUSIVE")); // the writer's commit now waits (its busy timeout is 5 s)
        auto editor = f.connect("mix");
        QVERIFY(editor);
        editor->request(Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -5.0}}); // in flight
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->seq(), qint64(1), 5000);  // applied, not yet committed
        QCOMPARE(editor->pendingCount(), 1);
        int answered = 0, refusedForDisk = 0;
        std::vector<std::unique_ptr<RawSocket>> socks;
        const int perSocket = 1500; // under the per-socket inbox bound; 4,500 in all
        for (const char* role : {"artist", "client", "mastering"}) {
            socks.push_back(std::make_unique<RawSocket>());
            RawSocket& r = *socks.back();
            QVERIFY(r.open(f.url()));
            QCOMPARE(r.hello(f.tokens[role]).value("type").toString(), QString("welcome"));
            QObject::connect(&r.ws, &QWebSocket::textMessageReceived, [&](const QString& t) {
                const QJsonObject m = QJsonDocument::fromJson(t.toUtf8()).object();
                if (!m.contains("clientSeq")) return;
                ++answered;
                if (m.value("code") == "rate_limited" && m.value("message").toString().contains("waiting for the disk")) ++refusedForDisk;
            });
        }
        for (int i = 0; i < perSocket; ++i)
            for (auto& r : socks)
                r->ws.sendTextMessage(QString(R"({"type":"list_versions","clientSeq":%1})").arg(i + 1));
        QTRY_VERIFY_WITH_TIMEOUT(refusedForDisk > 0, 4000);
        QVERIFY(refusedForDisk <= 3 * perSocket - server::SessionRoom::kMaxDeferred);
        QVERIFY(lock.exec("ROLLBACK")); // the disk is back
        QTRY_COMPARE_WITH_TIMEOUT(answered, 3 * perSocket, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(editor->pendingCount(), 0, 10000);
        lock.finish();
        db.close();
    }

    // Overviews that differ only in their bin count share one render: a client asking for 120
    // different counts queues one render, not 120.
    void peakRequestsShareOneRender()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket client;
        QVERIFY(client.open(f.url()));
        QCOMPARE(client.hello(f.tokens["client"]).value("type").toString(), QString("welcome"));
        for (int i = 0; i < 120; ++i)
            client.ws.sendTextMessage(QString(R"({"type":"get_peaks","clientSeq":%1,"bins":%2})").arg(i + 1).arg(100 + i));
        int answered = 0;
        while (answered < 120) {
            const QJsonObject m = client.next();
            QVERIFY2(!m.isEmpty(), qPrintable(QString("%1 answers").arg(answered)));
            if (m.value("type").toString() != "peaks") continue;
            QCOMPARE(m.value("bins").toInt(), 100 + static_cast<int>(m.value("clientSeq").toDouble()) - 1);
            QCOMPARE(m.value("peak").toArray().size(), m.value("bins").toInt());
            ++answered;
        }
        QVERIFY(f.srv->metrics().render(1).contains("mixroom_job_duration_ms_count{kind=\"peaks\"} 1\n"));
    }

    // Sockets reset by a stranger one after another do not flood mixroomd's log: Qt's warning per
    // reset socket is printed once per 10 s with a count.
    void resetSocketsDoNotFloodTheLog()
    {
        QTemporaryDir data;
        QProcess server;
        server.start(qEnvironmentVariable("MIXROOMD"), {"serve", "--data", data.path(), "--listen", "127.0.0.1:0"});
        QByteArray out;
        QVERIFY(QTest::qWaitFor([&] { return (out += server.readAllStandardOutput()).contains("listening on"); }, 20000));
        const quint16 port = static_cast<quint16>(
            QRegularExpression("listening on ws://[0-9.]+:([0-9]+)").match(QString::fromUtf8(out)).captured(1).toInt());
        QVERIFY(port != 0);
        for (int round = 0; round < 8; ++round) { // 50 at a time: within one address's share
            std::vector<std::unique_ptr<QTcpSocket>> socks;
            for (int i = 0; i < 50; ++i) {
                auto s = std::make_unique<QTcpSocket>();
                s->connectToHost(QHostAddress::LocalHost, port);
                socks.push_back(std::move(s));
            }
            QVERIFY(QTest::qWaitFor(
                [&] {
                    return std::all_of(socks.begin(), socks.end(), [](auto& s) { return s->state() == QAbstractSocket::ConnectedState; });
                },
                10000));
            for (auto& s : socks)
                s->write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            QTest::qWait(50);
            for (auto& s : socks) {
                const linger reset{1, 0};
                ::setsockopt(static_cast<int>(s->socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
                s->abort();
            }
        }
        QTest::qWait(300);
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
        const QList<QByteArray> lines = server.readAllStandardError().split('\n');
        QVERIFY2(lines.size() < 10, qPrintable(QString("%1 log lines for 400 reset sockets").arg(lines.size())));
    }

    // Positions far past the song are refused with a readable sentence (no undefined behaviour in
    // formatting, no seek that lands at 0).
    void hugePositionsAreRefused()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        const QJsonObject note = call(*mix, Kind::AddNote, {{"at", 1e308}, {"text", "far"}});
        QCOMPARE(note.value("code").toString(), QString("out_of_range"));
        QVERIFY2(note.value("message").toString().contains("past the end"), qPrintable(note.value("message").toString()));
        QVERIFY(call(*mix, Kind::Listen, {{"mode", "own"}}).value("type").toString() != "error");
        const QJsonObject seek = call(*mix, Kind::Transport, {{"target", "own"}, {"action", "seek"}, {"at", 1e308}});
        QCOMPARE(seek.value("code").toString(), QString("out_of_range"));
        QCOMPARE(call(*mix, Kind::Transport, {{"target", "own"}, {"action", "seek"}, {"at", 500.0}}).value("type").toString(),
                 QString("ack"));
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
