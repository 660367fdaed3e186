// SPDX-License-Identifier: MIT
#pragma once
// Shared pieces of the mixroom command line: options, output (text or --json), errors with exit
// codes, and a connected session that waits for answers. Used by Cli.cpp and CliReview.cpp.
// Thread: main thread.
#include "client/Connection.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>
#include <QTimer>

#include <cstdio>

namespace mixroom::client::cli {

using protocol::Kind;

struct Options {
    QString server, token, session;
    bool json = false;
    QStringList rest;
    // Options of the review commands.
    QString to, version, message, author, outFile, format;
    bool open = false, resolved = false;
    // Options of the structure commands and upload.
    QString output, effect, bandType, level, id;
    bool replace = false, pre = false;
    // Options of the automation commands.
    QString curve, shape, from;
};

// --json: every command prints one envelope on stdout, {"ok":true,...} or
// {"ok":false,"error":{"code","message"}}; errors also go to stderr as text.
inline bool g_json = false;

inline void out(const Options& o, const QJsonObject& json, const QString& text)
{
    if (o.json) {
        QJsonObject envelope = json;
        envelope.insert("ok", true);
        std::printf("%s\n", QJsonDocument(envelope).toJson(QJsonDocument::Compact).constData());
    } else {
        std::printf("%s\n", qPrintable(text));
    }
}

inline int fail(const QString& code, const QString& message, int exitCode = 1)
{
    std::fprintf(stderr, "mixroom: %s: %s\n", qPrintable(code), qPrintable(message));
    if (g_json) {
        const QJsonObject envelope{{"ok", false}, {"error", QJsonObject{{"code", code}, {"message", message}}}};
        std::printf("%s\n", QJsonDocument(envelope).toJson(QJsonDocument::Compact).constData());
    }
    return exitCode;
}

// A command used the wrong way: "mixroom: usage: mixroom set PATH VALUE", exit 2.
inline int usage(const QString& synopsis)
{
    return fail("usage", "mixroom " + synopsis + "   (mixroom --help lists every command)", 2);
}

// A connected session for one command.
class Session {
  public:
    Session(const QString& url, const QString& token, const QString& clientId) : m_conn(QUrl(url), token, clientId)
    {
        m_conn.setAutoReconnect(false);
    }
    // Waits for welcome; returns an exit code (0 on success).
    int connect(int timeoutMs = 10000)
    {
        QEventLoop loop;
        int rc = 3;
        QString code = "unreachable", message = "no answer from the server";
        QObject::connect(&m_conn, &Connection::welcomed, &loop, [&] {
            rc = 0;
            loop.quit();
        });
        QObject::connect(&m_conn, &Connection::failed, &loop, [&](const QString& c, const QString& m) {
            code = c;
            message = m;
            rc = 1;
            loop.quit();
        });
        QObject::connect(&m_conn, &Connection::stateChanged, &loop, [&](Connection::State s) {
            if (s == Connection::State::Disconnected) {
                const QString reason = m_conn.closeReason();
                if (reason.startsWith("banned: ")) {
                    code = "banned";
                    message = reason.mid(8);
                    rc = 1;
                } else if (!reason.isEmpty()) {
                    code = "refused";
                    message = "the server refused the connection: " + reason;
                    rc = 1;
                } else if (!m_conn.tlsError().isEmpty()) {
                    code = "tls";
                    message =
                        QString("the server's certificate is not trusted: %1 (for a private CA, pass --ca CA.pem)").arg(m_conn.tlsError());
                } else {
                    message = QString("cannot connect to the server at %1 (check the address and that the server is up)")
                                  .arg(m_conn.url().toString());
                }
                loop.quit();
            }
        });
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        m_conn.open();
        loop.exec();
        if (rc != 0) return fail(code, message, rc);
        return 0;
    }
    // Sends a request and waits for its answer. Returns the answer (ack, reply or error).
    QJsonObject call(Kind kind, const QJsonObject& fields, int timeoutMs = 15000)
    {
        QEventLoop loop;
        QJsonObject answer{{"type", "error"}, {"code", "timeout"}, {"message", "no answer from the server"}};
        qint64 seq = -2;
        auto match = [&](qint64 s) { return s == seq; };
        QObject::connect(&m_conn, &Connection::acked, &loop, [&](qint64 s, qint64 applied) {
            if (match(s)) {
                answer = QJsonObject{{"type", "ack"}, {"seq", applied}};
                loop.quit();
            }
        });
        QObject::connect(&m_conn, &Connection::reply, &loop, [&](qint64 s, const QJsonObject& m) {
            if (match(s)) {
                answer = m;
                loop.quit();
            }
        });
        QObject::connect(&m_conn, &Connection::refused, &loop, [&](qint64 s, const QJsonObject& m) {
            if (match(s) || s < 0) {
                answer = m;
                loop.quit();
            }
        });
        QObject::connect(&m_conn, &Connection::stateChanged, &loop, [&](Connection::State s) {
            if (s != Connection::State::Connected) {
                answer = QJsonObject{{"type", "error"}, {"code", "disconnected"}, {"message", "the connection closed before an answer"}};
                loop.quit();
            }
        });
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        seq = m_conn.request(kind, fields);
        loop.exec();
        return answer;
    }
    Connection& conn() { return m_conn; }

  private:
    Connection m_conn;
};

inline bool isError(const QJsonObject& m)
{
    return m.value("type").toString() == "error";
}
inline int failWith(const QJsonObject& m)
{
    return fail(m.value("code").toString(), m.value("message").toString());
}

inline QString valueText(const QJsonValue& v)
{
    if (v.isBool()) return v.toBool() ? "true" : "false";
    if (v.isDouble()) return QString::number(v.toDouble(), 'g', 10);
    if (v.isNull()) return "-";
    return v.toString();
}

// "1:23.5", "83.5" (seconds) or "83500ms" -> milliseconds; -1 if unreadable.
inline double parsePosition(const QString& text)
{
    static const QRegularExpression ms("^(\\d+(?:\\.\\d+)?)ms$"), mmss("^(\\d+):(\\d{1,2}(?:\\.\\d+)?)$"), secs("^(\\d+(?:\\.\\d+)?)$");
    if (auto m = ms.match(text); m.hasMatch()) return m.captured(1).toDouble();
    if (auto m = mmss.match(text); m.hasMatch() && m.captured(2).toDouble() < 60)
        return (m.captured(1).toDouble() * 60 + m.captured(2).toDouble()) * 1000;
    if (auto m = secs.match(text); m.hasMatch()) return m.captured(1).toDouble() * 1000;
    return -1;
}

// Automation: auto show|add|remove|clear|mode|fade|export|import; -1 when `cmd` is not "auto".
int runAutomationCommand(const QString& cmd, const Options& o, Session& s);

// Review commands (notes, versions, approvals, pull); returns -1 when `cmd` is not one of them.
int runReviewCommand(const QString& cmd, const Options& o, const QString& server, const QString& token, Session& s);
// listen and the shared transport; returns -1 when `cmd` is not one of them. `extra` holds
// "own"/"follow" and "bitrate"/"frame"/"duration" followed by their values.
int runListenCommand(const QString& cmd, const Options& o, Session& s, const QStringList& extra);
int runDevicesCommand(const Options& o);
// track, group, return, send, band and output; returns -1 when `cmd` is not one of them.
int runStructureCommand(const QString& cmd, const Options& o, Session& s);

} // namespace mixroom::client::cli
