// SPDX-License-Identifier: MIT
#pragma once
// Client side of TLS: certificates are verified (Qt's default, against the system's CAs); a
// private CA's certificate can be added for the whole process (WebSocket, uploads and pulls).
#include <QString>

namespace mixroom::client {

// Adds the PEM certificate(s) in `file` to the CAs every TLS connection of this process trusts.
// False with `error` naming the file when it cannot be read or holds no certificate.
bool trustCaFile(const QString& file, QString* error);

} // namespace mixroom::client
