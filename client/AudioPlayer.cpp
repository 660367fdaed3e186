// SPDX-License-Identifier: MIT
#include "client/AudioPlayer.h"

#include <portaudio.h>

#include <algorithm>
#include <cstring>

namespace mixroom::client {

namespace {
constexpr int kRate = 48000;
constexpr int kMaxTargetFrames = 250 * 48;

// Pa_Initialize/Terminate are reference counted by PortAudio; one pair per user here.
struct PaSession {
    PaError err;
    PaSession() : err(Pa_Initialize()) {}
    ~PaSession()
    {
        if (err == paNoError) Pa_Terminate();
    }
};
} // namespace

QList<OutputDevice> AudioPlayer::devices(QString* error)
{
    PaSession pa;
    if (pa.err != paNoError) {
        *error = QString("PortAudio: %1").arg(Pa_GetErrorText(pa.err));
        return {};
    }
    QList<OutputDevice> out;
    const int def = Pa_GetDefaultOutputDevice();
    for (int i = 0; i < Pa_GetDeviceCount(); ++i) {
        const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
        if (d && d->maxOutputChannels >= 2)
            out.append(
                OutputDevice{i, QString::fromLocal8Bit(d->name), QString::fromLocal8Bit(Pa_GetHostApiInfo(d->hostApi)->name), i == def});
    }
    return out;
}

std::unique_ptr<AudioPlayer> AudioPlayer::open(int device, int minBufferMs, QString* error)
{
    const PaError init = Pa_Initialize();
    if (init != paNoError) {
        *error = QString("PortAudio: %1").arg(Pa_GetErrorText(init));
        return nullptr;
    }
    std::unique_ptr<AudioPlayer> p(new AudioPlayer);
    size_t frames = 1;
    while (frames < static_cast<size_t>(kRate)) // one second of ring
        frames <<= 1;
    p->m_ring.assign(frames * 2, 0.0f);
    p->m_mask = frames - 1;
    p->m_targetFrames = std::clamp(minBufferMs, 10, 250) * 48;
    const int dev = device >= 0 ? device : Pa_GetDefaultOutputDevice();
    const PaDeviceInfo* info = dev >= 0 && dev < Pa_GetDeviceCount() ? Pa_GetDeviceInfo(dev) : nullptr;
    if (!info || info->maxOutputChannels < 2) {
        Pa_Terminate();
        *error = device >= 0 ? QString("no output device %1 (see mixroom devices)").arg(device) : QString("no audio output device");
        return nullptr;
    }
    PaStreamParameters params{dev, 2, paFloat32, info->defaultLowOutputLatency, nullptr};
    PaStream* stream = nullptr;
    PaError e = Pa_OpenStream(&stream, nullptr, &params, kRate, paFramesPerBufferUnspecified, paClipOff,
                              reinterpret_cast<PaStreamCallback*>(&AudioPlayer::callback), p.get());
    if (e == paNoError) e = Pa_StartStream(stream);
    if (e != paNoError) {
        if (stream) Pa_CloseStream(stream);
        Pa_Terminate();
        *error = QString("cannot play on %1: %2").arg(QString::fromLocal8Bit(info->name), Pa_GetErrorText(e));
        return nullptr;
    }
    p->m_stream = stream;
    return p;
}

AudioPlayer::~AudioPlayer()
{
    if (m_stream) {
        Pa_StopStream(static_cast<PaStream*>(m_stream));
        Pa_CloseStream(static_cast<PaStream*>(m_stream));
        Pa_Terminate();
    }
}

int AudioPlayer::bufferedMs() const
{
    return static_cast<int>((m_write.load() - m_read.load()) / 48);
}

bool AudioPlayer::push(const float* interleaved, int frames)
{
    const uint64_t w = m_write.load(std::memory_order_relaxed);
    const uint64_t r = m_read.load(std::memory_order_acquire);
    if (w - r + static_cast<uint64_t>(frames) > m_mask + 1) {
        ++m_overflows; // the device stalled: these frames would arrive too late anyway
        return false;
    }
    for (int i = 0; i < frames; ++i) {
        const size_t at = static_cast<size_t>((w + static_cast<uint64_t>(i)) & m_mask) * 2;
        m_ring[at] = interleaved[2 * i];
        m_ring[at + 1] = interleaved[2 * i + 1];
    }
    m_write.store(w + static_cast<uint64_t>(frames), std::memory_order_release);
    return true;
}

void AudioPlayer::flush()
{
    m_flush.store(true);
}

int AudioPlayer::callback(const void*, void* out, unsigned long frames, const void*, unsigned long, void* self)
{
    static_cast<AudioPlayer*>(self)->fill(static_cast<float*>(out), frames);
    return paContinue;
}

// [audio thread] Copies from the ring, or plays silence and counts an underrun.
void AudioPlayer::fill(float* out, unsigned long frames)
{
    uint64_t r = m_read.load(std::memory_order_relaxed);
    const uint64_t w = m_write.load(std::memory_order_acquire);
    if (m_flush.exchange(false)) {
        r = w;
        m_buffering.store(true);
    }
    const uint64_t available = w - r;
    if (m_buffering.load() && available >= static_cast<uint64_t>(m_targetFrames.load())) m_buffering.store(false);
    if (m_buffering.load() || available < frames) {
        std::memset(out, 0, frames * 2 * sizeof(float));
        if (!m_buffering.load()) { // ran dry while playing: count it and buffer more next time
            ++m_underruns;
            m_buffering.store(true);
            m_targetFrames.store(std::min(kMaxTargetFrames, m_targetFrames.load() + 10 * 48));
        }
        m_read.store(r, std::memory_order_release);
        return;
    }
    for (unsigned long i = 0; i < frames; ++i) {
        const size_t at = static_cast<size_t>((r + i) & m_mask) * 2;
        out[2 * i] = m_ring[at];
        out[2 * i + 1] = m_ring[at + 1];
    }
    m_read.store(r + frames, std::memory_order_release);
    m_played.fetch_add(static_cast<qint64>(frames), std::memory_order_relaxed);
}

} // namespace mixroom::client
