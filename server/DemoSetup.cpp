// SPDX-License-Identifier: MIT
#include "server/DemoSetup.h"

#include "engine/demo/DemoSong.h"
#include "protocol/SessionCodec.h"
#include "server/Tokens.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

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
    // The demo's tokens survive restarts: kept in DATA/demo-tokens.json (0600) and reused while
    // they still match the members' stored hashes; a fresh one only where none matches.
    const QString keptPath = dataDir + "/demo-tokens.json";
    QJsonObject kept;
    if (QFile f(keptPath); f.open(QIODevice::ReadOnly)) kept = QJsonDocument::fromJson(f.readAll()).object();
    QHash<QString, MemberRow> members;
    for (const MemberRow& m : store.members(id))
        members.insert(m.id, m);
    QList<DemoInvite> invites;
    bool changed = false;
    for (const QString role : {"mix", "artist", "mastering", "client"}) {
        const MemberRow m = members.value("demo-" + role);
        if (m.revoked) { // the owner revoked this member: it stays revoked
            invites.append(DemoInvite{role, "demo-" + role, QString()});
            continue;
        }
        QString token = kept.value(role).toString();
        if (token.isEmpty() || tokenHash(token) != m.tokenHash) {
            token = newToken();
            if (!store.setMemberToken("demo-" + role, tokenHash(token))) {
                *error = "cannot issue the demo token for " + role;
                return {};
            }
            kept.insert(role, token);
            changed = true;
        }
        invites.append(DemoInvite{role, "demo-" + role, token});
    }
    if (changed && !writeSecretFile(keptPath, QJsonDocument(kept).toJson(), error)) return {};
    return invites;
}

} // namespace mixroom::server
