// SPDX-License-Identifier: MIT
#pragma once
// The CLI's remembered server, tokens and current session, in
// $XDG_CONFIG_HOME/mixroom/config.json (or $MIXROOM_CONFIG), written with mode 0600 through a
// temporary file and rename.
// Thread: main thread.
#include <QJsonObject>
#include <QString>

namespace mixroom::client {

class ClientConfig {
  public:
    static QString defaultPath();
    explicit ClientConfig(QString path = defaultPath());
    bool load(QString* error);
    bool save(QString* error) const;

    QString path() const { return m_path; }
    QString server() const { return m_data.value("server").toString(); }
    void setServer(const QString& url) { m_data["server"] = url; }
    // A private CA's certificate (PEM) trusted for wss:// and https:// to the server; empty: the system's.
    QString caFile() const { return m_data.value("caFile").toString(); }
    void setCaFile(const QString& path)
    {
        if (path.isEmpty())
            m_data.remove("caFile");
        else
            m_data["caFile"] = path;
    }
    QString clientId(); // created on first use
    QString adminToken() const { return m_data.value("adminToken").toString(); }
    void setAdminToken(const QString& t) { m_data["adminToken"] = t; }
    QString current() const { return m_data.value("current").toString(); }
    void setCurrent(const QString& session) { m_data["current"] = session; }
    // Member tokens by session id, with the session's name and the member's role.
    void setSessionToken(const QString& session, const QString& name, const QString& role, const QString& token);
    QString sessionToken(const QString& session) const;
    QJsonObject sessions() const { return m_data.value("sessions").toObject(); }
    // Unfinished uploads by file identity (path, size, mtime), to resume.
    QString uploadFor(const QString& key) const { return m_data.value("uploads").toObject().value(key).toString(); }
    void setUploadFor(const QString& key, const QString& id)
    {
        QJsonObject u = m_data.value("uploads").toObject();
        if (id.isEmpty())
            u.remove(key);
        else
            u[key] = id;
        m_data["uploads"] = u;
    }

  private:
    QString m_path;
    QJsonObject m_data;
};

} // namespace mixroom::client
