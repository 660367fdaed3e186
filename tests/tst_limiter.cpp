// SPDX-License-Identifier: MIT
#include "ReferenceMeter.h"
#include "StressSignals.h"
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

    // Renders are the same bits on every machine: each half-sample kernel this CPU runs (AVX-512,
    // AVX2, portable std::fma) gives exactly the portable kernel's peaks, for both filter lengths,
    // on noise, near-Nyquist tones and clicks, in blocks of random size.
    void everyKernelGivesTheSameBits()
    {
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        std::uniform_int_distribution<int> len(1, 700);
        std::vector<float> x(12000);
        for (size_t i = 0; i < x.size(); ++i) {
            const double t = static_cast<double>(i);
            x[i] = i < 4000 ? u(rng) : i < 8000 ? static_cast<float>(0.9 * std::sin(0.97 * M_PI * t + 0.3)) : (i % 97 == 0 ? 1.0f : 0.0f);
        }
        int ran = 0;
        for (auto filter : {TruePeakDetector::Filter::Standard, TruePeakDetector::Filter::Long}) {
            auto run = [&](TruePeakDetector::Kernel kernel) {
                TruePeakDetector tp(filter);
                if (!tp.useKernel(kernel)) return std::vector<float>{};
                std::vector<float> peaks(x.size());
                std::mt19937 sizes(3);
                for (size_t pos = 0; pos < x.size();) {
                    const int n = std::min<int>(len(sizes), static_cast<int>(x.size() - pos));
                    tp.pushBlock(x.data() + pos, n, peaks.data() + pos);
                    pos += static_cast<size_t>(n);
                }
                return peaks;
            };
            const std::vector<float> portable = run(TruePeakDetector::Kernel::Portable);
            QCOMPARE(portable.size(), x.size());
            QVERIFY(*std::max_element(portable.begin(), portable.end()) > 0.9f);
            for (auto kernel : {TruePeakDetector::Kernel::Avx512, TruePeakDetector::Kernel::Avx2, TruePeakDetector::Kernel::Auto}) {
                const std::vector<float> peaks = run(kernel);
                if (peaks.empty()) {
                    qInfo("kernel %d: not available on this CPU", static_cast<int>(kernel));
                    continue;
                }
                ++ran;
                QVERIFY2(std::memcmp(peaks.data(), portable.data(), x.size() * sizeof(float)) == 0,
                         qPrintable(QStringLiteral("kernel %1 differs from the portable one").arg(static_cast<int>(kernel))));
            }
        }
#if defined(__x86_64__)
        QVERIFY2(ran >= 4, "no vector kernel ran: the comparison proved nothing");
#endif
    }

    // Every stress signal at three rates, driven 9 dB over the ceiling: the independent 16x
    // reference finds nothing above the ceiling in the output, and the limiter is not limiting
    // far harder than it must. At -1 dBTP with the default timing (5 ms lookahead, 50 ms release),
    // at -0.3 dBTP with the fastest the table allows (0.5 ms, 1 ms), where the gain moves most.
    void holdsTheCeilingByAnIndependentMeter_data()
    {
        QTest::addColumn<QString>("signal");
        QTest::addColumn<double>("rate");
        QTest::addColumn<double>("ceiling");
        for (double rate : {44100.0, 48000.0, 96000.0})
            for (const auto& name : stressSignalNames())
                for (double ceiling : {-1.0, -0.3})
                    QTest::addRow("%s, %g kHz, %g dBTP", name.c_str(), rate / 1000, ceiling)
                        << QString::fromStdString(name) << rate << ceiling;
    }
    void holdsTheCeilingByAnIndependentMeter()
    {
        QFETCH(QString, signal);
        QFETCH(double, rate);
        QFETCH(double, ceiling);
        auto s = stressSignal(signal.toStdString(), rate, 0.5, std::pow(10.0, (ceiling + 9.0) / 20.0));
        LimiterDsp lim;
        const bool fast = ceiling > -0.5;
        lim.prepare(rate, fast ? 0.5 : 5.0);
        lim.setParams(Limiter{true, ceiling, fast ? 0.5 : 5.0, fast ? 1.0 : 50.0});
        // The signal, then enough silence to flush the delay line, in uneven blocks.
        const int n = static_cast<int>(s.l.size()) + lim.latencySamples();
        s.l.resize(static_cast<size_t>(n), 0.0f);
        s.r.resize(static_cast<size_t>(n), 0.0f);
        const auto plan = blockPlan(n, 0, testSeed());
        int done = 0;
        for (int len : plan) {
            lim.process(s.l.data() + done, s.r.data() + done, len);
            done += len;
        }
        static const ReferenceTruePeak reference;
        const double peak = std::max(reference.peakDb(s.l), reference.peakDb(s.r));
        QVERIFY2(peak <= ceiling,
                 qPrintable(QString("%1 dBTP out of the limiter, over its %2 dBTP ceiling").arg(peak, 0, 'f', 3).arg(ceiling)));
        QVERIFY2(peak > ceiling - 0.6,
                 qPrintable(QString("%1 dBTP: limiting far harder than the %2 dBTP ceiling needs").arg(peak, 0, 'f', 3).arg(ceiling)));
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
