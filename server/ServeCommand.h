// SPDX-License-Identifier: MIT
#pragma once
// `mixroomd serve [--listen HOST:PORT] [--data DIR] [--demo]`: opens the store, creates and prints
// the admin token on first start, sets up the demo session with --demo (printing a fresh invite
// token per role and the commands to join), serves until SIGINT/SIGTERM, then shuts down cleanly.
// Thread: the main thread.
#include <QStringList>

namespace mixroom::server {

int runServe(const QStringList& args);
// `mixroomd admin-token [--data DIR] [--reset]`: prints the admin token while it is unused, or issues a new one.
int runAdminToken(const QStringList& args);

} // namespace mixroom::server
