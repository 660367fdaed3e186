// SPDX-License-Identifier: MIT
#include "server/RenderCache.h"

#include "engine/render/Renderer.h"
#include "engine/stems/SessionStems.h"
#include "engine/util/Sha256.h"
#include "protocol/SessionCodec.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QThreadPool>

namespace mixroom::server {

namespace {
QString extension(const QString& format)
{
    return format.startsWith("flac") ? ".flac" : ".wav";
}

QString fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return QString::fromLatin1(h.result().toHex());
}
} // namespace

const QStringList& RenderCache::formats()
{
    static const QStringList f = {"wav24", "wav32f", "flac24"};
    return f;
}

RenderCache::RenderCache(QString dir, engine::StemStore& stems, qint64 maxBytes, QObject* parent)
    : QObject(parent), m_dir(std::move(dir)), m_stems(stems), m_maxBytes(maxBytes)
{
    QDir().mkpath(m_dir);
}

RenderCache::~RenderCache()
{
    m_cancel = true;
    m_pool.waitForDone();
}

QString RenderCache::keyOf(const engine::Session& session)
{
    return QString::fromLatin1(QCryptographicHash::hash(protocol::encodeSession(session), QCryptographicHash::Sha256).toHex());
}

std::optional<QJsonObject> RenderCache::hashes(const QString& key) const
{
    QFile f(m_dir + "/" + key + "/hashes.json");
    if (!f.open(QIODevice::ReadOnly)) return std::nullopt;
    return QJsonDocument::fromJson(f.readAll()).object();
}

QString RenderCache::file(const QString& key, const QString& format) const
{
    return m_dir + "/" + key + "/mix-" + format + extension(format);
}

void RenderCache::touch(const QString& key) const
{
    QFile f(m_dir + "/" + key + "/hashes.json");
    if (f.open(QIODevice::ReadWrite)) f.setFileTime(QDateTime::currentDateTimeUtc(), QFileDevice::FileModificationTime);
}

qint64 RenderCache::evict(const QString& dir, qint64 maxBytes, const QString& keep)
{
    struct Entry {
        QString path;
        QDateTime used;
        qint64 bytes = 0;
    };
    std::vector<Entry> entries;
    qint64 total = 0;
    for (const QFileInfo& d : QDir(dir).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (d.fileName().endsWith(".part")) continue; // being made
        Entry e{d.filePath(), QFileInfo(d.filePath() + "/hashes.json").lastModified(), 0};
        for (const QFileInfo& f : QDir(d.filePath()).entryInfoList(QDir::Files))
            e.bytes += f.size();
        total += e.bytes;
        if (d.fileName() != keep) entries.push_back(e);
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    qint64 removed = 0;
    for (const Entry& e : entries) {
        if (total - removed <= maxBytes) break;
        if (QDir(e.path).removeRecursively()) removed += e.bytes; // a pull in progress keeps its open file
    }
    return removed;
}

void RenderCache::start(const QString& key, const engine::Session& session)
{
    if (m_running.contains(key) || hashes(key)) return;
    m_running.insert(key);
    const QString tmp = m_dir + "/" + key + ".part";
    const QString final = m_dir + "/" + key;
    m_pool.start([this, key, session, tmp, final] {
        QString error;
        QJsonObject hashes;
        QDir(tmp).removeRecursively();
        QDir().mkpath(tmp);
        auto stems = engine::loadSessionStems(session, tmp.toStdString(), m_stems);
        if (!stems) {
            error = QString::fromStdString(stems.error().message);
        } else {
            std::vector<std::unique_ptr<engine::AudioFileWriter>> writers;
            for (const QString& f : formats()) {
                auto w = engine::AudioFileWriter::create((tmp + "/mix-" + f + extension(f)).toStdString(),
                                                         engine::parseFileFormat(f.toStdString()).value(), session.sampleRate);
                if (!w) {
                    error = QString::fromStdString(w.error().message);
                    break;
                }
                writers.push_back(std::move(w.value()));
            }
            int lastTenth = -1;
            if (error.isEmpty()) {
                auto rep = engine::renderSession(
                    session, stems.value(), 1024,
                    [&](const float* l, const float* r, int n) -> engine::Result<engine::Ok> {
                        if (m_cancel) return engine::Error{"cancelled", "the server is shutting down"};
                        for (auto& w : writers)
                            if (auto ok = w->write(l, r, n); !ok) return ok;
                        return engine::Ok{};
                    },
                    [&](double f) {
                        const int tenth = static_cast<int>(f * 10);
                        if (tenth != lastTenth) {
                            lastTenth = tenth;
                            QMetaObject::invokeMethod(
                                this, [this, key, f] { emit progress(key, f); }, Qt::QueuedConnection);
                        }
                    },
                    false);
                if (!rep) error = QString::fromStdString(rep.error().message);
                for (auto& w : writers)
                    if (error.isEmpty())
                        if (auto ok = w->finish(); !ok) error = QString::fromStdString(ok.error().message);
            }
            if (error.isEmpty()) {
                for (const QString& f : formats())
                    hashes.insert(f, fileHash(tmp + "/mix-" + f + extension(f)));
                QFile h(tmp + "/hashes.json");
                if (!h.open(QIODevice::WriteOnly) || h.write(QJsonDocument(hashes).toJson()) < 0)
                    error = "cannot write the render's hashes";
                h.close();
                if (error.isEmpty() && !QDir().rename(tmp, final)) error = "cannot publish the render";
                if (error.isEmpty()) evict(m_dir, m_maxBytes, key);
            }
        }
        if (!error.isEmpty()) QDir(tmp).removeRecursively();
        QMetaObject::invokeMethod(
            this,
            [this, key, hashes, error] {
                m_running.remove(key);
                emit finished(key, hashes, error);
            },
            Qt::QueuedConnection);
    });
}

} // namespace mixroom::server
