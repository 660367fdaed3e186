// SPDX-License-Identifier: MIT
#include "client/PreviewReceiver.h"

namespace mixroom::client {

PreviewReceiver::PreviewReceiver(QObject* parent) : QObject(parent)
{
    int err = 0;
    m_decoder = opus_decoder_create(48000, 2, &err);
    m_pcm.resize(2 * 5760); // the longest Opus frame (120 ms)
}

PreviewReceiver::~PreviewReceiver()
{
    opus_decoder_destroy(m_decoder);
}

void PreviewReceiver::feed(const QByteArray& frame)
{
    QByteArray packet;
    const auto h = protocol::AudioFrameHeader::decode(frame, &packet);
    if (!h) return;
    if (m_expectSeq >= 0 && static_cast<qint64>(h->seq) > m_expectSeq)
        m_lost += static_cast<qint64>(h->seq) - m_expectSeq; // a dropped frame (slow link)
    m_expectSeq = static_cast<qint64>(h->seq) + 1;
    const int n = opus_decode_float(m_decoder, reinterpret_cast<const unsigned char*>(packet.constData()),
                                    static_cast<opus_int32>(packet.size()), m_pcm.data(), 5760, 0);
    if (n <= 0) return;
    ++m_frames;
    emit audio(h->position, QVector<float>(m_pcm.begin(), m_pcm.begin() + 2 * n), h->flags);
}

} // namespace mixroom::client
