// SPDX-License-Identifier: MIT
// The stall probe (issue 13): does one session's heavy work reach another session's people?
//
// Session A: an editor setting a fader 50 times a second and an own-mode listener (4 tracks with
// EQ and compression). Session B, meanwhile, in this order: uploads a 20-minute stem with the real
// `mixroom upload` (which adds its track), saves and approves a version (a full-resolution render of
// 20 minutes starts), a listener of B switches A/B to that version with loudness matching, and,
// once the render is there, it is pulled (wav24, ~345 MB; with curl to /dev/null when installed,
// as a puller on another machine would not write to this disk, else with `mixroom pull`). Printed: A's editor ack
// p50/p99/max and refused edits, A's listener lost frames, the control thread's event-loop lag
// (from /metrics), and each of B's steps. Target: ack p99 <= 20 ms, max <= 100 ms, 0 lost frames,
// 0 refused edits.
//
// Then the pull on an otherwise idle server, three times with `mixroom pull` and three with
// curl (when installed), beside a plain copy of the same file on the same disk.
// The helpers (upload, pull, curl) run at nice 19: on a real deployment they are other machines.
//   bench_stall [--stem-minutes 20] [--skip-throughput] [--durable power|crash]
#include "bench/BenchServer.h"
#include "protocol/Messages.h"

#include <QCommandLineParser>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <map>
#include <tuple>

using namespace mixroom;
using namespace mixroom::bench;

namespace {

QString clientBinary()
{
    return QCoreApplication::applicationDirPath() + "/../client/mixroom";
}

// A 20-minute stereo 16-bit stem of pseudo-random noise at -14 dBFS RMS or so.
bool writeStem(const QString& path, int minutes)
{
    SF_INFO info{};
    info.samplerate = 48000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_WRITE, &info);
    if (!f) return false;
    std::vector<float> buf(2 * 48000);
    quint32 x = 12345;
    for (int sec = 0; sec < minutes * 60; ++sec) {
        for (float& v : buf) {
            x = x * 1664525u + 1013904223u;
            v = 0.35f * (static_cast<float>(x >> 8) / 16777216.0f - 0.5f);
        }
        sf_writef_float(f, buf.data(), 48000);
    }
    return sf_close(f) == 0;
}

// One value of a Prometheus text page.
double metric(const QByteArray& page, const QByteArray& name)
{
    for (const QByteArray& line : page.split('\n'))
        if (line.startsWith(name + ' ')) return line.mid(name.size() + 1).toDouble();
    return -1;
}

QByteArray fetchMetrics(QNetworkAccessManager& net, const QString& base)
{
    QNetworkReply* r = net.get(QNetworkRequest(QUrl(base + "/metrics")));
    waitFor([&] { return r->isFinished(); }, 5000);
    const QByteArray body = r->readAll();
    r->deleteLater();
    return body;
}

// Runs a helper at the lowest CPU priority; returns its exit code, stdout in *out.
struct Helper {
    QProcess proc;
    double startMs = 0, endMs = -1;
    void start(const QString& home, const QString& program, const QStringList& args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_CONFIG_HOME", home);
        proc.setProcessEnvironment(env);
        proc.setProcessChannelMode(QProcess::SeparateChannels);
        QObject::connect(&proc, &QProcess::finished, [this] { endMs = nowMs(); });
        startMs = nowMs();
        proc.start("nice", QStringList{"-n", "19", program} + args);
    }
    bool done() const { return endMs >= 0; }
    double seconds() const { return (endMs - startMs) / 1000.0; }
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription("The stall probe: one session's heavy work against another session's editor and listener.");
    p.addHelpOption();
    p.addOption({"stem-minutes", "length of the uploaded stem (default 20)", "N", "20"});
    p.addOption({"skip-throughput", "do not time the idle pulls afterwards"});
    p.addOption({"durable", "mixroomd serve --durable: power (default) or crash", "MODE", "power"});
    p.process(app);
    const int minutes = p.value("stem-minutes").toInt();
    if (minutes < 1 || minutes > 30) {
        std::fprintf(stderr, "bench_stall: --stem-minutes must be 1-30\n");
        return 2;
    }
    QTemporaryDir dir;
    const QString data = dir.path() + "/data", home = dir.path() + "/home";
    QDir().mkpath(data);
    QDir().mkpath(home);
    std::printf("preparing: session a (4 tracks x 60 s, EQ + compressor), session b (empty), a %d-minute stem...\n", minutes);
    std::fflush(stdout);
    const Prepared a = prepare(data, 4, 60, 1, true, "a");
    const Prepared b = prepare(data, 0, 0, 1, false, "b");
    const QString stem = dir.path() + "/stem.wav";
    if (!writeStem(stem, minutes)) {
        std::fprintf(stderr, "bench_stall: cannot write %s\n", qPrintable(stem));
        return 1;
    }
    Daemon d;
    if (!d.start(data, {"--durable", p.value("durable")})) {
        std::fprintf(stderr, "bench_stall: mixroomd did not start\n");
        return 1;
    }
    const QString http = QString(d.url).replace("ws://", "http://");
    QNetworkAccessManager net;

    Peer editor, ear, owner, earB;
    std::map<qint64, double> pending;
    std::vector<double> acks, ackTimes; // latency and when the edit was sent
    qint64 refused = 0, lost = 0, frames = 0, lastSeq = -1;
    QStringList refusals;
    editor.onMessage = [&](const QJsonObject& m) {
        const QString type = m.value("type").toString();
        if (type != "ack" && type != "error") return;
        auto it = pending.find(static_cast<qint64>(m.value("clientSeq").toDouble()));
        if (it == pending.end()) return;
        if (type == "ack") {
            acks.push_back(nowMs() - it->second);
            ackTimes.push_back(it->second);
        } else {
            ++refused;
            if (refusals.size() < 3) refusals << m.value("code").toString();
        }
        pending.erase(it);
    };
    QObject::connect(&ear.ws, &QWebSocket::binaryMessageReceived, [&](const QByteArray& f) {
        auto h = protocol::AudioFrameHeader::decode(f, nullptr);
        if (!h) return;
        if (lastSeq >= 0 && static_cast<qint64>(h->seq) > lastSeq + 1) lost += static_cast<qint64>(h->seq) - lastSeq - 1;
        lastSeq = static_cast<qint64>(h->seq);
        ++frames;
    });
    bool approved = false, rendered = false, abDone = false;
    QString renderError;
    owner.onMessage = [&](const QJsonObject& m) {
        const QString type = m.value("type").toString();
        if (type == "approval" && m.value("status") == "approved") approved = true;
        if (type == "render" && m.value("version") == "v1" && m.value("done").toBool()) {
            rendered = true;
            renderError = m.value("error").toString();
        }
        if (type == "error") std::fprintf(stderr, "bench_stall: session b: %s\n", qPrintable(m.value("message").toString()));
    };
    earB.onMessage = [&](const QJsonObject& m) {
        if (m.value("type") == "transport_state" && m.value("source") == "v1") abDone = true;
        if (m.value("type") == "error") std::fprintf(stderr, "bench_stall: b's listener: %s\n", qPrintable(m.value("message").toString()));
    };
    editor.open(d.url, a.mixToken, "stall-editor");
    ear.open(d.url, a.listenerTokens[0], "stall-ear");
    owner.open(d.url, b.mixToken, "stall-owner");
    earB.open(d.url, b.listenerTokens[0], "stall-ear-b");
    if (!waitFor([&] { return editor.welcomed && ear.welcomed && owner.welcomed && earB.welcomed; }, 20000)) {
        std::fprintf(stderr, "bench_stall: clients did not get in\n");
        return 1;
    }
    ear.send({{"type", "listen"}, {"mode", "own"}, {"frameMs", 20}});
    ear.send({{"type", "transport"}, {"target", "own"}, {"action", "loop"}, {"from", 0}, {"to", 59000}});
    ear.send({{"type", "transport"}, {"target", "own"}, {"action", "play"}});
    QTimer edits;
    qint64 n = 0;
    QObject::connect(&edits, &QTimer::timeout, [&] {
        const qint64 seq = editor.send({{"type", "set"}, {"path", "tracks/t0/fader"}, {"value", -6.0 + (++n % 20) * 0.1}});
        pending[seq] = nowMs();
    });
    edits.setTimerType(Qt::PreciseTimer);
    edits.start(20);
    waitFor([&] { return frames > 100; }, 10000); // warm: the listener's graph is up
    acks.clear();
    ackTimes.clear();
    lost = 0;
    refused = 0;
    const QByteArray before = fetchMetrics(net, http);
    const double t0 = nowMs();

    // Session b's day: upload, approve (render), A/B with loudness match, pull.
    Helper upload;
    upload.start(home, clientBinary(), {"upload", stem, "--server", d.url, "--token", b.mixToken, "--name", "long"});
    waitFor([&] { return upload.done(); }, 600000);
    if (upload.proc.exitCode() != 0) {
        std::fprintf(stderr, "bench_stall: upload failed: %s\n", upload.proc.readAllStandardError().constData());
        return 1;
    }
    const double tUpload = upload.seconds();
    const double phaseRender = nowMs();
    owner.send({{"type", "set_policy"}, {"roles", QJsonArray{"mix"}}});
    owner.send({{"type", "save_version"}, {"name", "v1"}});
    const double tApprove = nowMs();
    owner.send({{"type", "approve"}, {"version", "v1"}, {"approved", true}});
    waitFor([&] { return approved; }, 30000);
    earB.send({{"type", "listen"}, {"mode", "own"}, {"frameMs", 20}});
    earB.send({{"type", "transport"}, {"target", "own"}, {"action", "play"}});
    earB.send({{"type", "ab"}, {"source", "v1"}, {"match", true}});
    waitFor([&] { return rendered; }, 900000);
    const double tRender = (nowMs() - tApprove) / 1000.0;
    waitFor([&] { return abDone; }, 120000);
    const double phasePull = nowMs();
    // The puller is another machine: with curl it writes nothing to this disk (-o /dev/null).
    Helper pull;
    const QString pulled = dir.path() + "/pulled.wav";
    const bool curl = !QStandardPaths::findExecutable("curl").isEmpty();
    if (curl)
        pull.start(home, "curl",
                   {"-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", "-H", "Authorization: Bearer " + b.mixToken,
                    http + "/sessions/b/versions/v1/mix?format=wav24"});
    else
        pull.start(home, clientBinary(), {"pull", "v1", "-o", pulled, "--server", d.url, "--token", b.mixToken});
    waitFor([&] { return pull.done(); }, 600000);
    const double tPull = pull.seconds();
    const qint64 pulledBytes = curl ? pull.proc.readAllStandardOutput().toLongLong() : QFileInfo(pulled).size();
    edits.stop();
    waitFor([&] { return pending.empty(); }, 5000);
    const double window = (nowMs() - t0) / 1000.0;
    const QByteArray after = fetchMetrics(net, http);

    const double lagMax = metric(after, "mixroom_event_loop_lag_max_ms");
    const double lagOver50 =
        metric(after, "mixroom_event_loop_lag_ms_count") - metric(after, "mixroom_event_loop_lag_ms_bucket{le=\"50\"}") -
        (metric(before, "mixroom_event_loop_lag_ms_count") - metric(before, "mixroom_event_loop_lag_ms_bucket{le=\"50\"}"));
    std::printf("\nsession b: upload %.1f s (%d min stem, %.0f MB), render %.1f s%s, A/B --match %s, pull %.1f s (%.0f MB, %.0f MB/s)%s\n",
                tUpload, minutes, QFileInfo(stem).size() / 1e6, tRender, renderError.isEmpty() ? "" : qPrintable(" FAILED: " + renderError),
                abDone ? "switched" : "NOT SWITCHED", tPull, pulledBytes / 1e6, pulledBytes / 1e6 / std::max(0.001, tPull),
                pull.proc.exitCode() == 0 ? "" : qPrintable(" FAILED: " + QString::fromUtf8(pull.proc.readAllStandardError())));
    const double p99 = percentile(acks, 99), mx = acks.empty() ? 0 : *std::max_element(acks.begin(), acks.end());
    std::printf("session a over %.0f s: %zu acks, p50 %.1f ms, p99 %.1f ms, max %.1f ms; %lld refused%s; listener %lld frames, %lld lost\n",
                window, acks.size(), percentile(acks, 50), p99, mx, static_cast<long long>(refused),
                refusals.isEmpty() ? "" : qPrintable(" (" + refusals.join(", ") + ")"), static_cast<long long>(frames),
                static_cast<long long>(lost));
    // Where the worst acks fell: which of b's steps was running.
    for (const auto& [label, from, to] : {std::tuple{"upload", t0, phaseRender}, std::tuple{"render + A/B", phaseRender, phasePull},
                                          std::tuple{"pull", phasePull, 1e300}}) {
        std::vector<double> in;
        for (size_t i = 0; i < acks.size(); ++i)
            if (ackTimes[i] >= from && ackTimes[i] < to) in.push_back(acks[i]);
        std::printf("  during %-13s %4zu acks, p99 %.1f ms, max %.1f ms\n", label, in.size(), percentile(in, 99),
                    in.empty() ? 0 : *std::max_element(in.begin(), in.end()));
    }
    std::printf("event-loop lag: max %.1f ms since start; %.0f probes later than 50 ms during the window\n", lagMax, lagOver50);
    const bool met = p99 <= 20 && mx <= 100 && lost == 0 && refused == 0;
    std::printf("target (ack p99 <= 20 ms, max <= 100 ms, 0 lost, 0 refused): %s\n", met ? "met" : "NOT met");

    if (!p.isSet("skip-throughput")) {
        QString render;
        for (QDirIterator it(data + "/renders", {"mix-wav24.wav"}, QDir::Files, QDirIterator::Subdirectories); it.hasNext();)
            render = it.next();
        std::printf("\npull throughput on an idle server (file %.0f MB):\n", QFileInfo(render).size() / 1e6);
        for (int run = 0; run < 3; ++run) {
            const QString copy = dir.path() + "/copy.wav";
            QFile::remove(copy);
            const double c0 = nowMs();
            QFile::copy(render, copy);
            const double copyS = (nowMs() - c0) / 1000.0;
            QFile::remove(pulled);
            Helper cli;
            cli.start(home, clientBinary(), {"pull", "v1", "-o", pulled, "--server", d.url, "--token", b.mixToken});
            waitFor([&] { return cli.done(); }, 600000);
            QString curlFigure = "curl not installed";
            if (!QStandardPaths::findExecutable("curl").isEmpty()) {
                Helper curl;
                curl.start(home, "curl",
                           {"-s", "-o", "/dev/null", "-w", "%{speed_download}", "-H", "Authorization: Bearer " + b.mixToken,
                            http + "/sessions/b/versions/v1/mix?format=wav24"});
                waitFor([&] { return curl.done(); }, 600000);
                curlFigure = QString("curl %1 MB/s").arg(curl.proc.readAllStandardOutput().toDouble() / 1e6, 0, 'f', 0);
            }
            std::printf("  run %d: mixroom pull %.0f MB/s, %s, plain copy %.0f MB/s\n", run + 1,
                        QFileInfo(pulled).size() / 1e6 / std::max(0.001, cli.seconds()), qPrintable(curlFigure),
                        QFileInfo(copy).size() / 1e6 / std::max(0.001, copyS));
            std::fflush(stdout);
            QFile::remove(copy);
        }
    }
    return 0;
}
