// SPDX-License-Identifier: MIT
#include "client/ClientConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUuid>

namespace mixroom::client {

QString ClientConfig::defaultPath()
{
    const QString env = qEnvironmentVariable("MIXROOM_CONFIG");
    if (!env.isEmpty()) return env;
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + "/mixroom/config.json";
}

ClientConfig::ClientConfig(QString path) : m_path(std::move(path)) {}

bool ClientConfig::load(QString* error)
{
    QFile f(m_path);
    if (!f.exists()) return true;
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QString("cannot read %1: %2").arg(m_path, f.errorString());
        return false;
    }
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QString("%1 is not valid JSON (%2); fix or delete it").arg(m_path, pe.errorString());
        return false;
    }
    m_data = doc.object();
    return true;
}

bool ClientConfig::save(QString* error) const
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QString("cannot write %1: %2").arg(m_path, f.errorString());
        return false;
    }
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner); // tokens inside: 0600
    f.write(QJsonDocument(m_data).toJson(QJsonDocument::Indented));
    if (!f.commit()) {
        *error = QString("cannot write %1: %2").arg(m_path, f.errorString());
        return false;
    }
    QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

QString ClientConfig::clientId()
{
    if (!m_data.contains("clientId")) m_data["clientId"] = "cli-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    return m_data.value("clientId").toString();
}

void ClientConfig::setSessionToken(const QString& session, const QString& name, const QString& role, const QString& token)
{
    QJsonObject s = m_data.value("sessions").toObject();
    s[session] = QJsonObject{{"name", name}, {"role", role}, {"token", token}};
    m_data["sessions"] = s;
}

QString ClientConfig::sessionToken(const QString& session) const
{
    return sessions().value(session).toObject().value("token").toString();
}

} // namespace mixroom::client
