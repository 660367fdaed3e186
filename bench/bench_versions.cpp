// SPDX-License-Identifier: MIT
// Version status at scale: a real server in this process with N saved versions (default 1,000);
// prints how long list_versions and approve take, round trip over loopback. Figures only.
#include "bench/BenchSupport.h"
#include "tests/ServerFixture.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

#include <cstdio>

using namespace mixroom;
using protocol::Kind;

namespace {
// A request and its answer, waiting on the event loop (test::call polls with 10 ms sleeps, and
// the server runs in this process: it would measure the sleeps).
QJsonObject ask(client::Connection& c, Kind kind, const QJsonObject& fields)
{
    QJsonObject answer;
    qint64 seq = -2;
    QEventLoop loop;
    auto got = [&](qint64 s, const QJsonObject& m) {
        if (s != seq) return;
        answer = m;
        loop.quit();
    };
    auto a = QObject::connect(&c, &client::Connection::reply, got);
    auto b = QObject::connect(&c, &client::Connection::refused, got);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    seq = c.request(kind, fields);
    loop.exec();
    QObject::disconnect(a);
    QObject::disconnect(b);
    return answer;
}
} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription("Times list_versions and approve with many saved versions (a real server on loopback).");
    p.addHelpOption();
    p.addOption({"versions", "versions to save first (default 1000)", "N", "1000"});
    p.addOption({"runs", "timed repetitions (default 5; best and median are printed)", "N", "5"});
    p.process(app);
    const int n = p.value("versions").toInt(), runs = std::max(1, p.value("runs").toInt());
    if (n < 2) {
        std::fprintf(stderr, "bench_versions: --versions must be at least 2\n");
        return 2;
    }
    test::ServerFixture f;
    if (!f.start()) {
        std::fprintf(stderr, "bench_versions: the server did not start\n");
        return 1;
    }
    // The versions are written straight into the store before anyone connects (saving 1,000 through
    // the protocol would take minutes under the structural rate limit); the session loads them.
    {
        QSqlDatabase db = QSqlDatabase::database(f.store->connectionName());
        db.transaction();
        QSqlQuery q(db);
        q.prepare("INSERT INTO versions (session, name, message, author, author_name, parent, time, seq, state, hashes) "
                  "SELECT id, ?, 'bench', 'm_mix', 'Mix', ?, ?, seq, snapshot, '{}' FROM sessions WHERE id = ?");
        for (int i = 1; i <= n; ++i) {
            q.addBindValue(QString("v%1").arg(i));
            q.addBindValue(i == 1 ? QString("") : QString("v%1").arg(i - 1));
            q.addBindValue(1.7e12 + i);
            q.addBindValue(f.sessionId);
            if (!q.exec()) {
                std::fprintf(stderr, "bench_versions: %s\n", qPrintable(q.lastError().text()));
                return 1;
            }
        }
        db.commit();
    }
    auto mix = f.connect("mix"), artist = f.connect("artist"), label = f.connect("client");
    if (!mix || !artist || !label) {
        std::fprintf(stderr, "bench_versions: cannot connect\n");
        return 1;
    }
    auto timed = [&](const std::function<QJsonObject()>& request) {
        std::vector<double> ms;
        for (int r = 0; r < runs; ++r) {
            QElapsedTimer t;
            t.start();
            const QJsonObject answer = request();
            ms.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
            if (answer.isEmpty() || answer.value("type") == "error")
                std::fprintf(stderr, "bench_versions: a request failed: %s\n",
                             QJsonDocument(answer).toJson(QJsonDocument::Compact).constData());
        }
        std::sort(ms.begin(), ms.end());
        return std::pair(ms.front(), ms[ms.size() / 2]);
    };
    const auto list = timed([&] { return ask(*mix, Kind::ListVersions, {}); });
    int next = n / 2;
    const auto approve = timed([&] {
        const QString v = QString("v%1").arg(next++);
        ask(*artist, Kind::Approve, {{"version", v}, {"approved", true}});
        return ask(*label, Kind::Approve, {{"version", v}, {"approved", true}}); // the approval that completes the policy
    });
    std::printf("%d versions, %d runs each (round trip over loopback, best (median))\n", n, runs);
    std::printf("list_versions: %.1f ms (%.1f)\n", list.first, list.second);
    std::printf("approve (the completing approval, superseding the versions before it): %.1f ms (%.1f)\n", approve.first, approve.second);
    return 0;
}
