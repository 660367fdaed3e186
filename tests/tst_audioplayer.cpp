// SPDX-License-Identifier: MIT
// PortAudio playback against a real (dummy-backend) JACK server started by the test: audio from a
// real server's stream flows through the jitter buffer in real time without underruns, and
// underruns are counted once the server stops sending.
#include "ServerFixture.h"
#include "client/AudioPlayer.h"
#include "client/PreviewReceiver.h"

#include <QProcess>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

class TestAudioPlayer : public QObject {
    Q_OBJECT
    QProcess m_jack;

  private slots:
    void initTestCase()
    {
        // A JACK server with the dummy backend paces audio in real time without a sound card.
        const QString name = QString("mixroom-test-%1").arg(QCoreApplication::applicationPid());
        qputenv("JACK_DEFAULT_SERVER", name.toLocal8Bit());
        qputenv("JACK_NO_AUDIO_RESERVATION", "1");
        m_jack.setProcessChannelMode(QProcess::MergedChannels);
        m_jack.start("jackd", {"--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"});
        QVERIFY2(m_jack.waitForStarted(10000), "jackd (Debian package jackd2) is needed");
        QString error;
        QTRY_VERIFY_WITH_TIMEOUT(!client::AudioPlayer::devices(&error).isEmpty(), 15000);
    }
    void cleanupTestCase()
    {
        m_jack.terminate();
        m_jack.waitForFinished(5000);
    }

    void listsDevices()
    {
        QString error;
        const auto devices = client::AudioPlayer::devices(&error);
        QVERIFY(error.isEmpty());
        QVERIFY(std::any_of(devices.begin(), devices.end(),
                            [](const client::OutputDevice& d) { return d.hostApi.contains("JACK") && d.isDefault; }));
        QVERIFY(!client::AudioPlayer::open(999, 60, &error));
        QVERIFY(error.contains("no output device 999"));
    }

    void streamPlaysThenUnderrunsWhenTheServerStops()
    {
        ServerFixture f;
        f.stemSeconds = 10;
        QVERIFY(f.start());
        auto c = f.connect("client");
        QVERIFY(c);
        QString error;
        auto player = client::AudioPlayer::open(-1, 60, &error);
        QVERIFY2(player, qPrintable(error));
        client::PreviewReceiver receiver;
        connect(c.get(), &client::Connection::audioFrame, &receiver, &client::PreviewReceiver::feed);
        connect(&receiver, &client::PreviewReceiver::audio, this,
                [&](quint64, const QVector<float>& pcm, quint8) { player->push(pcm.constData(), static_cast<int>(pcm.size() / 2)); });
        QSignalSpy replies(c.get(), &client::Connection::reply);
        c->request(Kind::Listen, {{"mode", "own"}});
        c->request(Kind::Transport, {{"target", "own"}, {"action", "play"}});
        // Two seconds of real-time playback: frames flow, nothing runs dry.
        QTRY_VERIFY_WITH_TIMEOUT(player->played() >= 48000 * 2, 10000);
        QCOMPARE(player->underruns(), qint64(0));
        QCOMPARE(receiver.lost(), qint64(0));
        // The server stops sending: the device keeps asking, finds nothing, counts an underrun.
        c->request(Kind::Transport, {{"target", "own"}, {"action", "pause"}});
        QTRY_VERIFY_WITH_TIMEOUT(player->underruns() >= 1, 5000);
        QVERIFY(player->targetMs() > 60); // the jitter buffer grew
    }
};

QTEST_GUILESS_MAIN(TestAudioPlayer)
#include "tst_audioplayer.moc"
