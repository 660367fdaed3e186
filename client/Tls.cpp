// SPDX-License-Identifier: MIT
#include "client/Tls.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>

namespace mixroom::client {

bool trustCaFile(const QString& file, QString* error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QString("--ca %1: %2").arg(file, f.errorString());
        return false;
    }
    const QList<QSslCertificate> certs = QSslCertificate::fromData(f.readAll(), QSsl::Pem);
    if (certs.isEmpty()) {
        *error = QString("--ca %1: no PEM certificate in it").arg(file);
        return false;
    }
    if (!QSslSocket::supportsSsl()) {
        *error = "this Qt has no TLS backend (install OpenSSL 3: libssl3)";
        return false;
    }
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.addCaCertificates(certs);
    QSslConfiguration::setDefaultConfiguration(c);
    return true;
}

} // namespace mixroom::client
