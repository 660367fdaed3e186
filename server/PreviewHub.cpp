// SPDX-License-Identifier: MIT
#include "server/PreviewHub.h"

#include "engine/render/Renderer.h"
#include "engine/stems/SessionStems.h"
#include "server/Permissions.h"
#include "server/PreviewStream.h"
#include "server/RenderCache.h"

#include <QJsonArray>
#include <QVarLengthArray>

namespace mixroom::server {

using namespace protocol;

bool PreviewHub::handles(Kind k)
{
    return k == Kind::Listen || k == Kind::StopListening || k == Kind::Transport || k == Kind::AbSwitch || k == Kind::GetPeaks;
}

PreviewHub::PreviewHub(Host host, QObject* parent) : QObject(parent), m_host(std::move(host))
{
    m_clock.start();
    m_pool.setMaxThreadCount(1);   // overviews queue behind each other, never crowd out the previews
    m_builds.setMaxThreadCount(1); // preparations run in the order asked
}

PreviewHub::~PreviewHub()
{
    m_cancel->store(true);
    m_pool.waitForDone();
    m_builds.waitForDone();
    for (auto it = m_streams.begin(); it != m_streams.end(); ++it)
        m_host.engine->destroy(it.key());
}

void PreviewHub::refuse(ClientSocket* c, qint64 clientSeq, const QString& code, const QString& message)
{
    c->sendError(code, message, {{"clientSeq", clientSeq}});
}

namespace {
std::shared_ptr<MixGraph> buildWith(engine::StemStore& store, const engine::Session& s, QString* error)
{
    auto stems = engine::loadSessionStems(s, "", store);
    if (!stems) {
        *error = QString::fromStdString(stems.error().message);
        return nullptr;
    }
    auto graph = MixGraph::build(s, stems.value());
    if (!graph) {
        *error = QString::fromStdString(graph.error().message);
        return nullptr;
    }
    return std::shared_ptr<MixGraph>(std::move(graph.value()));
}
} // namespace

std::shared_ptr<MixGraph> PreviewHub::buildGraph(const engine::Session& s, QString* error)
{
    return buildWith(*m_host.stems, s, error);
}

void PreviewHub::share(quint32 id, const Stream& st, double gainDb, QHash<QString, std::shared_ptr<SharedRender>>* memo)
{
    // Own streams only (the follow stream is one render for all already); a stream with a level
    // match of its own (A/B) renders itself.
    if (!st.own) return;
    std::shared_ptr<SharedRender> render;
    if (gainDb == 0.0 && st.graph) {
        const StreamSettings settings{st.doc.sampleRate, st.bitrate, st.frameMs, engine::renderLength(st.doc, *st.graph), st.source};
        const QString memoKey =
            QString("%1/%2/%3/%4").arg(settings.bitrateKbps).arg(settings.frameMs).arg(settings.lengthFrames).arg(st.source);
        if (memo && memo->contains(memoKey)) {
            render = memo->value(memoKey);
        } else {
            render = m_host.engine->sharedRender(st.doc, settings, [stems = m_host.stems](const engine::Session& doc, QString* error) {
                return buildWith(*stems, doc, error);
            });
            if (memo) memo->insert(memoKey, render);
        }
    }
    m_host.engine->share(id, std::move(render));
}

quint32 PreviewHub::startStream(int bitrate, int frameMs, QString* error)
{
    const engine::Session& s = m_host.state();
    auto graph = buildGraph(s, error);
    if (!graph) return 0;
    const quint32 id = m_host.newStreamId();
    Stream st;
    st.graph = graph;
    st.doc = s;
    st.bitrate = bitrate;
    st.frameMs = frameMs;
    m_streams.insert(id, st);
    m_host.registerStream(id);
    StreamSettings settings{s.sampleRate, bitrate, frameMs, engine::renderLength(s, *graph), "live"};
    m_host.engine->create(id, graph, settings);
    return id;
}

void PreviewHub::peaks(ClientSocket* c, qint64 clientSeq, const QJsonObject& b)
{
    const QString source = b.value("source").toString("live");
    const int bins = b.contains("bins") ? b.value("bins").toInt() : 1000;
    if (bins < 16 || bins > 4000) return refuse(c, clientSeq, codes::OutOfRange, QString("bins %1 is outside 16-4000").arg(bins));
    engine::Session doc = m_host.state();
    if (source != "live") {
        auto v = m_host.version(source);
        if (!v) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(source.left(64)));
        doc = *v;
    }
    const QString key = RenderCache::keyOf(doc);
    if (auto it = m_peakCache.constFind(key); it != m_peakCache.constEnd()) {
        QJsonObject out = foldPeaks(**it, bins);
        out.insert("clientSeq", clientSeq);
        out.insert("source", source);
        c->send(encode(Kind::Peaks, out));
        return;
    }
    QList<PeakWaiter>& waiting = m_peakWaiters[key];
    waiting.append(PeakWaiter{c, clientSeq, source, bins});
    if (waiting.size() > 1) return; // already being computed
    m_pool.start([this, key, doc, stems = m_host.stems, cancel = m_cancel] {
        QElapsedTimer took;
        took.start();
        auto chunks = std::make_shared<PeakChunks>();
        chunks->rate = doc.sampleRate;
        float peak = 0;
        double sq = 0;
        int inChunk = 0;
        QString error;
        auto loaded = engine::loadSessionStems(doc, "", *stems);
        if (!loaded) error = QString::fromStdString(loaded.error().message);
        if (error.isEmpty()) {
            auto rep = engine::renderSession(
                doc, loaded.value(), 4096,
                [&](const float* l, const float* r, int n) -> engine::Result<engine::Ok> {
                    if (cancel->load()) return engine::Error{"cancelled", "the server is shutting down"};
                    for (int i = 0; i < n; ++i) {
                        peak = std::max(peak, std::max(std::abs(l[i]), std::abs(r[i])));
                        sq += double(l[i]) * l[i] + double(r[i]) * r[i];
                        if (++inChunk == PeakChunks::kFrames) {
                            chunks->peak.push_back(peak);
                            chunks->sq.push_back(sq);
                            peak = 0, sq = 0, inChunk = 0;
                        }
                    }
                    chunks->frames += n;
                    return engine::Ok{};
                },
                {}, false);
            if (!rep) error = QString::fromStdString(rep.error().message);
            if (inChunk > 0) {
                chunks->peak.push_back(peak);
                chunks->sq.push_back(sq);
            }
            chunks->lastChunkFrames = inChunk > 0 ? inChunk : PeakChunks::kFrames;
        }
        const double ms = static_cast<double>(took.nsecsElapsed()) / 1e6;
        QMetaObject::invokeMethod(
            this,
            [this, key, chunks = std::shared_ptr<const PeakChunks>(chunks), error, ms] {
                if (m_host.jobDone) m_host.jobDone("peaks", ms);
                peaksDone(key, chunks, error);
            },
            Qt::QueuedConnection);
    });
}

QJsonObject PreviewHub::foldPeaks(const PeakChunks& c, int bins)
{
    const size_t chunks = c.peak.size();
    QJsonArray peaks, rms;
    for (int i = 0; i < bins; ++i) {
        const size_t a = chunks * static_cast<size_t>(i) / static_cast<size_t>(bins);
        const size_t z = std::max(a + 1, chunks * static_cast<size_t>(i + 1) / static_cast<size_t>(bins));
        float p = 0;
        double s = 0;
        int64_t n = 0;
        for (size_t k = a; k < std::min(z, chunks); ++k) {
            p = std::max(p, c.peak[k]);
            s += c.sq[k];
            n += k + 1 == chunks ? c.lastChunkFrames : PeakChunks::kFrames;
        }
        peaks.append(std::round(p * 1e4) / 1e4);
        rms.append(n > 0 ? std::round(std::sqrt(s / (2.0 * n)) * 1e4) / 1e4 : 0.0);
    }
    return QJsonObject{{"bins", bins}, {"lengthMs", c.frames * 1000.0 / c.rate}, {"peak", peaks}, {"rms", rms}};
}

void PreviewHub::peaksDone(const QString& key, std::shared_ptr<const PeakChunks> chunks, const QString& error)
{
    if (error.isEmpty()) {
        m_peakCache.insert(key, chunks);
        m_peakOrder.append(key);
        while (m_peakOrder.size() > 8)
            m_peakCache.remove(m_peakOrder.takeFirst());
    }
    for (const PeakWaiter& w : m_peakWaiters.take(key)) {
        if (!w.socket) continue;
        if (!error.isEmpty()) {
            refuse(w.socket, w.clientSeq, codes::Internal, "the overview could not be rendered: " + error);
            continue;
        }
        QJsonObject out = foldPeaks(*chunks, w.bins);
        out.insert("clientSeq", w.clientSeq);
        out.insert("source", w.source);
        w.socket->send(encode(Kind::Peaks, out));
    }
}

void PreviewHub::handle(ClientSocket* c, const Message& msg)
{
    const QJsonObject& b = msg.body;
    const qint64 clientSeq = static_cast<qint64>(b.value("clientSeq").toDouble());
    if (msg.kind == Kind::GetPeaks) return peaks(c, clientSeq, b);
    if (msg.kind == Kind::Listen) {
        const QString mode = b.value("mode").toString();
        if (mode != "follow" && mode != "own") return refuse(c, clientSeq, codes::OutOfRange, "mode must be follow or own");
        const int bitrate = b.contains("bitrate") ? b.value("bitrate").toInt() : 192;
        const int frameMs = b.contains("frameMs") ? b.value("frameMs").toInt() : 20;
        if (bitrate < 64 || bitrate > 256)
            return refuse(c, clientSeq, codes::OutOfRange, QString("bitrate %1 kbit/s is outside 64-256").arg(bitrate));
        if (frameMs != 10 && frameMs != 20)
            return refuse(c, clientSeq, codes::OutOfRange, QString("frameMs must be 10 or 20, not %1").arg(frameMs));
        stopListening(c);
        QString error;
        quint32 id = 0;
        if (mode == "follow") {
            if (!m_follow) m_follow = startStream(192, 20, &error); // one shared render and encoder
            id = m_follow;
        } else {
            // A stream of its own costs render time: admitted only within the measured budget,
            // so the listeners already in keep clean audio.
            if (QString why; !m_host.engine->admit(0, &why, true)) return refuse(c, clientSeq, codes::AtCapacity, why);
            id = startStream(bitrate, frameMs, &error);
            if (id) {
                m_streams[id].own = true;
                share(id, m_streams[id], 0.0, nullptr);
            }
        }
        if (!id) return refuse(c, clientSeq, codes::Internal, "the preview could not start: " + error);
        m_listeners.insert(c, Listener{id, mode == "follow", 0, -1});
        m_byStream.insert(id, c);
        const Stream& st = m_streams[id];
        c->send(encode(Kind::Listening, {{"clientSeq", clientSeq},
                                         {"stream", static_cast<double>(id)},
                                         {"mode", mode},
                                         {"sampleRate", 48000},
                                         {"channels", 2},
                                         {"frameMs", st.frameMs},
                                         {"bitrate", st.bitrate},
                                         {"preSkip", PreviewStream::encoderDelay()},
                                         {"transport", st.transport}}));
        return;
    }
    if (msg.kind == Kind::StopListening) {
        stopListening(c);
        c->send(encode(Kind::Ack, {{"clientSeq", clientSeq}, {"seq", 0}}));
        return;
    }
    if (msg.kind == Kind::Transport) {
        const QString target = b.value("target").toString();
        quint32 id = 0;
        if (target == "follow") {
            if (!allowed(c->role, Action::EditStrip))
                return refuse(
                    c, clientSeq, codes::Forbidden,
                    QString("the %1 role may not drive the shared transport; listen in own mode to move freely").arg(roleName(c->role)));
            if (!m_follow) { // editors may start the shared transport before anyone listens
                QString error;
                m_follow = startStream(192, 20, &error);
                if (!m_follow) return refuse(c, clientSeq, codes::Internal, "the preview could not start: " + error);
            }
            id = m_follow;
        } else if (target == "own") {
            id = ownStream(c);
            if (!id) return refuse(c, clientSeq, codes::Conflict, "you have no own stream: send listen with mode own first");
        } else {
            return refuse(c, clientSeq, codes::OutOfRange, "target must be follow or own");
        }
        const QString action = b.value("action").toString();
        static const QStringList actions = {"play", "pause", "seek", "loop", "unloop"};
        if (!actions.contains(action))
            return refuse(c, clientSeq, codes::OutOfRange,
                          QString("action \"%1\" is not play, pause, seek, loop or unloop").arg(action.left(20)));
        const double at = b.value("at").toDouble(-1), from = b.value("from").toDouble(-1), to = b.value("to").toDouble(-1);
        const double length = m_host.lengthMs ? m_host.lengthMs(m_host.state()) : 1e12;
        if (action == "seek" && (at < 0 || at > length))
            return refuse(c, clientSeq, codes::OutOfRange,
                          QString("seek needs at between 0 and the song's end, %1 ms").arg(length, 0, 'f', 0));
        if (action == "loop" && (from < 0 || to <= from || to > length))
            return refuse(c, clientSeq, codes::OutOfRange,
                          QString("loop needs 0 <= from < to <= the song's end, %1 ms").arg(length, 0, 'f', 0));
        // Playing is what costs render time: an own stream starts playing only within the budget.
        if (QString why; action == "play" && target == "own" && !m_host.engine->admit(id, &why, m_streams[id].gainDb == 0.0))
            return refuse(c, clientSeq, codes::AtCapacity, why);
        m_host.engine->transport(id, action, at, from, to);
        if ((action == "pause" || action == "seek") && m_host.jumped) m_host.jumped(id);
        c->send(encode(Kind::Ack, {{"clientSeq", clientSeq}, {"seq", 0}}));
        return;
    }
    // A/B on the listener's own stream.
    const quint32 own = ownStream(c);
    if (!own) return refuse(c, clientSeq, codes::Conflict, "A/B switches your own stream: send listen with mode own first");
    const QString source = b.value("source").toString();
    engine::Session target = m_host.state();
    if (source != "live") {
        auto v = m_host.version(source);
        if (!v) return refuse(c, clientSeq, codes::NotFound, QString("no version \"%1\"").arg(source.left(64)));
        target = *v;
    }
    // Prepared on a worker (a loudness match renders both mixes offline); acknowledged once the
    // stream plays it. From now on commits to the live mix leave a stream on a version alone.
    const QString previous = m_streams[own].source;
    m_streams[own].source = source;
    const bool match = b.value("match").toBool() && source != "live";
    prepare(own, target, match ? std::optional<engine::Session>(m_host.state()) : std::nullopt,
            [this, own, source, previous, target, socket = QPointer<ClientSocket>(c), clientSeq](Stream* st, const Prepared& p) {
                if (st && !p.graph) {
                    st->source = previous;
                    if (socket) refuse(socket, clientSeq, codes::Internal, "the version could not be prepared: " + p.error);
                    return;
                }
                if (st) install(own, *st, p.graph, target, source, p.gainDb, true);
                // Superseded (the live mix changed while switching back to it): the newer graph plays.
                if (socket) socket->send(encode(Kind::Ack, {{"clientSeq", clientSeq}, {"seq", 0}}));
            });
}

void PreviewHub::prepare(quint32 id, engine::Session doc, std::optional<engine::Session> matchTo,
                         std::function<void(Stream* st, const Prepared& p)> done)
{
    Stream& st = m_streams[id];
    const quint64 generation = ++st.generation;
    st.preparing = true;
    m_builds.start([this, id, generation, doc = std::move(doc), matchTo = std::move(matchTo), done = std::move(done), stems = m_host.stems,
                    cancel = m_cancel]() mutable {
        Prepared p;
        if (cancel->load()) return;
        QElapsedTimer took;
        took.start();
        p.graph = buildGraph(doc, &p.error);
        if (p.graph && matchTo) {
            // Level the version to the live mix: both measured offline (EBU R 128 integrated).
            auto measure = [&](const engine::Session& s) -> double {
                auto loaded = engine::loadSessionStems(s, "", *stems);
                if (!loaded) return NAN;
                auto rep =
                    engine::renderSession(s, loaded.value(), 4096, [&](const float*, const float*, int) -> engine::Result<engine::Ok> {
                        if (cancel->load()) return engine::Error{"cancelled", "the server is shutting down"};
                        return engine::Ok{};
                    });
                return rep ? rep->loudness.integrated : NAN;
            };
            const double live = measure(*matchTo), ver = measure(doc);
            if (std::isfinite(live) && std::isfinite(ver)) p.gainDb = live - ver;
        }
        const double ms = static_cast<double>(took.nsecsElapsed()) / 1e6;
        const QString kind = matchTo ? "ab_match" : "preview_graph";
        QMetaObject::invokeMethod(
            this,
            [this, id, generation, p = std::move(p), done = std::move(done), ms, kind] {
                if (m_host.jobDone) m_host.jobDone(kind, ms);
                auto it = m_streams.find(id);
                const bool current = it != m_streams.end() && it->generation == generation;
                if (current) it->preparing = false;
                done(current ? &it.value() : nullptr, p);
            },
            Qt::QueuedConnection);
    });
}

void PreviewHub::install(quint32 id, Stream& st, std::shared_ptr<MixGraph> graph, const engine::Session& doc, const QString& source,
                         double gainDb, bool abSwitch)
{
    const bool crossfade = abSwitch || MixGraph::needsCrossfade(st.doc, doc);
    st.graph = graph;
    st.doc = doc;
    st.source = source;
    st.gainDb = gainDb;
    m_host.engine->swapGraph(id, std::move(graph), engine::renderLength(doc, *st.graph), source, gainDb, crossfade);
    share(id, st, gainDb, nullptr);
}

std::optional<PreviewHub::Heard> PreviewHub::heard(ClientSocket* c) const
{
    quint32 id = ownStream(c);
    if (!id)
        if (auto it = m_listeners.constFind(c); it != m_listeners.constEnd()) id = it->stream;
    const auto st = m_streams.constFind(id);
    if (!id || st == m_streams.constEnd()) return std::nullopt;
    Heard h;
    h.stream = id;
    h.playing = st->transport.value("playing").toBool();
    h.live = st->source == "live";
    const int rate = st->doc.sampleRate > 0 ? st->doc.sampleRate : 48000;
    const double ms = st->rendered >= 0 ? st->rendered / 48.0 : st->transport.value("position").toDouble();
    h.frame = static_cast<int64_t>(std::llround(ms * rate / 1000.0));
    return h;
}

quint32 PreviewHub::ownStream(ClientSocket* c) const
{
    // This socket's own stream, or that of another connection of the same member and client
    // installation (so `mixroom ab` and `mixroom seek --own` reach a running `mixroom listen`).
    if (auto it = m_listeners.constFind(c); it != m_listeners.constEnd()) return it->follow ? 0 : it->stream;
    for (auto it = m_listeners.constBegin(); it != m_listeners.constEnd(); ++it)
        if (!it->follow && it.key()->memberId == c->memberId && it.key()->clientId == c->clientId) return it->stream;
    return 0;
}

void PreviewHub::stopListening(ClientSocket* c)
{
    auto it = m_listeners.find(c);
    if (it == m_listeners.end()) return;
    const Listener l = it.value();
    m_listeners.erase(it);
    m_byStream.remove(l.stream, c);
    if (!l.follow) {
        m_host.engine->destroy(l.stream);
        m_streams.remove(l.stream);
        if (m_host.jumped) m_host.jumped(l.stream);
    }
    // The shared stream keeps its transport for the next listener.
}

void PreviewHub::leave(ClientSocket* c)
{
    stopListening(c);
}

void PreviewHub::committed(bool structural)
{
    const engine::Session& s = m_host.state();
    std::optional<MixGraph::Params> params;                // the commit's values, computed once for every stream
    QHash<QString, std::shared_ptr<SharedRender>> renders; // the new document's shared renders, found once
    for (auto it = m_streams.begin(); it != m_streams.end(); ++it) {
        Stream& st = it.value();
        if (st.source != "live") continue;
        // Scalars: atomics, audible at the next frame and glided in the DSP.
        if (!structural && !params) params = MixGraph::paramsOf(s);
        if (!structural && st.graph->setParams(*params)) {
            st.doc = s;
            share(it.key(), st, 0.0, &renders);
            continue;
        }
        if (!structural && st.preparing) continue; // the graph on its way takes the newest values when it lands
        // A new shape: the graph is built on a worker and swapped in by the render thread; the
        // control thread goes on meanwhile. Values committed during the build are applied to
        // it before it plays.
        prepare(it.key(), s, std::nullopt, [this, id = it.key()](Stream* stream, const Prepared& p) {
            if (!stream) return; // superseded by a newer shape
            if (!p.graph) {
                qWarning("preview %u keeps its graph: %s", id, qPrintable(p.error));
                return;
            }
            // Values committed while it was built (the shape is the same, or a newer preparation
            // would have superseded this one).
            const engine::Session& now = m_host.state();
            if (!p.graph->setParams(now)) return;
            install(id, *stream, p.graph, now, "live", 0.0, false);
        });
    }
}

int PreviewHub::onPacket(quint32 stream, const QByteArray& frame)
{
    int sent = 0;
    const qint64 now = m_clock.elapsed();
    const auto st = m_streams.find(stream);
    if (st == m_streams.end()) return 0;
    if (frame.size() >= protocol::AudioFrameHeader::kSize) {
        quint64 pos = 0;
        for (int i = 0; i < 8; ++i)
            pos |= static_cast<quint64>(static_cast<uchar>(frame[12 + i])) << (8 * i);
        const bool back = st->rendered >= 0 && static_cast<int64_t>(pos) < st->rendered;
        st->rendered = static_cast<int64_t>(pos);
        if (back && m_host.jumped) m_host.jumped(stream); // a loop wrapped
    }
    // The stream's listeners only (an own stream has one): a frame costs O(its listeners), not
    // O(every listener of the session) — with 600 own listeners that was 18 million visits a second.
    QList<ClientSocket*> tooSlow;
    // The listeners are taken first: a send may find its socket gone and close it, which ends its
    // listening and edits m_byStream (walking it meanwhile crashed). Closed sockets are deleted
    // later, so the pointers stay valid here; one that stopped listening is skipped.
    QVarLengthArray<ClientSocket*, 8> targets;
    for (auto bs = m_byStream.constFind(stream); bs != m_byStream.constEnd() && bs.key() == stream; ++bs)
        targets.append(bs.value());
    for (ClientSocket* c : targets) {
        const auto it = m_listeners.find(c);
        if (it == m_listeners.end()) continue;
        const qint64 budget = std::max<qint64>(16 * 1024, static_cast<qint64>(st->bitrate * 1000 / 8 * kQueueBudgetSeconds * 2));
        if (c->bytesToWrite() > budget) {
            ++it->dropped;
            ++m_totalDropped;
            if (it->stalledSinceMs < 0)
                it->stalledSinceMs = now;
            else if (now - it->stalledSinceMs > kStallDisconnectMs)
                tooSlow.append(c);
            continue;
        }
        it->stalledSinceMs = -1;
        c->sendBinary(frame);
        ++sent;
    }
    for (ClientSocket* c : tooSlow) // after the walk: closing may end its listening
        c->close(QWebSocketProtocol::CloseCodePolicyViolated, "too slow to receive the preview");
    return sent;
}

void PreviewHub::onTransport(quint32 stream, const QJsonObject& state)
{
    if (!m_streams.contains(stream)) return;
    m_streams[stream].transport = state;
    // Stopped (also at the song's end) or switched to a version: passes on the stream end.
    if (m_host.jumped && (!state.value("playing").toBool() || state.value("source").toString() != "live")) m_host.jumped(stream);
    const QByteArray json = encode(Kind::TransportState, state);
    for (auto it = m_listeners.constBegin(); it != m_listeners.constEnd(); ++it)
        if (it->stream == stream) it.key()->send(json);
}

void PreviewHub::onMeters(quint32 stream, const QJsonObject& meters)
{
    for (auto it = m_listeners.constBegin(); it != m_listeners.constEnd(); ++it)
        if (it->stream == stream) {
            QJsonObject m = meters;
            m.insert("dropped", it->dropped);
            it.key()->send(encode(Kind::Meters, m));
        }
}

} // namespace mixroom::server
