// SPDX-License-Identifier: MIT
// The session server against real clients on loopback: joining per role, broadcast, the
// permission table cell by cell, malformed and oversized input, authentication defences, rate
// limits, reconnect replay, idempotent resends, and a seeded random multi-client run.
#include "ServerFixture.h"
#include "server/Permissions.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <random>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

class TestServer : public QObject {
    Q_OBJECT
  private slots:
    void healthAndMetrics()
    {
        ServerFixture f;
        QVERIFY(f.start());
        QNetworkAccessManager nam;
        QNetworkReply* r = nam.get(QNetworkRequest(QUrl(QString("http://127.0.0.1:%1/health").arg(f.port))));
        QSignalSpy done(r, &QNetworkReply::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(QJsonDocument::fromJson(r->readAll()).object().value("ok").toBool(), true);
        QNetworkReply* m = nam.get(QNetworkRequest(QUrl(QString("http://127.0.0.1:%1/metrics").arg(f.port))));
        QSignalSpy mdone(m, &QNetworkReply::finished);
        QVERIFY(mdone.wait(5000));
        QVERIFY(m->readAll().contains("mixroom_ack_latency_ms_bucket"));
        r->deleteLater();
        m->deleteLater();

        // The event loop's lag is probed all the time; worker jobs report their durations.
        auto c = f.connect("mix");
        QVERIFY(c);
        QCOMPARE(call(*c, Kind::GetPeaks, {{"bins", 100}}).value("type").toString(), QString("peaks"));
        auto metrics = [&] {
            QNetworkReply* x = nam.get(QNetworkRequest(QUrl(QString("http://127.0.0.1:%1/metrics").arg(f.port))));
            QSignalSpy xdone(x, &QNetworkReply::finished);
            xdone.wait(5000);
            x->deleteLater();
            return x->readAll();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!metrics().contains("mixroom_event_loop_lag_ms_count 0\n"), 5000);
        const QByteArray text = metrics();
        QVERIFY2(text.contains("mixroom_event_loop_lag_max_ms"), text.constData());
        QVERIFY2(text.contains("mixroom_job_duration_ms_count{kind=\"peaks\"} 1"), text.constData());
    }

    void joinPerRole_data()
    {
        QTest::addColumn<QString>("role");
        for (const char* r : {"mix", "artist", "mastering", "client"})
            QTest::newRow(r) << QString(r);
    }
    void joinPerRole()
    {
        QFETCH(QString, role);
        ServerFixture f;
        QVERIFY(f.start());
        auto c = f.connect(role);
        QVERIFY(c);
        const QJsonObject w = c->welcome();
        QCOMPARE(w.value("member").toObject().value("role").toString(), role);
        QCOMPARE(w.value("permissions").toObject(), server::permissionsOf(*server::roleFromName(role)));
        QCOMPARE(c->mirror().state().tracks.size(), size_t(2));
        QCOMPARE(w.value("session").toObject().value("id").toString(), f.sessionId);
    }

    void editsReachEveryMember()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto artist = f.connect("artist");
        auto listener = f.connect("client");
        QVERIFY(mix && artist && listener);
        QSignalSpy ack(mix.get(), &client::Connection::acked);
        QSignalSpy artistEdit(artist.get(), &client::Connection::edit);
        QSignalSpy listenerEdit(listener.get(), &client::Connection::edit);
        mix->request(Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -4.5}});
        QVERIFY(ack.wait(5000));
        QTRY_COMPARE(artistEdit.count(), 1);
        QTRY_COMPARE(listenerEdit.count(), 1);
        QCOMPARE(artist->mirror().state().tracks[0].fader, -4.5);
        QCOMPARE(listener->mirror().stateHash(), mix->mirror().stateHash());
        // Structural edits travel the same way.
        mix->request(Kind::AddGroup, {{"id", "drums"}, {"name", "Drums"}});
        QTRY_COMPARE(listenerEdit.count(), 2);
        QCOMPARE(listener->mirror().state().groups.size(), size_t(1));
        // Presence: everyone sees the three members and who touches what.
        QSignalSpy presence(listener.get(), &client::Connection::presence);
        artist->request(Kind::Touch, {{"path", "tracks/vox/pan"}});
        QVERIFY(presence.wait(5000));
        bool seen = false;
        for (const QJsonValue& v : presence.last().at(0).toJsonObject().value("members").toArray())
            seen = seen || v.toObject().value("touching").toString() == "tracks/vox/pan";
        QVERIFY(seen);
    }

    void permissionTable_data()
    {
        QTest::addColumn<QString>("role");
        QTest::addColumn<int>("action");
        for (const char* r : {"mix", "artist", "mastering", "client"})
            for (server::Action a : {server::Action::Listen, server::Action::EditStrip, server::Action::EditMaster,
                                     server::Action::EditStructure, server::Action::ManageMembers})
                QTest::addRow("%s/%s", r, qPrintable(server::actionName(a))) << QString(r) << int(a);
    }
    void permissionTable()
    {
        // Every cell with a real request: the server's answer must be what the table says.
        QFETCH(QString, role);
        QFETCH(int, action);
        ServerFixture f;
        QVERIFY(f.start());
        auto c = f.connect(role);
        QVERIFY(c);
        const auto a = static_cast<server::Action>(action);
        QList<QPair<Kind, QJsonObject>> requests;
        switch (a) {
        case server::Action::Listen: requests = {{Kind::ListMembers, {}}}; break;
        case server::Action::EditStrip:
            requests = {{Kind::Set, {{"path", "tracks/vox/fader"}, {"value", -2}}},
                        {Kind::Set, {{"path", "tracks/bass/eq/1/gain"}, {"value", 3}}},
                        {Kind::Set, {{"path", "tracks/bass/sends/verb/level"}, {"value", -10}}},
                        {Kind::Set, {{"path", "returns/verb/effect/decay"}, {"value", 3}}}};
            break;
        case server::Action::EditMaster:
            requests = {{Kind::Set, {{"path", "master/width"}, {"value", 120}}},
                        {Kind::Set, {{"path", "master/limiter/ceiling"}, {"value", -2}}}};
            break;
        case server::Action::EditStructure:
            requests = {{Kind::AddGroup, {{"id", "g1"}}},
                        {Kind::Set, {{"path", "tracks/vox/name"}, {"value", "Lead vocal"}}},
                        {Kind::AddBand, {{"strip", "tracks/vox"}, {"bandType", "hp12"}}}};
            break;
        case server::Action::ManageMembers:
            requests = {{Kind::Invite, {{"role", "client"}}}, {Kind::Set, {{"path", "tempo"}, {"value", 90}}}};
            break;
        default: QFAIL("no request for this action yet");
        }
        const bool expected = server::allowed(*server::roleFromName(role), a);
        for (const auto& [kind, fields] : requests) {
            QSignalSpy ack(c.get(), &client::Connection::acked);
            QSignalSpy reply(c.get(), &client::Connection::reply);
            QSignalSpy refused(c.get(), &client::Connection::refused);
            c->request(kind, fields);
            QTRY_VERIFY(ack.count() + reply.count() + refused.count() > 0);
            const bool ok = refused.isEmpty();
            QVERIFY2(ok == expected,
                     qPrintable(QString("%1 %2: %3")
                                    .arg(protocol::spec(kind).name, QJsonDocument(fields).toJson(QJsonDocument::Compact),
                                         ok ? "allowed" : refused.first().at(1).toJsonObject().value("message").toString())));
            if (!ok) {
                QCOMPARE(refused.first().at(1).toJsonObject().value("code").toString(), QString("forbidden"));
                if (kind == Kind::Set) // the refusal carries the authoritative value to roll back to
                    QVERIFY(refused.first().at(1).toJsonObject().contains("value"));
            }
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<QString>("code");
        QTest::newRow("not json") << QByteArray("{nope") << "bad_message";
        QTest::newRow("array") << QByteArray("[1]") << "bad_message";
        QTest::newRow("no type") << QByteArray(R"({"path": "x"})") << "bad_message";
        QTest::newRow("unknown type") << QByteArray(R"({"type": "explode"})") << "unknown_message";
        QTest::newRow("server-only type") << QByteArray(R"({"type": "ack", "clientSeq": 1, "seq": 1})") << "unknown_message";
        QTest::newRow("missing path") << QByteArray(R"({"type": "set", "clientSeq": 1, "value": 1})") << "bad_message";
        QTest::newRow("path not string") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": 5, "value": 1})") << "wrong_type";
        QTest::newRow("null value") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/bass/fader", "value": null})")
                                    << "wrong_type";
        QTest::newRow("huge number") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/bass/fader", "value": 1e999})")
                                     << "bad_message";
        QTest::newRow("fractional clientSeq") << QByteArray(R"({"type": "set", "clientSeq": 1.5, "path": "tracks/bass/fader", "value": 1})")
                                              << "wrong_type";
        QTest::newRow("out of range") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/bass/fader", "value": 40})")
                                      << "out_of_range";
        QTest::newRow("unknown path") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/bass/volume", "value": 1})")
                                      << "unknown_path";
        QTest::newRow("unknown track") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/nobody/fader", "value": 1})")
                                       << "unknown_path";
        QTest::newRow("wrong value type") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "tracks/bass/mute", "value": "yes"})")
                                          << "wrong_type";
        QTest::newRow("sample rate") << QByteArray(R"({"type": "set", "clientSeq": 1, "path": "sampleRate", "value": 44100})")
                                     << "forbidden";
        QTest::newRow("path trick id") << QByteArray(R"({"type": "add_group", "clientSeq": 1, "id": "../x"})") << "out_of_range";
        QTest::newRow("duplicate id") << QByteArray(R"({"type": "add_group", "clientSeq": 1, "id": "bass"})") << "conflict";
        QTest::newRow("name too long") << QByteArray(R"({"type": "rename_track", "clientSeq": 1, "id": "bass", "name": ")" +
                                                     QByteArray(65, 'n') + R"("})")
                                       << "out_of_range";
        QTest::newRow("bad utf8 name") << QByteArray(
                                              "{\"type\": \"set\", \"clientSeq\": 1, \"path\": \"tracks/bass/name\", \"value\": \"a\\nb\"}")
                                       << "out_of_range";
        QTest::newRow("unknown stem") << QByteArray(R"({"type": "add_track", "clientSeq": 1, "id": "t3", "stem": "abc"})") << "not_found";
        QTest::newRow("second hello") << QByteArray(R"({"type": "hello", "major": 1, "token": "x", "clientId": "y"})") << "bad_message";
        QTest::newRow("admin request") << QByteArray(R"({"type": "list_sessions", "clientSeq": 1})") << "unknown_message";
    }
    void badInput()
    {
        QFETCH(QByteArray, frame);
        QFETCH(QString, code);
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket raw;
        QVERIFY(raw.open(f.url()));
        QCOMPARE(raw.hello(f.tokens["mix"]).value("type").toString(), QString("welcome"));
        const QJsonObject answer = raw.exchange(frame);
        QCOMPARE(answer.value("type").toString(), QString("error"));
        QCOMPARE(answer.value("code").toString(), code);
        QVERIFY(!answer.value("message").toString().isEmpty());
        // Nothing changed: the session is still at sequence 0.
        QCOMPARE(f.srv->room(f.sessionId)->seq(), qint64(0));
    }

    void structuralEditsKeepEveryoneInStep()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto listener = f.connect("client");
        QVERIFY(mix && listener);
        const QList<QPair<Kind, QJsonObject>> edits = {
            {Kind::AddTrack, {{"id", "gtr"}, {"name", "Guitar"}, {"stem", f.stemHash}}},
            {Kind::AddReturn, {{"id", "echo"}, {"effect", "delay"}}},
            {Kind::AddSend, {{"strip", "tracks/gtr"}, {"to", "echo"}}},
            {Kind::Set, {{"path", "tracks/gtr/sends/echo/level"}, {"value", -9}}},
            {Kind::AddGroup, {{"id", "band"}}},
            {Kind::Set, {{"path", "tracks/gtr/output"}, {"value", "band"}}},
            {Kind::MoveTrack, {{"id", "gtr"}, {"index", 0}}},
            {Kind::RenameTrack, {{"id", "vox"}, {"name", "Lead vocal"}}},
            {Kind::AddBand, {{"strip", "master"}, {"bandType", "highshelf"}}},
            {Kind::RemoveBand, {{"strip", "tracks/bass"}, {"band", 1}}},
            {Kind::RemoveSend, {{"strip", "tracks/bass"}, {"to", "verb"}}},
            {Kind::RemoveTrack, {{"id", "bass"}}},
        };
        QSignalSpy acked(mix.get(), &client::Connection::acked);
        QSignalSpy refused(mix.get(), &client::Connection::refused);
        for (const auto& [kind, fields] : edits)
            mix->request(kind, fields);
        QTRY_COMPARE(acked.count(), edits.size());
        QCOMPARE(refused.count(), 0);
        const engine::Session& st = f.srv->room(f.sessionId)->state();
        QCOMPARE(st.tracks.size(), size_t(2));
        QCOMPARE(st.tracks[0].id, std::string("gtr"));
        QCOMPARE(st.tracks[0].output, std::string("band"));
        QCOMPARE(st.tracks[0].sends.at(0).level, -9.0);
        QCOMPARE(st.tracks[1].name, std::string("Lead vocal"));
        QCOMPARE(st.master.eq.size(), size_t(1));
        QVERIFY(st.master.eq[0].type == engine::EqType::HighShelf); // the band type survives the envelope
        QTRY_COMPARE(listener->mirror().seq(), qint64(edits.size()));
        QCOMPARE(listener->mirror().stateHash(), mix->mirror().stateHash());
        // Refusals for structure that does not fit.
        QSignalSpy more(mix.get(), &client::Connection::refused);
        mix->request(Kind::MoveTrack, {{"id", "gtr"}, {"index", 7}});
        mix->request(Kind::RemoveTrack, {{"id", "nobody"}});
        mix->request(Kind::AddSend, {{"strip", "tracks/gtr"}, {"to", "echo"}});
        QTRY_COMPARE(more.count(), 3);
        QCOMPARE(more.at(0).at(1).toJsonObject().value("code").toString(), QString("out_of_range"));
        QCOMPARE(more.at(1).at(1).toJsonObject().value("code").toString(), QString("not_found"));
        QCOMPARE(more.at(2).at(1).toJsonObject().value("code").toString(), QString("conflict"));
    }

    void adminManagesSessions()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto admin = f.connect("admin");
        auto member = f.connect("artist");
        QVERIFY(admin && member);
        QVERIFY(admin->isAdmin());
        member->setAutoReconnect(false);
        QSignalSpy reply(admin.get(), &client::Connection::reply);
        admin->request(Kind::CreateSession, {{"name", "Second"}, {"sampleRate", 96000}});
        QVERIFY(reply.wait(5000));
        const QJsonObject created = reply.last().at(1).toJsonObject();
        QVERIFY(created.value("token").toString().startsWith("mxr_"));
        admin->request(Kind::ListSessions, {});
        QVERIFY(reply.wait(5000));
        QCOMPARE(reply.last().at(1).toJsonObject().value("sessions").toArray().size(), 2);
        // Admin requests need the admin, member requests a member.
        QSignalSpy refused(admin.get(), &client::Connection::refused);
        admin->request(Kind::Set, {{"path", "tempo"}, {"value", 100}});
        QVERIFY(refused.wait(5000));
        QCOMPARE(refused.last().at(1).toJsonObject().value("code").toString(), QString("forbidden"));
        admin->request(Kind::CreateSession, {{"name", "Odd"}, {"sampleRate", 22050}});
        QVERIFY(refused.wait(5000));
        QCOMPARE(refused.last().at(1).toJsonObject().value("code").toString(), QString("out_of_range"));
        // Deleting a session disconnects its members and invalidates their tokens.
        admin->request(Kind::DeleteSession, {{"session", f.sessionId}});
        QVERIFY(reply.wait(5000));
        QCOMPARE(reply.last().at(1).toJsonObject().value("type").toString(), QString("session_deleted"));
        QTRY_COMPARE(member->state(), client::Connection::State::Disconnected);
        RawSocket again;
        QVERIFY(again.open(f.url()));
        QCOMPARE(again.hello(f.tokens["artist"]).value("code").toString(), QString("bad_token"));
    }

    void revokedMemberIsDisconnectedAndLockedOut()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto owner = f.connect("mix");
        auto artist = f.connect("artist");
        QVERIFY(owner && artist);
        artist->setAutoReconnect(false);
        QSignalSpy artistState(artist.get(), &client::Connection::stateChanged);
        QSignalSpy reply(owner.get(), &client::Connection::reply);
        owner->request(Kind::Revoke, {{"member", "m_artist"}});
        QVERIFY(reply.wait(5000));
        QCOMPARE(reply.first().at(1).toJsonObject().value("type").toString(), QString("revoked"));
        QTRY_COMPARE(artist->state(), client::Connection::State::Disconnected);
        RawSocket again;
        QVERIFY(again.open(f.url()));
        QCOMPARE(again.hello(f.tokens["artist"]).value("code").toString(), QString("token_revoked"));
        // Only the owner may revoke, and not themselves.
        auto listener = f.connect("client");
        QSignalSpy refused(listener.get(), &client::Connection::refused);
        listener->request(Kind::Revoke, {{"member", "m_mix"}});
        QVERIFY(refused.wait(5000));
        QCOMPARE(refused.first().at(1).toJsonObject().value("code").toString(), QString("forbidden"));
        QSignalSpy ownRefused(owner.get(), &client::Connection::refused);
        owner->request(Kind::Revoke, {{"member", "m_mix"}});
        QVERIFY(ownRefused.wait(5000));
        QCOMPARE(ownRefused.first().at(1).toJsonObject().value("code").toString(), QString("conflict"));
    }

    void oversizedMessageClosesWith1009()
    {
        ServerFixture f;
        QVERIFY(f.start());
        RawSocket raw;
        QVERIFY(raw.open(f.url()));
        QSignalSpy closed(&raw.ws, &QWebSocket::disconnected);
        raw.ws.sendTextMessage(QString(70 * 1024, QChar('x')));
        QVERIFY(closed.wait(5000));
        QCOMPARE(raw.ws.closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    }

    void authenticationDefences()
    {
        server::ServerLimits limits;
        limits.authTimeoutMs = 300;
        limits.failuresBeforeBan = 3;
        limits.maxUnauthenticatedPerAddress = 4;
        ServerFixture f;
        QVERIFY(f.start(limits));
        // No hello: closed after the deadline with a policy code.
        RawSocket idle;
        QVERIFY(idle.open(f.url()));
        QSignalSpy idleClosed(&idle.ws, &QWebSocket::disconnected);
        QVERIFY(idleClosed.wait(5000));
        QCOMPARE(idle.ws.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
        // First message must be hello.
        RawSocket early;
        QVERIFY(early.open(f.url()));
        QCOMPARE(early.exchange(R"({"type": "ping"})").value("code").toString(), QString("bad_message"));
        // Unsupported protocol major.
        RawSocket future;
        QVERIFY(future.open(f.url()));
        QCOMPARE(future.hello(f.tokens["mix"], 2).value("code").toString(), QString("version_unsupported"));
        // Bad tokens: refused, then the address is banned for a while, even with a good token.
        for (int i = 0; i < 3; ++i) {
            RawSocket bad;
            QVERIFY(bad.open(f.url()));
            QCOMPARE(bad.hello("mxr_wrong").value("code").toString(), QString("bad_token"));
        }
        RawSocket banned;
        QSignalSpy bannedClosed(&banned.ws, &QWebSocket::disconnected);
        banned.ws.open(f.url());
        QVERIFY(bannedClosed.wait(5000));
        QCOMPARE(banned.ws.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    }

    void browserOriginsNeedTheAllowList()
    {
        server::ServerLimits limits;
        limits.allowedOrigins = {"https://mix.example.com"};
        ServerFixture f;
        QVERIFY(f.start(limits));
        QWebSocket evil(QStringLiteral("https://evil.example.com"));
        QSignalSpy evilClosed(&evil, &QWebSocket::disconnected);
        evil.open(f.url());
        QVERIFY(evilClosed.wait(5000));
        QCOMPARE(evil.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
        QWebSocket good(QStringLiteral("https://mix.example.com"));
        QSignalSpy connected(&good, &QWebSocket::connected);
        QSignalSpy got(&good, &QWebSocket::textMessageReceived);
        good.open(f.url());
        QVERIFY(connected.wait(5000));
        good.sendTextMessage(QString::fromUtf8(
            QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", f.tokens["client"]}, {"clientId", "web"}}).toJson()));
        QVERIFY(got.wait(5000));
        QCOMPARE(QJsonDocument::fromJson(got.first().at(0).toString().toUtf8()).object().value("type").toString(), QString("welcome"));
    }

    void unauthenticatedCap()
    {
        server::ServerLimits limits;
        limits.maxUnauthenticatedPerAddress = 2;
        ServerFixture f;
        QVERIFY(f.start(limits));
        RawSocket a, b, c;
        QVERIFY(a.open(f.url()));
        QVERIFY(b.open(f.url()));
        QTRY_COMPARE(f.srv->unauthenticatedCount(), 2);
        QSignalSpy closed(&c.ws, &QWebSocket::disconnected);
        c.ws.open(f.url());
        QVERIFY(closed.wait(5000));
        QCOMPARE(c.ws.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    }

    void rateLimitCarriesAuthoritativeValue()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto c = f.connect("mix");
        QVERIFY(c);
        QSignalSpy refused(c.get(), &client::Connection::refused);
        QSignalSpy acked(c.get(), &client::Connection::acked);
        // Far past the burst: even a slow (sanitizer) build cannot refill the bucket in time.
        const int burst = 2000;
        for (int i = 0; i < burst; ++i)
            c->request(Kind::Set, {{"path", "tracks/bass/pan"}, {"value", (i % 100) / 100.0}});
        QTRY_COMPARE_WITH_TIMEOUT(acked.count() + refused.count(), burst, 60000);
        QVERIFY(refused.count() > 0);
        const QJsonObject e = refused.first().at(1).toJsonObject();
        QCOMPARE(e.value("code").toString(), QString("rate_limited"));
        QCOMPARE(e.value("path").toString(), QString("tracks/bass/pan"));
        QVERIFY(e.contains("value"));
        // The client state agrees with the server after all of it.
        QCOMPARE(c->mirror().state().tracks[0].pan, f.srv->room(f.sessionId)->state().tracks[0].pan);
    }

    void reconnectReplaysMissedEdits()
    {
        ServerFixture f;
        QVERIFY(f.start());
        auto a = f.connect("artist");
        auto mix = f.connect("mix");
        QVERIFY(a && mix);
        QSignalSpy states(a.get(), &client::Connection::stateChanged);
        a->simulateDrop();
        QTRY_COMPARE(a->state(), client::Connection::State::Reconnecting);
        QSignalSpy acks(mix.get(), &client::Connection::acked);
        for (int i = 0; i < 5; ++i)
            mix->request(Kind::Set, {{"path", "tracks/vox/fader"}, {"value", -1.0 - i}});
        QTRY_COMPARE(acks.count(), 5);
        QSignalSpy welcomed(a.get(), &client::Connection::welcomed);
        QVERIFY(welcomed.wait(10000));
        QVERIFY(welcomed.last().at(0).toJsonObject().contains("replay")); // caught up by replay, not a snapshot
        QCOMPARE(a->mirror().seq(), qint64(5));
        QCOMPARE(a->mirror().stateHash(), mix->mirror().stateHash());
    }

    void unacknowledgedEditsAreResentOnce()
    {
        ServerFixture f;
        QVERIFY(f.start());
        // A raw resend of the same (clientId, clientSeq) gets the original ack, and applies once.
        RawSocket raw;
        QVERIFY(raw.open(f.url()));
        raw.hello(f.tokens["mix"]);
        const QByteArray set = R"({"type": "set", "clientSeq": 77, "path": "tracks/bass/fader", "value": -7})";
        auto firstAck = [&](const QByteArray& frame) {
            QJsonObject m = raw.exchange(frame);
            while (!m.isEmpty() && m.value("type").toString() != "ack")
                m = raw.next(); // the edit broadcast may come too
            return m;
        };
        const QJsonObject a1 = firstAck(set);
        QCOMPARE(a1.value("seq").toInt(), 1);
        const QJsonObject a2 = firstAck(set);
        QCOMPARE(a2.value("seq").toInt(), 1);
        QCOMPARE(f.srv->room(f.sessionId)->seq(), qint64(1));
        // The client core re-sends what was not acknowledged after a drop.
        auto c = f.connect("mix", "resender");
        QVERIFY(c);
        c->simulateDrop();
        c->request(Kind::Set, {{"path", "tracks/vox/pan"}, {"value", 0.5}});
        QCOMPARE(c->pendingCount(), 1);
        QSignalSpy acked(c.get(), &client::Connection::acked);
        QVERIFY(acked.wait(10000));
        QCOMPARE(c->pendingCount(), 0);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[1].pan, 0.5);
        QCOMPARE(f.srv->room(f.sessionId)->seq(), qint64(2));
    }

    void randomMultiClientConverges()
    {
        // Several clients send random edits; some drop and reconnect. At the end every client's
        // state hash equals the server's. Seed from MIXROOM_SEED to replay a failure.
        const uint32_t seed = testSeed();
        std::mt19937 rng(seed);
        ServerFixture f;
        QVERIFY(f.start());
        std::vector<std::unique_ptr<client::Connection>> clients;
        for (const char* r : {"mix", "artist", "mastering", "client"})
            clients.push_back(f.connect(r, QString("rnd-%1").arg(r)));
        for (auto& c : clients)
            QVERIFY(c);
        const QStringList paths = {"tracks/bass/fader",
                                   "tracks/vox/pan",
                                   "tracks/bass/mute",
                                   "master/width",
                                   "tracks/vox/eq/1/gain",
                                   "returns/verb/effect/decay",
                                   "tracks/bass/sends/verb/level"};
        std::uniform_int_distribution<int> pick(0, 3), pathPick(0, int(paths.size()) - 1), pct(0, 99);
        for (int i = 0; i < 300; ++i) {
            auto& c = clients[size_t(pick(rng))];
            const QString path = paths[pathPick(rng)];
            QJsonValue v;
            if (path.endsWith("mute"))
                v = pct(rng) < 50;
            else if (path.endsWith("pan"))
                v = (pct(rng) - 50) / 50.0;
            else if (path.endsWith("width"))
                v = double(pct(rng) * 2);
            else if (path.endsWith("decay"))
                v = 0.5 + pct(rng) / 10.0;
            else
                v = -double(pct(rng)) / 4.0;
            c->request(Kind::Set, {{"path", path}, {"value", v}});
            if (pct(rng) < 3) c->simulateDrop();
            if (i % 25 == 0) QCoreApplication::processEvents(); // deliver what arrived so far (no waiting)
        }
        server::SessionRoom* room = f.srv->room(f.sessionId);
        const QByteArray serverHash = QCryptographicHash::hash(protocol::encodeSession(room->state()), QCryptographicHash::Sha256).toHex();
        for (auto& c : clients) {
            QTRY_VERIFY_WITH_TIMEOUT(c->state() == client::Connection::State::Connected && c->pendingCount() == 0, 15000);
        }
        const QByteArray finalHash = QCryptographicHash::hash(protocol::encodeSession(room->state()), QCryptographicHash::Sha256).toHex();
        Q_UNUSED(serverHash);
        for (auto& c : clients)
            QTRY_COMPARE_WITH_TIMEOUT(c->mirror().stateHash(), finalHash, 10000);
        QVERIFY2(room->seq() > 0, qPrintable(QString("seed %1").arg(seed)));
    }
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
