// SPDX-License-Identifier: MIT
// Co-editing benchmark: mixroomd runs as its own process; E editors each move a fader at 60 Hz and
// O observers watch, over loopback, for S seconds. Prints edit->observer latency p50/p99, ack
// latency p50/p99, server CPU and edits lost (acknowledged edits an observer never received).
//   bench_collab [--editors 20] [--observers 50] [--seconds 30] [--rate 60]
#include "bench/BenchSupport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

using mixroom::bench::cpuSeconds;
using mixroom::bench::nowMs;
using mixroom::bench::percentile;
using mixroom::bench::waitFor;

namespace {

// One raw client: hello, then counts what it receives.
struct Client {
    QWebSocket ws;
    bool welcomed = false;
    void open(const QString& url, const QString& token, const QString& id)
    {
        QObject::connect(&ws, &QWebSocket::connected, [this, token, id] {
            ws.sendTextMessage(
                QString::fromUtf8(QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", token}, {"clientId", id}})
                                      .toJson(QJsonDocument::Compact)));
        });
        ws.open(QUrl(url));
    }
};

QJsonObject requestOnce(Client& c, const QJsonObject& msg)
{
    QJsonObject answer;
    auto conn = QObject::connect(&c.ws, &QWebSocket::textMessageReceived, [&](const QString& t) {
        const QJsonObject m = QJsonDocument::fromJson(t.toUtf8()).object();
        if (m.value("clientSeq") == msg.value("clientSeq") || m.value("type").toString() == "error") answer = m;
    });
    c.ws.sendTextMessage(QString::fromUtf8(QJsonDocument(msg).toJson(QJsonDocument::Compact)));
    waitFor([&] { return !answer.isEmpty(); }, 10000);
    QObject::disconnect(conn);
    return answer;
}

// Setup requests respect the server's structural rate limit (5/s): wait and retry.
QJsonObject request(Client& c, QJsonObject msg)
{
    static qint64 retrySeq = 1 << 20;
    while (true) {
        const QJsonObject a = requestOnce(c, msg);
        if (a.value("code").toString() != "rate_limited") return a;
        waitFor([] { return false; }, 220);
        msg["clientSeq"] = ++retrySeq;
    }
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int editors = 20, observers = 50, seconds = 30, rate = 60;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        auto val = [&] { return i + 1 < args.size() ? args[++i].toInt() : 0; };
        if (args[i] == "--editors")
            editors = val();
        else if (args[i] == "--observers")
            observers = val();
        else if (args[i] == "--seconds")
            seconds = val();
        else if (args[i] == "--rate")
            rate = val();
        else if (args[i] == "--help" || args[i] == "-h") {
            std::printf("Usage: bench_collab [--editors 20] [--observers 50] [--seconds 30] [--rate 60]\n");
            return 0;
        } else {
            std::fprintf(stderr, "bench_collab: unknown argument %s\n", qPrintable(args[i]));
            return 2;
        }
    }
    QTemporaryDir data;
    QProcess server;
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(QCoreApplication::applicationDirPath() + "/../server/mixroomd",
                 {"serve", "--data", data.path(), "--listen", "127.0.0.1:0"});
    QString out;
    static const QRegularExpression listening("listening on (ws://[0-9.:]+)");
    while (!listening.match(out).hasMatch() && server.waitForReadyRead(10000))
        out += QString::fromUtf8(server.readAll());
    const QString url = listening.match(out).captured(1);
    const QString adminToken = QRegularExpression("\\n  (mxr_[A-Za-z0-9_-]+)\\n").match(out).captured(1);
    if (url.isEmpty()) {
        std::fprintf(stderr, "bench_collab: mixroomd did not start: %s\n", qPrintable(out));
        return 1;
    }

    // Session, groups to move (one per editor), tokens.
    Client admin;
    admin.open(url, adminToken, "bench-admin");
    waitFor([&] { return admin.ws.state() == QAbstractSocket::ConnectedState; }, 5000);
    QJsonObject created = request(admin, {{"type", "create_session"}, {"clientSeq", 1}, {"name", "bench"}});
    const QString ownerToken = created.value("token").toString();
    Client owner;
    owner.open(url, ownerToken, "bench-owner");
    waitFor([&] { return owner.ws.state() == QAbstractSocket::ConnectedState; }, 5000);
    QStringList editorTokens, observerTokens;
    qint64 seq = 10;
    for (int e = 0; e < editors; ++e) {
        request(owner, {{"type", "add_group"}, {"clientSeq", ++seq}, {"id", QString("g%1").arg(e)}});
        editorTokens << request(owner,
                                {{"type", "invite"}, {"clientSeq", ++seq}, {"role", "artist"}, {"name", QString("editor %1").arg(e)}})
                            .value("token")
                            .toString();
    }
    for (int o = 0; o < observers; ++o)
        observerTokens << request(owner,
                                  {{"type", "invite"}, {"clientSeq", ++seq}, {"role", "client"}, {"name", QString("observer %1").arg(o)}})
                              .value("token")
                              .toString();

    // Bookkeeping: send time per (path, value), ack latencies, observer latencies and counts.
    QHash<QString, double> sentAt;
    QHash<qint64, double> ackPending;
    std::vector<double> ackLatency, observerLatency;
    qint64 acked = 0, refused = 0;
    std::vector<qint64> received(static_cast<size_t>(observers), 0);
    bool measuring = false;

    std::vector<std::unique_ptr<Client>> eds, obs;
    for (int o = 0; o < observers; ++o) {
        auto c = std::make_unique<Client>();
        const size_t idx = static_cast<size_t>(o);
        QObject::connect(&c->ws, &QWebSocket::textMessageReceived, [&, idx, cp = c.get()](const QString& t) {
            if (!t.startsWith(QLatin1String("{\"args\""))) { // edits start with "args" (sorted keys)
                if (t.contains(QLatin1String("\"welcome\""))) cp->welcomed = true;
                return;
            }
            const QJsonObject m = QJsonDocument::fromJson(t.toUtf8()).object();
            const QJsonObject a = m.value("args").toObject();
            const auto it = sentAt.constFind(a.value("path").toString() + "=" + QString::number(a.value("value").toDouble(), 'g', 12));
            if (it != sentAt.constEnd() && measuring) {
                observerLatency.push_back(nowMs() - it.value());
                ++received[idx];
            }
        });
        c->open(url, observerTokens[o], QString("obs-%1").arg(o));
        obs.push_back(std::move(c));
        // Join in batches: the server caps sockets still authenticating per address (16).
        if (obs.size() % 10 == 0) waitFor([&] { return std::all_of(obs.begin(), obs.end(), [](auto& x) { return x->welcomed; }); }, 10000);
    }
    for (int e = 0; e < editors; ++e) {
        auto c = std::make_unique<Client>();
        QObject::connect(&c->ws, &QWebSocket::textMessageReceived, [&, cp = c.get()](const QString& t) {
            if (t.contains(QLatin1String("\"welcome\""))) {
                cp->welcomed = true;
                return;
            }
            if (!t.contains(QLatin1String("\"type\":\"ack\"")) && !t.contains(QLatin1String("\"type\":\"error\""))) return;
            const QJsonObject m = QJsonDocument::fromJson(t.toUtf8()).object();
            const qint64 cs = static_cast<qint64>(m.value("clientSeq").toDouble());
            const auto it = ackPending.find(cs);
            if (it == ackPending.end()) return;
            if (m.value("type").toString() == "ack") {
                ackLatency.push_back(nowMs() - it.value());
                ++acked;
            } else {
                ++refused;
            }
            ackPending.erase(it);
        });
        c->open(url, editorTokens[e], QString("ed-%1").arg(e));
        eds.push_back(std::move(c));
        if (eds.size() % 10 == 0) waitFor([&] { return std::all_of(eds.begin(), eds.end(), [](auto& x) { return x->welcomed; }); }, 10000);
    }
    if (!waitFor(
            [&] {
                return std::all_of(eds.begin(), eds.end(), [](auto& c) { return c->welcomed; }) &&
                       std::all_of(obs.begin(), obs.end(), [](auto& c) { return c->welcomed; });
            },
            30000)) {
        int e = 0, o = 0;
        for (auto& c : eds)
            e += c->welcomed;
        for (auto& c : obs)
            o += c->welcomed;
        std::fprintf(stderr, "bench_collab: not every client could join (%d/%d editors, %d/%d observers; tokens %lld/%lld)\n", e, editors,
                     o, observers, static_cast<long long>(editorTokens.size()), static_cast<long long>(observerTokens.size()));
        return 1;
    }

    std::printf("mixroomd at %s: %d editors x %d Hz, %d observers, %d s\n", qPrintable(url), editors, rate, observers, seconds);
    std::fflush(stdout);
    const double cpu0 = cpuSeconds(server.processId());
    const double t0 = nowMs();
    measuring = true;
    qint64 clientSeq = 1000000, step = 0, sent = 0;
    std::vector<std::unique_ptr<QTimer>> timers;
    for (int e = 0; e < editors; ++e) {
        auto t = std::make_unique<QTimer>();
        t->setTimerType(Qt::PreciseTimer);
        QObject::connect(t.get(), &QTimer::timeout, [&, e] {
            const QString path = QString("groups/g%1/fader").arg(e);
            const double value = -static_cast<double>((++step) % 100000) * 0.001;
            const qint64 cs = ++clientSeq;
            sentAt.insert(path + "=" + QString::number(value, 'g', 12), nowMs());
            ackPending.insert(cs, nowMs());
            eds[static_cast<size_t>(e)]->ws.sendTextMessage(
                QString::fromUtf8(QJsonDocument(QJsonObject{{"type", "set"}, {"clientSeq", cs}, {"path", path}, {"value", value}})
                                      .toJson(QJsonDocument::Compact)));
            ++sent;
        });
        QTimer::singleShot(e * 1000 / rate / std::max(1, editors), t.get(), [tp = t.get(), rate] { tp->start(1000 / rate); });
        timers.push_back(std::move(t));
    }
    waitFor([&] { return nowMs() - t0 >= seconds * 1000.0; }, seconds * 1000 + 1000);
    for (auto& t : timers)
        t->stop();
    const double wall = (nowMs() - t0) / 1000.0;
    const double cpu = cpuSeconds(server.processId()) - cpu0;
    // Drain: every acknowledged edit should reach every observer.
    waitFor([&] { return ackPending.isEmpty() && std::all_of(received.begin(), received.end(), [&](qint64 r) { return r >= acked; }); },
            10000);
    qint64 lost = 0;
    for (qint64 r : received)
        lost += std::max<qint64>(0, acked - r);

    std::printf("edits sent %lld, acknowledged %lld, refused %lld (%.0f edits/s)\n", static_cast<long long>(sent),
                static_cast<long long>(acked), static_cast<long long>(refused), acked / wall);
    std::printf("edit -> observer latency: p50 %.2f ms, p99 %.2f ms (%zu deliveries)\n", percentile(observerLatency, 50),
                percentile(observerLatency, 99), observerLatency.size());
    std::printf("ack latency:              p50 %.2f ms, p99 %.2f ms\n", percentile(ackLatency, 50), percentile(ackLatency, 99));
    std::printf("server CPU: %.1f %% of one core (%.2f s over %.1f s)\n", 100.0 * cpu / wall, cpu, wall);
    // The server's own view of ack latency (receive -> ack after the commit), from /metrics.
    {
        QProcess curl;
        QString httpUrl = url;
        httpUrl.replace("ws://", "http://");
        curl.start("curl", {"-s", httpUrl + "/metrics"});
        curl.waitForFinished(5000);
        const QString metrics = QString::fromUtf8(curl.readAllStandardOutput());
        QStringList buckets;
        static const QRegularExpression re("mixroom_ack_latency_ms_bucket\\{le=\"([^\"]+)\"\\} (\\d+)");
        for (auto it = re.globalMatch(metrics); it.hasNext();) {
            const auto m = it.next();
            buckets << QString("<=%1ms: %2").arg(m.captured(1), m.captured(2));
        }
        std::printf("server-side ack latency histogram: %s\n", qPrintable(buckets.join(", ")));
    }
    std::printf("edits lost: %lld\n", static_cast<long long>(lost));
    server.terminate();
    server.waitForFinished(5000);
    return 0;
}
