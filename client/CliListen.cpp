// SPDX-License-Identifier: MIT
// `mixroom listen` (to a file) and the shared transport: play, pause, seek, loop, unloop.
#include "client/CliSupport.h"
#include "client/PreviewReceiver.h"
#include "client/PreviewRecorder.h"

#include <QCoreApplication>
#include <QRegularExpression>

#include <csignal>
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

int runListenCommand(const QString& cmd, const Options& o, Session& s, const QStringList& extra)
{
    const QStringList& a = o.rest;
    if (cmd == "play" || cmd == "pause" || cmd == "unloop") {
        const QJsonObject r = s.call(Kind::Transport, {{"target", "follow"}, {"action", cmd}});
        if (isError(r)) return failWith(r);
        out(o, QJsonObject{{"action", cmd}}, QString("Shared transport: %1").arg(cmd));
        return 0;
    }
    if (cmd == "seek" || cmd == "loop") {
        const int need = cmd == "seek" ? 1 : 2;
        if (a.size() != need)
            return fail("usage", cmd == "seek" ? "usage: mixroom seek POSITION (1:23 or 83.5)" : "usage: mixroom loop FROM TO", 2);
        QJsonObject f{{"target", "follow"}, {"action", cmd}};
        for (int i = 0; i < need; ++i) {
            const double ms = positionMs(a[i]);
            if (ms < 0) return fail("usage", QString("\"%1\" is not a position (use 1:23.5 or 83.5)").arg(a[i]), 2);
            f.insert(cmd == "seek" ? "at" : (i == 0 ? "from" : "to"), ms);
        }
        const QJsonObject r = s.call(Kind::Transport, f);
        if (isError(r)) return failWith(r);
        out(o, f, QString("Shared transport: %1 %2").arg(cmd, a.join(" ")));
        return 0;
    }
    if (cmd != "listen") return -1;
    // listen [--follow|--own] [--bitrate KBPS] [--frame 10|20] --out FILE [--duration SECONDS]
    const bool own = extra.contains("own");
    const int bitrate = extra.value(extra.indexOf("bitrate") + 1).toInt();
    const int frame = extra.value(extra.indexOf("frame") + 1).toInt();
    const double duration = extra.value(extra.indexOf("duration") + 1).toDouble();
    if (o.outFile.isEmpty()) return fail("usage", "playback through a sound device is not built yet: use --out FILE.opus or FILE.wav", 2);
    QJsonObject f{{"mode", own ? "own" : "follow"}};
    if (bitrate > 0) f.insert("bitrate", bitrate);
    if (frame > 0) f.insert("frameMs", frame);
    QString error;
    auto recorder = PreviewRecorder::open(o.outFile, bitrate > 0 ? bitrate : 192, &error);
    if (!recorder) return fail("write_failed", error);
    PreviewReceiver receiver;
    QObject::connect(&s.conn(), &Connection::audioFrame, &receiver, &PreviewReceiver::feed);
    const qint64 wanted = duration > 0 ? static_cast<qint64>(duration * 48000) : -1;
    QObject::connect(&receiver, &PreviewReceiver::audio, [&](quint64, const QVector<float>& pcm, quint8) {
        recorder->write(pcm);
        if (wanted > 0 && recorder->frames() >= wanted) QCoreApplication::quit();
    });
    const QJsonObject r = s.call(Kind::Listen, f);
    if (isError(r)) return failWith(r);
    if (own) {
        const QJsonObject p = s.call(Kind::Transport, {{"target", "own"}, {"action", "play"}});
        if (isError(p)) return failWith(p);
    }
    if (!o.json && isatty(fileno(stderr)))
        std::fprintf(stderr, "listening (%s, %d kbit/s, %d ms frames) to %s; Ctrl-C stops\n", own ? "own" : "follow",
                     r.value("bitrate").toInt(), r.value("frameMs").toInt(), qPrintable(o.outFile));
    std::signal(SIGINT, [](int) { QCoreApplication::quit(); });
    std::signal(SIGTERM, [](int) { QCoreApplication::quit(); });
    QCoreApplication::exec();
    if (!recorder->finish(&error)) return fail("write_failed", error);
    out(o,
        QJsonObject{
            {"file", o.outFile}, {"frames", recorder->frames()}, {"seconds", recorder->frames() / 48000.0}, {"lost", receiver.lost()}},
        QString("Wrote %1: %2 s, %3 frames lost").arg(o.outFile).arg(recorder->frames() / 48000.0, 0, 'f', 2).arg(receiver.lost()));
    return 0;
}

} // namespace mixroom::client::cli
