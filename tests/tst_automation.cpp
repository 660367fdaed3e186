// SPDX-License-Identifier: MIT
// Automation lanes' engine-independent parts (engine/model/Automation.h) against analytic values:
// which rows of the field table may be automated (a walk of the table by pattern), lane values
// for step, linear and curved segments (dB in amplitude, Hz in log frequency), validation,
// song fades against their gain curves, and thinning within its tolerance. Then the engine:
// rendered lanes against the analytic gain curve sample by sample (a DC stem, so output / input is
// the gain), a step lane without a click, renders identical at every block size, and lanes
// through the session document.
#include "MixFixture.h"
#include "ServerFixture.h"
#include "engine/model/Automation.h"
#include "engine/model/SessionDiff.h"
#include "engine/render/Renderer.h"
#include "protocol/SessionCodec.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <cstring>

#include <cmath>
#include <numbers>
#include <random>

using namespace mixroom::engine;
using mixroom::engine::Session;

namespace {
// Renders `s` (stems in `stems`), both channels interleaved; empty on failure.
std::vector<float> render(const Session& s, const StemMap& stems, int block)
{
    std::vector<float> out;
    auto r = renderSession(
        s, stems, block,
        [&](const float* l, const float* r, int n) {
            for (int i = 0; i < n; ++i) {
                out.push_back(l[i]);
                out.push_back(r[i]);
            }
            return Result<Ok>(Ok{});
        },
        {}, false);
    if (!r.ok()) qWarning("render failed: %s", r.error().message.c_str());
    return r.ok() ? out : std::vector<float>{};
}

// The fixture's processed mix (EQs, compressors, a group, reverb and delay returns) of `tracks`
// two-second stems.
bool loadProcessedMix(mixroom::test::MixFixture& f, int tracks)
{
    if (!f.makeStems(tracks, 2.0)) return false;
    f.addProcessing();
    return f.load();
}

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

    // A DC stem through one track, nothing else: output / input is the track's gain per sample.
    void renderedLanesFollowTheAnalyticCurve()
    {
        QTemporaryDir dir;
        const int rate = 48000, frames = rate * 3;
        QVERIFY(mixroom::test::writeAudio((dir.path() + "/dc.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, 2,
                                          std::vector<float>(static_cast<size_t>(frames) * 2, 0.25f)));
        Session s;
        s.master.limiter.enabled = false;
        s.tail = 0;
        Track t;
        t.id = t.name = "dc";
        t.stem = "dc.wav";
        s.tracks.push_back(t);
        StemStore store((dir.path() + "/store").toStdString());
        auto stems = loadSessionStems(s, dir.path().toStdString(), store);
        QVERIFY(stems.ok());
        const std::vector<float> flat = render(s, stems.value(), 512);
        QCOMPARE(flat.size(), size_t(frames) * 2);
        const ParamSpec& fader = spec("tracks/dc/fader");
        struct Case {
            const char* name;
            Lane lane;
        };
        const Case cases[] = {
            {"linear", Lane{LaneMode::Read, {{12000, -30, Curve::Linear}, {60000, 0}, {100000, -12}}}},
            {"curved", Lane{LaneMode::Read, {{12000, -30, Curve::Curved}, {60000, 0, Curve::Curved}, {100000, kSilenceDb}}}},
            {"step", Lane{LaneMode::Read, {{0, -20, Curve::Step}, {48000, 0, Curve::Step}, {96000, -6}}}},
        };
        for (const Case& c : cases) {
            Session a = s;
            a.automation["tracks/dc/fader"] = c.lane;
            const std::vector<float> out = render(a, stems.value(), 512);
            QCOMPARE(out.size(), flat.size());
            double worst = 0, biggestStep = 0;
            int64_t worstAt = 0;
            for (int64_t i = 16; i < frames; ++i) {
                const double expected = laneValue(c.lane, fader, i);
                const double g = out[size_t(2 * i)] / flat[size_t(2 * i)], prev = out[size_t(2 * i - 2)] / flat[size_t(2 * i - 2)];
                biggestStep = std::max(biggestStep, std::abs(g - prev));
                // A step glides like an edit (20 ms): checked once it has settled.
                bool settling = false;
                if (c.lane.points.front().curve == Curve::Step)
                    for (const AutoPoint& q : c.lane.points)
                        settling = settling || (i >= q.time && i < q.time + 960 + 16);
                if (settling || expected < -80) continue; // the last grid step into silence may end early
                const double err = std::abs(20 * std::log10(std::abs(g)) - expected);
                if (err > worst) {
                    worst = err;
                    worstAt = i;
                }
            }
            qInfo("%s lane: worst %.4f dB from the analytic curve (at sample %lld); largest gain step per sample %.5f", c.name, worst,
                  static_cast<long long>(worstAt), biggestStep);
            QVERIFY2(worst <= 0.01, qPrintable(QString("%1: %2 dB off at %3").arg(c.name).arg(worst).arg(worstAt)));
            if (QLatin1String(c.name) == "step") // -20 dB -> 0 dB (0.1 -> 1) over 20 ms: no click
                QVERIFY2(biggestStep <= 0.9 / 960 * 1.05, qPrintable(QString::number(biggestStep)));
        }
    }

    // Lanes on faders, pans, EQ gains, sends and the master: the same samples at every block size,
    // on both of the graph's paths (lanes on gains and EQ bands only are scheduled into whole
    // blocks; a lane on anything else, here a mute, splits the graph at every grid step).
    void automatedRendersAreIdenticalAtEveryBlockSize()
    {
        mixroom::test::MixFixture f;
        QVERIFY(loadProcessedMix(f, 3));
        Session& s = f.session;
        s.automation["tracks/t0/fader"] = Lane{LaneMode::Read, {{0, -20}, {40000, 0, Curve::Curved}, {70000, -6}}};
        s.automation["tracks/t1/pan"] = Lane{LaneMode::Read, {{5000, -1}, {90000, 1}}};
        s.automation["tracks/t2/eq/2/gain"] = Lane{LaneMode::Read, {{0, -12, Curve::Step}, {30000, 6}}};
        s.automation["tracks/t2/sends/verb/level"] = Lane{LaneMode::Read, {{20000, kSilenceDb, Curve::Curved}, {50000, 0}}};
        s.automation["tracks/t0/trim"] = Lane{LaneMode::Read, {{10000, 0}, {30000, -6, Curve::Step}, {50000, 3}}};
        s.automation["master/width"] = Lane{LaneMode::Read, {{0, 100}, {80000, 0}}};
        s.automation["master/fader"] = Lane{LaneMode::Read, fadePoints(FadeShape::EqualPower, false, 60000, 36000, 0)};
        Session split = s;
        split.automation["tracks/t1/mute"] = Lane{LaneMode::Read, {{60000, 1, Curve::Step}, {61000, 0}}};
        for (const Session* which : {&s, &split}) {
            const std::vector<float> reference = render(*which, f.stems, 512);
            QVERIFY(!reference.empty());
            for (int block : {1, 7, 16, 64, 1000, 4096}) {
                const std::vector<float> other = render(*which, f.stems, block);
                QCOMPARE(other.size(), reference.size());
                QVERIFY2(std::memcmp(other.data(), reference.data(), reference.size() * sizeof(float)) == 0,
                         qPrintable(QString("%1 path: block %2 differs").arg(which == &s ? "scheduled" : "split").arg(block)));
            }
        }
        const std::vector<float> reference = render(s, f.stems, 512);
        // A lane switched off is not heard; the static mix is unchanged by an empty automation.
        Session off = s;
        for (auto& [path, lane] : off.automation)
            lane.mode = LaneMode::Off;
        Session none = s;
        none.automation.clear();
        const std::vector<float> a = render(off, f.stems, 512), b = render(none, f.stems, 512);
        QVERIFY(a == b);
        QVERIFY(a != reference);
    }

    // The scheduled path (lanes on gains and EQ bands become per-block schedules of the DSP's
    // glides) against the split path (the graph applies the whole model at every grid step), two
    // separate implementations of one rule: each value glides in over its grid step. A lane that
    // holds the comp threshold at its static value sends the same lanes down the split path.
    void scheduledAndSplitPathsAgree()
    {
        mixroom::test::MixFixture f;
        QVERIFY(loadProcessedMix(f, 3));
        Session& s = f.session;
        s.automation["tracks/t0/fader"] = Lane{LaneMode::Read, {{0, -20}, {40000, 0, Curve::Curved}, {70000, -6}}};
        s.automation["tracks/t0/pan"] = Lane{LaneMode::Read, {{0, 0.5}, {90000, -0.5}}};
        s.automation["tracks/t1/pan"] = Lane{LaneMode::Read, {{5000, -1}, {90000, 1}}};
        s.automation["tracks/t1/trim"] = Lane{LaneMode::Read, {{0, -6}, {60000, 6}}};
        s.automation["tracks/t2/eq/2/gain"] = Lane{LaneMode::Read, {{0, -12}, {30000, 6}, {70000, 0}}};
        s.automation["tracks/t2/eq/2/freq"] = Lane{LaneMode::Read, {{0, 200, Curve::Curved}, {90000, 5000}}};
        s.automation["tracks/t1/eq/1/q"] = Lane{LaneMode::Read, {{0, 0.5, Curve::Curved}, {90000, 4}}};
        s.automation["tracks/t2/sends/verb/level"] = Lane{LaneMode::Read, {{20000, kSilenceDb, Curve::Curved}, {50000, 0}}};
        s.automation["master/width"] = Lane{LaneMode::Read, {{0, 100}, {80000, 50}}};
        s.automation["master/fader"] = Lane{LaneMode::Read, fadePoints(FadeShape::SCurve, false, 60000, 30000, 0)};
        s.automation["groups/bus/eq/1/freq"] = Lane{LaneMode::Read, {{0, 30, Curve::Curved}, {90000, 300}}}; // a 24 dB/oct high-pass
        s.automation["groups/bus/fader"] = Lane{LaneMode::Read, {{0, 0}, {90000, -10}}};
        s.automation["returns/verb/fader"] = Lane{LaneMode::Read, {{0, -10}, {90000, 3}}};
        Session split = s;
        split.automation["tracks/t0/comp/threshold"] = Lane{LaneMode::Read, {{0, split.tracks[0].comp.threshold}}};
        const std::vector<float> a = render(s, f.stems, 333), b = render(split, f.stems, 333);
        QCOMPARE(a.size(), b.size());
        // The first grid step differs by design (the split path holds the first value for one
        // step); from the third step on the two agree to rounding (exp2 against pow for gains).
        double worst = 0, level = 0;
        for (size_t i = 2 * 64; i < a.size(); ++i) {
            worst = std::max(worst, double(std::abs(a[i] - b[i])));
            level = std::max(level, double(std::abs(a[i])));
        }
        qInfo("scheduled vs split path: largest difference %.3g (peak %.3g)", worst, level);
        QVERIFY(level > 0.1);
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    }

    // A stepped lane on an EQ parameter glides in over the edit glide (20 ms), spread as a
    // function of the lane so that renders stay identical at every block size: the same as a lane
    // that draws that glide as a linear segment.
    void steppedEqLanesAreDeclicked()
    {
        mixroom::test::MixFixture f;
        QVERIFY(loadProcessedMix(f, 2));
        const int64_t glide = std::lround(0.020 * f.session.sampleRate);
        Session stepped = f.session, drawn = f.session;
        stepped.automation["tracks/t1/eq/3/gain"] = Lane{LaneMode::Read, {{0, -12, Curve::Step}, {40000, 6}}};
        drawn.automation["tracks/t1/eq/3/gain"] = Lane{LaneMode::Read, {{0, -12, Curve::Step}, {40000, -12}, {40000 + glide, 6}}};
        stepped.automation["tracks/t0/eq/2/freq"] = Lane{LaneMode::Read, {{0, 200, Curve::Step}, {50000, 3200}}};
        // In log frequency: 200 Hz to 3200 Hz is four octaves, a curved segment in Hz.
        drawn.automation["tracks/t0/eq/2/freq"] =
            Lane{LaneMode::Read, {{0, 200, Curve::Step}, {50000, 200, Curve::Curved}, {50000 + glide, 3200}}};
        const std::vector<float> a = render(stepped, f.stems, 256), b = render(drawn, f.stems, 256);
        QVERIFY(!a.empty());
        QCOMPARE(a.size(), b.size());
        double worst = 0;
        for (size_t i = 0; i < a.size(); ++i)
            worst = std::max(worst, double(std::abs(a[i] - b[i])));
        qInfo("stepped against drawn glide: largest difference %.3g", worst);
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        // Without the declick the step would be heard as a jump: the undeclicked render differs.
        Session instant = f.session;
        instant.automation["tracks/t1/eq/3/gain"] = Lane{LaneMode::Read, {{0, -12, Curve::Step}, {40000, -12}, {40001, 6}}};
        instant.automation["tracks/t0/eq/2/freq"] = drawn.automation["tracks/t0/eq/2/freq"];
        const std::vector<float> c = render(instant, f.stems, 256);
        double apart = 0;
        for (size_t i = 0; i < a.size(); ++i)
            apart = std::max(apart, double(std::abs(a[i] - c[i])));
        QVERIFY2(apart > 1e-3, qPrintable(QString::number(apart)));
    }

    // Lanes travel in the session document and are refused there when wrong.
    void lanesGoThroughTheSessionDocument()
    {
        Session s;
        Track t;
        t.id = "bass";
        t.name = "Bass";
        t.stem = "x.wav";
        t.eq = {EqBand{}};
        s.tracks.push_back(t);
        s.automation["tracks/bass/fader"] = Lane{LaneMode::Touch, {{0, -6}, {48000, 0, Curve::Step}, {96000, -3, Curve::Curved}}};
        s.automation["tracks/bass/eq/1/freq"] = Lane{LaneMode::Read, {{0, 200, Curve::Curved}, {1000, 2000}}};
        const QByteArray doc = mixroom::protocol::encodeSession(s);
        auto back = mixroom::protocol::decodeSession(doc);
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().message.c_str());
        QVERIFY(back.value() == s);
        auto refuse = [&](const char* lanes, const char* expected) {
            QJsonObject root = QJsonDocument::fromJson(doc).object();
            root["automation"] = QJsonDocument::fromJson(lanes).object();
            auto r = mixroom::protocol::decodeSession(QJsonDocument(root).toJson());
            QVERIFY2(!r.ok() && r.error().message.find(expected) != std::string::npos, r.ok() ? "accepted" : r.error().message.c_str());
        };
        refuse("{\"tracks/nobody/fader\": {\"points\": [[0, 0]]}}", "no such parameter");
        refuse("{\"tracks/bass/stem\": {\"points\": [[0, 0]]}}", "cannot be automated");
        refuse("{\"tracks/bass/fader\": {\"points\": [[0, 50]]}}", "outside");
        refuse("{\"tracks/bass/fader\": {\"points\": [[10, 0], [5, 0]]}}", "times must increase");
        refuse("{\"tracks/bass/fader\": {\"points\": [[0.5, 0]]}}", "point 1");
        refuse("{\"tracks/bass/fader\": {\"mode\": \"sometimes\", \"points\": []}}", "mode must be");
        refuse("{\"tracks/bass/fader\": {\"points\": [[0, 0, \"wiggly\"]]}}", "curve is step, linear or curved");
        refuse("{\"tracks/bass/fader\": {\"points\": [], \"colour\": 1}}", "unknown key");
    }

    // Passes through a real server (AutomationPasses.h): two members write two lanes during one
    // playback, a third sees both, a restart keeps them; a touch pass glides back, a latch pass
    // holds until the transport stops; the later pass on a parameter wins; the artist may not
    // write the master; values are checked.
    void passesAreWrittenTogether()
    {
        using mixroom::protocol::Kind;
        using mixroom::test::call;
        mixroom::test::ServerFixture f;
        f.stemSeconds = 30;
        QVERIFY(f.start());
        auto mix = f.connect("mix"), artist = f.connect("artist"), client = f.connect("client");
        QVERIFY(mix && artist && client);
        const double bassFader = f.srv->room(f.sessionId)->state().track("bass")->fader;
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "dry"}}).value("type").toString(), QString("version"));
        // Both editors listen on their own streams and play.
        for (auto* c : {mix.get(), artist.get()}) {
            bool playing = false;
            auto conn = QObject::connect(c, &mixroom::client::Connection::reply, [&](qint64, const QJsonObject& m) {
                if (m.value("type").toString() == "transport_state" && m.value("playing").toBool()) playing = true;
            });
            QCOMPARE(call(*c, Kind::Listen, {{"mode", "own"}}).value("type").toString(), QString("listening"));
            QCOMPARE(call(*c, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}}).value("code").toString(),
                     QString("conflict")); // not playing yet
            QCOMPARE(call(*c, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString(), QString("ack"));
            QTRY_VERIFY_WITH_TIMEOUT(playing, 10000);
            QObject::disconnect(conn);
        }
        // Refusals: the table's permissions, modes, values, positions far from the transport.
        QCOMPARE(call(*artist, Kind::AutoBegin, {{"path", "master/fader"}, {"mode", "touch"}}).value("code").toString(),
                 QString("forbidden"));
        QCOMPARE(call(*client, Kind::AutoBegin, {{"path", "tracks/vox/fader"}, {"mode", "touch"}}).value("code").toString(),
                 QString("forbidden"));
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "read"}}).value("code").toString(),
                 QString("out_of_range"));
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/stem"}, {"mode", "touch"}}).value("code").toString(),
                 QString("forbidden"));
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}, {"value", 99}}).value("code").toString(),
                 QString("out_of_range"));
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}, {"at", 60000}}).value("code").toString(),
                 QString("out_of_range"));
        QJsonObject refusal;
        QObject::connect(mix.get(), &mixroom::client::Connection::refused, [&](qint64, const QJsonObject& m) { refusal = m; });
        mix->request(Kind::AutoValue, {{"path", "tracks/bass/fader"}, {"value", -3}});
        QTRY_COMPARE_WITH_TIMEOUT(refusal.value("code").toString(), QString("not_found"), 5000);

        // Two lanes at once: the mix engineer rides the bass (touch), the artist the vox pan (latch).
        const QJsonObject began =
            call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}, {"value", -12}, {"at", 1000}});
        QCOMPARE(began.value("type").toString(), QString("pass"));
        QCOMPARE(began.value("state").toString(), QString("recording"));
        const qint64 bassSeq =
            call(*artist, Kind::AutoBegin, {{"path", "tracks/vox/pan"}, {"mode", "latch"}, {"value", -0.5}, {"at", 1000}})
                        .value("type")
                        .toString() == "pass"
                ? 1
                : 0;
        QCOMPARE(bassSeq, qint64(1));
        for (int i = 1; i <= 20; ++i) { // a straight ride from -12 to 0 dB over one second, every 50 ms
            mix->request(Kind::AutoValue, {{"path", "tracks/bass/fader"}, {"value", -12.0 + 0.6 * i}, {"at", 1000 + 50 * i}});
            artist->request(Kind::AutoValue, {{"path", "tracks/vox/pan"}, {"value", -0.5 + 0.05 * i}, {"at", 1000 + 50 * i}});
        }
        QSignalSpy mixAcks(mix.get(), &mixroom::client::Connection::acked);
        const QJsonObject ended = call(*mix, Kind::AutoEnd, {{"path", "tracks/bass/fader"}, {"at", 2000}});
        QCOMPARE(ended.value("state").toString(), QString("stored"));
        QCOMPARE(call(*artist, Kind::AutoEnd, {{"path", "tracks/vox/pan"}, {"at", 2000}}).value("state").toString(), QString("holding"));
        QVERIFY(mixAcks.count() > 0 || mixAcks.wait(5000)); // the begin's clientSeq, once the lane is committed
        // The latch pass holds until the transport stops.
        QCOMPARE(call(*artist, Kind::Transport, {{"target", "own"}, {"action", "pause"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(client->mirror().state().automation.count("tracks/bass/fader") &&
                                     client->mirror().state().automation.count("tracks/vox/pan"),
                                 5000);
        const Session seen = client->mirror().state();
        // The touch ride: a stepped point just before it, the ride thinned to its two ends (a
        // straight line), then back to the fader's value 250 ms after the release.
        const Lane& bass = seen.automation.at("tracks/bass/fader");
        QVERIFY(bass.mode == LaneMode::Touch);
        const std::vector<AutoPoint> want{
            {47999, bassFader, Curve::Step}, {48000, -12, Curve::Linear}, {96000, 0, Curve::Linear}, {108000, bassFader, Curve::Linear}};
        QCOMPARE(bass.points.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            QCOMPARE(bass.points[i].time, want[i].time);
            QVERIFY2(std::abs(bass.points[i].value - want[i].value) < 1e-9,
                     qPrintable(QString("point %1: %2").arg(i).arg(bass.points[i].value)));
            QVERIFY(bass.points[i].curve == want[i].curve);
        }
        // The latch: the last value (0.5) held to where the transport stopped, then back to the pan.
        const Lane& pan = seen.automation.at("tracks/vox/pan");
        QVERIFY(pan.mode == LaneMode::Latch);
        QVERIFY(pan.points.size() >= 4);
        QCOMPARE(pan.points[1].value, -0.5);
        QVERIFY(std::abs(laneValue(pan, spec("tracks/vox/pan"), 96000) - 0.5) < 1e-9);
        QVERIFY(pan.points[pan.points.size() - 2].curve == Curve::Step);
        QCOMPARE(pan.points.back().value, f.srv->room(f.sessionId)->state().track("vox")->pan);

        // The later pass wins where they overlap: the mix engineer rides the bass again from 3 s, the
        // artist takes it over at 3.5 s.
        QCOMPARE(call(*artist, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(
            call(*artist, Kind::AutoBegin, {{"path", "tracks/vox/fader"}, {"mode", "touch"}, {"value", -20}}).value("type").toString() ==
                "pass",
            5000);
        QCOMPARE(call(*artist, Kind::AutoEnd, {{"path", "tracks/vox/fader"}}).value("state").toString(), QString("stored"));
        QJsonObject takenOver;
        QObject::connect(mix.get(), &mixroom::client::Connection::reply, [&](qint64, const QJsonObject& m) {
            if (m.value("state").toString() == "taken_over") takenOver = m;
        });
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}, {"value", -30}, {"at", 3000}})
                     .value("state")
                     .toString(),
                 QString("recording"));
        mix->request(Kind::AutoValue, {{"path", "tracks/bass/fader"}, {"value", -30}, {"at", 3400}});
        QCOMPARE(call(*artist, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "touch"}, {"value", -40}, {"at", 3500}})
                     .value("state")
                     .toString(),
                 QString("recording"));
        QTRY_VERIFY_WITH_TIMEOUT(!takenOver.isEmpty(), 5000);
        artist->request(Kind::AutoValue, {{"path", "tracks/bass/fader"}, {"value", -40}, {"at", 4000}});
        QCOMPARE(call(*artist, Kind::AutoEnd, {{"path", "tracks/bass/fader"}, {"at", 4000}}).value("state").toString(), QString("stored"));
        QTRY_VERIFY_WITH_TIMEOUT(mix->mirror().state() == f.srv->room(f.sessionId)->state(), 5000);
        const Lane& both = f.srv->room(f.sessionId)->state().automation.at("tracks/bass/fader");
        const ParamSpec& fader = spec("tracks/bass/fader");
        QCOMPARE(laneValue(both, fader, 3200 * 48), -30.0); // the mix engineer's
        QCOMPARE(laneValue(both, fader, 3800 * 48), -40.0); // the artist's, from 3.5 s
        QCOMPARE(laneValue(both, fader, 1500 * 48), -6.0);  // the first ride is still there
        QCOMPARE(laneValue(both, fader, 20000 * 48), bassFader);

        // A restart keeps every lane; a version saved after has them, and its diff lists the points.
        const auto lanes = f.srv->room(f.sessionId)->state().automation;
        QVERIFY(f.restart());
        QCOMPARE(f.srv->room(f.sessionId)->state().automation, lanes);
        auto again = f.connect("mix");
        QVERIFY(again);
        QCOMPARE(call(*again, Kind::SaveVersion, {{"name", "ridden"}}).value("type").toString(), QString("version"));
        const QJsonObject diff = call(*again, Kind::DiffVersions, {{"from", "dry"}, {"to", "ridden"}});
        QCOMPARE(diff.value("type").toString(), QString("version_diff"));
        QJsonObject bassChange;
        for (const QJsonValue& l : diff.value("lanes").toArray())
            if (l.toObject().value("path").toString() == "tracks/bass/fader") bassChange = l.toObject();
        QCOMPARE(bassChange.value("lane").toString(), QString("added"));
        QCOMPARE(bassChange.value("added").toArray().size(), static_cast<qsizetype>(lanes.at("tracks/bass/fader").points.size()));
        QCOMPARE(diff.value("lanes").toArray().size(), static_cast<qsizetype>(lanes.size()));
    }

    // How passes end besides auto_end, and their limits: a seek ends a latch pass where the
    // transport was (the last value held to there); a member who disconnects mid-pass has it
    // stored; a member may hold 16 passes at once, the 17th is refused; a flood of values is cut
    // off at the rate limit without ending the pass (one live update per burst, not one per value).
    void passesEndWithTheTransportAndAreBounded()
    {
        using mixroom::protocol::Kind;
        using mixroom::test::call;
        mixroom::test::ServerFixture f;
        f.stemSeconds = 60;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        auto playing = [&](mixroom::client::Connection& c) {
            bool on = false;
            auto conn = QObject::connect(&c, &mixroom::client::Connection::reply, [&](qint64, const QJsonObject& m) {
                if (m.value("type").toString() == "transport_state" && m.value("playing").toBool()) on = true;
            });
            if (call(c, Kind::Listen, {{"mode", "own"}}).value("type").toString() != "listening") return false;
            if (call(c, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString() != "ack") return false;
            const bool ok = QTest::qWaitFor([&] { return on; }, 10000);
            QObject::disconnect(conn);
            return ok;
        };
        QVERIFY(playing(*mix));
        auto lanes = [&] { return f.srv->room(f.sessionId)->state().automation; };

        // Latch, released at once; a second of audio later, a seek: the value is held to where the
        // transport was, not where it was released.
        const QJsonObject began = call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/fader"}, {"mode", "latch"}, {"value", -9}});
        QCOMPARE(began.value("state").toString(), QString("recording"));
        const double t0 = began.value("at").toDouble();
        QCOMPARE(call(*mix, Kind::AutoEnd, {{"path", "tracks/bass/fader"}}).value("state").toString(), QString("holding"));
        int frames = 0;
        auto counting = QObject::connect(mix.get(), &mixroom::client::Connection::audioFrame, [&] { ++frames; });
        QTRY_VERIFY_WITH_TIMEOUT(frames >= 50, 10000); // a second of 20 ms frames
        QObject::disconnect(counting);
        QCOMPARE(call(*mix, Kind::Transport, {{"target", "own"}, {"action", "seek"}, {"at", 40000}}).value("type").toString(),
                 QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(lanes().count("tracks/bass/fader"), 5000);
        const Lane latched = lanes().at("tracks/bass/fader");
        QVERIFY(latched.mode == LaneMode::Latch);
        QCOMPARE(laneValue(latched, spec("tracks/bass/fader"), std::llround((t0 + 800) * 48)), -9.0); // held past the release
        QVERIFY(latched.points[latched.points.size() - 2].curve == Curve::Step);
        QCOMPARE(laneValue(latched, spec("tracks/bass/fader"), 40000 * 48), f.srv->room(f.sessionId)->state().track("bass")->fader);

        // Sixteen passes at once; the seventeenth is refused.
        QTRY_VERIFY_WITH_TIMEOUT(
            call(*mix, Kind::AutoBegin, {{"path", "tracks/vox/fader"}, {"mode", "touch"}}).value("state").toString() == "recording", 5000);
        const QStringList more{"tracks/vox/pan",         "tracks/vox/trim",         "tracks/bass/pan",       "tracks/bass/trim",
                               "tracks/vox/eq/1/gain",   "tracks/vox/eq/1/freq",    "tracks/vox/eq/1/q",     "tracks/bass/eq/1/gain",
                               "tracks/bass/eq/1/freq",  "tracks/bass/eq/1/q",      "tracks/vox/comp/ratio", "tracks/bass/comp/ratio",
                               "tracks/vox/comp/makeup", "tracks/bass/comp/makeup", "tracks/vox/comp/knee"};
        for (int i = 0; i < 15; ++i)
            QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", more[i]}, {"mode", "touch"}}).value("state").toString(), QString("recording"));
        QCOMPARE(call(*mix, Kind::AutoBegin, {{"path", "tracks/bass/comp/knee"}, {"mode", "touch"}}).value("code").toString(),
                 QString("rate_limited"));

        // A flood of values: refused past the limit (400 at once, then 200 a second), the pass goes on.
        int refusedValues = 0;
        auto counter = QObject::connect(mix.get(), &mixroom::client::Connection::refused, [&](qint64, const QJsonObject& e) {
            if (e.value("code").toString() == "rate_limited") ++refusedValues;
        });
        for (int i = 0; i < 2000; ++i) // 400 at once and 200 a second: at least 600 refused within 7 s
            mix->request(Kind::AutoValue, {{"path", "tracks/vox/fader"}, {"value", -20.0 + (i % 10)}});
        QTRY_VERIFY_WITH_TIMEOUT(refusedValues >= 500, 10000);
        QObject::disconnect(counter);

        // The member goes away mid-pass: every pass of theirs is stored.
        mix.reset();
        QTRY_VERIFY_WITH_TIMEOUT(lanes().count("tracks/vox/fader") && lanes().count("tracks/vox/comp/knee"), 5000);
        QCOMPARE(lanes().size(), size_t(17));
        QVERIFY(lanes().at("tracks/vox/fader").mode == LaneMode::Touch);
    }

    // Point-level lane diffs: equal points anchor, differing ones between anchors pair as moved,
    // the rest are added or removed; a mode change is reported.
    void laneDiffsArePointLevel()
    {
        const Lane before{LaneMode::Read, {{0, -6}, {48000, 0}, {96000, -3, Curve::Step}, {144000, -10}}};
        const Lane after{LaneMode::Touch, {{0, -6}, {50000, 0}, {96000, -3, Curve::Step}, {120000, -1}, {144000, -10}, {200000, 0}}};
        const LaneChange c = diffLanes("tracks/bass/fader", &before, &after);
        QVERIFY(c.lane == LaneChange::Lane::Changed);
        QVERIFY(c.mode && c.mode->first == LaneMode::Read && c.mode->second == LaneMode::Touch);
        QCOMPARE(c.moved.size(), size_t(1));
        QCOMPARE(c.moved[0].first.time, int64_t(48000));
        QCOMPARE(c.moved[0].second.time, int64_t(50000));
        QCOMPARE(c.added.size(), size_t(2));
        QCOMPARE(c.added[0].time, int64_t(120000));
        QCOMPARE(c.added[1].time, int64_t(200000));
        QVERIFY(c.removed.empty());
        const LaneChange gone = diffLanes("tracks/bass/fader", &before, nullptr);
        QVERIFY(gone.lane == LaneChange::Lane::Removed);
        QCOMPARE(gone.removed.size(), before.points.size());
        Session a, b;
        a.automation["tracks/bass/fader"] = before;
        b.automation["tracks/bass/fader"] = before;
        QVERIFY(diffSessions(a, b).empty());
        b.automation["tracks/bass/fader"] = after;
        QCOMPARE(diffSessions(a, b).lanes.size(), size_t(1));
    }

    // set_lane through a real server: permissions follow the parameter's, lanes follow their band
    // and go with their strip, a restore is checked lane by lane, and the op log keeps them.
    void lanesAreEditedTogether()
    {
        using mixroom::protocol::Kind;
        mixroom::test::ServerFixture f;
        QVERIFY(f.start());
        auto artist = f.connect("artist"), mix = f.connect("mix"), client = f.connect("client");
        QVERIFY(artist && mix && client);
        const QJsonArray ride{QJsonArray{0, -6}, QJsonArray{48000, 0, "curved"}, QJsonArray{96000, -3}};
        auto call = [](mixroom::client::Connection& c, const QJsonObject& fields) { // "ack" or the refusal's code
            const QJsonObject answer = mixroom::test::call(c, Kind::SetLane, fields);
            return answer.value("type").toString() == "ack" ? QString("ack") : answer.value("code").toString();
        };
        QCOMPARE(call(*artist, {{"path", "tracks/bass/fader"}, {"points", ride}}), QString("ack"));
        QCOMPARE(call(*artist, {{"path", "master/fader"}, {"points", ride}}), QString("forbidden"));
        QCOMPARE(call(*client, {{"path", "tracks/vox/pan"}, {"points", QJsonArray{QJsonArray{0, 0.5}}}}), QString("forbidden"));
        QCOMPARE(call(*mix, {{"path", "master/fader"}, {"points", ride}}), QString("ack"));
        QCOMPARE(call(*mix, {{"path", "tracks/bass/stem"}, {"points", ride}}), QString("out_of_range"));
        QCOMPARE(call(*mix, {{"path", "tracks/bass/fader"}, {"points", QJsonArray{QJsonArray{0, 40}}}}), QString("out_of_range"));
        QCOMPARE(call(*mix, {{"path", "tracks/nobody/fader"}, {"points", ride}}), QString("unknown_path"));
        // A lane on band 1 of vox follows it when a band is added before it and moved.
        QCOMPARE(call(*mix, {{"path", "tracks/vox/eq/1/gain"}, {"points", QJsonArray{QJsonArray{0, -3}, QJsonArray{1000, 3}}}}),
                 QString("ack"));
        QCOMPARE(mixroom::test::call(*mix, Kind::AddBand, {{"strip", "tracks/vox"}}).value("type").toString(), QString("ack"));
        QCOMPARE(mixroom::test::call(*mix, Kind::MoveBand, {{"strip", "tracks/vox"}, {"band", 1}, {"to", 2}}).value("type").toString(),
                 QString("ack"));
        Session now = f.srv->room(f.sessionId)->state();
        QVERIFY(now.automation.count("tracks/vox/eq/2/gain") && !now.automation.count("tracks/vox/eq/1/gain"));
        QCOMPARE(mixroom::test::call(*mix, Kind::RemoveBand, {{"strip", "tracks/vox"}, {"band", 1}}).value("type").toString(),
                 QString("ack"));
        now = f.srv->room(f.sessionId)->state();
        QVERIFY(now.automation.count("tracks/vox/eq/1/gain"));
        // The artist's client sees the same lanes (its mirror applies the same ops).
        QTRY_COMPARE_WITH_TIMEOUT(artist->mirror().state().automation, now.automation, 5000);
        // A version with a master lane: the artist may not restore it over a different master lane.
        QCOMPARE(mixroom::test::call(*mix, Kind::SaveVersion, {{"name", "lanes"}}).value("type").toString(), QString("version"));
        QCOMPARE(call(*mix, {{"path", "master/fader"}, {"mode", "off"}}), QString("ack"));
        const QJsonObject refused = mixroom::test::call(*artist, Kind::RestoreVersion, {{"version", "lanes"}});
        QVERIFY2(refused.value("code").toString() == "forbidden" &&
                     refused.value("message").toString().contains("automation of master/fader"),
                 qPrintable(refused.value("message").toString()));
        // Clearing a lane removes it; removing a track removes its lanes; a restart keeps the rest.
        QCOMPARE(call(*mix, {{"path", "master/fader"}, {"points", QJsonArray{}}}), QString("ack"));
        QCOMPARE(mixroom::test::call(*mix, Kind::RemoveTrack, {{"id", "bass"}}).value("type").toString(), QString("ack"));
        now = f.srv->room(f.sessionId)->state();
        QCOMPARE(now.automation.size(), size_t(1));
        QVERIFY(f.restart());
        QCOMPARE(f.srv->room(f.sessionId)->state().automation, now.automation);
    }
};

QTEST_GUILESS_MAIN(TestAutomation)
#include "tst_automation.moc"
