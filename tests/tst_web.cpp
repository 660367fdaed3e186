// SPDX-License-Identifier: MIT
// The review page in a real browser (Debian's headless Chromium over the DevTools protocol)
// against a real server on loopback: what the page decodes is every frame sent, without errors
// or gaps, and sounds like `mixroomd render` of the same state; notes, replies, approvals and A/B
// from the page reach the server (checked with the `mixroom` CLI) and others' notes appear live;
// a fader moved by the CLI is heard in the page's capture. Share links: the token leaves the
// address bar; expired, revoked and wrong links get a clear page; foreign origins are refused;
// every HTTP answer carries the security headers. Over TLS with a throwaway CA the same flow
// passes. Screenshots (desktop and phone width) under $MIXROOM_SCREENSHOT_DIR.
#include "Browser.h"
#include "ServerFixture.h"
#include "protocol/Messages.h"
#include "server/DemoSetup.h"
#include "server/TlsConfig.h"

#include <QDateTime>
#include <QDirIterator>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <sndfile.h>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

// Decoded audio captured by the page: interleaved stereo placed at its stream positions.
struct Capture {
    std::vector<float> left, right; // index: stream position (48 kHz samples)
    std::vector<bool> have;
    qint64 first = -1, last = -1;
    int preSkip = 0;
};

Capture parseCapture(const QJsonObject& c)
{
    Capture out;
    out.preSkip = c.value("preSkip").toInt();
    const QByteArray bytes = QByteArray::fromBase64(c.value("pcm").toString().toLatin1());
    const auto* pcm = reinterpret_cast<const float*>(bytes.constData());
    const QJsonArray positions = c.value("positions").toArray(), lengths = c.value("lengths").toArray();
    qint64 end = 0;
    for (int i = 0; i < positions.size(); ++i)
        end = std::max<qint64>(end, static_cast<qint64>(positions[i].toDouble()) + lengths[i].toInt());
    out.left.assign(static_cast<size_t>(end), 0.0f);
    out.right.assign(static_cast<size_t>(end), 0.0f);
    out.have.assign(static_cast<size_t>(end), false);
    qint64 o = 0;
    for (int i = 0; i < positions.size(); ++i) {
        const qint64 pos = static_cast<qint64>(positions[i].toDouble());
        for (int k = 0; k < lengths[i].toInt(); ++k, ++o) {
            out.left[pos + k] = pcm[2 * o];
            out.right[pos + k] = pcm[2 * o + 1];
            out.have[pos + k] = true;
        }
        if (out.first < 0 || pos < out.first) out.first = pos;
        out.last = std::max(out.last, pos + lengths[i].toInt());
    }
    return out;
}

// Patterns the page's files must not match (kept out of the class: moc does not read raw strings).
const QString kInlineScript = "<script(?![^>]*\\bsrc=)[^>]*>";
const QString kInlineHandler = "\\son[a-z]+\\s*=\\s*[\"']";
const QString kRemoteLoad = "(src|href|from)\\s*=?\\s*[\"']https?://";

double rmsDb(const std::vector<float>& x, qint64 from, qint64 n)
{
    double s = 0;
    for (qint64 i = from; i < from + n; ++i)
        s += double(x[i]) * x[i];
    return 10 * std::log10(s / double(n) + 1e-30);
}
} // namespace

class TestWeb : public QObject {
    Q_OBJECT
    QString config;

    Run cli(const QStringList& args, const QString& configFile = {})
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("MIXROOM_CONFIG", configFile.isEmpty() ? config : configFile);
        p.setProcessEnvironment(env);
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(QCoreApplication::applicationDirPath() + "/../client/mixroom", args);
        // The server lives in this process: its event loop runs while the CLI works.
        if (!finished.wait(30000)) return {};
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }
    Run as(ServerFixture& f, const QString& role, QStringList args)
    {
        return cli(args << "--server" << f.url().toString() << "--token" << f.tokens[role] << "--json");
    }

    // `mixroomd render` of the session's current state, stereo float at 48 kHz.
    bool reference(ServerFixture& f, std::vector<float>& left, std::vector<float>& right)
    {
        const QString doc = f.dir.path() + "/state.json", wav = f.dir.path() + "/reference.wav";
        QFile d(doc);
        if (!d.open(QIODevice::WriteOnly)) return false;
        d.write(protocol::encodeSession(f.srv->room(f.sessionId)->state()));
        d.close();
        QProcess p;
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(QCoreApplication::applicationDirPath() + "/../server/mixroomd",
                {"render", doc, "--store", f.dir.path() + "/stems", "--out", wav, "--format", "wav32f"});
        if (!finished.wait(60000) || p.exitCode() != 0) {
            qWarning("mixroomd render: %s", p.readAllStandardError().constData());
            return false;
        }
        SF_INFO info{};
        SNDFILE* s = sf_open(wav.toLocal8Bit().constData(), SFM_READ, &info);
        if (!s || info.channels != 2 || info.samplerate != 48000) return false;
        std::vector<float> inter(static_cast<size_t>(info.frames) * 2);
        sf_readf_float(s, inter.data(), info.frames);
        sf_close(s);
        left.resize(info.frames);
        right.resize(info.frames);
        for (sf_count_t i = 0; i < info.frames; ++i) {
            left[i] = inter[2 * i];
            right[i] = inter[2 * i + 1];
        }
        return true;
    }

    QString invite(ServerFixture& f, const QString& name, const QStringList& extra = {})
    {
        const Run r = as(f, "mix", QStringList{"invite", "--role", "client", "--name", name, "--link"} + extra);
        if (r.code != 0) qWarning("invite: %s", r.err.constData());
        return r.json().value("link").toString();
    }

    static QString tokenOf(const QString& link) { return link.mid(link.indexOf("#t=") + 3); }

    // Clicks the page's element (as a user would: a user gesture).
    static bool click(Browser& b, const QString& selector)
    {
        return b
            .eval(QString("(() => { const e = document.querySelector(%1); if (!e) return false; e.click(); return true; })()")
                      .arg(QString::fromUtf8(QJsonDocument(QJsonArray{selector}).toJson(QJsonDocument::Compact)).mid(1).chopped(1)),
                  true)
            .toBool();
    }
    static QString js(const QString& s) // a JavaScript string literal
    {
        return QString::fromUtf8(QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    }
    // Types a note into the page's form and submits it (at the playhead or on the selection).
    static bool addNote(Browser& b, const QString& text)
    {
        return b
            .eval(QString("document.getElementById('note-text').value = %1, document.getElementById('note-form').requestSubmit(), true")
                      .arg(js(text)),
                  true)
            .toBool();
    }
    static QJsonObject stats(Browser& b) { return b.eval("mixroomTest.stats()").toObject(); }

  private slots:
    void initTestCase() { QVERIFY2(!Browser::binary().isEmpty(), "chromium is not installed (scripts/deps.sh test installs it)"); }

    void everyAnswerCarriesTheSecurityHeaders()
    {
        ServerFixture f;
        QVERIFY(f.start());
        config = f.dir.path() + "/cli.json";
        QNetworkAccessManager nam;
        struct Probe {
            QByteArray method, path;
            int status;
        };
        const QList<Probe> probes = {{"GET", "/", 200},
                                     {"GET", "/r", 200},
                                     {"HEAD", "/r", 200},
                                     {"GET", "/web/app.js", 200},
                                     {"GET", "/web/decoder-worker.js", 200},
                                     {"GET", "/web/playout-worklet.js", 200},
                                     {"GET", "/web/style.css", 200},
                                     {"GET", "/health", 200},
                                     {"GET", "/metrics", 200},
                                     {"GET", "/no/such/thing", 404},
                                     {"DELETE", "/r", 405},
                                     {"POST", "/r", 413}, // a body where none is taken: refused before it is read
                                     {"GET", "/sessions/s_test/versions/v/mix", 401},
                                     {"POST", "/uploads", 401}};
        for (const Probe& p : probes) {
            QNetworkRequest req(QUrl(f.web() + p.path));
            QNetworkReply* reply = p.method == "HEAD"
                                       ? nam.head(req)
                                       : nam.sendCustomRequest(req, p.method, p.method == "POST" ? QByteArray("x") : QByteArray());
            QSignalSpy done(reply, &QNetworkReply::finished);
            const QString what = p.method + " " + p.path;
            QVERIFY2(reply->isFinished() || done.wait(10000), qPrintable(what));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), p.status);
            const QByteArray csp = reply->rawHeader("Content-Security-Policy");
            QVERIFY2(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'") &&
                         !csp.contains("unsafe"),
                     qPrintable(what + ": " + csp));
            QVERIFY2(reply->rawHeader("Referrer-Policy") == "no-referrer", qPrintable(what));
            QVERIFY2(reply->rawHeader("X-Content-Type-Options") == "nosniff", qPrintable(what));
            if (p.path.endsWith(".js")) QVERIFY(reply->rawHeader("Content-Type").startsWith("text/javascript"));
            reply->deleteLater();
        }
        // The page's files: no inline script or handler, nothing loaded from elsewhere.
        for (QDirIterator it(":/web", QDir::Files); it.hasNext();) {
            QFile file(it.next());
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QString text = QString::fromUtf8(file.readAll());
            QVERIFY2(!QRegularExpression(kInlineScript).match(text).hasMatch(), qPrintable(file.fileName()));
            QVERIFY2(!QRegularExpression(kInlineHandler).match(text).hasMatch(), qPrintable(file.fileName()));
            QVERIFY2(!QRegularExpression(kRemoteLoad).match(text).hasMatch(), qPrintable(file.fileName()));
            QVERIFY2(!text.contains("innerHTML"), qPrintable(file.fileName() + ": text goes in as text"));
        }
    }

    void originsAreChecked()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.allowedOrigins = {"https://review.example.com"};
        QVERIFY(f.start(limits));
        auto hello = [&](const QString& origin) {
            QWebSocket ws(origin);
            QSignalSpy connected(&ws, &QWebSocket::connected), closed(&ws, &QWebSocket::disconnected),
                text(&ws, &QWebSocket::textMessageReceived);
            ws.open(f.url());
            if (!connected.wait(5000)) return QString("no connection");
            ws.sendTextMessage(QJsonDocument(QJsonObject{{"type", "hello"}, {"major", 1}, {"token", f.tokens["client"]}, {"clientId", "o"}})
                                   .toJson(QJsonDocument::Compact));
            (void)QTest::qWaitFor([&] { return closed.count() > 0 || text.count() > 0; }, 5000);
            if (closed.count() > 0 || ws.state() != QAbstractSocket::ConnectedState)
                return QString("closed %1: %2").arg(int(ws.closeCode())).arg(ws.closeReason());
            return QJsonDocument::fromJson(text.first().first().toString().toUtf8()).object().value("type").toString();
        };
        const QString own = QString("http://127.0.0.1:%1").arg(f.port);
        QCOMPARE(hello(own), QString("welcome"));
        QCOMPARE(hello(""), QString("welcome")); // native clients send no Origin
        QCOMPARE(hello("https://review.example.com"), QString("welcome"));
        for (const QString& bad :
             {QString("http://evil.example"), QString("http://127.0.0.1:%1").arg(f.port + 1), QString("https://127.0.0.1:%1").arg(f.port),
              QString("http://localhost.evil.example:%1").arg(f.port), QString("null")}) {
            const QString got = hello(bad);
            QVERIFY2(got.startsWith("closed 1008") && got.contains("not allowed"), qPrintable(bad + " -> " + got));
        }
    }

    void shareLinksExpireAndAreRevoked()
    {
        ServerFixture f;
        QVERIFY(f.start());
        config = f.dir.path() + "/cli.json";
        // invite --link: the page's address with the token in the fragment.
        const QString link = invite(f, "Label", {"--expires", "7d"});
        QVERIFY2(QRegularExpression(QString("^http://127\\.0\\.0\\.1:%1/r#t=mxr_[A-Za-z0-9_-]{40,}$").arg(f.port)).match(link).hasMatch(),
                 qPrintable(link));
        const Run members = as(f, "mix", {"members"});
        bool found = false;
        for (const QJsonValue& m : members.json().value("members").toArray())
            if (m.toObject().value("name").toString() == "Label") {
                const double expires = m.toObject().value("expires").toDouble();
                const double week = QDateTime::currentMSecsSinceEpoch() + 7 * 86400e3;
                found = std::abs(expires - week) < 120e3;
            }
        QVERIFY2(found, members.out.constData());
        const Run bad = as(f, "mix", {"invite", "--role", "client", "--link", "--expires", "soon"});
        QCOMPARE(bad.code, 2);
        QVERIFY(bad.err.contains("--expires soon"));
        const Run tooShort = as(f, "mix", {"invite", "--role", "client", "--link", "--expires", "10s"});
        QCOMPARE(tooShort.code, 1);
        QVERIFY(tooShort.err.contains("expiresIn must be 60 seconds to 1 year"));

        // An expired member, a revoked one, a wrong token: refused with their own codes.
        const QString expiredToken = server::newToken();
        QVERIFY(f.store->addMember(server::MemberRow{"m_old", f.sessionId, "Old link", "client", server::tokenHash(expiredToken), false,
                                                     QDateTime::currentMSecsSinceEpoch() - 1000}));
        const QString revokedLink = invite(f, "Revoked");
        const Run revoke = as(f, "mix", {"revoke", "Revoked"});
        QVERIFY2(revoke.code == 0, revoke.err.constData());
        for (const auto& [token, code] :
             {std::pair{expiredToken, QString("token_expired")}, std::pair{tokenOf(revokedLink), QString("token_revoked")},
              std::pair{QString("mxr_nonsense"), QString("bad_token")}}) {
            RawSocket raw;
            QVERIFY(raw.open(f.url()));
            const QJsonObject answer = raw.hello(token);
            QCOMPARE(answer.value("code").toString(), code);
            QTRY_COMPARE_WITH_TIMEOUT(raw.ws.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated, 5000);
        }
        // A link that expires while in use: its connection closes then.
        const QString soon = server::newToken();
        QVERIFY(f.store->addMember(server::MemberRow{"m_soon", f.sessionId, "Soon", "client", server::tokenHash(soon), false,
                                                     QDateTime::currentMSecsSinceEpoch() + 1500}));
        {
            RawSocket raw;
            QVERIFY(raw.open(f.url()));
            QCOMPARE(raw.hello(soon).value("type").toString(), QString("welcome"));
            QTRY_COMPARE_WITH_TIMEOUT(raw.ws.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated, 10000);
            QCOMPARE(raw.ws.closeReason(), QString("this invitation expired"));
        }
        // The page explains each instead of going blank; the token leaves the address bar.
        Browser b;
        QVERIFY2(b.start(), qPrintable(b.error()));
        const QList<std::pair<QString, QString>> pages = {{f.web() + "/r#t=" + expiredToken, "This link has expired"},
                                                          {revokedLink, "This link was revoked"},
                                                          {f.web() + "/r#t=mxr_nonsense", "This link does not work"},
                                                          {f.web() + "/r", "Open your invitation link"}};
        for (const auto& [url, title] : pages) {
            QVERIFY2(b.open(url), qPrintable(b.error()));
            QVERIFY2(b.waitFor(QString("document.getElementById('notice-title').textContent === %1 && "
                                       "!document.getElementById('notice').hidden")
                                   .arg(js(title)),
                               10000),
                     qPrintable(url + ": " + b.eval("document.getElementById('notice-title').textContent").toString()));
            QCOMPARE(b.eval("location.hash").toString(), QString());
            QVERIFY(!b.eval("document.body.innerText").toString().contains("mxr_"));
        }
        // Revoked while the page is open: it says so.
        const QString live = invite(f, "Manager");
        QVERIFY2(b.open(live), qPrintable(b.error()));
        QVERIFY(b.waitFor("document.getElementById('link-state').textContent === 'connected'"));
        QCOMPARE(as(f, "mix", {"revoke", "Manager"}).code, 0);
        QVERIFY(b.waitFor("document.getElementById('notice-title').textContent === 'This link was revoked'", 10000));
        QVERIFY2(b.problems().isEmpty(), qPrintable(b.problems().join('\n')));
    }

    void browserPlaysAndReviewsTheLiveMix()
    {
        ServerFixture f;
        f.stemSeconds = 20;
        QVERIFY(f.start());
        config = f.dir.path() + "/cli.json";
        const QString link = invite(f, "Label");
        QVERIFY(!link.isEmpty());
        Browser b;
        QVERIFY2(b.start(), qPrintable(b.error()));
        QVERIFY2(b.open(link), qPrintable(b.error()));
        QVERIFY2(b.waitFor("document.getElementById('link-state').textContent === 'connected'"), qPrintable(b.problems().join('\n')));
        QCOMPARE(b.eval("location.hash").toString(), QString()); // the token left the address bar
        QVERIFY(b.eval("sessionStorage.getItem('mixroom-token')").toString().startsWith("mxr_"));
        QVERIFY(b.eval("document.getElementById('who').textContent").toString().contains("Label"));
        // The waveform arrives (get_peaks).
        QVERIFY(b.waitFor("document.getElementById('wave-state').textContent === ''", 60000));

        // Listen (own transport from 0): capture four seconds of what the page decodes.
        b.eval("mixroomTest.capture(4), true");
        QVERIFY(click(b, "#play"));
        QVERIFY2(b.waitFor("mixroomTest.stats().then(s => s.decoder.decoded >= 215)", 30000), qPrintable(b.problems().join('\n')));
        QVERIFY(click(b, "#play")); // pause: no more frames; every frame received is decoded
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => !s.listening || s.decoder.frames === s.decoder.decoded)", 10000));
        QTest::qWait(300); // a frame already on its way when the pause was applied
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.decoder.frames === s.decoder.decoded)", 10000));
        const QJsonObject st = stats(b);
        const QJsonObject dec = st.value("decoder").toObject();
        qInfo("page: %d frames, %d decoded, %d decode errors, %d gaps, %d underruns, buffer %.0f ms", dec.value("frames").toInt(),
              dec.value("decoded").toInt(), dec.value("errors").toInt(), dec.value("gaps").toInt(),
              st.value("playout").toObject().value("underruns").toInt(), st.value("playout").toObject().value("bufferedMs").toDouble());
        QCOMPARE(dec.value("errors").toInt(), 0);
        QCOMPARE(dec.value("gaps").toInt(), 0);
        QCOMPARE(dec.value("frames").toInt(), dec.value("decoded").toInt());

        // What it decoded against `mixroomd render` of the same state: median block SNR >= 20 dB.
        const Capture cap = parseCapture(b.eval("mixroomTest.captured()", false, 60000).toObject());
        QVERIFY2(cap.last - cap.first >= 4 * 48000 - 960, qPrintable(QString("captured %1..%2").arg(cap.first).arg(cap.last)));
        QCOMPARE(cap.first, qint64(0));
        std::vector<float> refL, refR;
        QVERIFY(reference(f, refL, refR));
        int bestLag = 0;
        double bestCorr = -1e300;
        for (int lag = -960; lag <= 2400; ++lag) {
            double c = 0;
            for (qint64 i = 24000; i < 24000 + 48000; i += 3)
                if (i - lag >= 0) c += double(cap.left[i]) * refL[i - lag];
            if (c > bestCorr) {
                bestCorr = c;
                bestLag = lag;
            }
        }
        std::vector<double> snrs;
        for (qint64 from = 4800; from + 4800 <= cap.last && from + 4800 - bestLag < qint64(refL.size()); from += 4800) {
            double sig = 0, err = 0;
            for (qint64 i = from; i < from + 4800; ++i) {
                const qint64 r = i - bestLag;
                sig += double(refL[r]) * refL[r] + double(refR[r]) * refR[r];
                err += std::pow(cap.left[i] - refL[r], 2) + std::pow(cap.right[i] - refR[r], 2);
            }
            snrs.push_back(10 * std::log10(sig / std::max(err, 1e-30)));
        }
        QVERIFY(snrs.size() >= 30);
        std::sort(snrs.begin(), snrs.end());
        const double median = snrs[snrs.size() / 2];
        qInfo("page capture vs mixroomd render: lag %d samples (Opus pre-skip %d), median block SNR %.1f dB over %zu blocks (worst %.1f)",
              bestLag, cap.preSkip, median, snrs.size(), snrs.front());
        QVERIFY2(median >= 20, qPrintable(QString("median block SNR %1 dB").arg(median)));

        // A fader moved with the CLI is heard in the page.
        b.eval("mixroomTest.capture(3), true");
        const int before = stats(b).value("decoder").toObject().value("decoded").toInt();
        QVERIFY(click(b, "#play"));
        QVERIFY(b.waitFor(QString("mixroomTest.stats().then(s => s.decoder.decoded >= %1)").arg(before + 50), 20000));
        for (const char* track : {"Bass", "Vocals"}) {
            const Run set = as(f, "artist", {"set", QString("tracks/%1/fader").arg(track), "-60"});
            QVERIFY2(set.code == 0, set.err.constData());
        }
        QVERIFY(b.waitFor(QString("mixroomTest.stats().then(s => s.decoder.decoded >= %1)").arg(before + 160), 20000));
        QVERIFY(click(b, "#play"));
        const Capture quiet = parseCapture(b.eval("mixroomTest.captured()", false, 60000).toObject());
        const double loud = rmsDb(quiet.left, quiet.first + 4800, 9600), soft = rmsDb(quiet.left, quiet.last - 24000, 19200);
        qInfo("faders to -60 dB from the CLI: %.1f dB before, %.1f dB after", loud, soft);
        QVERIFY2(loud - soft > 30, qPrintable(QString("%1 dB -> %2 dB").arg(loud).arg(soft)));

        // Notes: one added in the page reaches `mixroom notes`; one from the CLI appears live.
        QVERIFY(addNote(b, "Vocal too quiet in the chorus"));
        QVERIFY(b.waitFor("document.getElementById('notes').textContent.includes('Vocal too quiet in the chorus')"));
        Run notes = as(f, "mix", {"notes"});
        QVERIFY2(notes.out.contains("Vocal too quiet in the chorus") && notes.out.contains("\"authorName\":\"Label\""),
                 notes.out.constData());
        const Run added = as(f, "mix", {"note", "add", "0:05", "Bass drop lands late"});
        QVERIFY2(added.code == 0, added.err.constData());
        QVERIFY(b.waitFor("document.getElementById('notes').textContent.includes('Bass drop lands late')"));
        QVERIFY(b.waitFor("document.querySelectorAll('#notes > li').length === 2"));
        // Reply and resolve from the page.
        QVERIFY(b.eval("(() => { const li = [...document.querySelectorAll('#notes > li')].find(l => l.textContent.includes('Bass drop'));"
                       " li.querySelector('.actions button').click(); li.querySelector('.reply-form textarea').value = 'Agreed';"
                       " li.querySelector('.reply-form').requestSubmit(); return true; })()",
                       true)
                    .toBool());
        QVERIFY(b.waitFor("document.querySelector('.replies') && document.querySelector('.replies').textContent.includes('Agreed')"));
        QVERIFY(b.eval("(() => { const li = [...document.querySelectorAll('#notes > li')].find(l => l.textContent.includes('Vocal too'));"
                       " [...li.querySelectorAll('.actions button')].find(x => x.textContent === 'Resolve').click(); return true; })()",
                       true)
                    .toBool());
        QVERIFY(b.waitFor("document.getElementById('notes-count').textContent === '1'"));
        notes = as(f, "mix", {"notes", "--resolved"});
        QVERIFY2(notes.out.contains("Vocal too quiet in the chorus"), notes.out.constData());
        notes = as(f, "mix", {"notes", "--open"});
        QVERIFY2(notes.out.contains("Agreed") && !notes.out.contains("Vocal too quiet"), notes.out.constData());

        // The waveform: a click seeks the own transport there; a drag selects a range for a note.
        const QJsonObject box = b.eval("(() => { const r = document.getElementById('wave').getBoundingClientRect();"
                                       " return {x: r.x, y: r.y, w: r.width, h: r.height}; })()")
                                    .toObject();
        const double wx = box.value("x").toDouble(), wy = box.value("y").toDouble() + box.value("h").toDouble() * 0.6,
                     ww = box.value("w").toDouble();
        QVERIFY(ww > 300);
        QVERIFY(click(b, "#play")); // playing again: what is heard moves with the seek
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.heardMs !== null)"));
        const double heardBefore = stats(b).value("heardMs").toDouble();
        b.mouse("mousePressed", wx + ww * 0.8, wy, true);
        b.mouse("mouseReleased", wx + ww * 0.8, wy, false);
        QVERIFY2(b.waitFor("mixroomTest.stats().then(s => s.transport && Math.abs(s.transport.position - s.transport.lengthMs * 0.8) < "
                           "s.transport.lengthMs * 0.01)"),
                 qPrintable(QString::fromUtf8(QJsonDocument(stats(b).value("transport").toObject()).toJson(QJsonDocument::Compact))));
        // The playhead shows what is heard: the new position, not the old one carried on.
        // (Played on from before the seek, it would take seconds to get there.)
        QVERIFY(16000 - heardBefore > 5000);
        QVERIFY2(
            b.waitFor("mixroomTest.stats().then(s => s.heardMs !== null && Math.abs(s.heardMs - s.transport.lengthMs * 0.8) < 500)", 3000),
            qPrintable(QString("heard %1 ms before the seek, %2 ms after").arg(heardBefore).arg(stats(b).value("heardMs").toDouble())));
        b.mouse("mousePressed", wx + ww * 0.2, wy, true);
        for (double at : {0.25, 0.3, 0.35})
            b.mouse("mouseMoved", wx + ww * at, wy, true);
        b.mouse("mouseReleased", wx + ww * 0.35, wy, false);
        QVERIFY(b.waitFor("document.getElementById('selection-text').textContent.startsWith('Selected')"));
        QVERIFY(addNote(b, "Whole bridge: too much reverb"));
        QVERIFY(b.waitFor("document.getElementById('notes').textContent.includes('Whole bridge')"));
        {
            const double length = stats(b).value("transport").toObject().value("lengthMs").toDouble();
            bool ranged = false;
            for (const QJsonValue& n : as(f, "mix", {"notes"}).json().value("notes").toArray())
                if (n.toObject().value("text").toString().startsWith("Whole bridge"))
                    ranged = std::abs(n.toObject().value("at").toDouble() - 0.2 * length) < 0.01 * length &&
                             std::abs(n.toObject().value("to").toDouble() - 0.35 * length) < 0.01 * length;
            QVERIFY2(ranged, "the note is on the dragged range");
        }

        // Versions: the page sees a saved version live, approves it; `mixroom status` agrees.
        QCOMPARE(as(f, "mix", {"version", "save", "v1", "--message", "faders down"}).code, 0);
        QVERIFY(b.waitFor("!!document.querySelector('.version[data-name=\"v1\"] .approve')"));
        QVERIFY(b.eval("document.querySelector('.version[data-name=\"v1\"]').textContent").toString().contains("Waiting for"));
        QVERIFY(click(b, ".version[data-name=\"v1\"] .approve"));
        QTRY_VERIFY_WITH_TIMEOUT(as(f, "mix", {"status", "v1"}).out.contains("\"name\":\"Label\""), 10000);
        QVERIFY(b.waitFor("document.querySelector('.version[data-name=\"v1\"]').textContent.includes('Approved by Label')"));

        // A/B: the page switches its own stream to the version and back.
        QVERIFY(click(b, ".version[data-name=\"v1\"] .actions button"));
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.transport && s.transport.source === 'v1')", 10000));
        QVERIFY(b.eval("document.getElementById('source').value = 'live', "
                       "document.getElementById('source').dispatchEvent(new Event('change')), true",
                       true)
                    .toBool());
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.transport && s.transport.source === 'live')", 10000));
        // Loudness-matched A/B is accepted; "listen with the room" follows the shared transport,
        // which an editor drives from the CLI.
        QVERIFY(click(b, "#match"));
        QVERIFY(click(b, "input[name=mode][value=follow]"));
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.listening && s.listening.mode === 'follow')"));
        const int followed = stats(b).value("decoder").toObject().value("decoded").toInt();
        QCOMPARE(as(f, "mix", {"play"}).code, 0);
        QVERIFY(b.waitFor(QString("mixroomTest.stats().then(s => s.decoder.decoded >= %1 && s.transport.playing)").arg(followed + 50)));
        QCOMPARE(as(f, "mix", {"pause"}).code, 0);
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => !s.transport.playing)"));
        QCOMPARE(stats(b).value("decoder").toObject().value("errors").toInt(), 0);
        // The server restarts (as SIGTERM would): the page reconnects by itself, catches up and
        // listens again.
        QVERIFY(f.restart());
        QVERIFY(b.waitFor("document.getElementById('link-state').textContent === 'disconnected'", 10000) ||
                b.eval("document.getElementById('link-state').textContent").toString() == "connected");
        QVERIFY(b.waitFor("document.getElementById('link-state').textContent === 'connected'", 20000));
        QCOMPARE(as(f, "mix", {"note", "add", "0:02", "After the restart"}).code, 0);
        QVERIFY(b.waitFor("document.getElementById('notes').textContent.includes('After the restart')"));
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.listening && s.listening.mode === 'follow')", 10000));
        // Loudness readout and presence.
        QVERIFY(b.waitFor("document.getElementById('m-integrated').textContent.includes('LUFS')", 10000));
        QVERIFY(b.eval("document.getElementById('presence').textContent").toString().contains("Label (you)"));
        QVERIFY2(b.problems().isEmpty(), qPrintable(b.problems().join('\n')));
    }

    void overTls()
    {
        // A throwaway CA and a server certificate for 127.0.0.1, made with openssl.
        QTemporaryDir pki;
        auto openssl = [&](const QStringList& args) {
            QProcess p;
            p.setWorkingDirectory(pki.path());
            p.start("openssl", args);
            return p.waitForFinished(30000) && p.exitCode() == 0;
        };
        QVERIFY(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
                         "ca.pem", "-days", "2", "-subj", "/CN=Mixroom test CA"}));
        QVERIFY(openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out",
                         "server.csr", "-subj", "/CN=127.0.0.1"}));
        QFile ext(pki.path() + "/ext.cnf");
        QVERIFY(ext.open(QIODevice::WriteOnly));
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        ext.close();
        QVERIFY(openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                         "-days", "2", "-extfile", "ext.cnf"}));
        QString error;
        ServerFixture f;
        f.stemSeconds = 6;
        f.tls = server::loadTls(pki.path() + "/server.pem", pki.path() + "/server.key", &error);
        QVERIFY2(f.tls, qPrintable(error));
        QVERIFY(f.start());
        config = f.dir.path() + "/cli.json";
        QVERIFY(f.url().toString().startsWith("wss://"));

        // The CLI verifies the certificate: refused without the CA, fine with --ca.
        const Run untrusted = as(f, "client", {"notes"});
        QVERIFY2(untrusted.code != 0 && untrusted.err.contains("certificate") && untrusted.err.contains("--ca"), untrusted.err.constData());
        const Run trusted = as(f, "client", {"notes", "--ca", pki.path() + "/ca.pem"});
        QVERIFY2(trusted.code == 0, trusted.err.constData());
        // Uploads and pulls go over HTTPS with the same CA.
        const QString wav = f.dir.path() + "/tone.wav";
        QVERIFY(writeAudio(wav.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, sine(330, 44100, 0.3, 44100 * 2)));
        const Run upload = as(f, "mix", {"upload", wav, "--name", "Tone", "--ca", pki.path() + "/ca.pem"});
        QVERIFY2(upload.code == 0, upload.err.constData());
        QCOMPARE(as(f, "mix", {"version", "save", "tls", "--ca", pki.path() + "/ca.pem"}).code, 0);
        const QString pulled = f.dir.path() + "/tls.flac";
        const Run pull = as(f, "mix", {"pull", "tls", "-o", pulled, "--ca", pki.path() + "/ca.pem"});
        QVERIFY2(pull.code == 0 && QFileInfo(pulled).size() > 1000, pull.err.constData());
        const Run link = as(f, "mix", {"invite", "--role", "client", "--name", "Label", "--link", "--ca", pki.path() + "/ca.pem"});
        QVERIFY2(link.code == 0, link.err.constData());
        const QString url = link.json().value("link").toString();
        QVERIFY2(url.startsWith(QString("https://127.0.0.1:%1/r#t=").arg(f.port)), qPrintable(url));

        // The browser trusts exactly this certificate's key (as it would a CA-signed one).
        QProcess spki;
        spki.setWorkingDirectory(pki.path());
        spki.start("sh", {"-c", "openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | "
                                "openssl dgst -sha256 -binary | base64"});
        QVERIFY(spki.waitForFinished(10000));
        const QString pin = QString::fromLatin1(spki.readAllStandardOutput().trimmed());
        Browser b;
        QVERIFY2(b.start({"--ignore-certificate-errors-spki-list=" + pin}), qPrintable(b.error()));
        QVERIFY2(b.open(url), qPrintable(b.error()));
        QVERIFY2(b.waitFor("document.getElementById('link-state').textContent === 'connected'"), qPrintable(b.problems().join('\n')));
        QVERIFY(b.eval("window.isSecureContext && location.protocol === 'https:'").toBool());
        // A click on the waveform before listening: playback starts there.
        QVERIFY(b.waitFor("document.getElementById('wave-state').textContent === ''", 60000));
        const QJsonObject box = b.eval("(() => { const r = document.getElementById('wave').getBoundingClientRect();"
                                       " return {x: r.x + r.width / 2, y: r.y + r.height * 0.6}; })()")
                                    .toObject();
        b.mouse("mousePressed", box.value("x").toDouble(), box.value("y").toDouble(), true);
        b.mouse("mouseReleased", box.value("x").toDouble(), box.value("y").toDouble(), false);
        QVERIFY(click(b, "#play"));
        QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.heardMs !== null)"));
        {
            const QJsonObject st = stats(b); // the first audio heard is from the middle (playing from 0, it would pass there later)
            const double heard = st.value("heardMs").toDouble(), half = st.value("transport").toObject().value("lengthMs").toDouble() / 2;
            QVERIFY2(std::abs(heard - half) < 500, qPrintable(QString("heard %1 ms, clicked at %2 ms").arg(heard).arg(half)));
        }
        QVERIFY2(b.waitFor("mixroomTest.stats().then(s => s.decoder.decoded >= 50)", 30000), qPrintable(b.problems().join('\n')));
        const QJsonObject dec = stats(b).value("decoder").toObject();
        QCOMPARE(dec.value("errors").toInt(), 0);
        QCOMPARE(dec.value("gaps").toInt(), 0);
        QVERIFY(addNote(b, "Heard over TLS"));
        QVERIFY(b.waitFor("document.getElementById('notes').textContent.includes('Heard over TLS')"));
        const Run notes = as(f, "mix", {"notes", "--ca", pki.path() + "/ca.pem"});
        QVERIFY2(notes.out.contains("Heard over TLS"), notes.out.constData());
        QVERIFY2(b.problems().isEmpty(), qPrintable(b.problems().join('\n')));
    }

    // mixroomd serve: TLS options are checked before anything starts; without TLS off loopback it
    // warns that browsers will not play the page.
    void serveTlsOptionsAndWarning()
    {
        QTemporaryDir data;
        auto serve = [&](const QStringList& args, const QByteArray& expect, int* code) {
            QProcess p;
            p.start(QCoreApplication::applicationDirPath() + "/../server/mixroomd",
                    QStringList{"serve", "--data", data.path(), "--listen"} + args);
            QByteArray err;
            const bool seen = QTest::qWaitFor(
                [&] {
                    err += p.readAllStandardError();
                    return err.contains(expect) || p.state() == QProcess::NotRunning;
                },
                15000);
            p.waitForFinished(2000); // one that refuses its options exits; a running server does not
            err += p.readAllStandardError();
            *code = p.state() == QProcess::NotRunning ? p.exitCode() : -1;
            p.kill();
            p.waitForFinished(5000);
            return seen && err.contains(expect) ? QString() : QString::fromUtf8(err);
        };
        int code = 0;
        QString why = serve({"127.0.0.1:0", "--tls-cert", data.path() + "/none.pem"}, "--tls-cert and --tls-key go together", &code);
        QVERIFY2(why.isEmpty() && code == 2, qPrintable(why));
        why = serve({"127.0.0.1:0", "--tls-cert", data.path() + "/none.pem", "--tls-key", data.path() + "/none.key"}, "none.pem", &code);
        QVERIFY2(why.isEmpty() && code == 2, qPrintable(why));
        QFile junk(data.path() + "/junk.pem");
        QVERIFY(junk.open(QIODevice::WriteOnly) && junk.write("not a certificate\n") > 0);
        junk.close();
        why = serve({"127.0.0.1:0", "--tls-cert", junk.fileName(), "--tls-key", junk.fileName()}, "no PEM certificate", &code);
        QVERIFY2(why.isEmpty() && code == 2, qPrintable(why));
        why = serve({"0.0.0.0:0"}, "without TLS", &code);
        QVERIFY2(why.isEmpty() && code == -1, qPrintable(why)); // a warning: the server runs
    }

    // docs/web-desktop.png and docs/web-phone.png: the demo song with versions and notes, listening.
    void screenshots()
    {
        ServerFixture f;
        QVERIFY(f.start());
        config = f.dir.path() + "/cli.json";
        QString error;
        const auto invites = server::ensureDemo(*f.store, f.srv->stems(), f.dir.path(), &error);
        QVERIFY2(invites.size() == 4, qPrintable(error));
        QString mixToken, clientToken;
        for (const auto& i : invites) {
            if (i.role == "mix") mixToken = i.token;
            if (i.role == "client") clientToken = i.token;
        }
        auto mix = [&](const QStringList& args) {
            return cli(QStringList(args) << "--server" << f.url().toString() << "--token" << mixToken << "--json");
        };
        QCOMPARE(mix({"version", "save", "rough mix", "--message", "first pass, all stems in"}).code, 0);
        QCOMPARE(mix({"set", "tracks/lead/fader", "-0.5"}).code, 0);
        QCOMPARE(mix({"version", "save", "vocal up", "--message", "lead up 1.5 dB, keys wider"}).code, 0);
        QCOMPARE(mix({"note", "add", "0:12", "Snare a touch loud here", "--to", "0:16"}).code, 0);
        QCOMPARE(mix({"note", "add", "0:31", "Love the delay throw on the lead"}).code, 0);
        const QString link = f.web() + "/r#t=" + clientToken;
        const QString dir = qEnvironmentVariable("MIXROOM_SCREENSHOT_DIR");
        struct Shot {
            QString name;
            int width, height;
            double scale;
            bool mobile;
        };
        for (const Shot& s : {Shot{"web-desktop.png", 1280, 860, 1, false}, Shot{"web-phone.png", 390, 844, 2, true}}) {
            Browser b;
            QVERIFY2(b.start({}, s.width, s.height), qPrintable(b.error()));
            b.setViewport(s.width, s.height, s.scale, s.mobile);
            QVERIFY2(b.open(link), qPrintable(b.error()));
            QVERIFY(b.waitFor("document.getElementById('link-state').textContent === 'connected'"));
            QVERIFY(b.waitFor("document.getElementById('wave-state').textContent === ''", 90000));
            QVERIFY(
                b.waitFor("document.querySelectorAll('#notes > li').length === 2 && document.querySelectorAll('.version').length === 2"));
            QVERIFY(click(b, "#play"));
            QVERIFY(b.waitFor("mixroomTest.stats().then(s => !!s.listening)"));
            const QJsonObject box = b.eval("(() => { const r = document.getElementById('wave').getBoundingClientRect();"
                                           " return {x: r.x, y: r.y, w: r.width, h: r.height}; })()")
                                        .toObject();
            const double x = box.value("x").toDouble() + box.value("w").toDouble() * 0.36, y = box.value("y").toDouble() + 60;
            b.mouse("mousePressed", x, y, true);
            b.mouse("mouseReleased", x, y, false);
            QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.transport && s.transport.position > 20000)"));
            QVERIFY(b.waitFor("document.getElementById('m-integrated').textContent.includes('LUFS')", 20000));
            QVERIFY(b.waitFor("mixroomTest.stats().then(s => s.transport && s.transport.playing && s.playout.bufferedMs > 80)", 10000));
            QTest::qWait(1500); // the meters settle on the new position (a picture, not a check)
            // Nothing wider than the screen; the play button is a comfortable touch target.
            QVERIFY2(b.eval("document.documentElement.scrollWidth <= window.innerWidth").toBool(),
                     qPrintable(QString("%1: page %2 px wide in %3")
                                    .arg(s.name)
                                    .arg(b.eval("document.documentElement.scrollWidth").toInt())
                                    .arg(s.width)));
            QVERIFY(b.eval("document.getElementById('play').getBoundingClientRect().height >= 44").toBool());
            const QByteArray png = b.screenshot();
            QImage image;
            QVERIFY(image.loadFromData(png, "PNG"));
            QCOMPARE(image.width(), int(s.width * s.scale));
            if (!dir.isEmpty()) {
                QFile out(dir + "/" + s.name);
                QVERIFY(out.open(QIODevice::WriteOnly) && out.write(png) == png.size());
            }
            QVERIFY2(b.problems().isEmpty(), qPrintable(b.problems().join('\n')));
        }
    }
};

QTEST_GUILESS_MAIN(TestWeb)
#include "tst_web.moc"
