// SPDX-License-Identifier: MIT
// Resumable stem uploads against the real server: interrupted and resumed, refused files leave
// nothing behind, role and offset checks, and the stem becomes a track.
#include "ServerFixture.h"
#include "client/Uploader.h"

#include <QDir>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QStorageInfo>

using namespace mixroom;
using namespace mixroom::test;

class TestUploads : public QObject {
    Q_OBJECT
  private slots:
    void interruptedUploadResumes()
    {
        ServerFixture f;
        QVERIFY(f.start());
        // A 44.1 kHz stereo file of ~12 MB: several chunks.
        const int frames = 44100 * 70;
        const auto l = sine(440, 44100, 0.4, frames);
        const QString file = f.dir.path() + "/long.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 2, interleave(l, l)));
        const qint64 size = QFileInfo(file).size();
        QVERIFY(size > 2 * client::Uploader::kChunkBytes);

        client::Uploader up(f.url(), f.tokens["mix"]);
        auto first = up.upload(file, {}, {}, client::Uploader::kChunkBytes); // stops after one chunk
        QVERIFY(!first.ok);
        QCOMPARE(first.code, QString("interrupted"));
        QVERIFY(!first.uploadId.isEmpty());
        QList<qint64> seen;
        auto second = up.upload(file, first.uploadId, [&](qint64 sent, qint64) { seen.append(sent); });
        QVERIFY2(second.ok, qPrintable(second.message));
        QCOMPARE(second.uploadId, first.uploadId);
        QCOMPARE(seen.first(), client::Uploader::kChunkBytes); // resumed, not restarted
        QCOMPARE(seen.last(), size);
        QCOMPARE(second.stem.value("sampleRate").toInt(), 48000); // resampled to the session rate
        QCOMPARE(second.stem.value("sourceRate").toInt(), 44100);
        QVERIFY(std::abs(second.stem.value("frames").toDouble() - 48000 * 70) <= 1);
        QCOMPARE(QDir(f.dir.path() + "/uploads").entryList(QDir::Files).size(), 0);

        // The stem becomes a track through an ordinary edit.
        auto c = f.connect("mix");
        QVERIFY(c);
        QSignalSpy acked(c.get(), &client::Connection::acked);
        c->request(protocol::Kind::AddTrack, {{"id", "long"}, {"name", "Long"}, {"stem", second.stem.value("hash")}});
        QVERIFY(acked.wait(5000));
        QCOMPARE(c->mirror().state().tracks.size(), size_t(3));
    }

    // The import runs on a worker: while a long stem decodes and resamples, the control thread
    // keeps answering (a ping sent after the last chunk comes back before the import's answer).
    void importDoesNotHoldTheServer()
    {
        ServerFixture f;
        QVERIFY(f.start());
        const auto l = sine(440, 44100, 0.4, 44100 * 600); // 10 min at 44.1 kHz: resampled to 48 kHz
        const QString file = f.dir.path() + "/long.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, interleave(l, l)));
        QFile in(file);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray bytes = in.readAll();
        RawSocket ping; // joined before the import starts
        QVERIFY(ping.open(f.url()));
        QCOMPARE(ping.hello(f.tokens["client"]).value("type").toString(), QString("welcome"));
        QNetworkAccessManager nam;
        QNetworkRequest start(QUrl(QString("http://127.0.0.1:%1/uploads").arg(f.port)));
        start.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
        start.setRawHeader("Upload-Name", "long.wav");
        start.setRawHeader("Upload-Length", QByteArray::number(bytes.size()));
        QNetworkReply* r = nam.sendCustomRequest(start, "POST", QByteArray());
        QSignalSpy started(r, &QNetworkReply::finished);
        QVERIFY(started.wait(5000));
        const QString id = QJsonDocument::fromJson(r->readAll()).object().value("id").toString();
        qint64 offset = 0;
        QNetworkReply* last = nullptr;
        while (offset < bytes.size()) {
            const QByteArray chunk = bytes.mid(offset, 16 << 20);
            QNetworkRequest patch(QUrl(QString("http://127.0.0.1:%1/uploads/%2").arg(f.port).arg(id)));
            patch.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
            patch.setRawHeader("Upload-Offset", QByteArray::number(offset));
            last = nam.sendCustomRequest(patch, "PATCH", chunk);
            offset += chunk.size();
            if (offset < bytes.size()) {
                QSignalSpy done(last, &QNetworkReply::finished);
                QVERIFY(done.wait(10000));
                QCOMPARE(last->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            }
        }
        // The last chunk is on its way; its answer waits for the import.
        QVERIFY(QTest::qWaitFor([&] { return QDir(f.dir.path() + "/uploads").entryList({"*.wav"}, QDir::Files).size() == 1; }, 10000));
        bool importAnswered = false;
        QObject::connect(last, &QNetworkReply::finished, [&] { importAnswered = true; });
        QCOMPARE(ping.exchange(R"({"type":"ping","id":7})").value("type").toString(), QString("pong"));
        QVERIFY2(!importAnswered, "the import answered before a ping sent during it");
        QTRY_VERIFY_WITH_TIMEOUT(importAnswered, 60000);
        const QJsonObject stem = QJsonDocument::fromJson(last->readAll()).object().value("stem").toObject();
        QCOMPARE(stem.value("sampleRate").toInt(), 48000);
        QCOMPARE(stem.value("frames").toDouble(), 48000.0 * 600);
    }

    void abandonedUploadsExpire()
    {
        // An upload nobody writes to for longer than the expiry is removed with its record; a
        // resume then gets 404 and starts over. (Expiry 400 ms here; 24 h by default.)
        ServerFixture f;
        server::ServerLimits limits;
        limits.uploadExpiryMs = 400;
        QVERIFY(f.start(limits));
        const auto l = sine(440, 48000, 0.4, 48000 * 30);
        const QString file = f.dir.path() + "/abandoned.wav";
        QVERIFY(writeAudio(file.toStdString(), SF_FORMAT_WAV | SF_FORMAT_PCM_24, 48000, 2, interleave(l, l)));
        client::Uploader up(f.url(), f.tokens["mix"]);
        const auto first = up.upload(file, {}, {}, client::Uploader::kChunkBytes); // stops after one chunk
        QCOMPARE(first.code, QString("interrupted"));
        const QDir uploads(f.dir.path() + "/uploads");
        QVERIFY(!uploads.entryList(QDir::Files).isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(uploads.entryList(QDir::Files).isEmpty(), 10000);
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(QString("http://127.0.0.1:%1/uploads/%2").arg(f.port).arg(first.uploadId)));
        req.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
        QNetworkReply* r = nam.get(req);
        QSignalSpy done(r, &QNetworkReply::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
        r->deleteLater();
    }

    void refusedUploadsLeaveNothing_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("code");
        QTest::newRow("garbage") << QByteArray(5000, 'z') << "stem_corrupt";
        QTest::newRow("truncated header") << QByteArray("RIFF\x10\x00\x00\x00WAVEfmt ", 16) << "stem_corrupt";
    }
    void refusedUploadsLeaveNothing()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, code);
        ServerFixture f;
        QVERIFY(f.start());
        const QString file = f.dir.path() + "/bad.wav";
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(content);
        out.close();
        const QStringList before = QDir(f.dir.path() + "/stems").entryList(QDir::Files);
        client::Uploader up(f.url(), f.tokens["mix"]);
        auto res = up.upload(file, {}, {});
        QVERIFY(!res.ok);
        QCOMPARE(res.code, code);
        QVERIFY(res.message.contains("bad.wav"));
        QVERIFY(res.uploadId.isEmpty()); // nothing to resume
        QCOMPARE(QDir(f.dir.path() + "/stems").entryList(QDir::Files), before);
        QCOMPARE(QDir(f.dir.path() + "/uploads").entryList(QDir::Files).size(), 0);
    }

    void rolesAndOffsetsAreChecked()
    {
        ServerFixture f;
        QVERIFY(f.start());
        const QString file = f.dir.path() + "/a.wav"; // written by the fixture
        client::Uploader artist(f.url(), f.tokens["artist"]);
        auto refused = artist.upload(file, {}, {});
        QCOMPARE(refused.code, QString("forbidden"));
        client::Uploader nobody(f.url(), "mxr_nope");
        QCOMPARE(nobody.upload(file, {}, {}).code, QString("bad_token"));

        // A PATCH at the wrong offset gets 409 and the real offset.
        QNetworkAccessManager nam;
        QNetworkRequest start(QUrl(QString("http://127.0.0.1:%1/uploads").arg(f.port)));
        start.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
        start.setRawHeader("Upload-Name", "x.wav");
        start.setRawHeader("Upload-Length", "100");
        QNetworkReply* r = nam.sendCustomRequest(start, "POST", QByteArray());
        QSignalSpy done(r, &QNetworkReply::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        const QString id = QJsonDocument::fromJson(r->readAll()).object().value("id").toString();
        QNetworkRequest patch(QUrl(QString("http://127.0.0.1:%1/uploads/%2").arg(f.port).arg(id)));
        patch.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
        patch.setRawHeader("Upload-Offset", "50");
        QNetworkReply* p = nam.sendCustomRequest(patch, "PATCH", QByteArray(10, 'a'));
        QSignalSpy pdone(p, &QNetworkReply::finished);
        QVERIFY(pdone.wait(5000));
        QCOMPARE(p->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 409);
        QCOMPARE(QJsonDocument::fromJson(p->readAll()).object().value("offset").toInt(), 0);
        // Names with folders are refused.
        start.setRawHeader("Upload-Name", "..%2Fetc%2Fpasswd");
        QNetworkReply* t = nam.sendCustomRequest(start, "POST", QByteArray());
        QSignalSpy tdone(t, &QNetworkReply::finished);
        QVERIFY(tdone.wait(5000));
        QCOMPARE(t->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 400);
    }

    // Space is promised to unfinished uploads: with room for one and a half uploads of L bytes
    // (beyond what the server keeps free), a second upload of L is refused while the first is
    // unfinished, and accepted once it is gone. Only declared lengths: nothing is written.
    void unfinishedUploadsReserveTheirSpace()
    {
        const qint64 free = QStorageInfo(QDir::tempPath()).bytesAvailable();
        const qint64 length = std::min<qint64>(qint64(2) << 30, free / 4);
        server::ServerLimits limits;
        limits.keepFreeBytes = free - length * 3 / 2;
        ServerFixture f;
        QVERIFY(f.start(limits));
        QNetworkAccessManager nam;
        auto request = [&](const QByteArray& method, const QString& path) {
            QNetworkRequest req(QUrl(QString("http://127.0.0.1:%1%2").arg(f.port).arg(path)));
            req.setRawHeader("Authorization", "Bearer " + f.tokens["mix"].toUtf8());
            req.setRawHeader("Upload-Name", "big.wav");
            req.setRawHeader("Upload-Length", QByteArray::number(length));
            QNetworkReply* r = nam.sendCustomRequest(req, method, QByteArray());
            QSignalSpy done(r, &QNetworkReply::finished);
            done.wait(5000);
            r->deleteLater();
            return std::make_pair(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                                  QJsonDocument::fromJson(r->readAll()).object());
        };
        const auto [firstStatus, first] = request("POST", "/uploads");
        QCOMPARE(firstStatus, 201);
        const auto [secondStatus, second] = request("POST", "/uploads");
        QCOMPARE(secondStatus, 507);
        QCOMPARE(second.value("error").toString(), QString("disk_full"));
        QVERIFY2(second.value("message").toString().contains("promised to unfinished uploads"),
                 qPrintable(second.value("message").toString()));
        QCOMPARE(request("DELETE", "/uploads/" + first.value("id").toString()).first, 200);
        QCOMPARE(request("POST", "/uploads").first, 201);
    }
};

QTEST_GUILESS_MAIN(TestUploads)
#include "tst_uploads.moc"
