// SPDX-License-Identifier: MIT
#pragma once
// Decodes the preview stream of one listening: parses each binary frame's header, keeps to its
// stream (frames of another stream id are ignored and counted), decodes the Opus packet, and
// handles what a network does to a stream:
//  - a gap in the sequence numbers (frames the server dropped for a slow link) is counted as
//    lost and, when short (up to kMaxConcealFrames), filled with Opus packet-loss concealment so
//    players and recorders keep their timing; longer gaps are not filled, and the next frame is
//    marked as a discontinuity;
//  - a frame older than one already decoded is late: counted and dropped (decoding it out of
//    order would corrupt the decoder's state).
// Thread: the Connection's thread.
#include "protocol/Messages.h"

#include <QObject>
#include <QVector>

#include <opus.h>

namespace mixroom::client {

class PreviewReceiver : public QObject {
    Q_OBJECT
  public:
    static constexpr int kMaxConcealFrames = 5; // 100 ms at 20 ms frames
    // A flag of our own on emitted audio (never on the wire): produced by concealment.
    static constexpr quint8 kConcealed = 0x80;
    // Ours too: frames before this one were lost and not concealed (the gap was too long).
    static constexpr quint8 kAfterGap = 0x40;

    explicit PreviewReceiver(QObject* parent = nullptr);
    ~PreviewReceiver() override;
    // The stream to decode (the `stream` of the listening reply); 0 takes the first one seen.
    void setStream(quint32 stream);
    void feed(const QByteArray& frame);
    qint64 lost() const { return m_lost; }
    qint64 concealed() const { return m_concealed; }
    qint64 late() const { return m_late; }
    qint64 foreign() const { return m_foreign; }
    qint64 frames() const { return m_frames; }

  signals:
    // Interleaved stereo at 48 kHz; `position` is the transport position of its first sample;
    // flags are the frame's (Discontinuity, Silence) plus kConcealed.
    void audio(quint64 position, const QVector<float>& pcm, quint8 flags);

  private:
    OpusDecoder* m_decoder = nullptr;
    quint32 m_stream = 0;
    qint64 m_expectSeq = -1;
    quint64 m_nextPosition = 0;
    int m_lastSamples = 960;
    qint64 m_lost = 0, m_concealed = 0, m_late = 0, m_foreign = 0, m_frames = 0;
    QVector<float> m_pcm;
};

} // namespace mixroom::client
