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
    setFixedWidth(12);
    setMinimumHeight(120);
    setToolTip("level after the fader: peak (bar), RMS (inner bar), peak hold (line); the lamp on top latches on clipping "
               "(click to reset)");
    m_holdSince.start();
}

void LevelMeter::setLevels(double peakDb, double rmsDb)
{
    m_peak = peakDb;
    m_rms = rmsDb;
    if (peakDb >= m_hold || m_holdSince.elapsed() > kHoldMs) {
        m_hold = peakDb;
        m_holdSince.restart();
    }
    if (peakDb >= 0.0) m_clip = true;
    setToolTip(QString("peak %1 dBFS, RMS %2 dBFS, hold %3 dBFS%4")
                   .arg(peakDb, 0, 'f', 1)
                   .arg(rmsDb, 0, 'f', 1)
                   .arg(m_hold, 0, 'f', 1)
                   .arg(m_clip ? "; clipped (click to reset)" : ""));
    update();
}

void LevelMeter::resetClip()
{
    m_clip = false;
    update();
}

void LevelMeter::mousePressEvent(QMouseEvent*)
{
    resetClip();
}

void LevelMeter::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const int lamp = 8, w = width(), h = height() - lamp - 2;
    p.fillRect(0, 0, w, lamp, m_clip ? QColor(230, 40, 40) : QColor(60, 20, 20));
    p.fillRect(0, lamp + 2, w, h, QColor(18, 20, 22));
    auto yOf = [&](double db) { return lamp + 2 + static_cast<int>(h * (1.0 - (std::clamp(db, kFloorDb, 0.0) - kFloorDb) / -kFloorDb)); };
    auto colourOf = [](double db) { return db > -3 ? QColor(230, 60, 40) : db > -12 ? QColor(230, 200, 50) : QColor(60, 190, 80); };
    // The bar in three zones, each in its colour.
    const double zones[][2] = {{kFloorDb, -12}, {-12, -3}, {-3, 0}};
    for (const auto& z : zones) {
        if (m_peak <= z[0]) break;
        const int top = yOf(std::min(m_peak, z[1])), bottom = yOf(z[0]);
        p.fillRect(2, top, w - 4, bottom - top, colourOf((z[0] + z[1]) / 2).darker(130));
    }
    if (m_rms > kFloorDb) p.fillRect(4, yOf(m_rms), w - 8, yOf(kFloorDb) - yOf(m_rms), colourOf(m_rms).lighter(120));
    if (m_hold > kFloorDb) p.fillRect(1, yOf(m_hold) - 1, w - 2, 2, colourOf(m_hold).lighter(150));
}

} // namespace mixroom::desk
