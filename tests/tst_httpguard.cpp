// SPDX-License-Identifier: MIT
// HTTP is bounded before it is buffered: oversized bodies and heads, bodies without a token,
// slow and idle connections, connection shares between addresses, ranges and upload names, and
// failed HTTP logins counting toward the ban. A real server on loopback, raw TCP sockets.
#include "ServerFixture.h"
#include "server/HttpHead.h"

#include <QTcpSocket>

#include <sys/resource.h>

using namespace mixroom;
using namespace mixroom::test;

namespace {
// A raw HTTP connection from a chosen loopback source address (all of 127/8 is loopback).
struct Raw {
    QTcpSocket s;
    QByteArray in;
    bool open(quint16 port, const QString& from = "127.0.0.1")
    {
        QObject::connect(&s, &QTcpSocket::readyRead, [this] { in += s.readAll(); });
        if (!s.bind(QHostAddress(from), 0)) return false;
        s.connectToHost(QHostAddress::LocalHost, port);
        return s.waitForConnected(5000);
    }
    void send(const QByteArray& b)
    {
        s.write(b);
        s.flush();
    }
    // Waits until the answer's head (and `body` bytes after it, -1: Content-Length) is in.
    bool waitFor(const QByteArray& what, int ms = 5000)
    {
        QElapsedTimer t;
        t.start();
        while (!in.contains(what) && t.elapsed() < ms)
            QTest::qWait(5);
        return in.contains(what);
    }
    bool waitClosed(int ms = 5000)
    {
        QElapsedTimer t;
        t.start();
        while (s.state() != QAbstractSocket::UnconnectedState && t.elapsed() < ms)
            QTest::qWait(5);
        return s.state() == QAbstractSocket::UnconnectedState;
    }
    QJsonObject body() const { return QJsonDocument::fromJson(in.mid(in.lastIndexOf("\r\n\r\n") + 4)).object(); }
    int status() const { return in.startsWith("HTTP/1.1 ") ? in.mid(9, 3).toInt() : 0; }
};

} // namespace

class TestHttpGuard : public QObject {
    Q_OBJECT
  private slots:
    // A 400 MB body to /health is refused from its head, before a megabyte of it is read.
    void hugeBodyRefusedFromItsHead()
    {
        ServerFixture f;
        QVERIFY(f.start());
        Raw r;
        QVERIFY(r.open(f.port));
        const qint64 before = rssKiB();
        r.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 400000000\r\n\r\n");
        const QByteArray mb(1 << 20, 'x');
        for (int i = 0; i < 8 && r.status() == 0 && r.s.state() == QAbstractSocket::ConnectedState; ++i)
            r.send(mb);
        QVERIFY(r.waitFor("\r\n\r\n"));
        QCOMPARE(r.status(), 413);
        QVERIFY(r.in.contains("takes no request body"));
        QVERIFY(r.waitClosed());
#ifndef __SANITIZE_ADDRESS__ // ASan keeps freed memory in quarantine: RSS says nothing there
        QVERIFY2(rssKiB() - before < 64 * 1024, qPrintable(QString("grew %1 KiB").arg(rssKiB() - before)));
#endif
    }

    // A head that never ends is refused at the head limit (431), not buffered.
    void hugeHeadRefused()
    {
        ServerFixture f;
        QVERIFY(f.start());
        Raw r;
        QVERIFY(r.open(f.port));
        r.send("GET /health HTTP/1.1\r\nX-Junk: ");
        const QByteArray chunk(64 * 1024, 'a');
        for (int i = 0; i < 64 && r.status() == 0 && r.s.state() == QAbstractSocket::ConnectedState; ++i) {
            r.send(chunk);
            QTest::qWait(1);
        }
        QVERIFY(r.waitFor("\r\n\r\n"));
        QCOMPARE(r.status(), 431);
        QVERIFY(r.waitClosed());
        // Too many header fields: 431 as well.
        Raw many;
        QVERIFY(many.open(f.port));
        QByteArray head = "GET /health HTTP/1.1\r\n";
        for (int i = 0; i < 100; ++i)
            head += "X-" + QByteArray::number(i) + ": 1\r\n";
        many.send(head + "\r\n");
        QVERIFY(many.waitFor("\r\n\r\n"));
        QCOMPARE(many.status(), 431);
        // Chunked bodies: 411 (bodies need Content-Length).
        Raw chunked;
        QVERIFY(chunked.open(f.port));
        chunked.send("POST /uploads HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        QVERIFY(chunked.waitFor("\r\n\r\n"));
        QCOMPARE(chunked.status(), 411);
    }

    // A 1 GB PATCH without a token gets 401 before any of its body is read, and no 100 Continue.
    void uploadBodyNeedsATokenFirst()
    {
        ServerFixture f;
        QVERIFY(f.start());
        Raw r;
        QVERIFY(r.open(f.port));
        r.send("PATCH /uploads/u_0123456789abcdef HTTP/1.1\r\nContent-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n");
        QVERIFY(r.waitFor("\r\n\r\n"));
        QCOMPARE(r.status(), 401);
        QVERIFY(!r.in.contains("100 Continue"));
        QVERIFY(r.waitClosed());

        // With a good token: an over-sized chunk is 413 before the body, a fitting one gets 100
        // Continue and is stored.
        Raw start;
        QVERIFY(start.open(f.port));
        const QByteArray auth = "Authorization: Bearer " + f.tokens["mix"].toUtf8() + "\r\n";
        start.send("POST /uploads HTTP/1.1\r\n" + auth + "Upload-Name: x.wav\r\nUpload-Length: 100\r\n\r\n");
        QVERIFY(start.waitFor("}"));
        QCOMPARE(start.status(), 201);
        const QString id = start.body().value("id").toString();
        QVERIFY(!id.isEmpty());
        Raw big;
        QVERIFY(big.open(f.port));
        big.send("PATCH /uploads/" + id.toLatin1() + " HTTP/1.1\r\n" + auth + "Upload-Offset: 0\r\nContent-Length: 20000000\r\n\r\n");
        QVERIFY(big.waitFor("\r\n\r\n"));
        QCOMPARE(big.status(), 413);
        Raw wrongOffset;
        QVERIFY(wrongOffset.open(f.port));
        wrongOffset.send("PATCH /uploads/" + id.toLatin1() + " HTTP/1.1\r\n" + auth + "Upload-Offset: 5\r\nContent-Length: 10\r\n\r\n");
        QVERIFY(wrongOffset.waitFor("\r\n\r\n"));
        QCOMPARE(wrongOffset.status(), 409);
        Raw ok;
        QVERIFY(ok.open(f.port));
        ok.send("PATCH /uploads/" + id.toLatin1() + " HTTP/1.1\r\n" + auth +
                "Upload-Offset: 0\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
        QVERIFY(ok.waitFor("HTTP/1.1 100 Continue\r\n\r\n"));
        ok.send("0123456789");
        QVERIFY(ok.waitFor("}", 5000));
        QCOMPARE(ok.body().value("offset").toInt(), 10);
        QVERIFY(ok.in.contains("HTTP/1.1 200"));
    }

    // Slowloris: a head that does not finish in time gets 408 and the connection closes; an idle
    // keep-alive connection closes; a body that stops arriving is cut off.
    void slowAndIdleConnectionsClose()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.http.headTimeoutMs = 300;
        limits.http.idleTimeoutMs = 300;
        limits.http.bodyIdleMs = 300;
        QVERIFY(f.start(limits));
        Raw slow;
        QVERIFY(slow.open(f.port));
        slow.send("GET /health HTTP/1.1\r\nHost: x\r\n");
        QVERIFY(slow.waitClosed());
        QCOMPARE(slow.status(), 408);
        Raw idle;
        QVERIFY(idle.open(f.port));
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(idle.waitFor("}"));
        QVERIFY(idle.body().value("ok").toBool());
        QVERIFY(idle.waitClosed()); // kept alive, then closed for idleness
        Raw silent;
        QVERIFY(silent.open(f.port));
        QVERIFY(silent.waitClosed()); // never said anything
        const QByteArray auth = "Authorization: Bearer " + f.tokens["mix"].toUtf8() + "\r\n";
        Raw start;
        QVERIFY(start.open(f.port));
        start.send("POST /uploads HTTP/1.1\r\n" + auth + "Upload-Name: x.wav\r\nUpload-Length: 100\r\n\r\n");
        QVERIFY(start.waitFor("}"));
        const QByteArray id = start.body().value("id").toString().toLatin1();
        Raw body; // half a body, then nothing
        QVERIFY(body.open(f.port));
        body.send("PATCH /uploads/" + id + " HTTP/1.1\r\n" + auth + "Upload-Offset: 0\r\nContent-Length: 10\r\n\r\n01234");
        QVERIFY(body.waitClosed());
        QCOMPARE(body.status(), 408);
        QTRY_COMPARE(f.srv->httpConnections(), 0);
    }

    // Thirty-two idle connections from two addresses fill the server; a third address still gets
    // in every time (it takes the place of the heaviest address's oldest idle connection).
    void connectionSharesAreFair()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.http.maxConnections = 32;
        limits.http.maxConnectionsPerAddress = 16;
        QVERIFY(f.start(limits));
        std::vector<std::unique_ptr<Raw>> hogs;
        for (const char* from : {"127.0.0.2", "127.0.0.3"})
            for (int i = 0; i < 16; ++i) {
                hogs.push_back(std::make_unique<Raw>());
                QVERIFY(hogs.back()->open(f.port, from));
            }
        QTRY_COMPARE(f.srv->httpConnections(), 32);
        // A 17th from a full address is refused (closed at once).
        Raw extra;
        QVERIFY(extra.open(f.port, "127.0.0.2"));
        extra.send("GET /health HTTP/1.1\r\n\r\n");
        QVERIFY(extra.waitClosed());
        QVERIFY(!extra.in.contains("\"ok\""));
        for (int i = 0; i < 10; ++i) {
            Raw legit;
            QVERIFY(legit.open(f.port, "127.0.0.4"));
            legit.send("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
            QVERIFY2(legit.waitFor("}") && legit.body().value("ok").toBool(), qPrintable(QString("attempt %1 not served").arg(i)));
        }
        QVERIFY(f.srv->httpConnections() <= 32);
    }

    // The cap never exceeds what the descriptor limit leaves.
    void capFollowsDescriptorLimit()
    {
        rlimit old{};
        QCOMPARE(getrlimit(RLIMIT_NOFILE, &old), 0);
        rlimit low = old;
        low.rlim_cur = 256;
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &low), 0);
        server::HttpFront front;
        QVERIFY(front.connectionCap() <= 256 - 64);
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &old), 0);
    }

    // Failed HTTP logins count toward the same ban as failed WebSocket logins, and a good login
    // does not forgive them.
    void badBearerTokensCountTowardTheBan()
    {
        ServerFixture f;
        server::ServerLimits limits;
        limits.failuresBeforeBan = 3;
        QVERIFY(f.start(limits));
        for (int i = 0; i < 2; ++i) {
            Raw r;
            QVERIFY(r.open(f.port));
            r.send("GET /uploads/u_0123456789abcdef HTTP/1.1\r\nAuthorization: Bearer mxr_wrong\r\n\r\n");
            QVERIFY(r.waitFor("\r\n\r\n"));
            QCOMPARE(r.status(), 401);
        }
        QVERIFY(f.connect("mix")); // a good login in between
        Raw third;
        QVERIFY(third.open(f.port));
        third.send("GET /uploads/u_0123456789abcdef HTTP/1.1\r\nAuthorization: Bearer mxr_wrong\r\n\r\n");
        QVERIFY(third.waitFor("\r\n\r\n"));
        QCOMPARE(third.status(), 401);
        // Banned now: even the right token is refused, over HTTP and WebSocket.
        Raw after;
        QVERIFY(after.open(f.port));
        after.send("GET /uploads/u_0123456789abcdef HTTP/1.1\r\nAuthorization: Bearer " + f.tokens["mix"].toUtf8() + "\r\n\r\n");
        QVERIFY(after.waitFor("\r\n\r\n"));
        QCOMPARE(after.status(), 429);
        QVERIFY(!f.connect("mix"));
    }

    void uploadNamesAreText()
    {
        ServerFixture f;
        QVERIFY(f.start());
        for (const QByteArray& name : {QByteArray("a%0D%0Ab.wav"), QByteArray("a\tb.wav"), QByteArray("%ED%A0%80.wav"),
                                       QByteArray("%FF.wav"), QByteArray("..%2Fx.wav"), QByteArray("..")}) {
            Raw r;
            QVERIFY(r.open(f.port));
            r.send("POST /uploads HTTP/1.1\r\nAuthorization: Bearer " + f.tokens["mix"].toUtf8() + "\r\nUpload-Name: " + name +
                   "\r\nUpload-Length: 100\r\n\r\n");
            QVERIFY(r.waitFor("}"));
            QVERIFY2(r.status() == 400, name.constData());
        }
        QCOMPARE(QDir(f.dir.path() + "/uploads").entryList(QDir::Files).size(), 0);
    }

    // A WebSocket's TCP connection leaves the registry when the WebSocket closes.
    void webSocketsLeaveTheRegistry()
    {
        ServerFixture f;
        QVERIFY(f.start());
        {
            auto c = f.connect("mix");
            QVERIFY(c);
            QCOMPARE(f.srv->httpConnections(), 1);
        }
        QTRY_COMPARE(f.srv->httpConnections(), 0);
    }

    void headScanner()
    {
        using server::HeadScan;
        auto scan = server::scanRequestHead("GET /a?b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
        QCOMPARE(scan.status, HeadScan::Complete);
        QCOMPARE(scan.head.path(), QByteArray("/a"));
        QCOMPARE(scan.head.contentLength, 5);
        QVERIFY(scan.head.expectContinue);
        QCOMPARE(scan.headBytes, 71);
        QCOMPARE(server::scanRequestHead("GET / HTTP/1.1\r\nHost: x\r\n").status, HeadScan::Incomplete);
        for (const char* bad :
             {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
              "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2\r\n\r\n",
              "GET / HTTP/1.1\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"})
            QVERIFY2(server::scanRequestHead(bad).status == HeadScan::Bad, bad);
    }

    void byteRanges()
    {
        auto r = [](const char* h, qint64 total) { return server::parseByteRange(h, total); };
        QCOMPARE(r("bytes=0-9", 100)->end, 9);
        QCOMPARE(r("bytes=90-", 100)->start, 90);
        QCOMPARE(r("bytes=-10", 100)->start, 90);
        QCOMPARE(r("bytes=-1000", 100)->start, 0);
        QVERIFY(!r("bytes=99999999999999999999999-", 100));           // past the end: 416, not the whole file
        QCOMPARE(r("bytes=0-99999999999999999999999", 100)->end, 99); // the whole file, not one byte
        QCOMPARE(r("bytes=-99999999999999999999999", 100)->start, 0);
        QVERIFY(!r("bytes=100-", 100));
        QVERIFY(!r("bytes=5-4", 100));
        QVERIFY(!r("bytes=a-b", 100));
        QVERIFY(!r("bytes=+1-2", 100));
        QVERIFY(!r("bytes=0-1,3-4", 100));
        QVERIFY(!r("bytes=-0", 100));
    }
};

QTEST_GUILESS_MAIN(TestHttpGuard)
#include "tst_httpguard.moc"
