// SPDX-License-Identifier: MIT
#include "server/ServeCommand.h"

#include "server/DemoSetup.h"
#include "server/Server.h"
#include "server/TlsConfig.h"
#include "server/Tokens.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sys/socket.h>
#include <unistd.h>

namespace mixroom::server {

namespace {
int g_signalFd[2] = {-1, -1};
void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalFd[0], &c, 1); // async-signal-safe hand-off to the event loop
}
} // namespace

// Qt's network classes print a warning per refused or reset socket ("QIODevice::read: device not
// open"); a stranger opening thousands of sockets must not flood the log. The same text is printed
// at most once per 10 s, with how many times it was held back. Any thread.
static void throttledLog(QtMsgType type, const QMessageLogContext&, const QString& text)
{
    static std::mutex lock;
    static QHash<QString, std::pair<qint64, int>> seen; // text -> (last printed, held back since)
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QString line = text;
    {
        std::lock_guard guard(lock);
        auto& [last, held] = seen[text];
        if (type != QtFatalMsg && now - last < 10'000) {
            ++held;
            return;
        }
        if (held > 0) line += QString(" (and %1 more like it)").arg(held);
        last = now;
        held = 0;
        if (seen.size() > 1000) seen.clear(); // bounded
    }
    std::fprintf(stderr, "%s\n", qPrintable(line));
    if (type == QtFatalMsg) std::abort();
}

int runAdminToken(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription("Print or replace the admin token of a data folder (run on the server host).");
    const QCommandLineOption data("data", "Data folder (default: as mixroomd serve).", "DIR",
                                  QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/mixroom");
    const QCommandLineOption reset("reset", "Issue a new admin token; the old one stops working.");
    p.addOptions({data, reset});
    p.addHelpOption();
    if (!p.parse(QStringList{"mixroomd admin-token"} + args)) {
        std::fprintf(stderr, "mixroomd admin-token: %s\n", qPrintable(p.errorText()));
        return 2;
    }
    if (p.isSet("help")) {
        std::printf("%s", qPrintable(p.helpText()));
        return 0;
    }
    const QString dir = p.value(data);
    if (!QFile::exists(dir + "/mixroom.sqlite")) {
        std::fprintf(stderr, "mixroomd admin-token: %s has no mixroom database (give --data DIR)\n", qPrintable(dir));
        return 1;
    }
    QString error;
    auto store = Store::open(dir, &error, Store::Durability::Power);
    if (!store) {
        std::fprintf(stderr, "mixroomd admin-token: %s\n", qPrintable(error));
        return 1;
    }
    const QString pending = pendingAdminTokenPath(dir);
    if (!p.isSet(reset)) {
        QFile f(pending);
        const QString token = f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).trimmed() : QString();
        if (token.isEmpty() || tokenHash(token) != store->adminTokenHash()) {
            std::fprintf(stderr, "mixroomd admin-token: the admin token was used and only its hash is kept; "
                                 "issue a new one with mixroomd admin-token --reset\n");
            return 1;
        }
        std::printf("%s\n", qPrintable(token));
        return 0;
    }
    const QString token = newToken();
    if (!writeSecretFile(pending, token.toUtf8(), &error) || !store->setAdminTokenHash(tokenHash(token))) {
        std::fprintf(stderr, "mixroomd admin-token: %s\n", qPrintable(error.isEmpty() ? store->lastError() : error));
        return 1;
    }
    std::printf("New admin token (the old one no longer works; a running server takes it at the next login):\n  %s\n", qPrintable(token));
    return 0;
}

int runServe(const QStringList& args)
{
    qInstallMessageHandler(throttledLog);
    QCommandLineParser p;
    QCommandLineOption listen("listen", "Address and port (default 127.0.0.1:7870).", "HOST:PORT", "127.0.0.1:7870");
    QCommandLineOption data("data", "Data folder: database and stems (default ~/.local/share/mixroom).", "DIR");
    QCommandLineOption demo("demo", "Create the demo session if absent and print a token per role.");
    QCommandLineOption origin("allow-origin", "Allow WebSockets from this browser origin (repeatable).", "ORIGIN");
    QCommandLineOption expiry("upload-expiry", "Remove unfinished uploads idle this long (hours, default 24).", "HOURS", "24");
    QCommandLineOption durable("durable",
                               "When an acknowledged edit is safe: 'power' (default; each commit is synced to the disk and "
                               "survives a power cut) or 'crash' (survives mixroomd crashing or being killed; commits do not wait "
                               "for the disk, so acks stay fast while the disk is busy, but the last moments before a power cut "
                               "may be lost).",
                               "power|crash", "power");
    QCommandLineOption keepFree("keep-free-gb",
                                "Refuse uploads (507) that would leave less than this free on the data disk, counting what "
                                "unfinished uploads still have to write (GB, default 1).",
                                "GB", "1");
    QCommandLineOption cacheGb("render-cache-gb", "Keep at most this much of full-resolution renders (GB, default 20).", "GB", "20");
    QCommandLineOption perAddress("max-per-address",
                                  "Connections one address may hold (default 64; raise it behind a proxy or NAT that many "
                                  "people share, or for load tests from one machine).",
                                  "N", "64");
    QCommandLineOption budget("preview-budget",
                              "Share of the render threads' time own-mode previews may use before new ones are refused "
                              "(0.05-1, default 0.35).",
                              "SHARE", "0.35");
    QCommandLineOption tlsCert("tls-cert", "Serve HTTPS and WSS with this certificate (PEM; the chain may follow it).", "FILE");
    QCommandLineOption tlsKey("tls-key", "The certificate's private key (PEM, RSA or EC, not encrypted).", "FILE");
    p.addOptions({listen, data, demo, origin, expiry, durable, keepFree, cacheGb, perAddress, budget, tlsCert, tlsKey});
    if (!p.parse(QStringList{"mixroomd serve"} + args) || !p.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "mixroomd serve: %s\n", p.positionalArguments().isEmpty() ? qPrintable(p.errorText()) : "unexpected argument");
        return 2;
    }
    const QString hostPort = p.value(listen);
    const int colon = hostPort.lastIndexOf(':');
    bool portOk = false;
    const int port = hostPort.mid(colon + 1).toInt(&portOk);
    const QHostAddress host(hostPort.left(colon));
    if (colon < 0 || !portOk || port < 0 || port > 65535 || host.isNull()) {
        std::fprintf(stderr, "mixroomd serve: --listen must be HOST:PORT with a numeric address, e.g. 127.0.0.1:7870\n");
        return 2;
    }
    std::optional<QSslConfiguration> tls;
    if (p.isSet(tlsCert) != p.isSet(tlsKey)) {
        std::fprintf(stderr, "mixroomd serve: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (p.isSet(tlsCert)) {
        QString why;
        tls = loadTls(p.value(tlsCert), p.value(tlsKey), &why);
        if (!tls) {
            std::fprintf(stderr, "mixroomd serve: %s\n", qPrintable(why));
            return 2;
        }
    } else if (!host.isLoopback()) {
        std::fprintf(stderr,
                     "mixroomd: warning: listening on %s without TLS: tokens and audio cross the network in the clear, and "
                     "browsers give the review page's audio decoder (WebCodecs) only to secure contexts, so the page "
                     "will not play off this machine. Use --tls-cert FILE --tls-key FILE.\n",
                     qPrintable(host.toString()));
    }
    QString dir = p.value(data);
    if (dir.isEmpty()) dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/mixroom";

    QString error;
    if (p.value(durable) != "power" && p.value(durable) != "crash") {
        std::fprintf(stderr, "mixroomd serve: --durable %s: give power or crash\n", qPrintable(p.value(durable)));
        return 2;
    }
    ServerLimits limits;
    limits.allowedOrigins = p.values(origin);
    bool expiryOk = false;
    const double hours = p.value(expiry).toDouble(&expiryOk);
    if (!expiryOk || hours <= 0 || hours > 24 * 365) {
        std::fprintf(stderr, "mixroomd serve: --upload-expiry %s: give hours, more than 0 and at most a year\n",
                     qPrintable(p.value(expiry)));
        return 2;
    }
    limits.uploadExpiryMs = static_cast<qint64>(hours * 3600 * 1000);
    bool cacheOk = false;
    const double gb = p.value(cacheGb).toDouble(&cacheOk);
    if (!cacheOk || gb < 0.1 || gb > 1e6) {
        std::fprintf(stderr, "mixroomd serve: --render-cache-gb %s: give a size in GB, at least 0.1\n", qPrintable(p.value(cacheGb)));
        return 2;
    }
    limits.renderCacheBytes = static_cast<qint64>(gb * 1e9);
    bool keepOk = false;
    const double keepGb = p.value(keepFree).toDouble(&keepOk);
    if (!keepOk || keepGb < 0 || keepGb > 1e6) {
        std::fprintf(stderr, "mixroomd serve: --keep-free-gb %s: give a size in GB, 0 or more\n", qPrintable(p.value(keepFree)));
        return 2;
    }
    limits.keepFreeBytes = static_cast<qint64>(keepGb * 1e9);
    bool perOk = false;
    const int per = p.value(perAddress).toInt(&perOk);
    if (!perOk || per < 1 || per > 100000) {
        std::fprintf(stderr, "mixroomd serve: --max-per-address %s: give a count from 1 to 100000\n", qPrintable(p.value(perAddress)));
        return 2;
    }
    limits.http.maxConnectionsPerAddress = per;
    bool budgetOk = false;
    const double share = p.value(budget).toDouble(&budgetOk);
    if (!budgetOk || share < 0.05 || share > 1) {
        std::fprintf(stderr, "mixroomd serve: --preview-budget %s: give a share from 0.05 to 1\n", qPrintable(p.value(budget)));
        return 2;
    }
    limits.previewBudget = share;
    limits.maxUnauthenticatedPerAddress = std::max(limits.maxUnauthenticatedPerAddress, std::min(per, limits.maxUnauthenticated));
    // Only now, with every option valid, is the data folder touched (a mistyped option must not
    // create a database or print an admin token).
    auto store = Store::open(dir, &error, p.value(durable) == "power" ? Store::Durability::Power : Store::Durability::Crash);
    if (!store) {
        std::fprintf(stderr, "mixroomd: %s\n", qPrintable(error));
        return 1;
    }
    // The admin token cannot be lost: it stays in DATA/admin-token (0600) and is printed at every
    // start until the admin first logs in; after that only its hash remains.
    const QString pending = pendingAdminTokenPath(dir);
    if (store->adminTokenHash().isEmpty()) {
        const QString token = newToken();
        if (!writeSecretFile(pending, token.toUtf8(), &error) || !store->setAdminTokenHash(tokenHash(token))) {
            std::fprintf(stderr, "mixroomd: cannot store the admin token: %s\n", qPrintable(error.isEmpty() ? store->lastError() : error));
            return 1;
        }
    }
    if (QFile f(pending); f.open(QIODevice::ReadOnly)) {
        const QString token = QString::fromUtf8(f.readAll()).trimmed();
        if (tokenHash(token) == store->adminTokenHash())
            std::printf("Admin token (printed at every start until its first use; kept in %s, mode 0600):\n  %s\n\n", qPrintable(pending),
                        qPrintable(token));
        else
            QFile::remove(pending); // a reset or an older token: not the admin's any more
    }
    Server server(*store, dir, limits);
    const quint16 bound = server.listen(host, static_cast<quint16>(port), tls);
    if (bound == 0) {
        std::fprintf(stderr, "mixroomd: cannot listen on %s (in use or not allowed)\n", qPrintable(hostPort));
        return 1;
    }
    const QString hostText = host.protocol() == QAbstractSocket::IPv6Protocol ? "[" + host.toString() + "]" : host.toString();
    const QString url = QString("%1://%2:%3").arg(tls ? "wss" : "ws", hostText).arg(bound);
    const QString web = QString("%1://%2:%3").arg(tls ? "https" : "http", hostText).arg(bound);
    if (p.isSet(demo)) {
        const auto invites = ensureDemo(*store, server.stems(), dir, &error);
        if (invites.isEmpty()) {
            std::fprintf(stderr, "mixroomd: demo: %s\n", qPrintable(error));
            return 1;
        }
        std::printf("Demo session \"Demo song\" (id demo). Join it as any role:\n");
        for (const DemoInvite& i : invites)
            if (i.token.isEmpty())
                std::printf("  %-10s (revoked by the session's owner)\n", qPrintable(i.role));
            else
                std::printf("  %-10s mixroom login %s --token %s && mixroom state\n", qPrintable(i.role), qPrintable(url),
                            qPrintable(i.token));
        for (const DemoInvite& i : invites)
            if (i.role == "client" && !i.token.isEmpty())
                std::printf("Review it in a browser as the client:\n  %s/r#t=%s\n", qPrintable(web), qPrintable(i.token));
        std::printf("Try: mixroom set tracks/bass/fader -3   (as mix or artist)   and   mixroom watch   (in another terminal)\n\n");
    }
    std::printf("mixroomd listening on %s (review page: %s/ ; HTTP: %s/health, /metrics); data in %s\n", qPrintable(url), qPrintable(web),
                qPrintable(web), qPrintable(dir));
    std::fflush(stdout);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0) {
        std::fprintf(stderr, "mixroomd: cannot set up signal handling\n");
        return 1;
    }
    QSocketNotifier notifier(g_signalFd[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        char c;
        [[maybe_unused]] auto n = ::read(g_signalFd[1], &c, 1);
        notifier.setEnabled(false);
        std::printf("mixroomd: shutting down\n");
        std::fflush(stdout);
        server.shutdown();
        // Give the close handshakes a moment on the event loop, then leave.
        QTimer::singleShot(500, qApp, &QCoreApplication::quit);
    });
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    return QCoreApplication::exec();
}

} // namespace mixroom::server
