// SPDX-License-Identifier: MIT
// mixroom-desk: the desktop mixer. Only argument handling lives here.
#include "client/ClientConfig.h"
#include "client/Tls.h"
#include "client/desk/DeskWindow.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <cstring>

namespace {
const char* kHelp = "Usage: mixroom-desk [--server URL] [--token TOKEN] [--ca FILE]\n"
                    "Mixroom Desk: the desktop mixer and review view for a mixroomd session.\n"
                    "\n"
                    "Options:\n"
                    "  --server URL     server address, ws://HOST:PORT or wss://HOST:PORT (default: the last one)\n"
                    "  --token TOKEN    member token (default: the last one)\n"
                    "  --ca FILE        trust this CA certificate (PEM) for wss:// (default: the one mixroom login\n"
                    "                   remembered, else the system's)\n"
                    "  -h, --help       this text\n"
                    "  -V, --version    the desk's version\n"
                    "\n"
                    "Keys: Ctrl+Z undoes your last edit, Ctrl+Shift+Z redoes it; F2 switches between the mixer and the\n"
                    "review view. Window size and panel layout are remembered.\n";
} // namespace

int main(int argc, char** argv)
{
    // Help and version need no display: answered before the GUI starts.
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
            std::printf("%s", kHelp);
            return 0;
        }
        if (!std::strcmp(argv[i], "-V") || !std::strcmp(argv[i], "--version")) {
            std::printf("mixroom-desk %s\n", MIXROOM_VERSION);
            return 0;
        }
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName("mixroom-desk");
    QCommandLineParser p;
    QCommandLineOption server("server", "Server URL (default: the last one).", "URL");
    QCommandLineOption token("token", "Member token (default: the last one).", "TOKEN");
    QCommandLineOption ca("ca", "CA certificate (PEM) to trust for wss://.", "FILE");
    p.addOptions({server, token, ca});
    if (!p.parse(QApplication::arguments())) {
        std::fprintf(stderr, "mixroom-desk: %s (mixroom-desk --help)\n", qPrintable(p.errorText()));
        return 2;
    }
    if (!p.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "mixroom-desk: unexpected argument '%s' (mixroom-desk --help)\n", qPrintable(p.positionalArguments().first()));
        return 2;
    }
    // A private CA: given, or the one `mixroom login --ca` remembered.
    QString caFile = p.value(ca);
    if (caFile.isEmpty()) {
        mixroom::client::ClientConfig config;
        QString ignored;
        if (config.load(&ignored)) caFile = config.caFile();
    }
    if (QString error; !caFile.isEmpty() && !mixroom::client::trustCaFile(caFile, &error)) {
        std::fprintf(stderr, "mixroom-desk: %s\n", qPrintable(error));
        return 2;
    }
    mixroom::desk::DeskWindow w;
    w.show();
    if (p.isSet(server) || p.isSet(token)) w.connectTo(p.value(server), p.value(token));
    return QApplication::exec();
}
