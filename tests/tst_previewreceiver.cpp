// SPDX-License-Identifier: MIT
// The receiver against frames made here with libopus: lost frames are counted and concealed so
// the audio keeps its timing, long gaps are not filled but flagged, late frames are dropped,
// other streams are ignored.
#include "TestSignals.h"
#include "client/PreviewReceiver.h"

#include <QTest>

#include <opus.h>

using namespace mixroom;

namespace {
// Twenty 20 ms frames of a 440 Hz sine for stream `stream`, as the server sends them.
QList<QByteArray> frames(quint32 stream, int count)
{
    int err = 0;
    OpusEncoder* enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &err);
    const auto tone = test::sine(440, 48000, 0.3, 960 * count);
    QList<QByteArray> out;
    for (int f = 0; f < count; ++f) {
        std::vector<float> pcm(2 * 960);
        for (int i = 0; i < 960; ++i)
            pcm[2 * i] = pcm[2 * i + 1] = tone[static_cast<size_t>(f * 960 + i)];
        unsigned char packet[4000];
        const int n = opus_encode_float(enc, pcm.data(), 960, packet, sizeof packet);
        protocol::AudioFrameHeader h;
        h.stream = stream;
        h.seq = static_cast<quint32>(f);
        h.position = static_cast<quint64>(f) * 960;
        out.append(h.encode(QByteArray(reinterpret_cast<const char*>(packet), n)));
    }
    opus_encoder_destroy(enc);
    return out;
}

struct Heard {
    std::vector<quint64> positions;
    std::vector<quint8> flags;
    qint64 samples = 0;
    explicit Heard(client::PreviewReceiver& r)
    {
        QObject::connect(&r, &client::PreviewReceiver::audio, [this](quint64 pos, const QVector<float>& pcm, quint8 f) {
            positions.push_back(pos);
            flags.push_back(f);
            samples += pcm.size() / 2;
        });
    }
};
} // namespace

class TestPreviewReceiver : public QObject {
    Q_OBJECT
  private slots:
    void shortGapsAreConcealedInTime()
    {
        const auto all = frames(7, 20);
        client::PreviewReceiver r;
        r.setStream(7);
        Heard heard(r);
        for (int i = 0; i < 20; ++i)
            if (i != 5 && i != 6) r.feed(all[i]);
        QCOMPARE(r.lost(), 2);
        QCOMPARE(r.concealed(), 2);
        QCOMPARE(heard.samples, qint64(20 * 960)); // no hole in time
        for (size_t i = 0; i < heard.positions.size(); ++i)
            QCOMPARE(heard.positions[i], quint64(i) * 960);
        QCOMPARE(heard.flags[5], client::PreviewReceiver::kConcealed);
    }

    void longGapsAreFlaggedNotFilled()
    {
        const auto all = frames(7, 20);
        client::PreviewReceiver r;
        Heard heard(r);
        for (int i = 0; i < 20; ++i)
            if (i < 3 || i > 12) r.feed(all[i]);
        QCOMPARE(r.lost(), 10);
        QCOMPARE(r.concealed(), 0);
        QCOMPARE(heard.samples, qint64(10 * 960));
        QVERIFY(heard.flags[3] & protocol::AudioFrameHeader::Discontinuity);
        QVERIFY(heard.flags[3] & client::PreviewReceiver::kAfterGap); // a recorder fills the gap with silence
        QVERIFY(!(heard.flags[2] & client::PreviewReceiver::kAfterGap));
        QCOMPARE(heard.positions[3], quint64(13 * 960));
    }

    void lateAndForeignFramesAreDropped()
    {
        const auto mine = frames(7, 10), other = frames(9, 10);
        client::PreviewReceiver r;
        r.setStream(7);
        Heard heard(r);
        r.feed(other[0]); // the last stream's frames still in flight
        r.feed(mine[0]);
        r.feed(mine[2]); // 1 missing: concealed
        r.feed(mine[1]); // arrives late: dropped
        r.feed(other[1]);
        r.feed(mine[3]);
        QCOMPARE(r.foreign(), 2);
        QCOMPARE(r.late(), 1);
        QCOMPARE(r.lost(), 1);
        QCOMPARE(heard.samples, qint64(4 * 960));
        QCOMPARE(heard.positions.back(), quint64(3 * 960));
    }
};

QTEST_GUILESS_MAIN(TestPreviewReceiver)
#include "tst_previewreceiver.moc"
