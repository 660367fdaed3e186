// SPDX-License-Identifier: MIT
#pragma once
// A real browser for tests: Debian's headless Chromium, driven over the Chrome DevTools Protocol
// (a WebSocket, spoken with QtWebSockets). One page per Browser; what the page logs to its
// console and every uncaught exception is collected, so a test can assert the page ran cleanly.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

namespace mixroom::test {

class Browser {
  public:
    // The chromium binary, or empty when it is not installed (scripts/deps.sh test installs it).
    static QString binary()
    {
        for (const char* name : {"chromium", "chromium-browser"})
            if (QString p = QStandardPaths::findExecutable(name); !p.isEmpty()) return p;
        return {};
    }

    ~Browser()
    {
        m_cdp.abort();
        if (m_proc.state() != QProcess::NotRunning) {
            m_proc.kill();
            m_proc.waitForFinished(5000);
        }
    }

    // Starts Chromium with a fresh profile and opens an empty page; `flags` are added to its
    // command line. False (with error()) when it does not start within 30 s.
    bool start(const QStringList& flags = {}, int width = 1280, int height = 860)
    {
        QStringList args{"--headless=new",
                         "--no-sandbox", // tests run as root in CI containers
                         "--disable-gpu",
                         "--disable-dev-shm-usage",
                         "--no-first-run",
                         "--no-default-browser-check",
                         "--disable-extensions",
                         "--disable-background-networking",
                         "--disable-component-update",
                         "--mute-audio",
                         QString("--window-size=%1,%2").arg(width).arg(height),
                         "--remote-debugging-port=0",
                         "--user-data-dir=" + m_profile.path()};
        args << flags << "about:blank";
        m_proc.setProcessChannelMode(QProcess::MergedChannels);
        m_proc.start(binary(), args);
        if (!m_proc.waitForStarted(10000)) return fail("chromium did not start: " + m_proc.errorString());
        // Chromium writes its DevTools port and browser target path here once it listens.
        const QString portFile = m_profile.path() + "/DevToolsActivePort";
        if (!QTest::qWaitFor([&] { return QFile(portFile).size() > 0; }, 30000)) return fail("no DevToolsActivePort: " + log());
        QFile f(portFile);
        if (!f.open(QIODevice::ReadOnly)) return fail("cannot read DevToolsActivePort");
        const QList<QByteArray> lines = f.readAll().split('\n');
        if (lines.size() < 2) return fail("DevToolsActivePort incomplete");
        m_cdp.setMaxAllowedIncomingMessageSize(256 * 1024 * 1024);
        m_cdp.setMaxAllowedIncomingFrameSize(256 * 1024 * 1024);
        QObject::connect(&m_cdp, &QWebSocket::textMessageReceived, [this](const QString& t) { onMessage(t); });
        QSignalSpy connected(&m_cdp, &QWebSocket::connected);
        m_cdp.open(
            QUrl(QString("ws://127.0.0.1:%1%2").arg(QString::fromLatin1(lines[0].trimmed()), QString::fromLatin1(lines[1].trimmed()))));
        if (!connected.wait(10000)) return fail("cannot open the DevTools socket: " + m_cdp.errorString());
        const QJsonObject target = browserCall("Target.createTarget", {{"url", "about:blank"}});
        const QString targetId = target.value("result").toObject().value("targetId").toString();
        const QJsonObject attached = browserCall("Target.attachToTarget", {{"targetId", targetId}, {"flatten", true}});
        m_session = attached.value("result").toObject().value("sessionId").toString();
        if (m_session.isEmpty()) return fail("cannot attach to the page: " + QJsonDocument(attached).toJson());
        call("Runtime.enable");
        call("Page.enable");
        call("Log.enable");
        return true;
    }

    // A DevTools command on the page; the whole answer ({result} or {error}).
    QJsonObject call(const QString& method, const QJsonObject& params = {}, int timeoutMs = 20000)
    {
        return send(method, params, m_session, timeoutMs);
    }
    QJsonObject browserCall(const QString& method, const QJsonObject& params = {}) { return send(method, params, {}, 20000); }

    // Loads a URL and waits for its load event (a fresh document: by way of about:blank, so a URL
    // differing from the current one only in its fragment loads too).
    bool open(const QString& url)
    {
        if (url != "about:blank" && !open("about:blank")) return false;
        m_loaded = false;
        const QJsonObject r = call("Page.navigate", {{"url", url}});
        if (r.contains("error") || r.value("result").toObject().contains("errorText"))
            return fail("navigation failed: " + QString::fromUtf8(QJsonDocument(r).toJson(QJsonDocument::Compact)));
        return QTest::qWaitFor([&] { return m_loaded; }, 20000) || fail("the page did not load");
    }

    // Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value.
    // `gesture`: as if the user clicked (browsers start audio only after a user gesture).
    QJsonValue eval(const QString& expression, bool gesture = false, int timeoutMs = 20000)
    {
        const QJsonObject r =
            call("Runtime.evaluate",
                 {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}, {"userGesture", gesture}}, timeoutMs);
        const QJsonObject result = r.value("result").toObject();
        if (result.contains("exceptionDetails")) {
            m_exceptions << describe(result.value("exceptionDetails").toObject());
            return QJsonValue(QJsonValue::Undefined);
        }
        return result.value("result").toObject().value("value");
    }
    // Waits until `expression` is truthy in the page.
    bool waitFor(const QString& expression, int timeoutMs = 20000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const QJsonValue v = eval(expression);
            if (v.toBool() || (v.isDouble() && v.toDouble() != 0) || (v.isString() && !v.toString().isEmpty())) return true;
            QTest::qWait(100); // polling the page; the server in this process runs meanwhile
        }
        return false;
    }

    // A real mouse event at page coordinates (the page sees pointer events, as from a user).
    void mouse(const QString& type, double x, double y, bool pressed)
    {
        QJsonObject p{{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"buttons", pressed ? 1 : 0}};
        if (type != "mouseMoved") p.insert("clickCount", 1);
        call("Input.dispatchMouseEvent", p);
    }
    // Emulates a device size (a phone: mobile, 3x).
    void setViewport(int width, int height, double scale = 1, bool mobile = false)
    {
        call("Emulation.setDeviceMetricsOverride",
             {{"width", width}, {"height", height}, {"deviceScaleFactor", scale}, {"mobile", mobile}});
    }
    QByteArray screenshot()
    {
        const QJsonObject r = call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", false}});
        return QByteArray::fromBase64(r.value("result").toObject().value("data").toString().toLatin1());
    }

    // Uncaught exceptions and console errors of the page so far.
    QStringList problems() const { return m_exceptions; }
    QStringList console() const { return m_console; }
    QString error() const { return m_error; }
    QString log() { return QString::fromLocal8Bit(m_proc.readAll()).right(2000); }

  private:
    bool fail(const QString& why)
    {
        m_error = why;
        return false;
    }
    QJsonObject send(const QString& method, const QJsonObject& params, const QString& session, int timeoutMs)
    {
        const int id = m_nextId++;
        QJsonObject m{{"id", id}, {"method", method}, {"params", params}};
        if (!session.isEmpty()) m.insert("sessionId", session);
        m_cdp.sendTextMessage(QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact)));
        if (!QTest::qWaitFor([&] { return m_answers.contains(id); }, timeoutMs))
            return QJsonObject{{"error", QJsonObject{{"message", "no answer to " + method}}}};
        return m_answers.take(id);
    }
    static QString describe(const QJsonObject& d)
    {
        const QJsonObject e = d.value("exception").toObject();
        return d.value("text").toString() + " " + e.value("description").toString() + " (line " +
               QString::number(d.value("lineNumber").toInt()) + " of " + d.value("url").toString() + ")";
    }
    void onMessage(const QString& text)
    {
        const QJsonObject m = QJsonDocument::fromJson(text.toUtf8()).object();
        if (m.contains("id")) {
            m_answers.insert(m.value("id").toInt(), m);
            return;
        }
        const QString method = m.value("method").toString();
        const QJsonObject p = m.value("params").toObject();
        if (method == "Page.loadEventFired")
            m_loaded = true;
        else if (method == "Runtime.exceptionThrown")
            m_exceptions << describe(p.value("exceptionDetails").toObject());
        else if (method == "Runtime.consoleAPICalled") {
            QStringList parts;
            for (const QJsonValue& a : p.value("args").toArray())
                parts << (a.toObject().contains("value") ? a.toObject().value("value").toVariant().toString()
                                                         : a.toObject().value("description").toString());
            m_console << p.value("type").toString() + ": " + parts.join(' ');
            if (p.value("type").toString() == "error") m_exceptions << "console.error: " + parts.join(' ');
        } else if (method == "Log.entryAdded") {
            const QJsonObject e = p.value("entry").toObject();
            m_console << e.value("level").toString() + ": " + e.value("text").toString() + " " + e.value("url").toString();
            // A Content-Security-Policy violation is a defect of the page (or an attack it stopped).
            if (e.value("level").toString() == "error" && e.value("text").toString().contains("Content Security Policy"))
                m_exceptions << "CSP: " + e.value("text").toString();
        }
    }

    QTemporaryDir m_profile;
    QProcess m_proc;
    QWebSocket m_cdp;
    QString m_session, m_error;
    int m_nextId = 1;
    QHash<int, QJsonObject> m_answers;
    bool m_loaded = false;
    QStringList m_exceptions, m_console;
};

} // namespace mixroom::test
