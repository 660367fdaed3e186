// SPDX-License-Identifier: MIT
#include "server/TlsConfig.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace mixroom::server {

std::optional<QSslConfiguration> loadTls(const QString& certFile, const QString& keyFile, QString* error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = "this Qt has no TLS backend (install OpenSSL 3: libssl3)";
        return std::nullopt;
    }
    QFile cf(certFile);
    if (!cf.open(QIODevice::ReadOnly)) {
        *error = QString("--tls-cert %1: %2").arg(certFile, cf.errorString());
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(cf.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QString("--tls-cert %1: no PEM certificate in it").arg(certFile);
        return std::nullopt;
    }
    QFile kf(keyFile);
    if (!kf.open(QIODevice::ReadOnly)) {
        *error = QString("--tls-key %1: %2").arg(keyFile, kf.errorString());
        return std::nullopt;
    }
    const QByteArray pem = kf.readAll();
    if (pem.contains("ENCRYPTED")) {
        *error = QString("--tls-key %1: the key is encrypted; give it without a passphrase (openssl pkey -in KEY -out PLAIN)").arg(keyFile);
        return std::nullopt;
    }
    QSslKey key;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa})
        if (key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey); !key.isNull()) break;
    if (key.isNull()) {
        *error = QString("--tls-key %1: no PEM private key (RSA or EC) in it").arg(keyFile);
        return std::nullopt;
    }
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificateChain(chain);
    c.setPrivateKey(key);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    c.setProtocol(QSsl::TlsV1_2OrLater);
    return c;
}

} // namespace mixroom::server
