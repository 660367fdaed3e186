// SPDX-License-Identifier: MIT
// A hostile member against the role table and the protocol: undeclared fields, restore as a back
// door to fields the role may not set, revoking the creator, un-revoking at restart, claiming
// another member's op id, positions far past the song. A real server on loopback.
#include "ServerFixture.h"
#include "engine/stems/StemStore.h"
#include "server/DemoSetup.h"

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

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
        const QJsonObject answer = raw.exchange(QJsonDocument(QJsonObject{{"type", "set"},
                                                                          {"clientSeq", 1},
                                                                          {"path", "tracks/bass/fader"},
                                                                          {"value", -3.0},
                                                                          {"junk", junk}})
                                                    .toJson(QJsonDocument::Compact));
        QCOMPARE(answer.value("code").toString(), QString("bad_message"));
        QVERIFY(answer.value("message").toString().contains("\"junk\""));
        f.srv->room(f.sessionId)->flush();
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

    // A demo member the owner revoked stays revoked when the server starts again.
    void demoRevocationsSurviveRestart()
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
        for (const auto& i : again) {
            if (i.memberId == "demo-artist") {
                QVERIFY(i.token.isEmpty());
            } else {
                const auto m = store->memberByToken(server::tokenHash(i.token));
                QVERIFY(m && !m->revoked);
            }
        }
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
