// SPDX-License-Identifier: MIT
#include "TestSignals.h"
#include "engine/dsp/Limiter.h"
#include "engine/dsp/TruePeak.h"
#include "engine/render/LoudnessMeter.h"

#include <QTest>

#include <algorithm>
#include <cstring>
#include <random>

using namespace mixroom::engine;
using namespace mixroom::test;

class TestLimiter : public QObject {
    Q_OBJECT
  private slots:
    void truePeakBlockIsBitIdenticalToPush()
    {
        // pushBlock (filter across time) against push (across phases), in blocks of random size
        // from 1 to 700 (chunk edges and blocks shorter than the filter included).
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        std::uniform_int_distribution<int> len(1, 700);
        TruePeakDetector one, block;
        std::vector<float> x(40000), a(x.size()), b(x.size());
        for (float& v : x)
            v = u(rng);
        for (size_t i = 0; i < x.size(); ++i)
            a[i] = one.push(x[i]);
        for (size_t pos = 0; pos < x.size();) {
            const int n = std::min<int>(len(rng), static_cast<int>(x.size() - pos));
            block.pushBlock(x.data() + pos, n, b.data() + pos);
            pos += static_cast<size_t>(n);
        }
        QVERIFY(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
        QVERIFY(*std::max_element(a.begin(), a.end()) > 0.9f);
    }

    void holdsTheTruePeakCeiling_data()
    {
        QTest::addColumn<double>("ceiling");
        QTest::addColumn<double>("drive");
        QTest::newRow("-1 dBTP, +12 dB over") << -1.0 << 4.0;
        QTest::newRow("-0.3 dBTP, +6 dB over") << -0.3 << 2.0;
        QTest::newRow("-6 dBTP, +20 dB over") << -6.0 << 10.0;
    }
    void holdsTheTruePeakCeiling()
    {
        QFETCH(double, ceiling);
        QFETCH(double, drive);
        const double fs = 48000;
        // Inter-sample-peak-rich material: high sines near fs/4 with shifting phase plus bursts.
        const int n = int(fs * 4);
        std::vector<float> l(static_cast<size_t>(n)), r(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
            const double t = i / fs;
            const double burst = (i / 4800) % 3 == 0 ? 1.0 : 0.3;
            l[static_cast<size_t>(i)] =
                float(drive * burst * (0.6 * std::sin(2 * M_PI * 11997 * t + 0.785) + 0.4 * std::sin(2 * M_PI * 220 * t)));
            r[static_cast<size_t>(i)] = float(drive * burst * (0.6 * std::sin(2 * M_PI * 12011 * t) + 0.4 * std::sin(2 * M_PI * 330 * t)));
        }
        LimiterDsp lim;
        lim.prepare(fs, 5.0);
        lim.setParams(Limiter{true, ceiling, 5.0, 50});
        for (int done = 0; done < n; done += 256)
            lim.process(l.data() + done, r.data() + done, std::min(256, n - done));
        LoudnessMeter meter(static_cast<int>(fs));
        meter.add(l.data(), r.data(), n);
        const double tp = meter.report().truePeak;
        QVERIFY2(tp <= ceiling + 0.05, qPrintable(QString("true peak %1 dBTP over the %2 dBTP ceiling").arg(tp).arg(ceiling)));
        QVERIFY2(tp > ceiling - 1.0, qPrintable(QString("true peak %1 dBTP: limiting far too hard").arg(tp)));
    }

    void quietSignalPassesUntouched()
    {
        const double fs = 48000;
        LimiterDsp lim;
        lim.prepare(fs, 5.0);
        lim.setParams(Limiter{true, -1, 5.0, 100});
        auto l = sine(440, fs, 0.5, 9600);
        auto r = l;
        const auto in = l;
        lim.process(l.data(), r.data(), 9600);
        const size_t lat = static_cast<size_t>(lim.latencySamples());
        for (size_t i = lat; i < l.size(); ++i)
            QCOMPARE(l[i], in[i - lat]);
    }

    void detectsInterSamplePeaks()
    {
        // A sine at fs/4 with a 45 degree phase: samples at 0.707 A, true peak A.
        TruePeakDetector tp;
        float peak = 0;
        for (int i = 0; i < 4800; ++i)
            peak = std::max(peak, tp.push(float(std::sin(M_PI / 2 * i + M_PI / 4))));
        QVERIFY2(std::abs(toDb(peak)) < 0.2, qPrintable(QString::number(toDb(peak))));
    }
};

QTEST_GUILESS_MAIN(TestLimiter)
#include "tst_limiter.moc"
