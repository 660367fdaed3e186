// SPDX-License-Identifier: MIT
#pragma once
// Writes decoded preview audio to a file: Ogg Opus through libopusenc (".opus") or 32-bit float
// WAV (".wav").
// Thread: the caller's.
#include <QString>
#include <QVector>

#include <memory>

namespace mixroom::client {

class PreviewRecorder {
  public:
    // nullptr and `error` on failure.
    static std::unique_ptr<PreviewRecorder> open(const QString& path, int bitrateKbps, QString* error);
    ~PreviewRecorder();
    bool write(const QVector<float>& interleaved);
    bool finish(QString* error);
    qint64 frames() const { return m_frames; }

  private:
    PreviewRecorder() = default;
    struct Impl;
    std::unique_ptr<Impl> d;
    qint64 m_frames = 0;
};

} // namespace mixroom::client
