// SPDX-License-Identifier: MIT
#pragma once
// The server side of TLS: a certificate (with its chain) and private key from PEM files.
#include <QSslConfiguration>
#include <QString>

#include <optional>

namespace mixroom::server {

// TLS 1.2 or later, no client certificates. Nothing on failure, with `error` naming the file and
// what is wrong with it (missing, not PEM, an encrypted key). A key that does not belong to the
// certificate shows at the first handshake, which fails.
std::optional<QSslConfiguration> loadTls(const QString& certFile, const QString& keyFile, QString* error);

} // namespace mixroom::server
