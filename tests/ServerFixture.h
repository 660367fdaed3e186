// SPDX-License-Identifier: MIT
#pragma once
// A real mixroomd server in the test process on an ephemeral loopback port, with a session that
// has a stem, two tracks and a reverb, and a member token per role.
#include "TestFiles.h"
#include "TestSignals.h"
#include "client/Connection.h"
#include "engine/stems/StemStore.h"
#include "protocol/SessionCodec.h"
#include "server/Server.h"
#include "server/Tokens.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <functional>
#include <map>
#include <memory>

namespace mixroom::test {

struct ServerFixture {
    QTemporaryDir dir;
    std::unique_ptr<server::Store> store;
    std::unique_ptr<server::Server> srv;
    quint16 port = 0;
    QString adminToken;
    QString sessionId = "s_test";
    std::map<QString, QString> tokens; // role -> token
    QString stemHash;
    double stemSeconds = 1.0;
    // The session document to start with (given the stem's hash); the default when empty.
    std::function<engine::Session(const std::string& stemHash)> document;
    // Set before start(): HTTPS and WSS (server/TlsConfig.h).
    std::optional<QSslConfiguration> tls;

    bool start(server::ServerLimits limits = {})
    {
        QString error;
        store = server::Store::open(dir.path(), &error);
        if (!store) return false;
        adminToken = server::newToken();
        store->setAdminTokenHash(server::tokenHash(adminToken));
        // A stem in the store and a session using it.
        auto s = sine(220, 48000, 0.3, static_cast<int64_t>(48000 * stemSeconds));
        std::mt19937 rng(testSeed());
        std::uniform_real_distribution<float> noise(-0.05f, 0.05f);
        for (float& x : s) // not periodic: alignment tests need a unique cross-correlation peak
            x += noise(rng);
        writeAudio((dir.path() + "/a.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, s);
        engine::StemStore stems((dir.path() + "/stems").toStdString());
        auto info = stems.import((dir.path() + "/a.wav").toStdString(), 48000);
        if (!info) return false;
        stemHash = QString::fromStdString(info->hash);
        engine::Session ses;
        for (const char* id : {"bass", "vox"}) {
            engine::Track t;
            t.id = id;
            t.name = id == std::string("bass") ? "Bass" : "Vocals";
            t.stem = info->hash;
            t.eq = {engine::EqBand{}};
            ses.tracks.push_back(t);
        }
        engine::Return verb;
        verb.id = verb.name = "verb";
        ses.returns.push_back(verb);
        ses.tracks[0].sends = {engine::Send{"verb"}};
        if (document) ses = document(info->hash);
        for (const QString role : {"mix", "artist", "mastering", "client"}) {
            tokens[role] = server::newToken();
        }
        if (!store->createSession(server::SessionRow{sessionId, "Test", 0, 0, protocol::encodeSession(ses)},
                                  server::MemberRow{"m_mix", sessionId, "Mix", "mix", server::tokenHash(tokens["mix"]), false}))
            return false;
        for (const QString role : {"artist", "mastering", "client"})
            store->addMember(server::MemberRow{"m_" + role, sessionId, role, role, server::tokenHash(tokens[role]), false});
        srv = std::make_unique<server::Server>(*store, dir.path(), limits);
        port = srv->listen(QHostAddress::LocalHost, 0, tls);
        return port != 0;
    }
    // Stops the server (as SIGTERM would: pending edits committed, sockets closed) and starts it
    // again on the same port from what the store holds: the latest snapshot plus later ops.
    bool restart(server::ServerLimits limits = {})
    {
        srv.reset();
        store.reset();
        QString error;
        store = server::Store::open(dir.path(), &error);
        if (!store) return false;
        srv = std::make_unique<server::Server>(*store, dir.path(), limits);
        return srv->listen(QHostAddress::LocalHost, port, tls) == port;
    }
    // Imports another stem (a sine at `freq`) into the server's store; returns its hash.
    // With `burstMs` > 0 the sine sounds in bursts of that length, five a second, at full scale.
    QString addStem(double freq, double seconds, double burstMs = 0)
    {
        auto s = sine(freq, 48000, burstMs > 0 ? 0.9 : 0.3, static_cast<int64_t>(48000 * seconds));
        if (burstMs > 0)
            for (size_t i = 0; i < s.size(); ++i)
                if (static_cast<double>(i % 9600) >= burstMs * 48) s[i] = 0.0f;
        const QString file = dir.path() + QString("/extra-%1-%2.wav").arg(freq).arg(burstMs);
        writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, s);
        engine::StemStore stems((dir.path() + "/stems").toStdString());
        auto info = stems.import(file.toStdString(), 48000);
        return info ? QString::fromStdString(info->hash) : QString();
    }
    QUrl url() const { return QUrl(QString("%1://127.0.0.1:%2").arg(tls ? "wss" : "ws").arg(port)); }
    // The review page's address (http:// or https://).
    QString web() const { return QString("%1://127.0.0.1:%2").arg(tls ? "https" : "http").arg(port); }

    // A connected client core for a role ("admin" for the admin token); waits for welcome.
    std::unique_ptr<client::Connection> connect(const QString& role, const QString& clientId = {})
    {
        const QString token = role == "admin" ? adminToken : tokens[role];
        auto c = std::make_unique<client::Connection>(url(), token, clientId.isEmpty() ? "test-" + role : clientId);
        QSignalSpy welcomed(c.get(), &client::Connection::welcomed);
        c->open();
        if (!welcomed.wait(5000)) return nullptr;
        return c;
    }
};

// A raw WebSocket for malformed-input tests: messages queue up in arrival order.
struct RawSocket {
    QWebSocket ws;
    QList<QJsonObject> queue;
    RawSocket()
    {
        QObject::connect(&ws, &QWebSocket::textMessageReceived,
                         [this](const QString& t) { queue.append(QJsonDocument::fromJson(t.toUtf8()).object()); });
    }
    bool open(const QUrl& url)
    {
        QSignalSpy connected(&ws, &QWebSocket::connected);
        ws.open(url);
        return connected.wait(5000);
    }
    // The next message that is not a presence update (waits for it).
    QJsonObject next()
    {
        while (true) {
            while (!queue.isEmpty()) {
                QJsonObject m = queue.takeFirst();
                if (m.value("type").toString() != "presence") return m;
            }
            QSignalSpy got(&ws, &QWebSocket::textMessageReceived);
            if (!got.wait(5000)) return {};
        }
    }
    QJsonObject exchange(const QByteArray& text)
    {
        ws.sendTextMessage(QString::fromUtf8(text));
        return next();
    }
    QJsonObject hello(const QString& token, int major = 1)
    {
        return exchange(QJsonDocument(QJsonObject{{"type", "hello"}, {"major", major}, {"token", token}, {"clientId", "raw"}}).toJson());
    }
};

// This process's resident set (the in-process server included), in KiB.
inline qint64 rssKiB()
{
    QFile f("/proc/self/status");
    if (!f.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

// Sends a request and waits (up to 10 s, woken by every message) for the answer addressed to it:
// a reply, an ack ({"type": "ack", "seq"}) or an error.
inline QJsonObject call(client::Connection& c, protocol::Kind kind, const QJsonObject& fields)
{
    QJsonObject answer;
    qint64 seq = -2;
    auto a = QObject::connect(&c, &client::Connection::reply, [&](qint64 s, const QJsonObject& m) {
        if (s == seq) answer = m;
    });
    auto b = QObject::connect(&c, &client::Connection::refused, [&](qint64 s, const QJsonObject& m) {
        if (s == seq) answer = m;
    });
    auto d = QObject::connect(&c, &client::Connection::acked, [&](qint64 s, qint64 applied) {
        if (s == seq) answer = QJsonObject{{"type", "ack"}, {"seq", applied}};
    });
    seq = c.request(kind, fields);
    for (int i = 0; i < 200 && answer.isEmpty(); ++i)
        (void)QTest::qWaitFor([&] { return !answer.isEmpty(); }, 50);
    QObject::disconnect(a);
    QObject::disconnect(b);
    QObject::disconnect(d);
    return answer;
}

} // namespace mixroom::test
