// SPDX-License-Identifier: MIT
// Graph hand-over: a structural edit that changes nothing audible leaves the output bit-identical
// to no edit at all (state carried over strip by strip); one that changes the sound is crossfaded
// with no hole and no click; swapping and playing allocate nothing; the limiter's latency does not
// depend on its lookahead, so a lookahead change crossfades time-aligned audio.
#include "AllocationCounter.h"
#include "MixFixture.h"
#include "engine/render/GraphPlayer.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <new>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {

using Edit = std::function<void(Session&, StemMap&)>;

struct Take {
    std::vector<float> l, r;
};

// Plays `before` for `swapAt` frames, then hands over to the graph of edit(before) (crossfaded as
// MixGraph::needsCrossfade says), and plays on to `total` frames.
Take play(const Session& before, const StemMap& stems, const Edit& edit, int64_t swapAt, int64_t total, int block,
          bool* crossfaded = nullptr)
{
    Take t;
    t.l.resize(static_cast<size_t>(total));
    t.r.resize(static_cast<size_t>(total));
    auto first = MixGraph::build(before, stems);
    if (!first) qFatal("build: %s", first.error().message.c_str());
    GraphPlayer player(std::shared_ptr<MixGraph>(std::move(first.value())));
    Session after = before;
    StemMap afterStems = stems;
    if (edit) edit(after, afterStems);
    std::shared_ptr<MixGraph> next;
    if (edit) {
        auto built = MixGraph::build(after, afterStems);
        if (!built) qFatal("build: %s", built.error().message.c_str());
        next = std::move(built.value());
    }
    const bool fade = edit && MixGraph::needsCrossfade(before, after);
    if (crossfaded) *crossfaded = fade;
    for (int64_t done = 0; done < total;) {
        if (done == swapAt && next) player.swap(next, fade);
        int n = static_cast<int>(std::min<int64_t>(block, total - done));
        if (done < swapAt) n = static_cast<int>(std::min<int64_t>(n, swapAt - done));
        player.process(t.l.data() + done, t.r.data() + done, n);
        done += n;
    }
    return t;
}

// RMS in 2.5 ms windows.
std::vector<double> windowsDb(const std::vector<float>& x, int rate, size_t from, size_t to)
{
    const size_t w = static_cast<size_t>(rate / 400);
    std::vector<double> out;
    for (size_t a = from; a + w <= to; a += w) {
        double s = 0;
        for (size_t i = a; i < a + w; ++i)
            s += double(x[i]) * x[i];
        out.push_back(10 * std::log10(s / double(w) + 1e-30));
    }
    return out;
}

double percentileStep(const std::vector<float>& x, size_t from, size_t to, double q)
{
    std::vector<float> d;
    for (size_t i = std::max<size_t>(from, 1); i < to; ++i)
        d.push_back(std::abs(x[i] - x[i - 1]));
    std::sort(d.begin(), d.end());
    return d[static_cast<size_t>(q * double(d.size() - 1))];
}

} // namespace

class TestGraphPlayer : public QObject {
    Q_OBJECT
  private slots:
    void inaudibleEditsAreBitIdentical_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("block");
        const char* names[] = {"silent group", "return with no sends", "disabled band", "send at -inf", "rename", "move track"};
        for (int i = 0; i < 6; ++i)
            for (int block : {64, 1000})
                QTest::addRow("%s/%d", names[i], block) << i << block;
    }
    void inaudibleEditsAreBitIdentical()
    {
        QFETCH(int, which);
        QFETCH(int, block);
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 3.0));
        fx.addProcessing();
        fx.session.master.limiter.enabled = true;
        QVERIFY(fx.load());
        const Edit edits[] = {
            [](Session& s, StemMap&) {
                Group g;
                g.id = g.name = "spare";
                g.comp.enabled = true; // processing, but nothing feeds it
                s.groups.push_back(g);
            },
            [](Session& s, StemMap&) {
                Return r;
                r.id = r.name = "room";
                s.returns.insert(s.returns.begin(), r); // even first: sends find their returns by id
            },
            [](Session& s, StemMap&) {
                EqBand b;
                b.type = EqType::Peak;
                b.gain = 9;
                b.enabled = false;
                s.tracks[1].eq.push_back(b);
            },
            [](Session& s, StemMap&) { s.groups[0].sends.push_back(Send{"verb"}); },
            [](Session& s, StemMap&) { s.tracks[2].name = "Keys"; },
            [](Session& s, StemMap&) { std::swap(s.tracks[1], s.tracks[2]); },
        };
        const int64_t total = 48000 * 3, swapAt = 48000 + 1000; // mid-song, mid-reverb, mid-envelope
        const Take straight = play(fx.session, fx.stems, {}, swapAt, total, block);
        bool crossfaded = true;
        const Take edited = play(fx.session, fx.stems, edits[which], swapAt, total, block, &crossfaded);
        QVERIFY(!crossfaded);
        size_t firstDiff = straight.l.size();
        for (size_t i = 0; i < straight.l.size(); ++i)
            if (straight.l[i] != edited.l[i] || straight.r[i] != edited.r[i]) {
                firstDiff = i;
                break;
            }
        if (which == 5) { // reordering changes the summing order: not bits, but nothing audible
            double d = 0, s = 0;
            for (size_t i = 0; i < straight.l.size(); ++i) {
                d += std::pow(double(straight.l[i]) - edited.l[i], 2);
                s += double(straight.l[i]) * straight.l[i];
            }
            QVERIFY2(10 * std::log10(s / std::max(d, 1e-30)) > 120, "reordering tracks changed the mix");
            return;
        }
        QVERIFY2(firstDiff == straight.l.size(),
                 qPrintable(QString("output differs from frame %1 (edit at %2)").arg(firstDiff).arg(swapAt)));
    }

    void audibleEditsCrossfade_data()
    {
        QTest::addColumn<int>("which");
        const char* names[] = {"routing", "effect type", "lookahead", "stem", "remove track", "remove band"};
        for (int i = 0; i < 6; ++i)
            QTest::addRow("%s", names[i]) << i;
    }
    void audibleEditsCrossfade()
    {
        QFETCH(int, which);
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 3.0, false, 48000, 0.0f)); // sines: any click stands out of their steps
        fx.addProcessing();
        fx.session.master.limiter.enabled = true;
        QVERIFY(fx.load());
        const Edit edits[] = {
            [](Session& s, StemMap&) { s.tracks[1].output = "bus"; },
            [](Session& s, StemMap&) { s.returns[0].effect = EffectType::Delay; },
            [](Session& s, StemMap&) { s.master.limiter.lookahead = 1.5; },
            [](Session& s, StemMap& m) {
                s.tracks[0].stem = s.tracks[2].stem;
                m["t0"] = m["t2"];
            },
            [](Session& s, StemMap&) { s.tracks.erase(s.tracks.begin() + 1); },
            [](Session& s, StemMap&) { s.tracks[0].eq.erase(s.tracks[0].eq.begin()); },
        };
        const int64_t total = 48000 * 3, swapAt = 48000 + 1000;
        bool crossfaded = false;
        const Take t = play(fx.session, fx.stems, edits[which], swapAt, total, 256, &crossfaded);
        QVERIFY(crossfaded);
        const Take straight = play(fx.session, fx.stems, {}, swapAt, total, 256);
        QVERIFY2(t.l != straight.l, "the edit was not heard");
        Session after = fx.session;
        StemMap afterStems = fx.stems;
        edits[which](after, afterStems);
        const Take other = play(after, afterStems, {}, swapAt, total, 256); // the new mix all along
        // The edit is what is heard afterwards: over the last half second, the take carries the
        // whole change from the old mix to the new one (regression of take - old on new - old).
        double dot = 0, norm = 0;
        for (size_t i = static_cast<size_t>(total - 24000); i < static_cast<size_t>(total); ++i) {
            const double predicted = double(other.l[i]) - straight.l[i];
            dot += (double(t.l[i]) - straight.l[i]) * predicted;
            norm += predicted * predicted;
        }
        if (norm > 1e-9) // (this material stays under the ceiling: a new lookahead changes nothing here)
            QVERIFY2(std::abs(dot / norm - 1.0) < 0.1, qPrintable(QString("the take carries %1 of the change").arg(dot / norm)));
        for (int c = 0; c < 2; ++c) {
            const auto* ch = c ? &t.r : &t.l;
            const auto* was = c ? &straight.r : &straight.l;
            const auto* will = c ? &other.r : &other.l;
            // No hole: from 25 ms before the change is heard (the graph's latency after the edit)
            // to 5 ms after its crossfade, every 2.5 ms window is at most 3 dB below the quieter
            // of the old and the new mix in that window. (Later the take is the new graph alone;
            // a new effect starts empty, which the new mix "all along" does not.)
            LimiterDsp lim;
            lim.prepare(48000, fx.session.master.limiter.lookahead);
            const size_t heard = static_cast<size_t>(swapAt + lim.latencySamples());
            const size_t from = heard - 1200, to = heard + static_cast<size_t>(GraphPlayer::kCrossfadeSeconds * 48000) + 240;
            const auto w = windowsDb(*ch, 48000, from, to);
            const auto a = windowsDb(*was, 48000, from, to);
            const auto b = windowsDb(*will, 48000, from, to);
            for (size_t k = 0; k < w.size(); ++k)
                QVERIFY2(w[k] >= std::min(a[k], b[k]) - 3.0,
                         qPrintable(QString("window %1: %2 dB, old %3 dB, new %4 dB").arg(k).arg(w[k]).arg(a[k]).arg(b[k])));
            // No click: no sample step where the edit is heard (from 10 ms before the crossfade to
            // 5 ms after it) above the signal's own 99.9th percentile.
            const double p999 = percentileStep(*ch, 0, ch->size(), 0.999);
            float step = 0;
            size_t where = 0;
            for (size_t i = heard - 480; i < to; ++i)
                if (std::abs((*ch)[i] - (*ch)[i - 1]) > step) {
                    step = std::abs((*ch)[i] - (*ch)[i - 1]);
                    where = i;
                }
            QVERIFY2(
                step <= p999,
                qPrintable(
                    QString("step %1 at frame %2 (edit heard at %3), 99.9th percentile %4").arg(step).arg(where).arg(heard).arg(p999)));
        }
    }

    void latencyDoesNotDependOnLookahead()
    {
        MixFixture fx;
        QVERIFY(fx.makeStems(1, 0.5));
        QVERIFY(fx.load());
        std::vector<int> latencies;
        for (double ms : {0.5, 1.5, 5.0, 10.0}) {
            fx.session.master.limiter.lookahead = ms;
            auto g = MixGraph::build(fx.session, fx.stems);
            QVERIFY(g.ok());
            latencies.push_back(g.value()->latency());
        }
        QVERIFY(std::all_of(latencies.begin(), latencies.end(), [&](int l) { return l == latencies.front(); }));
    }

    void swapAndCrossfadeAllocateNothing()
    {
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 1.0));
        fx.addProcessing();
        QVERIFY(fx.load());
        Session after = fx.session;
        after.tracks[1].output = "bus";
        after.returns[1].effect = EffectType::Reverb;
        auto a = MixGraph::build(fx.session, fx.stems);
        auto b = MixGraph::build(after, fx.stems);
        auto c = MixGraph::build(fx.session, fx.stems);
        QVERIFY(a.ok() && b.ok() && c.ok());
        std::shared_ptr<MixGraph> gb(std::move(b.value())), gc(std::move(c.value()));
        std::vector<std::shared_ptr<MixGraph>> retired;
        retired.reserve(8);
        GraphPlayer player(std::shared_ptr<MixGraph>(std::move(a.value())));
        player.setRetire([&](std::shared_ptr<MixGraph> g) { retired.push_back(std::move(g)); });
        std::vector<float> l(512), r(512);
        player.process(l.data(), r.data(), 512);
        g_allocations = 0;
        g_armed = true;
        player.swap(gb, true); // crossfaded: both run for 10 ms
        for (int i = 0; i < 4; ++i)
            player.process(l.data(), r.data(), 512);
        player.swap(gc, false); // exact hand-over
        player.process(l.data(), r.data(), 512);
        g_armed = false;
        QCOMPARE(g_allocations.load(), 0L);
        QCOMPARE(retired.size(), size_t(2)); // freed by the owner, never by the player
        QVERIFY(!player.crossfading());
    }
};

QTEST_GUILESS_MAIN(TestGraphPlayer)
#include "tst_graphplayer.moc"
