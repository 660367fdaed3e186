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

#include <sndfile.h>

#include <cstdio>
#include <mutex>

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

void RenderCache::derive(const QString& key, const QString& format)
{
    const QString job = key + "/" + format;
    if (m_running.contains(job) || m_running.contains(key) || !hashes(key) || hashes(key)->contains(format)) return;
    m_running.insert(job);
    const QString folder = m_dir + "/" + key;
    m_pool.start([this, key, job, format, folder] {
        QString error;
        const QString source = folder + "/mix-" + canonical() + extension(canonical());
        const QString target = folder + "/mix-" + format + extension(format);
        SF_INFO info{};
        SNDFILE* in = sf_open(QFile::encodeName(source).constData(), SFM_READ, &info);
        if (!in || info.channels != 2) {
            error = QString("cannot read the canonical render: %1").arg(sf_strerror(in));
        } else {
            auto w = engine::AudioFileWriter::create(target.toStdString(), engine::parseFileFormat(format.toStdString()).value(),
                                                     info.samplerate);
            if (!w) {
                error = QString::fromStdString(w.error().message);
            } else {
                constexpr int kBlock = 1024;
                std::vector<float> frames(2 * kBlock), l(kBlock), r(kBlock);
                for (;;) {
                    if (m_cancel) {
                        error = "the server is shutting down";
                        break;
                    }
                    const sf_count_t n = sf_readf_float(in, frames.data(), kBlock);
                    if (n <= 0) break;
                    for (sf_count_t i = 0; i < n; ++i) {
                        l[static_cast<size_t>(i)] = frames[static_cast<size_t>(2 * i)];
                        r[static_cast<size_t>(i)] = frames[static_cast<size_t>(2 * i + 1)];
                    }
                    if (auto ok = w.value()->write(l.data(), r.data(), static_cast<int>(n)); !ok) {
                        error = QString::fromStdString(ok.error().message);
                        break;
                    }
                }
                if (error.isEmpty())
                    if (auto ok = w.value()->finish(); !ok) error = QString::fromStdString(ok.error().message);
            }
        }
        if (in) sf_close(in);
        QJsonObject all;
        if (error.isEmpty()) {
            const QString hash = fileHash(target);
            // hashes.json is rewritten whole (temporary file, rename); one writer at a time.
            static std::mutex lock;
            std::lock_guard guard(lock);
            QFile h(folder + "/hashes.json");
            if (h.open(QIODevice::ReadOnly)) all = QJsonDocument::fromJson(h.readAll()).object();
            h.close();
            all.insert(format, hash);
            QFile tmp(folder + "/hashes.json.tmp");
            if (!tmp.open(QIODevice::WriteOnly) || tmp.write(QJsonDocument(all).toJson()) < 0 || !tmp.flush())
                error = "cannot write the render's hashes";
            tmp.close();
            if (error.isEmpty() &&
                ::rename(QFile::encodeName(tmp.fileName()).constData(), QFile::encodeName(h.fileName()).constData()) != 0)
                error = "cannot publish the render's hashes";
        }
        if (!error.isEmpty()) QFile::remove(target);
        QMetaObject::invokeMethod(
            this,
            [this, key, job, all, error] {
                m_running.remove(job);
                emit finished(key, all, error);
            },
            Qt::QueuedConnection);
    });
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
            for (const QString& f : {canonical()}) {
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
                hashes.insert(canonical(), fileHash(tmp + "/mix-" + canonical() + extension(canonical())));
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
