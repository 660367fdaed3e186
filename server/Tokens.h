// SPDX-License-Identifier: MIT
#pragma once
// Tokens: 32 random bytes from the system CSPRNG, base64url; stored only as their SHA-256.
#include <QByteArray>
#include <QString>

namespace mixroom::server {

QString newToken();
QByteArray tokenHash(const QString& token); // hex SHA-256
QString newId(const QString& prefix);       // short random ids for sessions and members

// A secret kept in the data folder (the admin token until its first use, the demo's tokens):
// written whole (temporary file and rename) with mode 0600. False and `error` on failure.
bool writeSecretFile(const QString& path, const QByteArray& content, QString* error);
// The admin token kept until the admin first logs in: DATA/admin-token.
QString pendingAdminTokenPath(const QString& dataDir);

} // namespace mixroom::server
