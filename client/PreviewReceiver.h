// SPDX-License-Identifier: MIT
#pragma once
// Decodes the preview stream: parses each binary frame's header, decodes its Opus packet, and
// reports lost packets (gaps in the sequence numbers, concealed with Opus PLC) and late ones.
// Thread: the Connection's thread.
#include "protocol/Messages.h"

#include <QObject>
#include <QVector>

#include <opus.h>

namespace mixroom::client {

class PreviewReceiver : public QObject {
    Q_OBJECT
  public:
    explicit PreviewReceiver(QObject* parent = nullptr);
    ~PreviewReceiver() override;
    void feed(const QByteArray& frame);
    qint64 lost() const { return m_lost; }
    qint64 frames() const { return m_frames; }

  signals:
    // Interleaved stereo at 48 kHz; `position` is the transport position of its first sample.
    void audio(quint64 position, const QVector<float>& pcm, quint8 flags);

  private:
    OpusDecoder* m_decoder = nullptr;
    qint64 m_expectSeq = -1;
    qint64 m_lost = 0, m_frames = 0;
    QVector<float> m_pcm;
};

} // namespace mixroom::client
