// SPDX-License-Identifier: MIT
#include "server/DemoSetup.h"

#include "engine/demo/DemoSong.h"
#include "protocol/SessionCodec.h"
#include "server/Tokens.h"

#include <QSet>

namespace mixroom::server {

QList<DemoInvite> ensureDemo(Store& store, engine::StemStore& stems, const QString& dataDir, QString* error)
{
    const QString id = "demo";
    if (!store.session(id)) {
        auto song = engine::writeDemoSong((dataDir + "/demo").toStdString());
        if (!song) {
            *error = QString::fromStdString(song.error().message);
            return {};
        }
        engine::Session s = song.value();
        for (engine::Track& t : s.tracks) {
            auto info = stems.import((dataDir + "/demo/").toStdString() + t.stem, s.sampleRate);
            if (!info) {
                *error = QString::fromStdString(info.error().message);
                return {};
            }
            t.stem = info->hash; // the server names stems by content hash
        }
        const MemberRow owner{"demo-mix", id, "Mix engineer", "mix", tokenHash(newToken()), false};
        if (!store.createSession(SessionRow{id, "Demo song", 0, 0, protocol::encodeSession(s)}, owner)) {
            *error = "cannot store the demo session: " + store.lastError();
            return {};
        }
        const QList<QPair<QString, QString>> others = {{"artist", "Artist"}, {"mastering", "Mastering engineer"}, {"client", "Label"}};
        for (const auto& [role, name] : others)
            store.addMember(MemberRow{"demo-" + role, id, name, role, tokenHash(newToken()), false});
    }
    QList<DemoInvite> invites;
    QSet<QString> revoked;
    for (const MemberRow& m : store.members(id))
        if (m.revoked) revoked.insert(m.id);
    for (const QString role : {"mix", "artist", "mastering", "client"}) {
        if (revoked.contains("demo-" + role)) { // the owner revoked this member: it stays revoked
            invites.append(DemoInvite{role, "demo-" + role, QString()});
            continue;
        }
        const QString token = newToken();
        if (!store.setMemberToken("demo-" + role, tokenHash(token))) {
            *error = "cannot issue the demo token for " + role;
            return {};
        }
        invites.append(DemoInvite{role, "demo-" + role, token});
    }
    return invites;
}

} // namespace mixroom::server
