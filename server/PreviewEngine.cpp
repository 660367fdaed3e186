// SPDX-License-Identifier: MIT
#include "server/PreviewEngine.h"

#include "server/PreviewStream.h"

#include <QElapsedTimer>
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

PreviewEngine::PreviewEngine()
{
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName("mixroom-preview");
    m_thread.start(QThread::HighPriority);
    QMetaObject::invokeMethod(m_worker, [this] {
        auto* timer = new QTimer(m_worker);
        timer->setTimerType(Qt::PreciseTimer);
        connect(timer, &QTimer::timeout, m_worker, [this] { tick(); });
        timer->start(5); // frames are due every 10 or 20 ms; the stream clock decides
    });
}

PreviewEngine::~PreviewEngine()
{
    QMetaObject::invokeMethod(
        m_worker, [this] { m_streams.clear(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void PreviewEngine::create(quint32 id, std::shared_ptr<MixGraph> graph, const StreamSettings& settings)
{
    QMetaObject::invokeMethod(m_worker, [this, id, graph, settings] {
        m_streams[id] = std::make_unique<PreviewStream>(id, graph, settings);
        emit transportChanged(id, m_streams[id]->state());
    });
}

void PreviewEngine::destroy(quint32 id)
{
    QMetaObject::invokeMethod(m_worker, [this, id] { m_streams.erase(id); });
}

void PreviewEngine::swapGraph(quint32 id, std::shared_ptr<MixGraph> graph, int64_t lengthFrames, const QString& source, double gainDb)
{
    QMetaObject::invokeMethod(m_worker, [this, id, graph, lengthFrames, source, gainDb] {
        if (auto it = m_streams.find(id); it != m_streams.end()) {
            it->second->swapGraph(graph, lengthFrames, source, gainDb);
            emit transportChanged(id, it->second->state());
        }
    });
}

void PreviewEngine::transport(quint32 id, const QString& action, double atMs, double fromMs, double toMs)
{
    QMetaObject::invokeMethod(m_worker, [this, id, action, atMs, fromMs, toMs] {
        if (auto it = m_streams.find(id); it != m_streams.end()) {
            it->second->transport(action, atMs, fromMs, toMs, clock().nsecsElapsed());
            emit transportChanged(id, it->second->state());
        }
    });
}

void PreviewEngine::tick()
{
    const qint64 now = clock().nsecsElapsed();
    for (auto& [id, stream] : m_streams) {
        const bool wasPlaying = stream->state().value("playing").toBool();
        stream->run(now, [this, sid = id](const QByteArray& frame) {
            if (!frame.isEmpty()) emit packet(sid, frame);
        });
        if (wasPlaying && !stream->state().value("playing").toBool())
            emit transportChanged(id, stream->state()); // reached the end of the song
        if (stream->metersDue(now) && wasPlaying) emit meters(id, stream->takeMeters(now));
    }
}

} // namespace mixroom::server
