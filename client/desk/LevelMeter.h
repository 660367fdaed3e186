// SPDX-License-Identifier: MIT
#pragma once
// A level meter beside a fader, drawn so it cannot be mistaken for one: a narrow bar on a dark
// well, green to yellow to red by dBFS, the RMS as a brighter inner bar, a peak-hold line that
// stays 2 s, and a clip lamp that latches at 0 dBFS until clicked. Scale -60..0 dBFS.
// Thread: GUI thread.
#include <QElapsedTimer>
#include <QWidget>

namespace mixroom::desk {

class LevelMeter : public QWidget {
    Q_OBJECT
  public:
    explicit LevelMeter(QWidget* parent = nullptr);
    void setLevels(double peakDb, double rmsDb);
    double peakDb() const { return m_peak; }
    double holdDb() const { return m_hold; }
    bool clipped() const { return m_clip; }
    void resetClip();

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;

  private:
    double m_peak = -120, m_rms = -120, m_hold = -120;
    bool m_clip = false;
    QElapsedTimer m_holdSince;
};

} // namespace mixroom::desk
