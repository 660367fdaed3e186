// SPDX-License-Identifier: MIT
#pragma once
// Plays decoded preview audio through PortAudio. The network side pushes interleaved 48 kHz stereo
// into a lock-free single-producer/single-consumer ring; the PortAudio callback only copies from
// it. The jitter buffer is adaptive: playback (re)starts once `target` ms are buffered; each
// underrun (the callback found too little and played silence) raises the target by 10 ms up to
// 250 ms.
// Threads: push()/stats on the network thread; the callback on PortAudio's audio thread (no
// allocation, locks or I/O there).
#include <QList>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace mixroom::client {

struct OutputDevice {
    int index;
    QString name, hostApi;
    bool isDefault;
};

class AudioPlayer {
  public:
    static QList<OutputDevice> devices(QString* error); // PortAudio outputs
    // Opens the device (-1: default) at 48 kHz stereo. nullptr and `error` on failure.
    static std::unique_ptr<AudioPlayer> open(int device, int minBufferMs, QString* error);
    ~AudioPlayer();
    AudioPlayer(const AudioPlayer&) = delete;
    AudioPlayer& operator=(const AudioPlayer&) = delete;

    // Queues interleaved stereo frames; returns false (and counts them as late) if the ring is full.
    bool push(const float* interleaved, int frames);
    void flush(); // a discontinuity: drop what is queued and buffer up again

    qint64 played() const { return m_played.load(); } // frames handed to the device
    qint64 underruns() const { return m_underruns.load(); }
    qint64 overflows() const { return m_overflows.load(); }
    int targetMs() const { return m_targetFrames.load() / 48; }
    int bufferedMs() const;

  private:
    AudioPlayer() = default;
    static int callback(const void*, void* out, unsigned long frames, const void*, unsigned long, void* self);
    void fill(float* out, unsigned long frames);

    void* m_stream = nullptr;  // PaStream
    std::vector<float> m_ring; // interleaved, power-of-two frames
    size_t m_mask = 0;
    std::atomic<uint64_t> m_write{0}, m_read{0}; // in frames
    std::atomic<int> m_targetFrames{0};
    std::atomic<bool> m_buffering{true};
    std::atomic<bool> m_flush{false};
    std::atomic<qint64> m_played{0}, m_underruns{0}, m_overflows{0};
};

} // namespace mixroom::client
