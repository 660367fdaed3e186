// SPDX-License-Identifier: MIT
// Automation lanes' engine-independent parts (engine/model/Automation.h) against analytic values:
// which rows of the field table may be automated (a walk of the table by pattern), lane values
// for step, linear and curved segments (dB in amplitude, Hz in log frequency), validation,
// song fades against their gain curves, and thinning within its tolerance.
#include "engine/model/Automation.h"

#include <QTest>

#include <cmath>
#include <numbers>
#include <random>

using namespace mixroom::engine;

namespace {
const ParamSpec& spec(const char* path)
{
    const ParamSpec* s = findSpec(path);
    if (!s) qFatal("no row for %s", path);
    return *s;
}
} // namespace

class TestAutomation : public QObject {
    Q_OBJECT
  private slots:
    void theTableSaysWhatIsAutomatable()
    {
        for (const char* yes :
             {"tracks/x/fader", "tracks/x/pan", "tracks/x/mute", "tracks/x/eq/1/gain", "tracks/x/eq/1/freq", "tracks/x/sends/y/level",
              "groups/x/fader", "returns/x/fader", "master/fader", "master/width", "master/limiter/ceiling", "returns/x/effect/decay"})
            QVERIFY2(findSpec(yes) && automatable(spec(yes)), yes);
        for (const char* no : {"tracks/x/name", "tracks/x/stem", "tracks/x/output", "returns/x/effect/type", "master/limiter/lookahead",
                               "sampleRate", "tempo", "tail"})
            QVERIFY2(!findSpec(no) || !automatable(spec(no)), no);
        // Every automatable row is a number or a switch that glides.
        int n = 0;
        for (const ParamSpec& s : paramTable())
            if (automatable(s)) {
                ++n;
                QVERIFY(!s.rebuild && (s.type == ParamType::Number || s.type == ParamType::Bool));
            }
        QVERIFY(n >= 40);
    }

    void lanesFollowTheirCurves()
    {
        const ParamSpec& fader = spec("tracks/x/fader");
        Lane lane{LaneMode::Read, {{0, -20, Curve::Linear}, {48000, 0, Curve::Curved}, {96000, -20, Curve::Step}, {144000, -6}}};
        QCOMPARE(laneValue(lane, fader, -5), -20.0); // before the first point
        QCOMPARE(laneValue(lane, fader, 12000), -15.0);
        QCOMPARE(laneValue(lane, fader, 48000), 0.0);
        // Curved on dB: a straight line in amplitude, 1.0 -> 0.1, halfway 0.55.
        QVERIFY(std::abs(laneValue(lane, fader, 72000) - 20 * std::log10(0.55)) < 1e-9);
        QCOMPARE(laneValue(lane, fader, 120000), -20.0); // step holds
        QCOMPARE(laneValue(lane, fader, 144000), -6.0);
        QCOMPARE(laneValue(lane, fader, 1'000'000), -6.0); // after the last
        // Curved on Hz: a straight line in log frequency.
        const ParamSpec& freq = spec("tracks/x/eq/1/freq");
        Lane sweep{LaneMode::Read, {{0, 100, Curve::Curved}, {1000, 10000}}};
        QVERIFY(std::abs(laneValue(sweep, freq, 500) - 1000) < 1e-9);
        QVERIFY(std::abs(laneValue(sweep, freq, 250) - std::sqrt(100.0 * 1000)) < 1e-9);
        // A fade to silence in amplitude ends at the floor.
        Lane out{LaneMode::Read, {{0, 0, Curve::Curved}, {100, kSilenceDb}}};
        QVERIFY(std::abs(laneValue(out, fader, 50) - 20 * std::log10(0.5)) < 1e-9);
        QCOMPARE(laneValue(out, fader, 100), kSilenceDb);
        // Switches step whatever the curve says.
        Lane mute{LaneMode::Read, {{0, 0, Curve::Linear}, {100, 1}}};
        QCOMPARE(laneValue(mute, spec("tracks/x/mute"), 99), 0.0);
        QCOMPARE(laneValue(mute, spec("tracks/x/mute"), 100), 1.0);
        QCOMPARE(laneValue(Lane{}, fader, 10), fader.def); // an empty lane: the default
    }

    void lanesAreValidated()
    {
        const ParamSpec& fader = spec("tracks/x/fader");
        QVERIFY(!validateLane(fader, Lane{LaneMode::Read, {{0, -3}, {10, 0}}}));
        QVERIFY(validateLane(fader, Lane{LaneMode::Read, {{10, -3}, {10, 0}}})->find("times must increase") != std::string::npos);
        QVERIFY(validateLane(fader, Lane{LaneMode::Read, {{-1, -3}}})->find("negative") != std::string::npos);
        QVERIFY(validateLane(fader, Lane{LaneMode::Read, {{0, 20}}})->find("outside") != std::string::npos);
        QVERIFY(validateLane(fader, Lane{LaneMode::Read, {{0, std::nan("")}}})->find("not a number") != std::string::npos);
        QVERIFY(validateLane(spec("tracks/x/mute"), Lane{LaneMode::Read, {{0, 0.5}}})->find("0 or 1") != std::string::npos);
        QVERIFY(validateLane(spec("tracks/x/stem"), Lane{})->find("cannot be automated") != std::string::npos);
        Lane huge;
        for (size_t i = 0; i <= kMaxLanePoints; ++i)
            huge.points.push_back({static_cast<int64_t>(i), 0});
        QVERIFY(validateLane(fader, huge)->find("at most") != std::string::npos);
    }

    void fadesMatchTheirGainCurves()
    {
        const ParamSpec& fader = spec("master/fader");
        struct Case {
            FadeShape shape;
            double (*gain)(double);
        };
        const Case cases[] = {{FadeShape::Linear, [](double x) { return x; }},
                              {FadeShape::EqualPower, [](double x) { return std::sin(x * std::numbers::pi / 2); }},
                              {FadeShape::SCurve, [](double x) { return 0.5 - 0.5 * std::cos(x * std::numbers::pi); }},
                              {FadeShape::Exponential, nullptr}};
        const int64_t start = 48000 * 60, length = 48000 * 8;
        for (const Case& c : cases)
            for (bool in : {true, false}) {
                Lane lane{LaneMode::Read, fadePoints(c.shape, in, start, length, -2.0)};
                QVERIFY(!validateLane(fader, lane));
                QVERIFY2(lane.points.size() < 300, qPrintable(QString::number(lane.points.size())));
                QCOMPARE(lane.points.front().time, start);
                QCOMPARE(lane.points.back().time, start + length);
                QCOMPARE(lane.points.back().value, in ? -2.0 : kSilenceDb);
                double worst = 0;
                for (int64_t t = start; t <= start + length; t += 97) {
                    const double x = static_cast<double>(t - start) / static_cast<double>(length);
                    const double xi = in ? x : 1 - x;
                    const double expected = c.gain ? (c.gain(xi) <= 0 ? kSilenceDb : -2.0 + 20 * std::log10(c.gain(xi)))
                                                   : (xi <= 0 ? kSilenceDb : -60 + 58 * xi);
                    if (expected < -60) continue; // below the floor nobody hears the shape
                    worst = std::max(worst, std::abs(laneValue(lane, fader, t) - expected));
                }
                QVERIFY2(worst <= 0.05 + 1e-9, qPrintable(QString("shape %1 %2: %3 dB off").arg(int(c.shape)).arg(in).arg(worst)));
            }
    }

    void thinningStaysWithinItsTolerance()
    {
        const ParamSpec& fader = spec("tracks/x/fader");
        std::mt19937 rng(7);
        std::normal_distribution<double> step(0, 0.08);
        std::vector<AutoPoint> recorded;
        double v = -10;
        for (int i = 0; i < 5000; ++i) { // a fader ride sampled every 10 ms
            v = std::clamp(v + step(rng) + (i > 2500 ? -0.01 : 0.0), -60.0, 6.0);
            recorded.push_back({static_cast<int64_t>(i) * 480, v});
        }
        const double tol = thinTolerance(fader);
        QCOMPARE(tol, 0.1);
        const auto thin = thinPoints(recorded, tol, [](double on, double actual) { return std::abs(on - actual); });
        QVERIFY(thin.size() < recorded.size() / 3);
        QCOMPARE(thin.front(), recorded.front());
        QCOMPARE(thin.back().value, recorded.back().value);
        const Lane lane{LaneMode::Read, thin};
        for (const AutoPoint& p : recorded)
            QVERIFY(std::abs(laneValue(lane, fader, p.time) - p.value) <= tol + 1e-9);
        QCOMPARE(thinTolerance(spec("tracks/x/pan")), 0.005 * (spec("tracks/x/pan").max - spec("tracks/x/pan").min));
    }
};

QTEST_APPLESS_MAIN(TestAutomation)
#include "tst_automation.moc"
