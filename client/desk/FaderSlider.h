// SPDX-License-Identifier: MIT
#pragma once
// A channel fader: position 0 is -inf, 1..1000 spans -60 dB to +12 dB. Shift while dragging moves
// ten times finer; double-click returns to 0 dB.
// Thread: GUI thread.
#include <QSlider>

namespace mixroom::desk {

class FaderSlider : public QSlider {
    Q_OBJECT
  public:
    explicit FaderSlider(QWidget* parent = nullptr);
    static int positionOf(double db);
    static double dbOf(int position);
    double db() const { return dbOf(value()); }
    void setDb(double db);

  signals:
    void dbChanged(double db); // from the user

  protected:
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;

  private:
    int m_pressValue = 0;
    int m_pressY = 0;
};

// The dB numbers beside a fader, each at the height the fader's handle has at that value.
class FaderScale : public QWidget {
    Q_OBJECT
  public:
    explicit FaderScale(FaderSlider* fader, QWidget* parent = nullptr);
    // The y (in this widget) of the handle's centre at `db`.
    int yOf(double db) const;

  protected:
    void paintEvent(QPaintEvent*) override;

  private:
    FaderSlider* m_fader;
};

} // namespace mixroom::desk
