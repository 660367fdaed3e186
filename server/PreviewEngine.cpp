// SPDX-License-Identifier: MIT
#include "server/PreviewEngine.h"

#include "server/PreviewStream.h"
#include "server/SharedRender.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTimer>

namespace mixroom::server {

namespace {
QElapsedTimer& clock()
{
    static QElapsedTimer c = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return c;
}
} // namespace

PreviewEngine::PreviewEngine() : m_shared(std::make_unique<SharedRenderer>())
{
    const int n = std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        w->context = new QObject;
        w->context->moveToThread(&w->thread);
        connect(&w->thread, &QThread::finished, w->context, &QObject::deleteLater);
        w->thread.setObjectName(QString("mixroom-preview-%1").arg(i));
        w->thread.start(QThread::HighPriority);
        Worker* raw = w.get();
        QMetaObject::invokeMethod(w->context, [this, raw] {
            auto* timer = new QTimer(raw->context);
            timer->setTimerType(Qt::PreciseTimer);
            connect(timer, &QTimer::timeout, raw->context, [this, raw] { tick(*raw); });
            timer->start(5); // frames are due every 10 or 20 ms; the stream clock decides
        });
        m_workers.push_back(std::move(w));
    }
}

PreviewEngine::~PreviewEngine()
{
    for (auto& w : m_workers) {
        Worker* raw = w.get();
        QMetaObject::invokeMethod(
            raw->context, [raw] { raw->streams.clear(); }, Qt::BlockingQueuedConnection);
        raw->thread.quit();
        raw->thread.wait();
    }
}

void PreviewEngine::create(quint32 id, std::shared_ptr<MixGraph> graph, const StreamSettings& settings)
{
    Worker* w = &workerOf(id);
    auto playhead = std::make_shared<engine::StemPrefetcher::Cursor>(0);
    m_playheads[id] = playhead;
    m_prefetch.track(id, graph->stemSources(), graph->sampleRate(), playhead);
    QMetaObject::invokeMethod(w->context, [this, w, id, graph, settings, playhead] {
        w->streams[id] = std::make_unique<PreviewStream>(id, graph, settings, retirer(), playhead);
        emit transportChanged(id, w->streams[id]->state());
    });
}

void PreviewEngine::destroy(quint32 id)
{
    m_playingIds.erase(id);
    m_prefetch.forget(id);
    m_playheads.erase(id);
    Worker* w = &workerOf(id);
    QMetaObject::invokeMethod(w->context, [w, id] { w->streams.erase(id); });
}

engine::GraphPlayer::Retire PreviewEngine::retirer()
{
    return [this](std::shared_ptr<MixGraph> g) {
        // The posted call holds the only reference the render thread had.
        QMetaObject::invokeMethod(
            this, [g = std::move(g)]() mutable { g.reset(); }, Qt::QueuedConnection);
    };
}

void PreviewEngine::swapGraph(quint32 id, std::shared_ptr<MixGraph> graph, int64_t lengthFrames, const QString& source, double gainDb,
                              bool crossfade)
{
    Worker* w = &workerOf(id);
    if (auto it = m_playheads.find(id); it != m_playheads.end())
        m_prefetch.track(id, graph->stemSources(), graph->sampleRate(), it->second);
    QMetaObject::invokeMethod(w->context, [this, w, id, graph = std::move(graph), lengthFrames, source, gainDb, crossfade]() mutable {
        if (auto it = w->streams.find(id); it != w->streams.end()) {
            it->second->swapGraph(std::move(graph), lengthFrames, source, gainDb, crossfade);
            emit transportChanged(id, it->second->state());
        }
    });
}

void PreviewEngine::transport(quint32 id, const QString& action, double atMs, double fromMs, double toMs)
{
    if (action == "play") m_playingIds.insert(id);
    if (action == "pause") m_playingIds.erase(id);
    Worker* w = &workerOf(id);
    QMetaObject::invokeMethod(w->context, [this, w, id, action, atMs, fromMs, toMs] {
        if (auto it = w->streams.find(id); it != w->streams.end()) {
            it->second->transport(action, atMs, fromMs, toMs, clock().nsecsElapsed());
            emit transportChanged(id, it->second->state());
        }
    });
}

std::shared_ptr<SharedRender> PreviewEngine::sharedRender(const engine::Session& doc, const StreamSettings& settings,
                                                          std::function<std::shared_ptr<MixGraph>(const engine::Session&, QString*)> build)
{
    return m_shared->renderFor(doc, settings, std::move(build));
}

void PreviewEngine::share(quint32 id, std::shared_ptr<SharedRender> render)
{
    auto cursor = std::make_shared<SharedRender::Cursor>(-1);
    if (render) render->addCursor(cursor);
    Worker* w = &workerOf(id);
    QMetaObject::invokeMethod(w->context, [w, id, render = std::move(render), cursor]() mutable {
        if (auto it = w->streams.find(id); it != w->streams.end()) it->second->setShared(std::move(render), std::move(cursor));
    });
    m_shared->wake();
}

PreviewEngine::SharedStats PreviewEngine::sharedStats() const
{
    SharedStats st;
    for (const auto& w : m_workers) {
        st.cachedFrames += w->cachedFrames.load(std::memory_order_relaxed);
        st.liveFrames += w->liveFrames.load(std::memory_order_relaxed);
    }
    const auto r = m_shared->stats();
    st.chunksRendered = r.chunksRendered;
    st.prerollFrames = r.prerollFrames;
    st.renders = r.renders;
    st.chunks = r.chunks;
    return st;
}

PreviewEngine::Load PreviewEngine::load() const
{
    Load l;
    l.threads = static_cast<int>(m_workers.size());
    for (const auto& w : m_workers) {
        l.busy += w->load.load(std::memory_order_relaxed);
        l.playing += w->playing.load(std::memory_order_relaxed);
        l.liveBusy += w->liveLoad.load(std::memory_order_relaxed);
        l.cachedBusy += w->cachedLoad.load(std::memory_order_relaxed);
        l.live += w->livePlaying.load(std::memory_order_relaxed);
        l.cached += w->cachedPlaying.load(std::memory_order_relaxed);
    }
    return l;
}

void PreviewEngine::delivered(qint64 ns, int sent)
{
    const qint64 now = clock().nsecsElapsed();
    m_deliveryNs += ns;
    m_deliverySent += sent;
    if (m_deliveryWindowStart == 0) m_deliveryWindowStart = now;
    const double window = static_cast<double>(now - m_deliveryWindowStart);
    if (window >= 250e6) { // blended into a ~1 s average, as the render threads' load
        m_deliveryLoad = 0.75 * m_deliveryLoad + 0.25 * static_cast<double>(m_deliveryNs) / window;
        m_deliveryPerSecond = 0.75 * m_deliveryPerSecond + 0.25 * static_cast<double>(m_deliverySent) * 1e9 / window;
        m_deliveryNs = m_deliverySent = 0;
        m_deliveryWindowStart = now;
    }
}

bool PreviewEngine::admit(quint32 id, QString* why, bool shared) const
{
    if (id != 0 && m_playingIds.count(id)) return true; // playing already
    const Load l = load();
    const int others = static_cast<int>(m_playingIds.size());
    // The cost of one more stream: measured for its kind when streams of that kind play.
    double cost = l.playing > 0 ? l.busy / l.playing : 0.0;
    if (shared && l.cached > 0)
        cost = l.cachedBusy / l.cached;
    else if (!shared && l.live > 0)
        cost = l.liveBusy / l.live;
    // Streams told to play since the last measurement count at that cost too.
    const int unmeasured = std::max(1, others + 1 - l.playing);
    const bool fits = l.playing == 0 ? others < kUnmeasured : l.busy + cost * unmeasured <= m_budget * l.threads;
    // Each own listener also costs the control thread 50 socket writes a second (20 ms frames).
    const double perWrite = m_deliveryPerSecond > 0 ? m_deliveryLoad / m_deliveryPerSecond : 0.0;
    if (fits && m_deliveryLoad + perWrite * 50 * unmeasured > kDeliveryBudget) {
        *why = QString("at capacity: sending audio already takes %1 % of the server's network thread; follow mode is available")
                   .arg(qRound(100 * m_deliveryLoad));
        return false;
    }
    if (!fits)
        *why = QString("at capacity: %1 stream(s) playing use %2 % of the render time; follow mode is available")
                   .arg(others)
                   .arg(qRound(100 * l.busy / l.threads));
    return fits;
}

void PreviewEngine::tick(Worker& w)
{
    const qint64 now = clock().nsecsElapsed();
    const auto measure = qScopeGuard([&w, now] {
        const qint64 end = clock().nsecsElapsed();
        w.busyNs += end - now;
        if (w.windowStart == 0) w.windowStart = now;
        if (end - w.windowStart >= 250'000'000) { // a quarter second: blended into a ~1 s average
            const double window = static_cast<double>(end - w.windowStart);
            auto blend = [window](std::atomic<double>& a, qint64& ns) {
                a.store(0.75 * a.load(std::memory_order_relaxed) + 0.25 * static_cast<double>(ns) / window, std::memory_order_relaxed);
                ns = 0;
            };
            blend(w.load, w.busyNs);
            blend(w.liveLoad, w.liveNs);
            blend(w.cachedLoad, w.cachedNs);
            w.windowStart = end;
        }
    });
    QList<quint32> ids;
    QList<QByteArray> frames;
    std::vector<quint32> ended, meterIds;
    // Live slots: streams rendering themselves are counted as they go; a stream whose shared
    // render is behind may join them while fewer than kLiveSlotsPerThread do.
    int liveSlots = kLiveSlotsPerThread - w.liveNow;
    int liveNow = 0, cachedNow = 0;
    qint64 cached = 0, live = 0;
    for (auto& [id, stream] : w.streams) {
        const bool wasPlaying = stream->playing();
        const qint64 t0 = wasPlaying ? clock().nsecsElapsed() : 0;
        stream->run(
            now,
            [&ids, &frames, &cached, &live, sid = id, s = stream.get()](const QByteArray& frame) {
                if (frame.isEmpty()) return;
                ids.append(sid);
                frames.append(frame);
                ++(s->cached() ? cached : live);
            },
            liveSlots);
        if (wasPlaying) (stream->cached() ? w.cachedNs : w.liveNs) += clock().nsecsElapsed() - t0;
        liveNow += stream->playing() && !stream->cached() ? 1 : 0;
        cachedNow += stream->playing() && stream->cached() ? 1 : 0;
        if (wasPlaying && !stream->playing()) ended.push_back(id); // reached the end of the song
        if (stream->metersDue(now) && wasPlaying) meterIds.push_back(id);
    }
    w.liveNow = liveNow;
    // Counted every tick, so that admission sees a stream playing from its first frames on.
    w.playing.store(liveNow + cachedNow, std::memory_order_relaxed);
    w.cachedPlaying.store(cachedNow, std::memory_order_relaxed);
    w.livePlaying.store(liveNow, std::memory_order_relaxed);
    w.cachedFrames.fetch_add(cached, std::memory_order_relaxed);
    w.liveFrames.fetch_add(live, std::memory_order_relaxed);
    // Per stream the order stays: its frames, then its transport change, then its meters.
    if (!ids.isEmpty()) emit packets(ids, frames);
    for (quint32 id : ended)
        emit transportChanged(id, w.streams.at(id)->state());
    for (quint32 id : meterIds)
        emit meters(id, w.streams.at(id)->takeMeters(now));
}

} // namespace mixroom::server
