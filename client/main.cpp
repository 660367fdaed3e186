// SPDX-License-Identifier: MIT
// mixroom: the command-line client. Only dispatch lives here.
#include "client/Cli.h"

#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("mixroom");
    return mixroom::client::runCli(app.arguments().mid(1));
}
