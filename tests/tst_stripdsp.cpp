// SPDX-License-Identifier: MIT
#include "TestSignals.h"
#include "engine/render/StripDsp.h"

#include <QTest>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
struct Rig {
    StripDsp dsp;
    std::vector<float> outL, outR;
    Rig(bool mono, int block = 4096) { dsp.prepare(48000, block, 0, 0, mono); }
    void set(const Strip& s) { dsp.update(s, s.mute, nullptr); }
    // Runs DC 1.0 through the strip; returns (left, right) outputs.
    std::pair<std::vector<float>, std::vector<float>> run(int n)
    {
        std::vector<float> l(static_cast<size_t>(n), 1.0f), r(static_cast<size_t>(n), 1.0f);
        outL.assign(static_cast<size_t>(n), 0.0f);
        outR.assign(static_cast<size_t>(n), 0.0f);
        dsp.process(l.data(), r.data(), n, outL.data(), outR.data(), nullptr, nullptr);
        return {outL, outR};
    }
};
} // namespace

class TestStripDsp : public QObject {
    Q_OBJECT
  private slots:
    void panLaw_data()
    {
        QTest::addColumn<bool>("mono");
        QTest::addColumn<double>("pan");
        QTest::addColumn<double>("leftDb");
        QTest::addColumn<double>("rightDb");
        QTest::newRow("mono centre -3 dB") << true << 0.0 << -3.0103 << -3.0103;
        QTest::newRow("mono hard left") << true << -1.0 << 0.0 << -300.0;
        QTest::newRow("mono hard right") << true << 1.0 << -300.0 << 0.0;
        QTest::newRow("mono half right") << true << 0.5 << toDb(std::cos(3 * M_PI / 8)) << toDb(std::sin(3 * M_PI / 8));
        QTest::newRow("stereo centre unity") << false << 0.0 << 0.0 << 0.0;
        QTest::newRow("stereo balance half right") << false << 0.5 << toDb(0.5) << 0.0;
        QTest::newRow("stereo balance hard left") << false << -1.0 << 0.0 << -300.0;
    }
    void panLaw()
    {
        QFETCH(bool, mono);
        QFETCH(double, pan);
        QFETCH(double, leftDb);
        QFETCH(double, rightDb);
        Rig rig(mono);
        Strip s;
        s.pan = pan;
        rig.set(s);
        auto [l, r] = rig.run(256);
        auto db = [](float v) { return v <= 1e-15f ? -300.0 : toDb(v); };
        QVERIFY2(std::abs(db(l[255]) - leftDb) < 1e-4, qPrintable(QString::number(db(l[255]))));
        QVERIFY2(std::abs(db(r[255]) - rightDb) < 1e-4, qPrintable(QString::number(db(r[255]))));
        // Constant power for mono sources: L^2 + R^2 = 1 everywhere.
        if (mono) QVERIFY(std::abs(l[255] * l[255] + r[255] * r[255] - 1.0f) < 1e-5f);
    }

    void faderJumpIsRamped_data()
    {
        QTest::addColumn<double>("from");
        QTest::addColumn<double>("to");
        QTest::newRow("-inf to 0 dB") << kSilenceDb << 0.0;
        QTest::newRow("0 to +12 dB") << 0.0 << 12.0;
        QTest::newRow("+12 dB to -inf") << 12.0 << kSilenceDb;
    }
    void faderJumpIsRamped()
    {
        QFETCH(double, from);
        QFETCH(double, to);
        Rig rig(false);
        Strip s;
        s.fader = from;
        rig.set(s);
        auto [a, ignoredA] = rig.run(64);
        s.fader = to;
        rig.set(s);
        auto [b, ignoredB] = rig.run(4096);
        const int rampSamples = static_cast<int>(std::lround(kRampSeconds * 48000));
        const double allowed = std::abs(dbToGain(to) - dbToGain(from)) / rampSamples;
        double maxStep = std::abs(b[0] - a.back());
        for (size_t i = 1; i < b.size(); ++i)
            maxStep = std::max(maxStep, double(std::abs(b[i] - b[i - 1])));
        QVERIFY2(maxStep <= allowed * 1.001 + 1e-7, qPrintable(QString("step %1, allowed %2").arg(maxStep).arg(allowed)));
        QCOMPARE(b.back(), float(dbToGain(to)));                              // arrives exactly
        QCOMPARE(b[static_cast<size_t>(rampSamples) - 2] == b.back(), false); // and not before the ramp ends
    }

    void muteAndPolarityAreRamped()
    {
        Rig rig(false);
        Strip s;
        rig.set(s);
        rig.run(64);
        s.polarity = true;
        rig.set(s);
        auto [l, r] = rig.run(2048);
        const int rampSamples = static_cast<int>(std::lround(kRampSeconds * 48000));
        for (size_t i = 1; i < l.size(); ++i)
            QVERIFY(std::abs(l[i] - l[i - 1]) <= 2.0 / rampSamples * 1.001);
        QCOMPARE(l.back(), -1.0f);
        s.mute = true;
        rig.set(s);
        auto [m, ignored] = rig.run(2048);
        QCOMPARE(m.back(), 0.0f);
        QVERIFY(std::abs(m[0] - (-1.0f)) < 0.01f);
    }
};

QTEST_GUILESS_MAIN(TestStripDsp)
#include "tst_stripdsp.moc"
