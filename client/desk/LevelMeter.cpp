// SPDX-License-Identifier: MIT
#include "client/desk/LevelMeter.h"

#include <QPainter>

#include <algorithm>

namespace mixroom::desk {

namespace {
constexpr double kFloorDb = -60.0;
constexpr qint64 kHoldMs = 2000;
} // namespace

LevelMeter::LevelMeter(QWidget* parent) : QWidget(parent)
{
    setFixedWidth(14);
    setMinimumHeight(120);
    setToolTip("level after the fader, left and right: peak (bars), RMS (between them), peak hold (lines); the lamps on "
               "top latch on clipping (click to reset)");
    m_holdSince[0].start();
    m_holdSince[1].start();
}

void LevelMeter::setLevels(double peakLeftDb, double peakRightDb, double rmsDb)
{
    const double peaks[2] = {peakLeftDb, peakRightDb};
    for (int c = 0; c < 2; ++c) {
        m_peak[c] = peaks[c];
        if (peaks[c] >= m_hold[c] || m_holdSince[c].elapsed() > kHoldMs) {
            m_hold[c] = peaks[c];
            m_holdSince[c].restart();
        }
        if (peaks[c] >= 0.0) m_clip[c] = true;
    }
    m_rms = rmsDb;
    setToolTip(QString("peak L %1 / R %2 dBFS, RMS %3 dBFS, hold %4 dBFS%5")
                   .arg(peakLeftDb, 0, 'f', 1)
                   .arg(peakRightDb, 0, 'f', 1)
                   .arg(rmsDb, 0, 'f', 1)
                   .arg(holdDb(), 0, 'f', 1)
                   .arg(clipped() ? "; clipped (click to reset)" : ""));
    update();
}

void LevelMeter::resetClip()
{
    m_clip[0] = m_clip[1] = false;
    update();
}

void LevelMeter::mousePressEvent(QMouseEvent*)
{
    resetClip();
}

void LevelMeter::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const int lamp = 8, w = width(), h = height() - lamp - 2, bar = (w - 2) / 2;
    p.fillRect(0, lamp + 2, w, h, QColor(18, 20, 22));
    auto yOf = [&](double db) { return lamp + 2 + static_cast<int>(h * (1.0 - (std::clamp(db, kFloorDb, 0.0) - kFloorDb) / -kFloorDb)); };
    auto colourOf = [](double db) { return db > -3 ? QColor(230, 60, 40) : db > -12 ? QColor(230, 200, 50) : QColor(60, 190, 80); };
    const double zones[][2] = {{kFloorDb, -12}, {-12, -3}, {-3, 0}};
    for (int c = 0; c < 2; ++c) {
        const int x = c == 0 ? 0 : w - bar;
        p.fillRect(x, 0, bar, lamp, m_clip[c] ? QColor(230, 40, 40) : QColor(60, 20, 20));
        for (const auto& z : zones) { // the bar in three zones, each in its colour
            if (m_peak[c] <= z[0]) break;
            const int top = yOf(std::min(m_peak[c], z[1])), bottom = yOf(z[0]);
            p.fillRect(x, top, bar, bottom - top, colourOf((z[0] + z[1]) / 2).darker(130));
        }
        if (m_hold[c] > kFloorDb) p.fillRect(x, yOf(m_hold[c]) - 1, bar, 2, colourOf(m_hold[c]).lighter(150));
    }
    if (m_rms > kFloorDb) p.fillRect(bar, yOf(m_rms), w - 2 * bar, yOf(kFloorDb) - yOf(m_rms), colourOf(m_rms).lighter(120));
}

} // namespace mixroom::desk
