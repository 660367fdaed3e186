// SPDX-License-Identifier: MIT
// Live preview benchmarks against mixroomd as its own process.
//   latency:  fader-to-ear — from sending an edit to when its first changed sample is due at the
//             listener's output (frame arrival + the sample's offset in the frame + the client's
//             jitter buffer). Prints p50/p95 over --edits edits.
//   capacity: N listeners (own or follow) of a 16-track session (4-band EQ, compressor, fader, pan
//             on every track, master limiter) for --seconds; counts frames that arrive later than
//             their due time plus the jitter buffer (underruns at the listener) and frames lost.
//   bench_preview latency [--edits 200] [--buffer-ms 40]
//   bench_preview capacity --mode own|follow --listeners N [--seconds 60] [--buffer-ms 100]
#include "client/PreviewReceiver.h"
#include "engine/stems/StemStore.h"
#include "protocol/Messages.h"
#include "protocol/SessionCodec.h"
#include "server/Store.h"
#include "server/Tokens.h"

#include "bench/BenchServer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

using namespace mixroom;

using mixroom::bench::cpuSeconds;
using mixroom::bench::nowMs;
using mixroom::bench::percentile;
using mixroom::bench::waitFor;

namespace {
using bench::Daemon;
using bench::Peer;
using bench::prepare;
using bench::Prepared;

int latency(int edits, int bufferMs)
{
    QTemporaryDir dir;
    const Prepared p = prepare(dir.path(), 1, 30, 1, false);
    Daemon d;
    if (!d.start(dir.path())) {
        std::fprintf(stderr, "mixroomd did not start\n");
        return 1;
    }
    Peer mix, ear;
    mix.open(d.url, p.mixToken, "bench-mix");
    ear.open(d.url, p.listenerTokens[0], "bench-ear");
    waitFor([&] { return mix.welcomed && ear.welcomed; }, 10000);
    client::PreviewReceiver rx;
    QObject::connect(&ear.ws, &QWebSocket::binaryMessageReceived, &rx, &client::PreviewReceiver::feed);
    // Each edit jumps the fader between 0 and -20 dB; the first 1 ms slice of the stream whose level
    // moved marks the change (its sample is due at arrival + offset + the jitter buffer).
    double editSentMs = -1;
    bool loud = true;
    double steady = 0;
    std::vector<double> results;
    QObject::connect(&rx, &client::PreviewReceiver::audio, [&](quint64, const QVector<float>& pcm, quint8) {
        const double arrival = nowMs();
        const int frames = static_cast<int>(pcm.size() / 2);
        for (int b = 0; b + 48 <= frames; b += 48) {
            float peak = 0;
            for (int i = b; i < b + 48; ++i)
                peak = std::max(peak, std::abs(pcm[2 * i]));
            if (editSentMs < 0) {
                steady = 0.9 * steady + 0.1 * peak;
                continue;
            }
            if (std::abs(peak - steady) > 0.15 * steady) {
                results.push_back(arrival - editSentMs + b / 48.0 + bufferMs);
                editSentMs = -1;
                steady = peak;
                return;
            }
        }
    });
    ear.send({{"type", "listen"}, {"mode", "own"}, {"frameMs", 20}});
    ear.send({{"type", "transport"}, {"target", "own"}, {"action", "loop"}, {"from", 0}, {"to", 29000}});
    ear.send({{"type", "transport"}, {"target", "own"}, {"action", "play"}});
    waitFor([] { return false; }, 1000); // settle: steady level known
    for (int i = 0; i < edits; ++i) {
        loud = !loud;
        editSentMs = nowMs();
        mix.send({{"type", "set"}, {"path", "tracks/t0/fader"}, {"value", loud ? 0.0 : -20.0}});
        waitFor([&] { return editSentMs < 0; }, 2000);
        waitFor([] { return false; }, 60 + static_cast<int>(i % 7) * 3); // next edit at a different phase of the frame clock
    }
    std::printf("fader-to-ear latency over %zu edits (20 ms frames, %d ms jitter buffer): p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
                results.size(), bufferMs, percentile(results, 50), percentile(results, 95), percentile(results, 100));
    return 0;
}

int capacity(const QString& mode, int listeners, int seconds, int bufferMs, const QString& budget, double editHz)
{
    QTemporaryDir dir;
    std::printf("preparing 16 stereo stems x 20 s and %d listeners...\n", listeners);
    std::fflush(stdout);
    const Prepared p = prepare(dir.path(), 16, 20, listeners, true);
    Daemon d;
    QStringList serverArgs{"--max-per-address", "5000"}; // every listener comes from 127.0.0.1
    if (!budget.isEmpty()) serverArgs << "--preview-budget" << budget;
    if (!d.start(dir.path(), serverArgs)) {
        std::fprintf(stderr, "mixroomd did not start\n");
        return 1;
    }
    Peer mix;
    mix.open(d.url, p.mixToken, "bench-mix");
    waitFor([&] { return mix.welcomed; }, 10000);
    std::vector<std::unique_ptr<Peer>> ears;
    struct Stats {
        double start = -1;
        qint64 frames = 0, late = 0, lost = 0;
        qint64 nextSeq = -1;
    };
    std::vector<Stats> stats(static_cast<size_t>(listeners));
    std::vector<char> refused(static_cast<size_t>(listeners), 0); // own mode past the render budget
    QString firstRefusal;
    for (int i = 0; i < listeners; ++i) {
        auto e = std::make_unique<Peer>();
        const size_t idx = static_cast<size_t>(i);
        QObject::connect(&e->ws, &QWebSocket::binaryMessageReceived, [&, idx](const QByteArray& f) {
            QByteArray payload;
            auto h = protocol::AudioFrameHeader::decode(f, &payload);
            if (!h) return;
            Stats& s = stats[idx];
            const double t = nowMs();
            if (s.start < 0) s.start = t - h->seq * 20.0;
            if (s.nextSeq >= 0 && static_cast<qint64>(h->seq) > s.nextSeq) s.lost += static_cast<qint64>(h->seq) - s.nextSeq;
            s.nextSeq = static_cast<qint64>(h->seq) + 1;
            if (t > s.start + h->seq * 20.0 + bufferMs) ++s.late; // would have run dry at the output
            ++s.frames;
        });
        e->onMessage = [&refused, &firstRefusal, idx](const QJsonObject& m) {
            if (m.value("code") != "at_capacity") return;
            refused[idx] = 1;
            if (firstRefusal.isEmpty()) firstRefusal = QString("listener %1: %2").arg(idx).arg(m.value("message").toString());
        };
        e->open(d.url, p.listenerTokens[i], QString("ear-%1").arg(i));
        ears.push_back(std::move(e));
        if (ears.size() % 10 == 0)
            waitFor([&] { return std::all_of(ears.begin(), ears.end(), [](auto& x) { return x->welcomed; }); }, 20000);
    }
    waitFor([&] { return std::all_of(ears.begin(), ears.end(), [](auto& x) { return x->welcomed; }); }, 30000);
    for (auto& e : ears) {
        e->send({{"type", "listen"}, {"mode", mode}});
        if (mode == "own") {
            // Each at its own place in the song (spread over the loop), as reviewers would be.
            e->send({{"type", "transport"}, {"target", "own"}, {"action", "loop"}, {"from", 0}, {"to", 19000}});
            e->send({{"type", "transport"},
                     {"target", "own"},
                     {"action", "seek"},
                     {"at", 19000.0 * static_cast<double>(&e - ears.data()) / listeners}});
            e->send({{"type", "transport"}, {"target", "own"}, {"action", "play"}});
            // Listeners arrive 20 a second, as people would, not all in one instant: admission
            // measures the render load as it grows.
            waitFor([] { return false; }, 50);
        }
    }
    if (mode == "follow") {
        mix.send({{"type", "transport"}, {"target", "follow"}, {"action", "loop"}, {"from", 0}, {"to", 19000}});
        mix.send({{"type", "transport"}, {"target", "follow"}, {"action", "play"}});
    }
    // With --edit-hz: an editor moves a track's fader that often through the measured run (each
    // move a new mix document: own listeners render themselves until its shared render is there).
    QTimer editor;
    int moves = 0;
    if (editHz > 0) {
        QObject::connect(&editor, &QTimer::timeout, [&] {
            ++moves;
            mix.send({{"type", "set"}, {"path", "tracks/t0/fader"}, {"value", -(moves % 20) * 0.5}});
        });
        editor.start(static_cast<int>(1000 / editHz));
    }
    waitFor([] { return false; }, 2000); // start-up (first frames) is not measured
    for (auto& s : stats)
        s = Stats{};
    const double cpu0 = cpuSeconds(d.proc.processId());
    const double t0 = nowMs();
    waitFor([] { return false; }, seconds * 1000);
    const double wall = (nowMs() - t0) / 1000.0, cpu = cpuSeconds(d.proc.processId()) - cpu0;
    editor.stop();
    qint64 frames = 0, late = 0, lost = 0;
    int clean = 0, admitted = 0;
    for (size_t i = 0; i < stats.size(); ++i) {
        if (refused[i]) continue;
        const Stats& s = stats[i];
        ++admitted;
        frames += s.frames;
        late += s.late;
        lost += s.lost;
        clean += (s.late == 0 && s.lost == 0 && s.frames > 0) ? 1 : 0;
    }
    std::printf("%s mode, %d listeners (%d admitted, %d refused at capacity), %.0f s: %lld frames, %lld late (> %d ms), %lld lost; "
                "%d/%d admitted listeners clean; server CPU %.0f %% of one core\n",
                qPrintable(mode), listeners, admitted, listeners - admitted, wall, static_cast<long long>(frames),
                static_cast<long long>(late), bufferMs, static_cast<long long>(lost), clean, admitted, 100 * cpu / wall);
    if (!firstRefusal.isEmpty()) std::printf("first refusal: %s\n", qPrintable(firstRefusal));
    if (editHz > 0) std::printf("meanwhile an editor moved a fader %d times (%.0f Hz)\n", moves, editHz);
    return late == 0 && lost == 0 ? 0 : 3;
}
} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList a = app.arguments();
    auto opt = [&](const QString& name, const QString& def) {
        const int i = a.indexOf(name);
        return i > 0 && i + 1 < a.size() ? a[i + 1] : def;
    };
    if (a.size() < 2 || a.contains("--help")) {
        std::printf(
            "Usage: bench_preview latency [--edits 200] [--buffer-ms 40]\n"
            "       bench_preview capacity --mode own|follow --listeners N [--seconds 60] [--buffer-ms 100] [--preview-budget SHARE]\n"
            "                              [--edit-hz HZ]\n");
        return a.contains("--help") ? 0 : 2;
    }
    if (a[1] == "latency") return latency(opt("--edits", "200").toInt(), opt("--buffer-ms", "40").toInt());
    if (a[1] == "capacity")
        return capacity(opt("--mode", "own"), opt("--listeners", "10").toInt(), opt("--seconds", "60").toInt(),
                        opt("--buffer-ms", "100").toInt(), opt("--preview-budget", ""), opt("--edit-hz", "0").toDouble());
    std::fprintf(stderr, "bench_preview: unknown benchmark %s\n", qPrintable(a[1]));
    return 2;
}
