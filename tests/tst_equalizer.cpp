// SPDX-License-Identifier: MIT
// Every EQ band type against the analytic response of its analog prototype mapped through the
// bilinear transform (the RBJ cookbook's derivation), within 0.1 dB, across sample rates and
// block sizes.
#include "TestSignals.h"
#include "engine/dsp/Equalizer.h"
#include "engine/dsp/StereoBiquad.h"

#include <QTest>

#include <complex>
#include <cstring>
#include <random>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
// |H| in dB from the analog prototype at s = j * tan(w/2) / tan(w0/2) (RBJ's prewarped bilinear map).
double analyticDb(EqType type, double fs, double f0, double gainDb, double q, double f)
{
    const double omega = std::tan(std::numbers::pi * f / fs) / std::tan(std::numbers::pi * f0 / fs);
    const std::complex<double> s(0.0, omega);
    const double A = std::pow(10.0, gainDb / 40.0);
    auto lp = [&](double qq) { return 1.0 / (s * s + s / qq + 1.0); };
    auto hp = [&](double qq) { return s * s / (s * s + s / qq + 1.0); };
    std::complex<double> h;
    switch (type) {
    case EqType::LowPass12: h = lp(q); break;
    case EqType::HighPass12: h = hp(q); break;
    case EqType::LowPass24: h = lp(0.54119610014619701) * lp(1.3065629648763766); break;
    case EqType::HighPass24: h = hp(0.54119610014619701) * hp(1.3065629648763766); break;
    case EqType::Peak: h = (s * s + s * (A / q) + 1.0) / (s * s + s / (A * q) + 1.0); break;
    case EqType::LowShelf: h = A * (s * s + (std::sqrt(A) / q) * s + A) / (A * s * s + (std::sqrt(A) / q) * s + 1.0); break;
    case EqType::HighShelf: h = A * (A * s * s + (std::sqrt(A) / q) * s + 1.0) / (s * s + (std::sqrt(A) / q) * s + A); break;
    }
    return 20.0 * std::log10(std::abs(h));
}
} // namespace

class TestEqualizer : public QObject {
    Q_OBJECT
  private slots:
    void response_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("fs");
        QTest::addColumn<int>("block");
        const struct {
            EqType t;
            const char* name;
        } types[] = {{EqType::HighPass12, "hp12"}, {EqType::HighPass24, "hp24"},   {EqType::LowPass12, "lp12"},
                     {EqType::LowPass24, "lp24"},  {EqType::LowShelf, "lowshelf"}, {EqType::HighShelf, "highshelf"},
                     {EqType::Peak, "peak"}};
        for (const auto& t : types)
            for (double fs : {44100.0, 48000.0, 96000.0})
                for (int block : {1, 64, 512, 0})
                    QTest::addRow("%s@%g/%s", t.name, fs, block ? QByteArray::number(block).constData() : "random")
                        << int(t.t) << fs << block;
    }
    void response()
    {
        QFETCH(int, type);
        QFETCH(double, fs);
        QFETCH(int, block);
        const auto t = static_cast<EqType>(type);
        const double f0 = 1000, gain = 6, q = 1.4;
        Equalizer eq;
        eq.prepare(fs);
        const EqBand band{t, f0, gain, q, true};
        eq.setBands(&band, 1);
        // Integer test frequencies and a one-second window hold whole cycles.
        const int n = static_cast<int>(fs);
        const int settle = static_cast<int>(fs / 4);
        for (double f : {50.0, 250.0, 700.0, 1000.0, 1500.0, 4000.0, 12000.0}) {
            eq.reset();
            auto l = sine(f, fs, 0.5, settle + n);
            auto r = l;
            int done = 0;
            for (int b : blockPlan(settle + n, block, testSeed() + static_cast<uint32_t>(f))) {
                eq.process(l.data() + done, r.data() + done, b);
                done += b;
            }
            const double measured = toDb(amplitudeAt(l, f, fs, static_cast<size_t>(settle), static_cast<size_t>(n)) / 0.5);
            const double expected = analyticDb(t, fs, f0, gain, q, f);
            if (expected < -60) continue; // deep stop band: below what a 0.5 amplitude sine in float can resolve
            QVERIFY2(std::abs(measured - expected) < 0.1,
                     qPrintable(QString("f=%1 Hz: measured %2 dB, analytic %3 dB").arg(f).arg(measured).arg(expected)));
            QCOMPARE(amplitudeAt(r, f, fs, static_cast<size_t>(settle), static_cast<size_t>(n)),
                     amplitudeAt(l, f, fs, static_cast<size_t>(settle), static_cast<size_t>(n)));
        }
    }

    void landmarks()
    {
        // Textbook landmarks: -3.01 dB at the cutoff of Butterworth slopes, full gain at a peak's centre.
        const double fs = 48000;
        auto at = [&](EqType t, double g, double q, double f) {
            const auto shape = t == EqType::Peak         ? BiquadShape::Peak
                               : t == EqType::HighPass12 ? BiquadShape::HighPass
                                                         : BiquadShape::LowPass;
            return biquadMagnitudeDb(designBiquad(shape, fs, 1000, g, q), fs, f);
        };
        QVERIFY(std::abs(at(EqType::HighPass12, 0, M_SQRT1_2, 1000) + 3.0103) < 0.01);
        QVERIFY(std::abs(at(EqType::Peak, 9, 2, 1000) - 9) < 1e-9);
        const double lp24 = biquadMagnitudeDb(designBiquad(BiquadShape::LowPass, fs, 1000, 0, kButterworth4Q[0]), fs, 1000) +
                            biquadMagnitudeDb(designBiquad(BiquadShape::LowPass, fs, 1000, 0, kButterworth4Q[1]), fs, 1000);
        QVERIFY(std::abs(lp24 + 3.0103) < 0.01);
    }

    void glideIsSmooth()
    {
        // Sweeping a peak band's gain by 18 dB must not step: the output of a steady sine changes
        // by no more than a small amount per sample.
        const double fs = 48000;
        Equalizer eq;
        eq.prepare(fs);
        EqBand band{EqType::Peak, 1000, 0, 1, true};
        eq.setBands(&band, 1);
        auto l = sine(1000, fs, 0.25, 48000);
        auto r = l;
        eq.process(l.data(), r.data(), 24000);
        band.gain = 18;
        eq.setBands(&band, 1);
        eq.process(l.data() + 24000, r.data() + 24000, 24000);
        const double before = amplitudeAt(l, 1000, fs, 12000, 12000);
        const double after = amplitudeAt(l, 1000, fs, 36000, 12000);
        QVERIFY(std::abs(toDb(after / before) - 18) < 0.1);
        float maxStep = 0;
        for (size_t i = 23000; i < 26000; ++i)
            maxStep = std::max(maxStep, std::abs(l[i] - l[i - 1]));
        // A 1 kHz sine of amplitude a moves at most 2*pi*f/fs*a per sample; 8x = 2 would be the jump.
        QVERIFY2(maxStep < 2 * std::numbers::pi * 1000 / fs * 0.25 * 8.0 * 1.05, qPrintable(QString::number(maxStep)));
    }

    void groupIsBitIdenticalToOneAtATime_data()
    {
        QTest::addColumn<bool>("portableSolo");
        QTest::newRow("this CPU's paths") << false;
        QTest::newRow("one at a time on the portable path (software fma)") << true;
    }
    void groupIsBitIdenticalToOneAtATime()
    {
        // Seven strips with 1-4 bands (quads, pairs and a single), one of them gliding mid-way:
        // Equalizer::processGroup must give exactly the bits of process() on each, and the
        // portable path (no FMA unit, no AVX-512) the same bits as this CPU's fastest.
        QFETCH(bool, portableSolo);
        const double fs = 48000;
        constexpr int kStrips = 7;
        Equalizer solo[kStrips], grouped[kStrips];
        std::mt19937 rng(testSeed());
        std::uniform_real_distribution<float> u(-0.5f, 0.5f);
        std::vector<float> inL[kStrips], inR[kStrips];
        for (int s = 0; s < kStrips; ++s) {
            EqBand bands[4] = {{EqType::LowShelf, 100.0 + s, 2, 0.7071, true},
                               {EqType::Peak, 400.0 * (s + 1), -3, 1, true},
                               {EqType::HighPass24, 30, 0, 0.7071, true},
                               {EqType::HighShelf, 9000, 1.5, 0.7071, true}};
            const int count = s == 6 ? 1 : (s < 4 ? 4 : 2);
            for (Equalizer* e : {&solo[s], &grouped[s]}) {
                e->prepare(fs);
                e->setBands(bands, count);
            }
            for (int i = 0; i < 9000; ++i) {
                inL[s].push_back(u(rng));
                inR[s].push_back(u(rng));
            }
        }
        std::vector<float> aL[kStrips], aR[kStrips], bL[kStrips], bR[kStrips];
        for (int s = 0; s < kStrips; ++s) {
            aL[s] = bL[s] = inL[s];
            aR[s] = bR[s] = inR[s];
        }
        const int len[3] = {2995, 3005, 3000}; // not multiples of 8: the vector paths' tails too
        for (int block = 0, at = 0; block < 3; at += len[block], ++block) {
            if (block == 1)
                for (Equalizer* e : {&solo[2], &grouped[2]}) { // a glide on one strip
                    EqBand b[4] = {{EqType::LowShelf, 102, 8, 0.7071, true},
                                   {EqType::Peak, 1200, -3, 1, true},
                                   {EqType::HighPass24, 30, 0, 0.7071, true},
                                   {EqType::HighShelf, 9000, 1.5, 0.7071, true}};
                    e->setBands(b, 4);
                }
            Equalizer* eqs[kStrips];
            float* L[kStrips];
            float* R[kStrips];
            for (int s = 0; s < kStrips; ++s) {
                StereoBiquadCascade::useBaselineOnly(portableSolo);
                solo[s].process(aL[s].data() + at, aR[s].data() + at, len[block]);
                StereoBiquadCascade::useBaselineOnly(false);
                eqs[s] = &grouped[s];
                L[s] = bL[s].data() + at;
                R[s] = bR[s].data() + at;
            }
            Equalizer::processGroup(eqs, L, R, kStrips, len[block]);
        }
        for (int s = 0; s < kStrips; ++s) {
            QVERIFY2(std::memcmp(aL[s].data(), bL[s].data(), aL[s].size() * 4) == 0, qPrintable(QString("strip %1 left").arg(s)));
            QVERIFY2(std::memcmp(aR[s].data(), bR[s].data(), aR[s].size() * 4) == 0, qPrintable(QString("strip %1 right").arg(s)));
            QVERIFY(aL[s] != inL[s]); // it did filter
        }
    }
};

QTEST_GUILESS_MAIN(TestEqualizer)
#include "tst_equalizer.moc"
