// SPDX-License-Identifier: MIT
// EBU Tech 3341-style checks of the loudness meter (libebur128 underneath).
#include "TestSignals.h"
#include "engine/render/LoudnessMeter.h"

#include <QTest>

using namespace mixroom::engine;
using namespace mixroom::test;

class TestLoudnessMeter : public QObject {
    Q_OBJECT
  private slots:
    void sineReadsItsLevel_data()
    {
        QTest::addColumn<double>("dbfs");
        QTest::addColumn<int>("rate");
        QTest::newRow("-23 dBFS @48k") << -23.0 << 48000;
        QTest::newRow("-23 dBFS @44.1k") << -23.0 << 44100;
        QTest::newRow("-33 dBFS @96k") << -33.0 << 96000;
    }
    void sineReadsItsLevel()
    {
        // Tech 3341 test 1/2: a 1 kHz sine on both channels at X dBFS reads X LUFS.
        QFETCH(double, dbfs);
        QFETCH(int, rate);
        const auto s = sine(1000, rate, std::pow(10, dbfs / 20), rate * 20);
        LoudnessMeter m(rate);
        m.add(s.data(), s.data(), int(s.size()));
        const auto rep = m.report();
        QVERIFY2(std::abs(rep.integrated - dbfs) <= 0.1, qPrintable(QString::number(rep.integrated)));
        QVERIFY(std::abs(m.momentary() - dbfs) <= 0.1);
        QVERIFY(std::abs(m.shortTerm() - dbfs) <= 0.1);
        QVERIFY(std::abs(rep.maxMomentary - dbfs) <= 0.1);
        QVERIFY(rep.range < 0.1);
        QVERIFY(std::abs(rep.seconds - 20) < 1e-9);
    }

    void truePeakOfInterSamplePeak()
    {
        // fs/4 at 45 degrees: sample peak -3.01 dB below the true peak of 0.5 (-6.02 dBTP).
        const int rate = 48000;
        const auto s = sine(rate / 4.0, rate, 0.5, rate * 2, M_PI / 4);
        LoudnessMeter m(rate);
        m.add(s.data(), s.data(), int(s.size()));
        const auto rep = m.report();
        QVERIFY2(std::abs(rep.samplePeak - (-9.03)) < 0.01, qPrintable(QString::number(rep.samplePeak)));
        QVERIFY2(std::abs(rep.truePeak - (-6.02)) < 0.3, qPrintable(QString::number(rep.truePeak)));
    }

    void loudnessRangeOfTwoLevels()
    {
        // Tech 3342 case: 20 s at -20 dBFS then 20 s at -30 dBFS gives LRA 10 LU.
        const int rate = 48000;
        auto a = sine(1000, rate, std::pow(10, -20 / 20.0), rate * 20);
        auto b = sine(1000, rate, std::pow(10, -30 / 20.0), rate * 20);
        LoudnessMeter m(rate);
        m.add(a.data(), a.data(), int(a.size()));
        m.add(b.data(), b.data(), int(b.size()));
        QVERIFY2(std::abs(m.report().range - 10) <= 1, qPrintable(QString::number(m.report().range)));
    }
};

QTEST_GUILESS_MAIN(TestLoudnessMeter)
#include "tst_loudnessmeter.moc"
