// SPDX-License-Identifier: MIT
#include "TestSignals.h"
#include "engine/dsp/Compressor.h"
#include "engine/dsp/FastMath.h"

#include <QTest>

#include <cstring>
#include <random>

using namespace mixroom::engine;
using namespace mixroom::test;

class TestCompressor : public QObject {
    Q_OBJECT
  private slots:
    void fastLogAndExpAreWithinATenThousandthOfADb()
    {
        // The detector's level <-> dB conversions against libm in double, from -140 dBFS to
        // +24 dBFS (log) and over 0 to -40 dB of gain reduction (exp).
        double worstLog = 0, worstExp = 0;
        for (double x = 1e-7; x < 16; x *= 1.0003) {
            const float f = static_cast<float>(x);
            worstLog = std::max(worstLog, std::abs(fastLog2(f) - std::log2(double(f))) * 6.0206);
        }
        for (double r = -40; r <= 0; r += 0.0007) {
            const float f = static_cast<float>(r);
            worstExp = std::max(worstExp, std::abs(20 * std::log10(fastExp2(f) / std::exp2(double(f)))));
        }
        QVERIFY2(worstLog < 1e-4, qPrintable(QString::number(worstLog)));
        QVERIFY2(worstExp < 1e-4, qPrintable(QString::number(worstExp)));
        // The double version (automation's gains, EQ gains) over the whole fader and EQ range, in
        // relative error: 2^x for x from -24 (-144 dB) to +2 (+12 dB) and beyond.
        double worstD = 0;
        for (double x = -30; x <= 30; x += 0.000731)
            worstD = std::max(worstD, std::abs(fastExp2d(x) / std::exp2(x) - 1));
        QVERIFY2(worstD < 1e-8, qPrintable(QString::number(worstD)));
    }

    void curve_data()
    {
        QTest::addColumn<double>("in");
        QTest::addColumn<double>("knee");
        QTest::addColumn<double>("expected"); // textbook: T=-20, R=4
        QTest::newRow("below") << -40.0 << 0.0 << -40.0;
        QTest::newRow("at threshold hard") << -20.0 << 0.0 << -20.0;
        QTest::newRow("above hard") << -8.0 << 0.0 << -17.0;
        QTest::newRow("knee start") << -25.0 << 10.0 << -25.0;
        QTest::newRow("knee middle") << -20.0 << 10.0 << -20.0 + (0.25 - 1) * 25.0 / 20.0;
        QTest::newRow("knee end") << -15.0 << 10.0 << -18.75;
        QTest::newRow("far above soft") << 0.0 << 10.0 << -15.0;
    }
    void curve()
    {
        QFETCH(double, in);
        QFETCH(double, knee);
        QFETCH(double, expected);
        QVERIFY(std::abs(compressorCurve(in, -20, 4, knee) - expected) < 1e-9);
    }

    void staticCurveMeasured_data()
    {
        QTest::addColumn<double>("levelDb");
        QTest::addColumn<bool>("rms");
        for (double l : {-40.0, -24.0, -20.0, -16.0, -10.0, -3.0}) {
            QTest::addRow("peak %g dB", l) << l << false;
            QTest::addRow("rms %g dB", l) << l << true;
        }
    }
    void staticCurveMeasured()
    {
        // Drive a steady signal and compare the settled gain with the static curve within 0.2 dB.
        QFETCH(double, levelDb);
        QFETCH(bool, rms);
        const double fs = 48000;
        CompressorDsp c;
        c.prepare(fs);
        Compressor p{true, -20, 4, 6, 5, 50, 0, rms ? Detector::Rms : Detector::Peak};
        c.setParams(p);
        // Peak: a constant (DC) level. RMS: a 1 kHz sine whose RMS is the level.
        const int n = 48000;
        std::vector<float> l(static_cast<size_t>(n)), r;
        if (rms)
            l = sine(1000, fs, std::pow(10, levelDb / 20) * std::sqrt(2.0), n);
        else
            std::fill(l.begin(), l.end(), float(std::pow(10, levelDb / 20)));
        r = l;
        std::vector<float> in = l;
        c.process(l.data(), r.data(), n);
        double gainDb;
        if (rms)
            gainDb = toDb(amplitudeAt(l, 1000, fs, 24000, 24000) / amplitudeAt(in, 1000, fs, 24000, 24000));
        else
            gainDb = toDb(l[static_cast<size_t>(n - 1)] / in[static_cast<size_t>(n - 1)]);
        const double expected = compressorCurve(levelDb, -20, 4, 6) - levelDb;
        QVERIFY2(std::abs(gainDb - expected) < 0.2, qPrintable(QString("gain %1 dB, curve %2 dB").arg(gainDb).arg(expected)));
    }

    void attackTime()
    {
        // A step into compression: after one attack time constant, 63 % of the reduction is reached.
        const double fs = 48000;
        CompressorDsp c;
        c.prepare(fs);
        c.setParams(Compressor{true, -20, 10, 0, 10, 200, 0, Detector::Peak});
        std::vector<float> l(48000, 0.5f), r = l; // -6 dBFS: target reduction 12.6 dB
        c.process(l.data(), r.data(), 48000);
        const double target = -6.0206 - compressorCurve(-6.0206, -20, 10, 0);
        const double at = -toDb(l[480] / 0.5); // 10 ms
        QVERIFY2(std::abs(at / target - (1 - std::exp(-1.0))) < 0.02, qPrintable(QString::number(at / target)));
    }

    void groupIsBitIdenticalToOneAtATime()
    {
        // Sixteen compressors (peak and RMS, with and without knee, one bypassed, one switched on
        // mid-way), in blocks whose lengths are not multiples of the transposed four: processGroup
        // must give exactly the bits of process() on each.
        const double fs = 48000;
        constexpr int kN = CompressorDsp::kMaxGroup; // 15 live (8 + 4 + singles), then 16 (one loop)
        static_assert(kN == 16);
        constexpr int kStart[5] = {0, 2500, 5001, 7503, 10000};
        CompressorDsp solo[kN], grouped[kN];
        std::mt19937 rng(testSeed());
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        std::vector<float> aL[kN], aR[kN], bL[kN], bR[kN];
        for (int c = 0; c < kN; ++c) {
            const Compressor p{c != 4,  -30.0 + 1.5 * c, 2.0 + c % 8, c % 2 ? 6.0 : 0.0,
                               1.0 + c, 50.0 + 20 * c,   1.5,         c % 8 == 3 ? Detector::Rms : Detector::Peak};
            for (CompressorDsp* d : {&solo[c], &grouped[c]}) {
                d->prepare(fs);
                d->setParams(p);
            }
            for (int i = 0; i < 10000; ++i) {
                const float env = 0.05f + 0.9f * float(i % 4000) / 4000.0f; // ramps in and out of compression
                aL[c].push_back(env * u(rng));
                aR[c].push_back(env * u(rng));
            }
            bL[c] = aL[c];
            bR[c] = aR[c];
        }
        for (int block = 0; block < 4; ++block) {
            if (block == 2)
                for (CompressorDsp* d : {&solo[4], &grouped[4]})
                    d->setParams(Compressor{true, -25, 4, 3, 5, 80, 0, Detector::Peak});
            CompressorDsp* comps[kN];
            float* L[kN];
            float* R[kN];
            for (int c = 0; c < kN; ++c) {
                const int at = kStart[block], len = kStart[block + 1] - at;
                solo[c].process(aL[c].data() + at, aR[c].data() + at, len);
                comps[c] = &grouped[c];
                L[c] = bL[c].data() + at;
                R[c] = bR[c].data() + at;
            }
            CompressorDsp::processGroup(comps, L, R, kN, kStart[block + 1] - kStart[block]);
        }
        for (int c = 0; c < kN; ++c) {
            QVERIFY2(std::memcmp(aL[c].data(), bL[c].data(), aL[c].size() * 4) == 0, qPrintable(QString("compressor %1").arg(c)));
            QVERIFY2(std::memcmp(aR[c].data(), bR[c].data(), aR[c].size() * 4) == 0, qPrintable(QString("compressor %1").arg(c)));
            QCOMPARE(solo[c].takeMaxReduction(), grouped[c].takeMaxReduction());
        }
        QVERIFY(solo[0].takeMaxReduction() == 0.0f); // taken above
    }
};

QTEST_GUILESS_MAIN(TestCompressor)
#include "tst_compressor.moc"
