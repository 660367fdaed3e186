// SPDX-License-Identifier: MIT
#include "client/PreviewReceiver.h"

namespace mixroom::client {

namespace {
constexpr int kMaxFrame = 5760; // the longest Opus frame (120 ms at 48 kHz)
}

PreviewReceiver::PreviewReceiver(QObject* parent) : QObject(parent)
{
    int err = 0;
    m_decoder = opus_decoder_create(48000, 2, &err);
    m_pcm.resize(2 * kMaxFrame);
}

PreviewReceiver::~PreviewReceiver()
{
    opus_decoder_destroy(m_decoder);
}

void PreviewReceiver::setStream(quint32 stream)
{
    if (stream == m_stream) return;
    m_stream = stream;
    m_expectSeq = -1; // a new stream numbers its frames afresh
    opus_decoder_ctl(m_decoder, OPUS_RESET_STATE);
}

void PreviewReceiver::feed(const QByteArray& frame)
{
    QByteArray packet;
    const auto h = protocol::AudioFrameHeader::decode(frame, &packet);
    if (!h) return;
    if (m_stream == 0) m_stream = h->stream;
    if (h->stream != m_stream) {
        ++m_foreign;
        return;
    }
    const qint64 seq = h->seq;
    if (m_expectSeq >= 0 && seq < m_expectSeq) {
        ++m_late;
        return;
    }
    quint8 flags = h->flags;
    if (m_expectSeq >= 0 && seq > m_expectSeq) {
        const qint64 gap = seq - m_expectSeq;
        m_lost += gap;
        if (gap <= kMaxConcealFrames && !(flags & protocol::AudioFrameHeader::Discontinuity)) {
            // Opus packet-loss concealment for each missing frame, at the frame length in use.
            for (qint64 k = 0; k < gap; ++k) {
                const int n = opus_decode_float(m_decoder, nullptr, 0, m_pcm.data(), m_lastSamples, 0);
                if (n <= 0) break;
                ++m_concealed;
                emit audio(m_nextPosition, QVector<float>(m_pcm.begin(), m_pcm.begin() + 2 * n), kConcealed);
                m_nextPosition += static_cast<quint64>(n);
            }
        } else {
            flags |= protocol::AudioFrameHeader::Discontinuity | kAfterGap; // too long to fill: players start over
        }
    }
    m_expectSeq = seq + 1;
    const int n = opus_decode_float(m_decoder, reinterpret_cast<const unsigned char*>(packet.constData()),
                                    static_cast<opus_int32>(packet.size()), m_pcm.data(), kMaxFrame, 0);
    if (n <= 0) return;
    ++m_frames;
    m_lastSamples = n;
    m_nextPosition = h->position + static_cast<quint64>(n);
    emit audio(h->position, QVector<float>(m_pcm.begin(), m_pcm.begin() + 2 * n), flags);
}

} // namespace mixroom::client
