// SPDX-License-Identifier: MIT
#pragma once
// A server to benchmark against: sessions written straight into a data directory (stems of sine
// tones, optionally with EQ and compression on every track), mixroomd started on it as its own
// process, and a minimal protocol client.
#include "bench/BenchSupport.h"
#include "engine/stems/StemStore.h"
#include "protocol/SessionCodec.h"
#include "server/Store.h"
#include "server/Tokens.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QWebSocket>

#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

namespace mixroom::bench {

// Writes `tracks` stereo stems of `seconds` into the store, a session using them, and tokens.
struct Prepared {
    QString sessionId = "bench";
    QString mixToken;
    QStringList listenerTokens;
};
inline Prepared prepare(const QString& dir, int tracks, double seconds, int listeners, bool processing, const QString& sessionId = "bench")
{
    Prepared p;
    p.sessionId = sessionId;
    QString error;
    auto store = server::Store::open(dir, &error);
    engine::StemStore stems((dir + "/stems").toStdString());
    engine::Session s;
    s.tail = 0;
    for (int t = 0; t < tracks; ++t) {
        const QString file = dir + QString("/src-%1-%2.wav").arg(sessionId).arg(t);
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 2;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        SNDFILE* f = sf_open(file.toLocal8Bit().constData(), SFM_WRITE, &info);
        std::vector<float> buf(2 * 48000);
        const double freq = 110.0 * (t + 1);
        for (int sec = 0; sec < static_cast<int>(seconds); ++sec) {
            for (int i = 0; i < 48000; ++i) {
                const double x = 0.1 * std::sin(2 * M_PI * freq * (sec * 48000 + i) / 48000.0);
                buf[static_cast<size_t>(2 * i)] = static_cast<float>(x);
                buf[static_cast<size_t>(2 * i + 1)] = static_cast<float>(x * 0.9);
            }
            sf_writef_float(f, buf.data(), 48000);
        }
        sf_close(f);
        auto imported = stems.import(file.toStdString(), 48000);
        engine::Track tr;
        tr.id = "t" + std::to_string(t);
        tr.name = tr.id;
        tr.stem = imported->hash;
        if (processing) {
            tr.eq = {engine::EqBand{engine::EqType::LowShelf, 100, 2, 0.7071, true}, engine::EqBand{engine::EqType::Peak, 400, -3, 1, true},
                     engine::EqBand{engine::EqType::Peak, 3000, 2, 1, true},
                     engine::EqBand{engine::EqType::HighShelf, 10000, 1, 0.7071, true}};
            tr.comp = engine::Compressor{true, -20, 3, 0, 10, 100, 0, engine::Detector::Peak};
            tr.fader = -2;
            tr.pan = (t % 5 - 2) * 0.3;
        }
        s.tracks.push_back(tr);
    }
    s.master.limiter = engine::Limiter{true, -1, 5, 100};
    p.mixToken = server::newToken();
    store->createSession(server::SessionRow{p.sessionId, p.sessionId, 0, 0, protocol::encodeSession(s)},
                         server::MemberRow{p.sessionId + "-mix", p.sessionId, "mix", "mix", server::tokenHash(p.mixToken), false});
    for (int i = 0; i < listeners; ++i) {
        p.listenerTokens << server::newToken();
        store->addMember(server::MemberRow{QString("%1-l%2").arg(p.sessionId).arg(i), p.sessionId, "listener", "client",
                                           server::tokenHash(p.listenerTokens.last()), false});
    }
    return p;
}

// A protocol client: hello on connect, welcomed once the server answers.
struct Peer {
    QWebSocket ws;
    bool welcomed = false;
    qint64 seq = 100;
    std::function<void(const QJsonObject&)> onMessage; // every text message, parsed (when set)
    void open(const QString& url, const QString& token, const QString& id)
    {
        QObject::connect(&ws, &QWebSocket::connected, [this, token, id] {
            send({{"type", "hello"}, {"major", 1}, {"token", token}, {"clientId", id}});
        });
        QObject::connect(&ws, &QWebSocket::textMessageReceived, [this](const QString& t) {
            if (t.contains(QLatin1String("\"welcome\""))) welcomed = true;
            if (onMessage) onMessage(QJsonDocument::fromJson(t.toUtf8()).object());
        });
        ws.open(QUrl(url));
    }
    // Sends with the next clientSeq (hello has none); returns it.
    qint64 send(QJsonObject o)
    {
        if (o.value("type") != "hello") o.insert("clientSeq", ++seq);
        ws.sendTextMessage(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
        return seq;
    }
};

// mixroomd as its own process on a prepared data directory (terminated on destruction).
struct Daemon {
    QProcess proc;
    QString url;
    bool start(const QString& dir, const QStringList& extra = {})
    {
        proc.setProcessChannelMode(QProcess::MergedChannels);
        proc.start(QCoreApplication::applicationDirPath() + "/../server/mixroomd",
                   QStringList{"serve", "--data", dir, "--listen", "127.0.0.1:0"} + extra);
        QString out;
        static const QRegularExpression re("listening on (ws://[0-9.:]+)");
        while (!re.match(out).hasMatch() && proc.waitForReadyRead(20000))
            out += QString::fromUtf8(proc.readAll());
        url = re.match(out).captured(1);
        // What the server logs from now on (warnings: slow handlers, refusals) goes to stderr.
        QObject::connect(&proc, &QProcess::readyRead, [this] {
            while (proc.canReadLine())
                std::fprintf(stderr, "[mixroomd] %s", proc.readLine().constData());
        });
        return !url.isEmpty();
    }
    ~Daemon()
    {
        proc.terminate();
        proc.waitForFinished(5000);
    }
};

} // namespace mixroom::bench
