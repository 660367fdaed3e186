// SPDX-License-Identifier: MIT
#include "client/PreviewRecorder.h"

#include <opusenc.h>
#include <sndfile.h>

#include <QFile>

namespace mixroom::client {

struct PreviewRecorder::Impl {
    OggOpusEnc* opus = nullptr;
    OggOpusComments* comments = nullptr;
    SNDFILE* wav = nullptr;
    QString path;
};

std::unique_ptr<PreviewRecorder> PreviewRecorder::open(const QString& path, int bitrateKbps, QString* error)
{
    std::unique_ptr<PreviewRecorder> r(new PreviewRecorder);
    r->d = std::make_unique<Impl>();
    r->d->path = path;
    if (path.endsWith(".opus", Qt::CaseInsensitive)) {
        int err = 0;
        r->d->comments = ope_comments_create();
        ope_comments_add(r->d->comments, "ENCODER", "mixroom listen");
        r->d->opus = ope_encoder_create_file(path.toLocal8Bit().constData(), r->d->comments, 48000, 2, 0, &err);
        if (!r->d->opus) {
            *error = QString("cannot write %1: %2").arg(path, ope_strerror(err));
            return nullptr;
        }
        ope_encoder_ctl(r->d->opus, OPUS_SET_BITRATE(bitrateKbps * 1000));
    } else if (path.endsWith(".wav", Qt::CaseInsensitive)) {
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 2;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        r->d->wav = sf_open(path.toLocal8Bit().constData(), SFM_WRITE, &info);
        if (!r->d->wav) {
            *error = QString("cannot write %1: %2").arg(path, sf_strerror(nullptr));
            return nullptr;
        }
    } else {
        *error = QString("%1: the file must end in .opus (Ogg Opus) or .wav").arg(path);
        return nullptr;
    }
    return r;
}

PreviewRecorder::~PreviewRecorder()
{
    if (d->opus) ope_encoder_destroy(d->opus);
    if (d->comments) ope_comments_destroy(d->comments);
    if (d->wav) sf_close(d->wav);
}

bool PreviewRecorder::write(const QVector<float>& pcm)
{
    const int frames = static_cast<int>(pcm.size() / 2);
    m_frames += frames;
    if (d->opus) return ope_encoder_write_float(d->opus, pcm.constData(), frames) == OPE_OK;
    return sf_writef_float(d->wav, pcm.constData(), frames) == frames;
}

bool PreviewRecorder::finish(QString* error)
{
    if (d->opus) {
        const int rc = ope_encoder_drain(d->opus);
        ope_encoder_destroy(d->opus);
        d->opus = nullptr;
        if (rc != OPE_OK) {
            *error = QString("cannot finish %1: %2").arg(d->path, ope_strerror(rc));
            return false;
        }
    }
    if (d->wav) {
        sf_close(d->wav);
        d->wav = nullptr;
    }
    return true;
}

} // namespace mixroom::client
