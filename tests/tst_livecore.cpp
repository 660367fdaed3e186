// SPDX-License-Identifier: MIT
// The live core end to end: every field the server accepts is kept (versions, restores, joins,
// restarts from a snapshot), checked field by field through the table and with the model's own
// operator==; structural sets are heard on a live stream as the offline render of the new state
// predicts; a seeded multi-client run with structural ops and a restart converges field by field.
#include "FieldWalk.h"
#include "ServerFixture.h"
#include "client/PreviewReceiver.h"
#include "client/SessionMirror.h"
#include "engine/render/Renderer.h"
#include "engine/stems/SessionStems.h"
#include "protocol/SessionCodec.h"
#include "protocol/SessionOps.h"

#include <QJsonArray>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

namespace {

// Two tracks "bass" and "vox" on one stem, to master, and an empty group "bus" at `busFader` dB.
engine::Session bassVoxAndBus(const std::string& stem, double busFader)
{
    engine::Session s;
    for (const char* id : {"bass", "vox"}) {
        engine::Track t;
        t.id = t.name = id;
        t.stem = stem;
        s.tracks.push_back(t);
    }
    engine::Group bus;
    bus.id = bus.name = "bus";
    bus.fader = busFader;
    s.groups.push_back(bus);
    return s;
}

QString why(const engine::Session& want, const engine::Session& got)
{
    return differingPaths(want, got).join(", ");
}

QJsonValue toJson(const engine::ParamValue& v)
{
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<bool>(v)) return std::get<bool>(v);
    return QString::fromStdString(std::get<std::string>(v));
}

// The decoded left channel of one connection's stream.
struct Ear {
    client::PreviewReceiver receiver;
    std::vector<float> left;
    explicit Ear(client::Connection& c)
    {
        QObject::connect(&c, &client::Connection::audioFrame, &receiver, [this](const QByteArray& f) { receiver.feed(f); });
        QObject::connect(&receiver, &client::PreviewReceiver::audio, [this](quint64, const QVector<float>& pcm, quint8) {
            for (qsizetype i = 0; i < pcm.size(); i += 2)
                left.push_back(pcm[i]);
        });
    }
};

std::vector<float> renderLeft(ServerFixture& f, const engine::Session& s)
{
    engine::StemStore stems((f.dir.path() + "/stems").toStdString());
    auto map = engine::loadSessionStems(s, "", stems);
    std::vector<float> out;
    if (!map.ok()) return out;
    (void)engine::renderSession(s, map.value(), 1024, [&](const float* l, const float*, int n) {
        out.insert(out.end(), l, l + n);
        return engine::Result<engine::Ok>(engine::Ok{});
    });
    return out;
}

// The stream's delay against `reference` (graph latency + Opus), from a window before `until`.
int alignment(const std::vector<float>& heard, const std::vector<float>& reference, size_t from, size_t win)
{
    int best = 0;
    double bestCorr = -1e30;
    for (int lag = 0; lag < 3000; ++lag) {
        double corr = 0;
        for (size_t i = from; i < from + win; i += 2)
            corr += double(heard[i + size_t(lag)]) * reference[i];
        if (corr > bestCorr) {
            bestCorr = corr;
            best = lag;
        }
    }
    return best;
}

// How far below the reference the difference lies over [from, from + n), in dB.
double snr(const std::vector<float>& heard, int lag, const std::vector<float>& reference, size_t from, size_t n)
{
    if (from + n + size_t(lag) > heard.size() || from + n > reference.size()) return std::nan("past the end of what was heard");
    double err = 0, sig = 0;
    for (size_t i = from; i < from + n; ++i) {
        const double d = heard[i + size_t(lag)] - reference[i];
        err += d * d;
        sig += double(reference[i]) * reference[i];
    }
    return 10 * std::log10(sig / std::max(err, 1e-30));
}

} // namespace

class TestLiveCore : public QObject {
    Q_OBJECT
  private slots:
    void everyFieldIsKept()
    {
        // Every path of a rich session set to a non-default value over the protocol, including
        // fields of the inactive effect: the server's state, a version of it, a restore, a client
        // that joins and a restart from the snapshot all hold exactly those values.
        ServerFixture f;
        f.document = [](const std::string& hash) { return richSession(hash); };
        QVERIFY(f.start());
        const QString otherStem = f.addStem(660, 1.0);
        QVERIFY(!otherStem.isEmpty());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        const engine::Session original = f.srv->room(f.sessionId)->state();
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "base"}}).value("type").toString(), QString("version"));

        engine::Session expected = original;
        int sets = 0;
        engine::forEachField(original, [&](const std::string& path, const engine::ParamSpec& spec, engine::FieldRef ref) {
            if (path == "sampleRate") return; // fixed at creation (refused, tested elsewhere)
            const std::string text = path.ends_with("/output") ? "drums" : path.ends_with("/stem") ? otherStem.toStdString() : "Edited";
            const engine::ParamValue v = otherValue(spec, ref.get(), text);
            const QJsonObject args{{"path", QString::fromStdString(path)}, {"value", toJson(v)}};
            const QJsonObject answer = call(*mix, Kind::Set, args);
            QVERIFY2(answer.value("type").toString() == "ack",
                     qPrintable(QString::fromStdString(path) + ": " + answer.value("message").toString()));
            QVERIFY(!protocol::applyOp(expected, "set", args, [](const QString&) { return true; }));
            ++sets;
        });
        QVERIFY(sets > 150);
        QVERIFY2(f.srv->room(f.sessionId)->state() == expected, qPrintable(why(expected, f.srv->room(f.sessionId)->state())));

        // A version holds it; restoring the base and then it gives each back exactly.
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "edited"}}).value("type").toString(), QString("version"));
        const QJsonObject diff = call(*mix, Kind::DiffVersions, {{"from", "edited"}});
        QVERIFY2(diff.value("changes").toArray().isEmpty(), qPrintable(QJsonDocument(diff).toJson()));
        QCOMPARE(call(*mix, Kind::RestoreVersion, {{"version", "base"}}).value("type").toString(), QString("ack"));
        QVERIFY2(f.srv->room(f.sessionId)->state() == original, qPrintable(why(original, f.srv->room(f.sessionId)->state())));
        QCOMPARE(call(*mix, Kind::RestoreVersion, {{"version", "edited"}}).value("type").toString(), QString("ack"));
        QVERIFY2(f.srv->room(f.sessionId)->state() == expected, qPrintable(why(expected, f.srv->room(f.sessionId)->state())));

        // A client that joins now gets the whole state in its welcome.
        auto late = f.connect("artist", "late-joiner");
        QVERIFY(late);
        QVERIFY2(late->mirror().state() == expected, qPrintable(why(expected, late->mirror().state())));

        // A restart: the snapshot (taken every 200 ops) plus the ops after it.
        QVERIFY(f.srv->room(f.sessionId)->seq() > server::SessionRoom::kSnapshotEvery);
        mix.reset();
        late.reset();
        QVERIFY(f.restart());
        QVERIFY2(f.srv->room(f.sessionId)->state() == expected, qPrintable(why(expected, f.srv->room(f.sessionId)->state())));
    }

    void aLargeSessionReachesJoiningClients()
    {
        // 48 tracks with eight bands and two sends each: the welcome carries well over 64 KiB
        // of state. The 64 KiB limit is for what clients send; clients used to drop such a
        // welcome (and a long version list) as oversized, and never joined.
        ServerFixture f;
        f.document = [](const std::string& hash) {
            engine::Session s = richSession(hash);
            for (int i = 0; i < 45; ++i) {
                engine::Track t = s.tracks[0];
                t.id = t.name = "t" + std::to_string(i);
                t.eq.assign(engine::kMaxEqBands, engine::EqBand{});
                s.tracks.push_back(t);
            }
            return s;
        };
        QVERIFY(f.start());
        QVERIFY(protocol::encodeSession(f.srv->room(f.sessionId)->state()).size() > protocol::kMaxControlMessageBytes);
        auto c = f.connect("client");
        QVERIFY(c);
        QVERIFY(c->mirror().state() == f.srv->room(f.sessionId)->state());
    }

    void aReplayNeverReachesPastItsWelcome()
    {
        // A client catching up gets the ops after its lastSeq up to the welcome's seq, never an
        // op the room has not yet committed-and-broadcast: the writer thread's commit is visible
        // in the database before the room hears of it, and an op replayed there and broadcast
        // again afterwards was applied twice by the joining replica (a CI run of the random
        // run ended with one extra master EQ band on a client).
        ServerFixture f;
        QVERIFY(f.start());
        auto editor = f.connect("mix");
        QVERIFY(editor);
        int bad = 0, joins = 0;
        QString first;
        for (int round = 0; round < 100; ++round) { // under kMaxReplay ops: every welcome replays
            for (int k = 0; k < 8; ++k)
                editor->request(Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -0.1 * ((round * 8 + k) % 100)}});
            RawSocket raw;
            QVERIFY(raw.open(f.url()));
            const QJsonObject hello{{"type", "hello"}, {"major", 1}, {"token", f.tokens["artist"]}, {"clientId", "probe"}, {"lastSeq", 0}};
            const QJsonObject w = raw.exchange(QJsonDocument(hello).toJson(QJsonDocument::Compact));
            QCOMPARE(w.value("type").toString(), QString("welcome"));
            QVERIFY(!w.contains("state"));
            ++joins;
            const QJsonArray replay = w.value("replay").toArray();
            const qint64 seq = qint64(w.value("seq").toDouble());
            const qint64 last = replay.isEmpty() ? 0 : qint64(replay.last().toObject().value("seq").toDouble());
            if (last != seq || qint64(replay.size()) != seq) {
                ++bad;
                if (first.isEmpty()) first = QString("welcome seq %1, replay of %2 ops ending at %3").arg(seq).arg(replay.size()).arg(last);
            }
        }
        QVERIFY2(bad == 0, qPrintable(QString("%1 of %2 welcomes: first %3").arg(bad).arg(joins).arg(first)));
        // The replica side holds too: a replay that overlaps later broadcasts applies each op once.
        client::SessionMirror m;
        QString error;
        engine::Session s;
        s.master.eq.clear();
        QVERIFY(m.applyWelcome(QJsonObject{{"seq", 3}, {"state", QJsonDocument::fromJson(protocol::encodeSession(s)).object()}}, &error));
        const auto addBand = [](int seq) {
            return QJsonObject{{"seq", seq}, {"op", "add_band"}, {"args", QJsonObject{{"strip", "master"}}}};
        };
        QVERIFY(m.applyWelcome(QJsonObject{{"seq", 4}, {"replay", QJsonArray{addBand(4), addBand(5)}}}, &error));
        QVERIFY2(m.applyEdit(addBand(5), &error), qPrintable(error));
        QCOMPARE(m.state().master.eq.size(), size_t(2));
        QCOMPARE(m.seq(), qint64(5));
        // And a replay that stops short of its welcome is refused (the client then asks for the state).
        client::SessionMirror shortOne;
        QVERIFY(shortOne.applyWelcome(QJsonObject{{"seq", 3}, {"state", QJsonDocument::fromJson(protocol::encodeSession(s)).object()}},
                                      &error));
        QVERIFY(!shortOne.applyWelcome(QJsonObject{{"seq", 6}, {"replay", QJsonArray{addBand(4)}}}, &error));
    }

    void refusalOfAVanishedPathReachesTheSender()
    {
        // An edit of a strip another member just removed is refused with a message the client
        // can read: no null `value` (clients drop messages whose declared fields are mistyped,
        // and the edit would stay pending forever).
        ServerFixture f;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        QCOMPARE(call(*mix, Kind::RemoveTrack, {{"id", "vox"}}).value("type").toString(), QString("ack"));
        const QJsonObject answer = call(*mix, Kind::Set, {{"path", "tracks/vox/fader"}, {"value", -3}});
        QCOMPARE(answer.value("code").toString(), QString("unknown_path"));
        QVERIFY(!answer.contains("value"));
        QCOMPARE(mix->pendingCount(), 0);
    }

    void randomRunWithStructureAndRestartConverges()
    {
        // Five clients send random edits of every kind: parameter sets on any field of the table
        // (inactive effect fields too), routing and stems, strips, bands and sends added and
        // removed, tracks moved; some drop and reconnect; the server restarts mid-run. At the
        // end every replica equals the server's state, compared field by field through the table
        // and with the model's operator==. Seed from MIXROOM_SEED to replay a failure.
        const uint32_t seed = testSeed();
        std::mt19937 rng(seed);
        ServerFixture f;
        f.document = [](const std::string& hash) { return richSession(hash); };
        QVERIFY(f.start());
        const QString stems[] = {QString::fromStdString(f.srv->room(f.sessionId)->state().tracks[0].stem), f.addStem(440, 1.0)};
        std::vector<std::unique_ptr<client::Connection>> clients;
        for (const char* r : {"mix", "mix", "artist", "mastering", "client"})
            clients.push_back(f.connect(r, QString("rnd-%1-%2").arg(r).arg(clients.size())));
        for (auto& c : clients)
            QVERIFY(c);
        auto u = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
        auto unit = [&] { return std::uniform_real_distribution<double>(0, 1)(rng); };
        int structural = 0, sets = 0;
        for (int i = 0; i < 400; ++i) {
            client::Connection& c = *clients[size_t(u(int(clients.size())))];
            const engine::Session& view = c.mirror().state();
            const auto pickStrip = [&](bool withReturns) -> QString {
                QStringList all;
                for (const auto& t : view.tracks)
                    all << "tracks/" + QString::fromStdString(t.id);
                for (const auto& g : view.groups)
                    all << "groups/" + QString::fromStdString(g.id);
                if (withReturns)
                    for (const auto& r : view.returns)
                        all << "returns/" + QString::fromStdString(r.id);
                return all.isEmpty() ? QString("master") : all[u(int(all.size()))];
            };
            const int kind = u(20);
            if (kind < 12) { // a parameter set on any field
                std::vector<std::pair<std::string, const engine::ParamSpec*>> fields;
                engine::forEachField(view, [&](const std::string& p, const engine::ParamSpec& spec, engine::FieldRef) {
                    if (p != "sampleRate") fields.push_back({p, &spec});
                });
                if (fields.empty()) continue;
                const auto& [path, spec] = fields[size_t(u(int(fields.size())))];
                QJsonValue v;
                if (spec->type == engine::ParamType::Number)
                    v = spec->min + unit() * (spec->max - spec->min);
                else if (spec->type == engine::ParamType::Bool)
                    v = u(2) == 1;
                else if (spec->type == engine::ParamType::Choice)
                    v = QString::fromStdString(spec->choices[size_t(u(int(spec->choices.size())))]);
                else if (path.ends_with("/output"))
                    v = view.groups.empty() || u(3) == 0 ? QString("master")
                                                         : QString::fromStdString(view.groups[size_t(u(int(view.groups.size())))].id);
                else if (path.ends_with("/stem"))
                    v = stems[u(2)];
                else
                    v = QString("Name %1").arg(i);
                c.request(Kind::Set, {{"path", QString::fromStdString(path)}, {"value", v}});
                ++sets;
            } else {
                ++structural;
                const QString id = QString("x%1").arg(i);
                switch (kind) {
                case 12: c.request(Kind::AddGroup, {{"id", id}}); break;
                case 13: c.request(Kind::AddReturn, {{"id", id}, {"effect", u(2) ? "reverb" : "delay"}}); break;
                case 14: c.request(Kind::AddTrack, {{"id", id}, {"stem", stems[u(2)]}}); break;
                case 15:
                    if (!view.tracks.empty())
                        c.request(Kind::RemoveTrack, {{"id", QString::fromStdString(view.tracks[size_t(u(int(view.tracks.size())))].id)}});
                    break;
                case 16: c.request(Kind::AddBand, {{"strip", u(4) ? pickStrip(true) : QString("master")}}); break;
                case 17: c.request(Kind::RemoveBand, {{"strip", pickStrip(true)}, {"band", 1 + u(2)}}); break;
                case 18:
                    if (!view.returns.empty())
                        c.request(u(2) ? Kind::AddSend : Kind::RemoveSend,
                                  {{"strip", pickStrip(false)},
                                   {"to", QString::fromStdString(view.returns[size_t(u(int(view.returns.size())))].id)}});
                    break;
                default:
                    if (!view.tracks.empty())
                        c.request(Kind::MoveTrack, {{"id", QString::fromStdString(view.tracks[size_t(u(int(view.tracks.size())))].id)},
                                                    {"index", u(int(view.tracks.size()))}});
                    break;
                }
            }
            if (u(100) < 3) c.simulateDrop();
            if (i % 20 == 0) QCoreApplication::processEvents(); // deliver what arrived so far (no waiting)
            if (i == 200) {
                // Everything sent so far is either acknowledged or refused before the restart;
                // what the clients send while it is down is resent when they reconnect.
                for (auto& cl : clients)
                    QTRY_VERIFY_WITH_TIMEOUT(cl->state() != client::Connection::State::Connected || cl->pendingCount() == 0, 15000);
                QVERIFY(f.restart());
            }
        }
        for (auto& c : clients)
            QTRY_VERIFY_WITH_TIMEOUT(c->state() == client::Connection::State::Connected && c->pendingCount() == 0, 20000);
        server::SessionRoom* room = f.srv->room(f.sessionId);
        for (auto& c : clients)
            QTRY_VERIFY_WITH_TIMEOUT(c->mirror().seq() == room->seq(), 10000);
        const QString context =
            QString("seed %1, %2 sets, %3 structural requests, seq %4").arg(seed).arg(sets).arg(structural).arg(room->seq());
        for (auto& c : clients)
            QVERIFY2(c->mirror().state() == room->state(), qPrintable(context + ": " + why(room->state(), c->mirror().state())));
        // The run did exercise structure: strips or bands were added and removed.
        QVERIFY2(!(room->state() == richSession(stems[0].toStdString())), qPrintable(context));
        qInfo("%s", qPrintable(context));
    }

    void streamFollowsASequenceOfStructuralEdits()
    {
        // On a live stream: edits that change nothing audible (a group, a return with no sends, a
        // band switched off) leave the stream as the offline render without them; a routing
        // change has no hole or click; after a sequence of edits the stream is the offline render
        // of the final state (aligned by cross-correlation, compared within codec noise).
        ServerFixture f;
        f.stemSeconds = 7;
        f.document = [](const std::string& hash) {
            engine::Session s = bassVoxAndBus(hash, -10);
            s.tracks[0].pan = -0.4;
            s.tracks[1].pan = 0.4;
            return s;
        };
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        auto listener = f.connect("client");
        QVERIFY(mix && listener);
        const engine::Session initial = f.srv->room(f.sessionId)->state();
        Ear ear(*listener);
        QCOMPARE(call(*listener, Kind::Listen, {{"mode", "own"}, {"bitrate", 256}}).value("type").toString(), QString("listening"));
        QCOMPARE(call(*listener, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString(), QString("ack"));
        auto ok = [&](Kind k, const QJsonObject& args) { return call(*mix, k, args).value("type").toString() == "ack"; };

        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= 48000, 10000);
        const size_t atInaudible = ear.left.size();
        QVERIFY(ok(Kind::AddGroup, {{"id", "spare"}}));
        QVERIFY(ok(Kind::AddReturn, {{"id", "room"}, {"effect", "reverb"}}));
        QVERIFY(ok(Kind::AddBand, {{"strip", "tracks/vox"}, {"bandType", "peak"}}));
        QVERIFY(ok(Kind::Set, {{"path", "tracks/vox/eq/1/enabled"}, {"value", false}}));
        QVERIFY(ok(Kind::Set, {{"path", "tracks/vox/eq/1/gain"}, {"value", 12}}));

        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= atInaudible + 48000, 10000);
        const size_t atRouting = ear.left.size();
        QVERIFY(ok(Kind::Set, {{"path", "tracks/vox/output"}, {"value", "bus"}}));
        const engine::Session routed = f.srv->room(f.sessionId)->state();

        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= atRouting + 48000, 10000);
        const size_t atLast = ear.left.size();
        QVERIFY(ok(Kind::AddSend, {{"strip", "tracks/bass"}, {"to", "room"}}));
        QVERIFY(ok(Kind::Set, {{"path", "tracks/bass/sends/room/level"}, {"value", -4}}));
        QVERIFY(ok(Kind::Set, {{"path", "returns/room/effect/decay"}, {"value", 0.4}}));
        QVERIFY(ok(Kind::Set, {{"path", "tracks/vox/eq/1/enabled"}, {"value", true}}));
        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= atLast + 48000 * 2 + 12000, 15000);
        const engine::Session final = f.srv->room(f.sessionId)->state();

        const auto initialMix = renderLeft(f, initial), routedMix = renderLeft(f, routed), finalMix = renderLeft(f, final);
        const int lag = alignment(ear.left, initialMix, 12000, 24000);
        // Through the inaudible edits: the render without them, within codec noise.
        const double through = snr(ear.left, lag, initialMix, atInaudible - 4800, atRouting - atInaudible);
        QVERIFY2(through > 20, qPrintable(QString("across the inaudible edits the stream is %1 dB from the unedited mix").arg(through)));
        // Across the routing change: no 2.5 ms window more than 3 dB below both the old and the
        // new mix there, and no step above the stream's own 99.9th percentile (with half again as
        // margin: this material is noisy, so the largest of 19,200 steps lies above its 99.9th
        // percentile by chance; the clicks observed before were ten times it).
        const size_t w = 120;
        std::vector<float> steps;
        for (size_t i = 12000; i + size_t(lag) < ear.left.size() && i < atLast; ++i)
            steps.push_back(std::abs(ear.left[i + size_t(lag)] - ear.left[i + size_t(lag) - 1]));
        std::sort(steps.begin(), steps.end());
        const float p999 = steps[size_t(0.999 * double(steps.size() - 1))];
        for (size_t a = atRouting; a + w < atRouting + 19200; a += w) {
            auto level = [&](const std::vector<float>& x, size_t off) {
                double e = 0;
                for (size_t i = a; i < a + w; ++i)
                    e += double(x[i + off]) * x[i + off];
                return 10 * std::log10(e / double(w) + 1e-30);
            };
            const double heard = level(ear.left, size_t(lag));
            const double floorDb = std::min(level(initialMix, 0), level(routedMix, 0)) - 3;
            QVERIFY2(heard >= floorDb, qPrintable(QString("a hole at %1 ms after the routing edit: %2 dB, floor %3 dB")
                                                      .arg((a - atRouting) / 48.0)
                                                      .arg(heard)
                                                      .arg(floorDb)));
            for (size_t i = a; i < a + w; ++i) {
                const float step = std::abs(ear.left[i + size_t(lag)] - ear.left[i + size_t(lag) - 1]);
                QVERIFY2(step <= p999 * 1.5f, qPrintable(QString("a step of %1 at %2 ms after the routing edit (99.9th percentile %3)")
                                                             .arg(step)
                                                             .arg((i - atRouting) / 48.0)
                                                             .arg(p999)));
            }
        }
        // After everything: the offline render of the final state.
        const double after = snr(ear.left, lag, finalMix, atLast + 36000, 48000);
        QVERIFY2(after > 20, qPrintable(QString("after the edits the stream is %1 dB from the final mix").arg(after)));
    }

    void frameFlagsSayWhatHappened()
    {
        // An A/B switch marks a discontinuity (PROTOCOL.md); digital silence is marked silent.
        ServerFixture f;
        f.stemSeconds = 6;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "a"}}).value("type").toString(), QString("version"));
        std::vector<quint8> flags;
        QObject::connect(mix.get(), &client::Connection::audioFrame, [&](const QByteArray& frame) {
            QByteArray payload;
            if (auto h = protocol::AudioFrameHeader::decode(frame, &payload)) flags.push_back(h->flags);
        });
        QCOMPARE(call(*mix, Kind::Listen, {{"mode", "own"}}).value("type").toString(), QString("listening"));
        QCOMPARE(call(*mix, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(flags.size() >= 10, 10000);
        const size_t beforeAb = flags.size();
        QCOMPARE(call(*mix, Kind::AbSwitch, {{"source", "a"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(flags.size() >= beforeAb + 10, 10000);
        QVERIFY(std::any_of(flags.begin() + long(beforeAb), flags.end(),
                            [](quint8 fl) { return fl & protocol::AudioFrameHeader::Discontinuity; }));
        QVERIFY(std::none_of(flags.begin() + 1, flags.begin() + long(beforeAb),
                             [](quint8 fl) { return fl & protocol::AudioFrameHeader::Silence; }));
        QCOMPARE(call(*mix, Kind::AbSwitch, {{"source", "live"}}).value("type").toString(), QString("ack"));
        for (const char* t : {"tracks/bass/mute", "tracks/vox/mute"})
            QCOMPARE(call(*mix, Kind::Set, {{"path", t}, {"value", true}}).value("type").toString(), QString("ack"));
        const size_t muted = flags.size();
        QTRY_VERIFY_WITH_TIMEOUT(flags.size() >= muted + 25 && (flags.back() & protocol::AudioFrameHeader::Silence), 10000);
    }

    void loudnessMatchedAbDoesNotHoldUpTheSession()
    {
        // `ab --match` renders both mixes offline to level them: on a worker, so a ping sent right
        // after it is answered first (the control thread used to do the renders itself, and
        // everyone waited); the switch is acknowledged once the stream plays the version.
        ServerFixture f;
        f.stemSeconds = 30;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QVERIFY(mix);
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "quiet"}}).value("type").toString(), QString("version"));
        QCOMPARE(call(*mix, Kind::Set, {{"path", "master/fader"}, {"value", 6}}).value("type").toString(), QString("ack"));
        QCOMPARE(call(*mix, Kind::Listen, {{"mode", "own"}}).value("type").toString(), QString("listening"));
        QStringList order;
        qint64 abSeq = -2;
        QObject::connect(mix.get(), &client::Connection::acked, [&](qint64 s, qint64) {
            if (s == abSeq) order << "ab";
        });
        QObject::connect(mix.get(), &client::Connection::reply, [&](qint64, const QJsonObject& m) {
            if (m.value("type") == "pong") order << "pong";
        });
        abSeq = mix->request(Kind::AbSwitch, {{"source", "quiet"}, {"match", true}});
        mix->request(Kind::Ping, {{"id", 1}});
        QTRY_COMPARE_WITH_TIMEOUT(order.size(), 2, 30000);
        QCOMPARE(order, (QStringList{"pong", "ab"}));
    }

    void structuralSetsAreHeard_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("routing") << "tracks/vox/output";
        QTest::newRow("stem") << "tracks/vox/stem";
        QTest::newRow("effect type") << "returns/verb/effect/type";
        QTest::newRow("lookahead") << "master/limiter/lookahead";
    }
    void structuralSetsAreHeard()
    {
        // A `set` of a structural field on a live stream: after it, the stream follows the offline
        // render of the new state, not the old one.
        QFETCH(QString, path);
        ServerFixture f;
        f.stemSeconds = 6;
        f.document = [](const std::string& hash) {
            engine::Session s = bassVoxAndBus(hash, -14);
            for (auto& t : s.tracks)
                t.sends = {engine::Send{"verb", -3}};
            engine::Return verb;
            verb.id = verb.name = "verb";
            verb.reverb.decay = 0.6;
            verb.delay.time = 90;
            verb.delay.feedback = 10;
            s.returns.push_back(verb);
            s.master.fader = 8; // into the limiter hard, so its lookahead shapes the sound
            s.master.limiter.ceiling = -9;
            return s;
        };
        QVERIFY(f.start());
        const QString otherStem = f.addStem(660, 6.0);
        auto mix = f.connect("mix");
        auto listener = f.connect("client");
        QVERIFY(mix && listener);
        const QMap<QString, QJsonValue> values = {{"tracks/vox/output", "bus"},
                                                  {"tracks/vox/stem", otherStem},
                                                  {"returns/verb/effect/type", "delay"},
                                                  {"master/limiter/lookahead", 0.5}};
        if (path.endsWith("lookahead")) {
            // Bursts over a steady bass, limited hard: the lookahead decides how early and how
            // long the limiter dips the bass before each burst.
            const QString bursts = f.addStem(1000, 6.0, 20);
            QCOMPARE(call(*mix, Kind::Set, {{"path", "tracks/vox/stem"}, {"value", bursts}}).value("type").toString(), QString("ack"));
            QCOMPARE(call(*mix, Kind::Set, {{"path", "master/limiter/lookahead"}, {"value", 10}}).value("type").toString(), QString("ack"));
        }
        const engine::Session before = f.srv->room(f.sessionId)->state();
        Ear ear(*listener);
        QCOMPARE(call(*listener, Kind::Listen, {{"mode", "own"}, {"bitrate", 256}}).value("type").toString(), QString("listening"));
        QCOMPARE(call(*listener, Kind::Transport, {{"target", "own"}, {"action", "play"}}).value("type").toString(), QString("ack"));
        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= 48000, 10000);
        QCOMPARE(call(*mix, Kind::Set, {{"path", path}, {"value", values[path]}}).value("type").toString(), QString("ack"));
        const size_t atEdit = ear.left.size();
        QTRY_VERIFY_WITH_TIMEOUT(ear.left.size() >= atEdit + 48000 * 2, 15000);
        const engine::Session after = f.srv->room(f.sessionId)->state();
        QVERIFY(!(after == before));
        const auto oldMix = renderLeft(f, before), newMix = renderLeft(f, after);
        QVERIFY(!oldMix.empty() && !newMix.empty());
        const int lag = alignment(ear.left, oldMix, 12000, 24000);
        // From 0.8 s after the edit arrived (the preview runs up to a few frames ahead; the
        // reverb or echo of the old state has died away by then), for one second.
        const size_t from = atEdit + 38400, n = 48000;
        const double toNew = snr(ear.left, lag, newMix, from, n), toOld = snr(ear.left, lag, oldMix, from, n);
        const double oldVsNew = snr(oldMix, 0, newMix, from, n);
        // How much of the predicted change (new - old) the stream carries: the regression of
        // (heard - old) on (new - old); 1 when it follows the new state, 0 when it kept the old
        // one. It sees a change far below the codec's noise (the lookahead's is ~30 dB down).
        double dot = 0, norm = 0;
        for (size_t i = from; i < from + n; ++i) {
            const double predicted = double(newMix[i]) - oldMix[i];
            dot += (ear.left[i + size_t(lag)] - double(oldMix[i])) * predicted;
            norm += predicted * predicted;
        }
        const double followed = dot / norm;
        const QString report = QString("after the edit the stream carries %1 of the change; it is %2 dB from the new mix, %3 dB from the "
                                       "old one (they differ by %4 dB)")
                                   .arg(followed)
                                   .arg(toNew)
                                   .arg(toOld)
                                   .arg(oldVsNew);
        qInfo("%s", qPrintable(report));
        QVERIFY2(followed > 0.7 && followed < 1.3, qPrintable(report));
        if (oldVsNew < 20) QVERIFY2(toNew > 20 && toNew > toOld + 6, qPrintable(report));
    }
};

QTEST_GUILESS_MAIN(TestLiveCore)
#include "tst_livecore.moc"
