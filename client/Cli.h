// SPDX-License-Identifier: MIT
#pragma once
// The `mixroom` command line: every command, on the client core. main.cpp only calls runCli().
// Exit codes: 0 success, 1 refused by the server or bad input, 2 usage, 3 cannot connect.
// Thread: main thread (runs its own event loops).
#include <QStringList>

namespace mixroom::client {

int runCli(const QStringList& args);

} // namespace mixroom::client
