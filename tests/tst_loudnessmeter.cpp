// SPDX-License-Identifier: MIT
// EBU Tech 3341-style checks of the loudness meter (libebur128 underneath for loudness, our
// detector for true peak), against analytic values, an independent 16x true-peak reference and
// ffmpeg's ebur128 filter.
#include "ReferenceMeter.h"
#include "StressSignals.h"
#include "TestFiles.h"
#include "TestSignals.h"
#include "engine/render/LoudnessMeter.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
// A raised-cosine fade over the first and last 20 ms: a tone that starts with a jump has a real
// inter-sample overshoot at its start (the band-limited step rings), which is not the tone's peak.
std::vector<float> faded(std::vector<float> x, int rate)
{
    const size_t len = static_cast<size_t>(rate / 50);
    for (size_t i = 0; i < len && i < x.size() / 2; ++i) {
        const float w = static_cast<float>(0.5 - 0.5 * std::cos(M_PI * static_cast<double>(i) / static_cast<double>(len)));
        x[i] *= w;
        x[x.size() - 1 - i] *= w;
    }
    return x;
}
} // namespace

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
        const auto s = faded(sine(rate / 4.0, rate, 0.5, rate * 2, M_PI / 4), rate);
        LoudnessMeter m(rate);
        m.add(s.data(), s.data(), int(s.size()));
        const auto rep = m.report();
        QVERIFY2(std::abs(rep.samplePeak - (-9.03)) < 0.01, qPrintable(QString::number(rep.samplePeak)));
        QVERIFY2(std::abs(rep.truePeak - (-6.02)) < 0.01, qPrintable(QString::number(rep.truePeak)));
    }

    // A sine's true peak is its amplitude whatever its frequency and phase: up to 0.9 of Nyquist
    // at every rate, read within 0.03 dB (the samples alone miss up to 3 dB).
    void truePeakOfSinesIsTheirAmplitude()
    {
        for (int rate : {44100, 48000, 96000})
            for (double f : {997.0, 0.25 * rate, 0.4 * rate, 0.45 * rate})
                for (double phase : {0.0, 0.3, 0.785398, 1.3}) {
                    const auto s = faded(sine(f, rate, 0.5, rate / 2, phase), rate);
                    LoudnessMeter m(rate);
                    m.add(s.data(), s.data(), int(s.size()));
                    const double tp = m.report().truePeak;
                    QVERIFY2(std::abs(tp - (-6.0206)) < 0.03,
                             qPrintable(QString("%1 Hz at %2 Hz, phase %3: %4 dBTP").arg(f).arg(rate).arg(phase).arg(tp)));
                }
    }

    // The report's true peak against the independent 16x reference, within 0.1 dB, on the
    // stress signals at three rates (the last samples included: the detector is flushed).
    void truePeakAgreesWithAnIndependentReference()
    {
        static const ReferenceTruePeak reference;
        for (double rate : {44100.0, 48000.0, 96000.0})
            for (const auto& name : stressSignalNames()) {
                const auto s = stressSignal(name, rate, 0.5, 0.5);
                LoudnessMeter m(static_cast<int>(rate));
                m.add(s.l.data(), s.r.data(), int(s.l.size()));
                const double ours = m.report().truePeak;
                const double ref = std::max(reference.peakDb(s.l), reference.peakDb(s.r));
                QVERIFY2(
                    std::abs(ours - ref) <= 0.1,
                    qPrintable(
                        QString("%1 at %2 Hz: %3 dBTP, the reference %4").arg(QString::fromStdString(name)).arg(rate).arg(ours).arg(ref)));
            }
        // A click in the very last sample is measured too.
        std::vector<float> last(4800, 0.0f);
        last.back() = 0.5f;
        LoudnessMeter m(48000);
        m.add(last.data(), last.data(), int(last.size()));
        QVERIFY(std::abs(m.report().truePeak - (-6.0206)) < 0.01);
    }

    // Integrated loudness and loudness range agree with ffmpeg's ebur128 filter within 0.1 LU on
    // a real mix with a level change (30 s: the demo's drums, bass and keys, the second half 8 dB down).
    void agreesWithFfmpeg()
    {
        const int rate = 48000;
        auto s = stressSignal("loud mix", rate, 30, 0.9);
        for (size_t i = s.l.size() / 2; i < s.l.size(); ++i) {
            s.l[i] *= 0.398f;
            s.r[i] *= 0.398f;
        }
        QTemporaryDir tmp;
        const QString path = tmp.path() + "/mix.wav";
        QVERIFY(writeAudio(path.toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, 2, interleave(s.l, s.r)));
        LoudnessMeter m(rate);
        m.add(s.l.data(), s.r.data(), int(s.l.size()));
        const auto rep = m.report();
        QProcess ff;
        ff.start("ffmpeg", {"-nostdin", "-hide_banner", "-i", path, "-af", "ebur128", "-f", "null", "-"});
        QVERIFY2(ff.waitForFinished(120000), "ffmpeg (Debian's, installed by scripts/deps.sh test) did not run");
        QCOMPARE(ff.exitCode(), 0);
        const QString out = QString::fromUtf8(ff.readAllStandardError());
        const auto summary = out.mid(out.lastIndexOf("Summary:"));
        const auto i = QRegularExpression(R"(I:\s+(-?[0-9.]+) LUFS)").match(summary);
        const auto lra = QRegularExpression(R"(LRA:\s+([0-9.]+) LU)").match(summary);
        QVERIFY2(i.hasMatch() && lra.hasMatch(), qPrintable(summary));
        QVERIFY2(std::abs(rep.integrated - i.captured(1).toDouble()) <= 0.1,
                 qPrintable(QString("integrated %1 LUFS, ffmpeg %2").arg(rep.integrated).arg(i.captured(1))));
        QVERIFY2(std::abs(rep.range - lra.captured(1).toDouble()) <= 0.1,
                 qPrintable(QString("LRA %1 LU, ffmpeg %2").arg(rep.range).arg(lra.captured(1))));
        QVERIFY(rep.range > 4); // the level change is there to be measured
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
