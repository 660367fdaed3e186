// SPDX-License-Identifier: MIT
#pragma once
// Tokens: 32 random bytes from the system CSPRNG, base64url; stored only as their SHA-256.
#include <QByteArray>
#include <QString>

namespace mixroom::server {

QString newToken();
QByteArray tokenHash(const QString& token); // hex SHA-256
QString newId(const QString& prefix);       // short random ids for sessions and members

} // namespace mixroom::server
