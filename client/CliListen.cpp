// SPDX-License-Identifier: MIT
// `mixroom listen` (to a sound device or a file), `mixroom devices`, and the shared transport:
// play, pause, seek, loop, unloop.
#include "client/AudioPlayer.h"
#include "client/CliSupport.h"
#include "client/PreviewReceiver.h"
#include "client/PreviewRecorder.h"
#include "client/SignalQuit.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTimer>

#include <unistd.h>

namespace mixroom::client::cli {

namespace {
double positionMs(const QString& text)
{
    static const QRegularExpression mmss("^(\\d+):(\\d{1,2}(?:\\.\\d+)?)$"), secs("^(\\d+(?:\\.\\d+)?)$");
    if (auto m = mmss.match(text); m.hasMatch()) return (m.captured(1).toDouble() * 60 + m.captured(2).toDouble()) * 1000;
    if (auto m = secs.match(text); m.hasMatch()) return m.captured(1).toDouble() * 1000;
    return -1;
}
} // namespace

int runDevicesCommand(const Options& o)
{
    QString error;
    const auto devices = AudioPlayer::devices(&error);
    if (!error.isEmpty()) return fail("no_audio_device", error);
    QJsonArray arr;
    QStringList lines;
    for (const OutputDevice& d : devices) {
        arr.append(QJsonObject{{"index", d.index}, {"name", d.name}, {"hostApi", d.hostApi}, {"default", d.isDefault}});
        lines << QString("%1 %2 %3 (%4)").arg(d.isDefault ? "*" : " ").arg(d.index, 3).arg(d.name, d.hostApi);
    }
    out(o, QJsonObject{{"devices", arr}}, lines.isEmpty() ? QString("No audio output devices") : lines.join('\n'));
    return 0;
}

int runListenCommand(const QString& cmd, const Options& o, Session& s, const QStringList& extra)
{
    const QStringList& a = o.rest;
    const QString target = extra.contains("own") ? "own" : "follow"; // --own: the stream of a running `mixroom listen --own`
    if (cmd == "ab") {
        if (a.size() != 1) return usage("ab VERSION|live [--match]   (switches a running `mixroom listen --own`)");
        QJsonObject f{{"source", a[0]}};
        if (extra.contains("match")) f.insert("match", true);
        const QJsonObject r = s.call(Kind::AbSwitch, f);
        if (isError(r)) return failWith(r);
        out(o, f, QString("Now hearing %1%2").arg(a[0], extra.contains("match") ? " (loudness-matched)" : ""));
        return 0;
    }
    if (cmd == "play" || cmd == "pause" || cmd == "unloop") {
        const QJsonObject r = s.call(Kind::Transport, {{"target", target}, {"action", cmd}});
        if (isError(r)) return failWith(r);
        out(o, QJsonObject{{"action", cmd}, {"target", target}}, QString("%1 transport: %2").arg(target == "own" ? "Own" : "Shared", cmd));
        return 0;
    }
    if (cmd == "seek" || cmd == "loop") {
        const int need = cmd == "seek" ? 1 : 2;
        if (a.size() != need) return usage(cmd == "seek" ? "seek POSITION (1:23 or 83.5)" : "loop FROM TO");
        QJsonObject f{{"target", target}, {"action", cmd}};
        for (int i = 0; i < need; ++i) {
            const double ms = positionMs(a[i]);
            if (ms < 0) return fail("usage", QString("\"%1\" is not a position (use 1:23.5 or 83.5)").arg(a[i]), 2);
            f.insert(cmd == "seek" ? "at" : (i == 0 ? "from" : "to"), ms);
        }
        const QJsonObject r = s.call(Kind::Transport, f);
        if (isError(r)) return failWith(r);
        out(o, f, QString("%1 transport: %2 %3").arg(target == "own" ? "Own" : "Shared", cmd, a.join(" ")));
        return 0;
    }
    if (cmd != "listen") return -1;
    // listen [--follow|--own] [--bitrate KBPS] [--frame 10|20] [--device N] [--out FILE] [--duration SECONDS]
    auto value = [&](const char* key) { return extra.contains(key) ? extra.value(extra.indexOf(key) + 1) : QString(); };
    const bool own = extra.contains("own");
    const int bitrate = value("bitrate").toInt();
    const int frame = value("frame").toInt();
    const double duration = value("duration").toDouble();
    const int device = value("device").isEmpty() ? -1 : value("device").toInt();
    QJsonObject f{{"mode", own ? "own" : "follow"}};
    if (bitrate > 0) f.insert("bitrate", bitrate);
    if (frame > 0) f.insert("frameMs", frame);
    QString error;
    std::unique_ptr<PreviewRecorder> recorder;
    std::unique_ptr<AudioPlayer> player;
    if (!o.outFile.isEmpty()) {
        recorder = PreviewRecorder::open(o.outFile, bitrate > 0 ? bitrate : 192, &error);
        if (!recorder) return fail("write_failed", error);
    } else {
        const int minBuffer = value("buffer").isEmpty() ? 30 : value("buffer").toInt(); // grows by itself on underruns
        player = AudioPlayer::open(device, minBuffer, &error);
        if (!player) return fail("no_audio_device", error + " (or record with --out FILE.opus)");
    }
    PreviewReceiver receiver;
    QObject::connect(&s.conn(), &Connection::audioFrame, &receiver, &PreviewReceiver::feed);
    // A recording keeps the transport's timing: the encoder's delay (preSkip) is dropped once, so
    // sample n of the file is transport position start + n, as in the render; frames lost beyond
    // what Opus concealment covers become silence of their length, counted.
    int preSkip = 0;
    qint64 start = -1, expected = -1, silenced = 0;
    auto record = [&](quint64 position, const QVector<float>& pcm, quint8 flags) {
        qint64 pos = static_cast<qint64>(position) - preSkip;
        qint64 skip = 0;
        if (start < 0) {
            if (pos + pcm.size() / 2 <= 0 && preSkip > 0) { // all of it is encoder delay
                preSkip -= static_cast<int>(pcm.size() / 2);
                return;
            }
            skip = std::max<qint64>(0, -pos);
            start = pos + skip;
            expected = start;
        }
        if ((flags & PreviewReceiver::kAfterGap) && pos > expected && pos - expected < 48000LL * 60) {
            const QVector<float> zeros(static_cast<int>(2 * (pos - expected)), 0.0f);
            recorder->write(zeros);
            silenced += pos - expected;
            expected = pos;
        }
        if (skip > 0)
            recorder->write(QVector<float>(pcm.begin() + 2 * skip, pcm.end()));
        else
            recorder->write(pcm);
        expected = pos + pcm.size() / 2;
    };
    QObject::connect(&receiver, &PreviewReceiver::audio, [&](quint64 position, const QVector<float>& pcm, quint8 flags) {
        if (recorder) {
            record(position, pcm, flags);
        } else {
            if (flags & protocol::AudioFrameHeader::Discontinuity) player->flush(); // a seek: drop the old audio, buffer the new
            player->push(pcm.constData(), static_cast<int>(pcm.size() / 2));
        }
    });
    const bool tty = !o.json && isatty(fileno(stderr));
    // The room's transport: a paused room sends no audio, and the listener is told so.
    auto tellTransport = [&](const QJsonObject& t) {
        if (!own && !t.value("playing").toBool(true))
            std::fprintf(stderr, "mixroom: the room's transport is paused; waiting for an editor to press play (mixroom play)%s\n",
                         duration > 0 ? qPrintable(QString("; ending in %1 s as asked").arg(duration)) : "");
    };
    QObject::connect(&s.conn(), &Connection::reply, [&](qint64, const QJsonObject& m) {
        if (m.value("type").toString() == "transport_state") tellTransport(m);
    });
    const QJsonObject r = s.call(Kind::Listen, f);
    if (isError(r)) return failWith(r);
    preSkip = r.value("preSkip").toInt();
    receiver.setStream(static_cast<quint32>(r.value("stream").toDouble()));
    if (own) {
        const QJsonObject p = s.call(Kind::Transport, {{"target", "own"}, {"action", "play"}});
        if (isError(p)) return failWith(p);
    }
    if (tty)
        std::fprintf(stderr, "listening (%s, %d kbit/s, %d ms frames) %s%s; Ctrl-C stops\n", own ? "own" : "follow",
                     r.value("bitrate").toInt(), r.value("frameMs").toInt(), recorder ? "to " : "on the sound device",
                     recorder ? qPrintable(o.outFile) : "");
    tellTransport(r.value("transport").toObject());
    // --duration is wall-clock time, whatever the transport does.
    if (duration > 0) QTimer::singleShot(static_cast<int>(duration * 1000), qApp, &QCoreApplication::quit);
    {
        SignalQuit quit; // Ctrl-C: leave the event loop, never from inside the signal handler
        QCoreApplication::exec();
    }
    if (player) {
        out(o,
            QJsonObject{{"played", player->played()},
                        {"seconds", player->played() / 48000.0},
                        {"underruns", player->underruns()},
                        {"lost", receiver.lost()},
                        {"late", player->overflows()},
                        {"bufferMs", player->targetMs()}},
            QString("Played %1 s: %2 underruns, %3 frames lost, %4 frames too late, jitter buffer %5 ms")
                .arg(player->played() / 48000.0, 0, 'f', 2)
                .arg(player->underruns())
                .arg(receiver.lost())
                .arg(player->overflows())
                .arg(player->targetMs()));
        return 0;
    }
    if (!recorder->finish(&error)) return fail("write_failed", error);
    out(o,
        QJsonObject{{"file", o.outFile},
                    {"frames", recorder->frames()},
                    {"seconds", recorder->frames() / 48000.0},
                    {"startSample", start},
                    {"lost", receiver.lost()},
                    {"concealed", receiver.concealed()},
                    {"silenceSamples", silenced}},
        QString("Wrote %1: %2 s from %3 s of the song; %4 frames lost (%5 concealed, %6 s filled with silence)")
            .arg(o.outFile)
            .arg(recorder->frames() / 48000.0, 0, 'f', 2)
            .arg(std::max<qint64>(0, start) / 48000.0, 0, 'f', 3)
            .arg(receiver.lost())
            .arg(receiver.concealed())
            .arg(silenced / 48000.0, 0, 'f', 2));
    return 0;
}

} // namespace mixroom::client::cli
