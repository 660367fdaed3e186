// SPDX-License-Identifier: MIT
#pragma once
// A stereo level meter beside a fader, drawn so it cannot be mistaken for one: a narrow bar per
// channel on a dark well, green to yellow to red by dBFS, the RMS as a brighter band between them,
// a peak-hold line per channel that stays 2 s, and a clip lamp per channel that latches at 0 dBFS
// until clicked. Scale -60..0 dBFS.
// Thread: GUI thread.
#include <QElapsedTimer>
#include <QWidget>

#include <algorithm>

namespace mixroom::desk {

class LevelMeter : public QWidget {
    Q_OBJECT
  public:
    explicit LevelMeter(QWidget* parent = nullptr);
    void setLevels(double peakLeftDb, double peakRightDb, double rmsDb);
    double peakDb(int channel = -1) const { return channel < 0 ? std::max(m_peak[0], m_peak[1]) : m_peak[channel]; }
    double holdDb(int channel = -1) const { return channel < 0 ? std::max(m_hold[0], m_hold[1]) : m_hold[channel]; }
    bool clipped(int channel = -1) const { return channel < 0 ? m_clip[0] || m_clip[1] : m_clip[channel]; }
    void resetClip();

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;

  private:
    double m_peak[2] = {-120, -120}, m_hold[2] = {-120, -120}, m_rms = -120;
    bool m_clip[2] = {false, false};
    QElapsedTimer m_holdSince[2];
};

} // namespace mixroom::desk
