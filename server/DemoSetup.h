// SPDX-License-Identifier: MIT
#pragma once
// The built-in demo session in a server's store: the demo song's stems imported by content hash,
// the session "demo" with its mix, and one member per role. Tokens are kept in DATA/demo-tokens.json (0600) and survive restarts.
// Thread: the store's thread.
#include "engine/stems/StemStore.h"
#include "server/Store.h"

#include <QList>
#include <QString>

namespace mixroom::server {

struct DemoInvite {
    QString role, memberId, token; // no token: the member was revoked and stays so
};

// Returns the invites (one per role) or an error sentence in `error`.
QList<DemoInvite> ensureDemo(Store& store, engine::StemStore& stems, const QString& dataDir, QString* error);

} // namespace mixroom::server
