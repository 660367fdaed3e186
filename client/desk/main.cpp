// SPDX-License-Identifier: MIT
// mixroom-desk: the desktop mixer. Only argument handling lives here.
#include "client/desk/DeskWindow.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("mixroom-desk");
    QCommandLineParser p;
    p.setApplicationDescription("Mixroom Desk: the desktop mixer for a mixroomd session.");
    p.addHelpOption();
    QCommandLineOption server("server", "Server URL (default: the last one).", "URL");
    QCommandLineOption token("token", "Member token (default: the last one).", "TOKEN");
    p.addOptions({server, token});
    p.process(app);
    mixroom::desk::DeskWindow w;
    w.show();
    if (p.isSet(server) || p.isSet(token)) w.connectTo(p.value(server), p.value(token));
    return QApplication::exec();
}
