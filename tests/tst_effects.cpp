// SPDX-License-Identifier: MIT
// Reverb: RT60 from the Schroeder energy decay matches `decay`, in every octave (ISO 3382 T30)
// when undamped; damping shortens only the highs; no mode rings out of the tail; the first sound
// arrives at the pre-delay; the tail is dense (Abel & Huang's normalised echo density reaches
// Gaussian-like values). Delay: echoes at the set and synced
// times; ping-pong alternates sides; feedback decays.
#include "ReverbAnalysis.h"
#include "TestSignals.h"
#include "engine/dsp/Reverb.h"
#include "engine/dsp/StereoDelay.h"
#include "engine/model/ParamTable.h"

#include <QTest>

#include <random>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
std::pair<std::vector<float>, std::vector<float>> impulse(auto& fx, int n)
{
    std::vector<float> l(static_cast<size_t>(n), 0.0f), r(static_cast<size_t>(n), 0.0f);
    l[0] = r[0] = 1.0f;
    for (int done = 0; done < n; done += 512)
        fx.process(l.data() + done, r.data() + done, std::min(512, n - done));
    return {l, r};
}

// The impulse response of a reverb with `params`, `seconds` long at 48 kHz.
std::pair<std::vector<float>, std::vector<float>> reverbImpulse(const Reverb& params, double seconds)
{
    ReverbDsp rv;
    rv.prepare(48000);
    rv.setParams(params);
    return impulse(rv, static_cast<int>(48000 * seconds));
}

// RT60 from the Schroeder backward integral, fitted between -5 and -25 dB (T20 x 3).
double rt60(const std::vector<float>& x, double fs)
{
    std::vector<double> edc(x.size());
    double acc = 0;
    for (size_t i = x.size(); i-- > 0;) {
        acc += double(x[i]) * x[i];
        edc[i] = acc;
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < edc.size(); ++i) {
        const double db = 10 * std::log10(edc[i] / edc[0]);
        if (!a && db <= -5) a = i;
        if (!b && db <= -25) {
            b = i;
            break;
        }
    }
    return 3.0 * double(b - a) / fs;
}
} // namespace

class TestEffects : public QObject {
    Q_OBJECT
  private slots:
    void reverbDecay_data()
    {
        QTest::addColumn<double>("decay");
        QTest::addColumn<double>("size");
        QTest::newRow("1 s small") << 1.0 << 0.3;
        QTest::newRow("2 s default size") << 2.0 << 0.7;
        QTest::newRow("4 s large") << 4.0 << 1.0;
    }
    void reverbDecay()
    {
        QFETCH(double, decay);
        QFETCH(double, size);
        const double fs = 48000;
        auto [l, r] = reverbImpulse(Reverb{size, decay, 0.0, 0.0}, decay * 1.5);
        const double measured = rt60(l, fs);
        QVERIFY2(std::abs(measured / decay - 1) < 0.15, qPrintable(QString("RT60 %1 s for decay %2 s").arg(measured).arg(decay)));
    }

    // ISO 3382 T30 per octave band from 125 Hz to 8 kHz within 10 % of `decay` with damping 0,
    // for decays from 0.3 s to 10 s: the loop has no frequency-dependent loss of its own.
    void reverbDecayIsFlatPerOctave_data()
    {
        QTest::addColumn<double>("decay");
        QTest::addColumn<double>("size");
        QTest::newRow("0.3 s, size 0") << 0.3 << 0.0;
        QTest::newRow("1 s, size 0.5") << 1.0 << 0.5;
        QTest::newRow("3 s, size 0.7") << 3.0 << 0.7;
        QTest::newRow("10 s, size 1") << 10.0 << 1.0;
    }
    void reverbDecayIsFlatPerOctave()
    {
        QFETCH(double, decay);
        QFETCH(double, size);
        const double fs = 48000;
        auto [l, r] = reverbImpulse(Reverb{size, decay, 0.0, 0.0}, 0.7 * decay + 0.3);
        for (double centre = 125; centre <= 8000; centre *= 2) {
            const double t = t30(octaveBand(l, fs, centre), fs);
            QVERIFY2(std::abs(t / decay - 1) <= 0.10,
                     qPrintable(QString("T30 %1 s in the %2 Hz octave for a decay of %3 s").arg(t).arg(centre).arg(decay)));
        }
    }

    // Damping shortens the high octaves' decay (the 8 kHz octave well under the 125 Hz one) and
    // leaves the low and middle ones at the setting.
    void reverbDampingShortensTheHighs()
    {
        const double fs = 48000;
        auto [l, r] = reverbImpulse(Reverb{0.7, 3.0, 0.6, 0.0}, 2.5);
        const double low = t30(octaveBand(l, fs, 125), fs), mid = t30(octaveBand(l, fs, 500), fs);
        const double high = t30(octaveBand(l, fs, 8000), fs);
        QVERIFY2(std::abs(low / 3.0 - 1) <= 0.10, qPrintable(QString("125 Hz T30 %1 s").arg(low)));
        QVERIFY2(std::abs(mid / 3.0 - 1) <= 0.10, qPrintable(QString("500 Hz T30 %1 s").arg(mid)));
        QVERIFY2(high < 0.7 * low, qPrintable(QString("8 kHz T30 %1 s against %2 s at 125 Hz").arg(high).arg(low)));
    }

    // No narrow mode rings out of the late tail: no bin of its (decay-compensated, averaged)
    // spectrum more than 12 dB above the median of its third of an octave, at any size.
    void reverbTailHasNoRingingModes_data()
    {
        QTest::addColumn<double>("size");
        QTest::addColumn<double>("damping");
        QTest::newRow("size 0") << 0.0 << 0.0;
        QTest::newRow("size 0.7, damping 0.4") << 0.7 << 0.4;
        QTest::newRow("size 1") << 1.0 << 0.0;
    }
    void reverbTailHasNoRingingModes()
    {
        QFETCH(double, size);
        QFETCH(double, damping);
        const double fs = 48000, decay = 4.0;
        auto [l, r] = reverbImpulse(Reverb{size, decay, damping, 0.0}, 3.0);
        for (const auto* ch : {&l, &r}) {
            // With damping the highs decay faster; compensating the mid decay is enough for a
            // local (third-octave) comparison.
            const TailMode m = loudestTailMode(*ch, fs, 1.0, 3.0, decay);
            QVERIFY2(m.excessDb <= 12.0,
                     qPrintable(QString("a mode at %1 Hz stands %2 dB above its neighbours").arg(m.freq).arg(m.excessDb)));
        }
    }

    // The first sound arrives at the pre-delay, not a network delay later.
    void reverbStartsAtThePreDelay()
    {
        const double fs = 48000;
        for (double pre : {0.0, 20.0, 100.0}) {
            auto [l, r] = reverbImpulse(Reverb{0.7, 2.0, 0.4, pre}, 0.3);
            float peak = 0;
            for (size_t i = 0; i < l.size(); ++i)
                peak = std::max({peak, std::abs(l[i]), std::abs(r[i])});
            size_t first = l.size();
            for (size_t i = 0; i < l.size() && first == l.size(); ++i)
                if (std::max(std::abs(l[i]), std::abs(r[i])) > peak * 1e-3f) first = i; // -60 dB
            const size_t expected = static_cast<size_t>(std::lround(pre * fs / 1000));
            QVERIFY2(first >= expected && first <= expected + 2,
                     qPrintable(QString("first sound at %1 ms for a pre-delay of %2 ms").arg(first * 1000.0 / fs).arg(pre)));
        }
    }

    void reverbIsDenseAndDecorrelated()
    {
        const double fs = 48000;
        ReverbDsp rv;
        rv.prepare(fs);
        rv.setParams(Reverb{}); // defaults
        auto [l, r] = impulse(rv, int(fs * 1.0));
        // Echo density (Abel & Huang 2006) over 20 ms windows from 100 ms to 500 ms: the share of
        // samples beyond one standard deviation, normalised by the Gaussian's 0.3173.
        const int w = int(0.02 * fs);
        double minDensity = 2;
        for (int start = int(0.1 * fs); start + w < int(0.5 * fs); start += w) {
            double ms = 0;
            for (int i = start; i < start + w; ++i)
                ms += double(l[static_cast<size_t>(i)]) * l[static_cast<size_t>(i)];
            const double sd = std::sqrt(ms / w);
            int beyond = 0;
            for (int i = start; i < start + w; ++i)
                beyond += std::abs(l[static_cast<size_t>(i)]) > sd;
            minDensity = std::min(minDensity, beyond / double(w) / 0.3173);
        }
        QVERIFY2(minDensity > 0.8, qPrintable(QString("echo density %1").arg(minDensity)));
        double lr = 0, ll = 0, rr = 0;
        for (size_t i = static_cast<size_t>(0.1 * fs); i < l.size(); ++i) {
            lr += double(l[i]) * r[i];
            ll += double(l[i]) * l[i];
            rr += double(r[i]) * r[i];
        }
        QVERIFY2(std::abs(lr / std::sqrt(ll * rr)) < 0.3, "left and right tails should be decorrelated");
        // Pre-delay: nothing before it.
        ReverbDsp pre;
        pre.prepare(fs);
        pre.setParams(Reverb{0.7, 2, 0.4, 50});
        auto [pl, pr] = impulse(pre, int(fs * 0.2));
        for (size_t i = 0; i < static_cast<size_t>(0.05 * fs); ++i)
            QCOMPARE(pl[i], 0.0f);
    }

    void parameterChangesGlide_data()
    {
        QTest::addColumn<bool>("reverb");
        QTest::newRow("reverb decay and damping") << true;
        QTest::newRow("delay time, feedback and high-cut") << false;
    }
    void parameterChangesGlide()
    {
        // Noise through the effect; a large parameter change mid-stream must not make the output
        // jump more than the signal itself moves sample to sample.
        QFETCH(bool, reverb);
        const double fs = 48000;
        std::mt19937 rng(testSeed());
        std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
        const int n = 48000;
        std::vector<float> l(static_cast<size_t>(n)), r(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            l[static_cast<size_t>(i)] = r[static_cast<size_t>(i)] = i < n / 2 ? noise(rng) : 0.0f; // then the tail alone
        ReverbDsp rv;
        StereoDelayDsp dl;
        rv.prepare(fs);
        dl.prepare(fs);
        rv.setParams(Reverb{0.7, 1.0, 0.1, 0});
        Delay d;
        d.time = 120;
        d.feedback = 20;
        d.highcut = 18000;
        dl.setParams(d, 120);
        auto run = [&](int from, int to) {
            if (reverb)
                rv.process(l.data() + from, r.data() + from, to - from);
            else
                dl.process(l.data() + from, r.data() + from, to - from);
        };
        const int change = n * 3 / 4; // in the tail
        run(0, change);
        rv.setParams(Reverb{0.7, 8.0, 0.9, 0});
        d.time = 300;
        d.feedback = 80;
        d.highcut = 1500;
        dl.setParams(d, 120);
        run(change, n);
        auto maxStep = [&](int a, int b) {
            float m = 0;
            for (int i = a; i < b; ++i)
                m = std::max(m, std::abs(l[static_cast<size_t>(i)] - l[static_cast<size_t>(i - 1)]));
            return m;
        };
        const float before = maxStep(change - 2400, change);
        const float across = maxStep(change, change + 2400);
        QVERIFY2(across <= before * 1.5f + 1e-6f, qPrintable(QString("step %1 after the change, %2 before").arg(across).arg(before)));
    }

    void delayTimes_data()
    {
        QTest::addColumn<QString>("sync");
        QTest::addColumn<double>("ms");
        QTest::addColumn<double>("expectedMs");
        QTest::newRow("250 ms") << "off" << 250.0 << 250.0;
        QTest::newRow("1/4 at 120") << "1/4" << 999.0 << 500.0;
        QTest::newRow("1/8d at 120") << "1/8d" << 999.0 << 375.0;
        QTest::newRow("1/8t at 120") << "1/8t" << 999.0 << 500.0 / 3;
    }
    void delayTimes()
    {
        QFETCH(QString, sync);
        QFETCH(double, ms);
        QFETCH(double, expectedMs);
        const double fs = 48000;
        StereoDelayDsp d;
        d.prepare(fs);
        Delay p;
        p.time = ms;
        p.sync = sync.toStdString();
        p.feedback = 50;
        p.highcut = 20000;
        d.setParams(p, 120);
        auto [l, r] = impulse(d, int(fs * 2));
        size_t first = 0;
        for (size_t i = 0; i < l.size(); ++i)
            if (std::abs(l[i]) > 0.05f) {
                first = i;
                break;
            }
        QVERIFY2(std::abs(double(first) - expectedMs * fs / 1000) <= 2, qPrintable(QString::number(first)));
        // The second echo is the first times the feedback (high-cut barely touches an impulse's
        // low end; compare energy around each echo).
        auto energy = [&](size_t at) {
            double e = 0;
            for (size_t i = at - 4; i < at + 64; ++i)
                e += double(l[i]) * l[i];
            return e;
        };
        const double ratio = std::sqrt(energy(2 * first) / energy(first));
        QVERIFY2(ratio > 0.4 && ratio < 0.55, qPrintable(QString::number(ratio)));
    }

    void pingPongAlternates()
    {
        const double fs = 48000;
        StereoDelayDsp d;
        d.prepare(fs);
        Delay p;
        p.time = 100;
        p.feedback = 60;
        p.pingpong = true;
        d.setParams(p, 120);
        auto [l, r] = impulse(d, int(fs));
        auto energy = [](const std::vector<float>& x, size_t at) {
            double e = 0;
            for (size_t i = at - 4; i < at + 64; ++i)
                e += double(x[i]) * x[i];
            return e;
        };
        QVERIFY(energy(l, 4800) > 100 * energy(r, 4800) + 1e-12);
        QVERIFY(energy(r, 9600) > 100 * energy(l, 9600) + 1e-12);
    }
};

QTEST_GUILESS_MAIN(TestEffects)
#include "tst_effects.moc"
