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

    void liveModeAgreesWithLibebur128Windows()
    {
        // A preview meter (Live) fed 20 ms frames reads what libebur128's own 400 ms and 3 s
        // windows read at every 100 ms boundary, through level steps and silence.
        const int rate = 48000;
        std::vector<float> sig;
        for (double db : {-18.0, -30.0, -200.0, -12.0, -24.0}) {
            const auto part = sine(997, rate, db < -150 ? 0.0 : std::pow(10, db / 20), rate * 2);
            sig.insert(sig.end(), part.begin(), part.end());
        }
        LoudnessMeter live(rate, LoudnessMeter::Mode::Live), full(rate);
        int checked = 0;
        for (int pos = 0; pos + 960 <= int(sig.size()); pos += 960) {
            live.add(sig.data() + pos, sig.data() + pos, 960);
            full.add(sig.data() + pos, sig.data() + pos, 960);
            if ((pos + 960) % 4800 != 0) continue;
            auto same = [](double a, double b) { return (std::isinf(a) && std::isinf(b)) || std::abs(a - b) < 0.01; };
            QVERIFY2(same(live.momentary(), full.momentary()),
                     qPrintable(QString("at %1: %2 vs %3").arg(pos).arg(live.momentary()).arg(full.momentary())));
            QVERIFY2(same(live.shortTerm(), full.shortTerm()),
                     qPrintable(QString("at %1: %2 vs %3").arg(pos).arg(live.shortTerm()).arg(full.shortTerm())));
            ++checked;
        }
        QCOMPARE(checked, 100);
        QVERIFY(std::abs(live.integrated() - full.integrated()) < 0.05); // histogram bins 0.1 LU
    }
};

QTEST_GUILESS_MAIN(TestLoudnessMeter)
#include "tst_loudnessmeter.moc"
