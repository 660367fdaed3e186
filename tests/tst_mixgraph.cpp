// SPDX-License-Identifier: MIT
// The graph: block-size independence, the summing identity, solo/mute/sends routing, and zero
// allocations inside process().
#include "AllocationCounter.h"
#include "MixFixture.h"
#include "engine/render/MixGraph.h"

#include <QTest>

#include <atomic>
#include <new>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
std::pair<std::vector<float>, std::vector<float>> renderWith(MixGraph& g, int64_t frames, int block, uint32_t seed)
{
    std::vector<float> l(static_cast<size_t>(frames)), r(static_cast<size_t>(frames));
    int64_t done = 0;
    for (int n : blockPlan(frames, block, seed)) {
        g.process(l.data() + done, r.data() + done, n);
        done += n;
    }
    return {l, r};
}
} // namespace

class TestMixGraph : public QObject {
    Q_OBJECT
  private slots:
    void blockSizeIndependence_data()
    {
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("rate");
        for (int rate : {44100, 48000, 96000})
            for (int b : {1, 64, 4096, 0})
                QTest::addRow("%d@%d", b, rate) << b << rate;
    }
    void blockSizeIndependence()
    {
        QFETCH(int, block);
        QFETCH(int, rate);
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 1.5, true, rate));
        fx.addProcessing();
        fx.session.sampleRate = rate;
        QVERIFY(fx.load());
        auto ref = MixGraph::build(fx.session, fx.stems);
        auto other = MixGraph::build(fx.session, fx.stems);
        QVERIFY(ref.ok() && other.ok());
        const int64_t frames = int64_t(rate * 2);
        auto [rl, rr] = renderWith(*ref.value(), frames, 512, 1);
        auto [ol, orr] = renderWith(*other.value(), frames, block, testSeed());
        double maxDiff = 0, peak = 0;
        for (size_t i = 0; i < rl.size(); ++i) {
            maxDiff = std::max({maxDiff, double(std::abs(rl[i] - ol[i])), double(std::abs(rr[i] - orr[i]))});
            peak = std::max(peak, double(std::abs(rl[i])));
        }
        QVERIFY(peak > 0.01); // something was rendered
        QVERIFY2(maxDiff <= 1e-6, qPrintable(QString("max difference %1").arg(maxDiff)));
    }

    void summingIdentity()
    {
        // Faders at 0 dB, pans centred, nothing processed: the output is the exact float sum.
        MixFixture fx;
        QVERIFY(fx.makeStems(4, 1.0));
        QVERIFY(fx.load());
        auto g = MixGraph::build(fx.session, fx.stems);
        QVERIFY(g.ok());
        const int64_t frames = 48000;
        const int64_t lat = g.value()->latency(); // the limiter's delay stays, bypassed or not
        auto [l, r] = renderWith(*g.value(), frames + lat, 0, testSeed());
        std::vector<float> sl(static_cast<size_t>(frames)), sr(static_cast<size_t>(frames)), tl(static_cast<size_t>(frames)),
            tr(static_cast<size_t>(frames));
        for (const Track& t : fx.session.tracks) {
            fx.stems.at(t.id)->read(0, int(frames), tl.data(), tr.data());
            for (size_t i = 0; i < static_cast<size_t>(frames); ++i) {
                sl[i] += tl[i];
                sr[i] += tr[i];
            }
        }
        for (size_t i = 0; i < static_cast<size_t>(frames); ++i) {
            QCOMPARE(l[i + static_cast<size_t>(lat)], sl[i]);
            QCOMPARE(r[i + static_cast<size_t>(lat)], sr[i]);
        }
    }

    void soloMuteAndSends()
    {
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 1.0));
        QVERIFY(fx.load());
        Session s = fx.session;
        s.tracks[1].solo = true;
        auto g = MixGraph::build(s, fx.stems);
        QVERIFY(g.ok());
        const size_t lat = static_cast<size_t>(g.value()->latency());
        auto [l, r] = renderWith(*g.value(), 48000, 256, 1);
        std::vector<float> tl(48000), tr(48000);
        fx.stems.at("t1")->read(0, 48000, tl.data(), tr.data());
        for (size_t i = 0; i + lat < 48000; ++i)
            QCOMPARE(l[i + lat], tl[i]); // only the soloed track

        // Mute the soloed track: silence (the others stay solo-muted).
        s.tracks[1].mute = true;
        g.value()->setParams(s);
        auto [ml, mr] = renderWith(*g.value(), 48000, 256, 1);
        QCOMPARE(ml.back(), 0.0f);

        // Aux returns are solo-safe: a soloed track's send still reaches the reverb.
        Session v = fx.session;
        Return verb;
        verb.id = "verb";
        v.returns = {verb};
        v.tracks[0].solo = true;
        v.tracks[0].fader = kSilenceDb; // only the pre-fader send carries it
        v.tracks[0].sends = {Send{"verb", 0, true}};
        v.tracks[1].sends = {Send{"verb", 0, true}};
        auto gv = MixGraph::build(v, fx.stems);
        QVERIFY(gv.ok());
        auto [vl, vr] = renderWith(*gv.value(), 48000, 256, 1);
        double energy = 0;
        for (float x : vl)
            energy += double(x) * x;
        QVERIFY(energy > 1.0);
    }

    void routingErrorsNamePaths()
    {
        MixFixture fx;
        QVERIFY(fx.makeStems(1, 0.1));
        QVERIFY(fx.load());
        Session s = fx.session;
        s.tracks[0].output = "nowhere";
        auto g = MixGraph::build(s, fx.stems);
        QVERIFY(!g.ok());
        QCOMPARE(QString::fromStdString(g.error().message), QString("tracks/t0/output: no group 'nowhere'"));
        StemMap none;
        auto h = MixGraph::build(fx.session, none);
        QVERIFY(!h.ok());
        QVERIFY(QString::fromStdString(h.error().message).startsWith("tracks/t0/stem"));
    }

    void processNeverAllocates()
    {
        MixFixture fx;
        QVERIFY(fx.makeStems(4, 1.0, true));
        fx.addProcessing();
        QVERIFY(fx.load());
        auto g = MixGraph::build(fx.session, fx.stems);
        QVERIFY(g.ok());
        std::vector<float> l(4096), r(4096);
        g.value()->process(l.data(), r.data(), 4096); // first block pulls the initial parameters
        Session changed = fx.session;
        changed.tracks[0].fader = -10;
        changed.tracks[1].eq[1].freq = 800;
        changed.master.width = 80;
        changed.returns[0].reverb.size = 0.3;
        g.value()->setParams(changed); // control thread: may allocate
        const std::vector<int> plan = blockPlan(48000 * 2, 0, testSeed());
        g_allocations = 0;
        g_armed = true;
        for (int n : plan)
            g.value()->process(l.data(), r.data(), n);
        g_armed = false;
        QCOMPARE(g_allocations.load(), 0L);
        // Check the counter itself works.
        g_armed = true;
        auto* probe = new std::vector<int>(10);
        g_armed = false;
        delete probe;
        QVERIFY(g_allocations.load() > 0);
    }
};

QTEST_GUILESS_MAIN(TestMixGraph)
#include "tst_mixgraph.moc"
