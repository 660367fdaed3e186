// SPDX-License-Identifier: MIT
#pragma once
// A client's connection to mixroomd: hello with the token, client id and last seen sequence
// number; requests numbered with clientSeq and kept until acknowledged or refused; automatic
// reconnect with exponential backoff, after which unacknowledged requests are sent again (the
// server answers a resend with the original result). Keeps a SessionMirror current.
// Thread: the thread it lives in (Qt event loop).
#include "client/SessionMirror.h"
#include "protocol/Messages.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <functional>

namespace mixroom::client {

class Connection : public QObject {
    Q_OBJECT
  public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting, Failed };
    Connection(QUrl url, QString token, QString clientId, QObject* parent = nullptr);
    ~Connection() override;

    void open();
    void close();
    void setAutoReconnect(bool on) { m_autoReconnect = on; }
    // A one-off command: the server leaves the connection out of presence (hello feature "quiet").
    void setQuiet(bool on) { m_quiet = on; }
    // Why the server closed the socket, when it said (a refusal before the welcome: "banned: ...").
    QString closeReason() const { return m_socket.closeReason(); }
    // Why the server's certificate was refused (wss://), empty when it was not.
    QString tlsError() const { return m_tlsError; }
    State state() const { return m_state; }
    bool isAdmin() const { return m_admin; }
    const QJsonObject& welcome() const { return m_welcome; }
    QUrl url() const { return m_url; }
    QString token() const { return m_token; }
    SessionMirror& mirror() { return m_mirror; }
    int pendingCount() const { return m_pending.size(); }

    // Sends a request; returns its clientSeq. Requests without clientSeq in the table (touch,
    // ping) are sent as they are and not tracked.
    qint64 request(protocol::Kind kind, QJsonObject fields);
    // Called with every request before it is sent (the desk's undo history listens here).
    void setRequestObserver(std::function<void(protocol::Kind, const QJsonObject&)> observer) { m_observer = std::move(observer); }
    // For tests: drop the socket without a close handshake, as a network failure would.
    void simulateDrop();

  signals:
    void welcomed(const QJsonObject& welcome);
    void edit(const QJsonObject& edit);
    void presence(const QJsonObject& presence); // {members: [...]}: everyone connected now
    void acked(qint64 clientSeq, qint64 seq);
    void reply(qint64 clientSeq, const QJsonObject& message); // list/invite/... answers
    void refused(qint64 clientSeq, const QJsonObject& error); // error messages (clientSeq -1 if none)
    void failed(const QString& code, const QString& message); // cannot (re)connect: bad token, version
    void stateChanged(mixroom::client::Connection::State state);
    void audioFrame(const QByteArray& frame); // binary frames: the preview stream

  private:
    QString m_tlsError;
    void onText(const QString& text);
    void onConnected();
    void onDisconnected();
    void setState(State s);
    static bool tracked(protocol::Kind kind);

    QUrl m_url;
    QString m_token, m_clientId;
    QWebSocket m_socket;
    QTimer m_retry;
    int m_backoffMs = 250;
    bool m_autoReconnect = true;
    bool m_quiet = false;
    std::function<void(protocol::Kind, const QJsonObject&)> m_observer;
    bool m_closing = false;
    bool m_admin = false;
    State m_state = State::Disconnected;
    QJsonObject m_welcome;
    // Who is here: welcome.presence, then the server's deltas applied.
    void applyPresence(const QJsonArray& changed, const QJsonArray& left);
    QHash<QString, QJsonObject> m_presence;
    QStringList m_presenceOrder;
    SessionMirror m_mirror;
    QMap<qint64, QByteArray> m_pending; // clientSeq -> encoded request, until ack or error
    qint64 m_nextSeq;
};

} // namespace mixroom::client
