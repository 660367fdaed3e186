// SPDX-License-Identifier: MIT
// mixroomd: the Mixroom session server. Only argument dispatch lives here.
#include "protocol/Messages.h"
#include "server/DiskCollector.h"
#include "server/ParamsCommand.h"
#include "server/RenderCommand.h"
#include "server/ServeCommand.h"

#include <QCoreApplication>

#include <cstdio>

namespace {
const char* kUsage = "Usage: mixroomd <command> [options]\n"
                     "\n"
                     "Commands:\n"
                     "  serve [--listen HOST:PORT] [--data DIR] [--demo] [--allow-origin ORIGIN]... [--durable power|crash]\n"
                     "        [--upload-expiry HOURS] [--render-cache-gb GB] [--max-per-address N]\n"
                     "        [--preview-budget SHARE]\n"
                     "      Run the session server (HTTP and WebSocket on one port; default 127.0.0.1:7870).\n"
                     "      --demo creates the demo session and prints a token and join command per role.\n"
                     "  render SESSION.json --out FILE [--format wav16|wav24|wav32f|flac16|flac24] [--json]\n"
                     "                      [--store DIR] [--block FRAMES]\n"
                     "      Render a session file offline and print its loudness report.\n"
                     "  render --demo --out FILE [--demo-dir DIR] [...]\n"
                     "      Synthesise the built-in demo song and render its mix.\n"
                     "  gc [--data DIR] [--dry-run] [--grace-hours H] [--json]\n"
                     "      Remove stems and renders nothing refers to any more (deleted sessions, old caches).\n"
                     "  admin-token [--data DIR] [--reset]\n"
                     "      Print the admin token while it has not been used, or issue a new one (--reset).\n"
                     "  protocol-doc\n"
                     "      Print the message reference of protocol/PROTOCOL.md, generated from the message table.\n"
                     "  params [--json]\n"
                     "      Print every editable parameter: path, type, unit, range, default, scope.\n"
                     "\n"
                     "Options:\n"
                     "  -h, --help     Show this help (also: mixroomd render --help).\n"
                     "  -v, --version  Show the version.\n";
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("mixroomd");
    QCoreApplication::setApplicationVersion(MIXROOM_VERSION);
    QStringList args = app.arguments().mid(1);
    if (args.isEmpty()) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    const QString cmd = args.takeFirst();
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::printf("%s", kUsage);
        return 0;
    }
    if (cmd == "-v" || cmd == "--version") {
        std::printf("mixroomd %s\n", MIXROOM_VERSION);
        return 0;
    }
    if (cmd == "render") {
        if (args.contains("--help") || args.contains("-h")) {
            std::printf("%s", kUsage);
            return 0;
        }
        auto parsed = mixroom::server::parseRenderArgs(args);
        if (!parsed) {
            std::fprintf(stderr, "mixroomd render: %s\nTry 'mixroomd --help'.\n", parsed.error().message.c_str());
            return 2;
        }
        return mixroom::server::runRender(parsed.value());
    }
    if (cmd == "serve") {
        if (args.contains("--help") || args.contains("-h")) {
            std::printf("%s", kUsage);
            return 0;
        }
        return mixroom::server::runServe(args);
    }
    if (cmd == "gc") return mixroom::server::runGc(args);
    if (cmd == "admin-token") return mixroom::server::runAdminToken(args);
    if (cmd == "protocol-doc") {
        std::printf("%s", mixroom::protocol::messageReferenceMarkdown().toUtf8().constData());
        return 0;
    }
    if (cmd == "params") {
        if (args.size() > 1 || (args.size() == 1 && args.first() != "--json")) {
            std::fprintf(stderr, "mixroomd params: unexpected argument '%s' (only --json)\n", qPrintable(args.first()));
            return 2;
        }
        const QString text = args.isEmpty() ? mixroom::server::paramsMarkdown() : mixroom::server::paramsJson();
        std::printf("%s", text.toUtf8().constData());
        return 0;
    }
    std::fprintf(stderr, "mixroomd: unknown command '%s'\n%s", qPrintable(cmd), kUsage);
    return 2;
}
