// SPDX-License-Identifier: MIT
#include "server/Tokens.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QSaveFile>

namespace mixroom::server {

namespace {
QByteArray randomBytes(int n)
{
    QByteArray b(n, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32*>(b.data()), reinterpret_cast<quint32*>(b.data() + n));
    return b;
}
} // namespace

QString newToken()
{
    return QString::fromLatin1("mxr_" + randomBytes(32).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray tokenHash(const QString& token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex();
}

QString newId(const QString& prefix)
{
    return prefix + QString::fromLatin1(randomBytes(8).toHex()); // whole 32-bit words: generate() fills words
}

bool writeSecretFile(const QString& path, const QByteArray& content, QString* error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        f.write(content) != content.size() || !f.commit()) {
        *error = QString("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

QString pendingAdminTokenPath(const QString& dataDir)
{
    return dataDir + "/admin-token";
}

} // namespace mixroom::server
