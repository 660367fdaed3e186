// SPDX-License-Identifier: MIT
#include "client/desk/FaderSlider.h"

#include "engine/model/Session.h"

#include <QMouseEvent>

#include <cmath>

namespace mixroom::desk {

FaderSlider::FaderSlider(QWidget* parent) : QSlider(Qt::Vertical, parent)
{
    setRange(0, 1000);
    setPageStep(50);
    setTickPosition(QSlider::TicksLeft);
    setTickInterval(125);
    connect(this, &QSlider::actionTriggered, this, [this] { emit dbChanged(dbOf(sliderPosition())); });
    connect(this, &QSlider::sliderMoved, this, [this](int v) { emit dbChanged(dbOf(v)); });
}

int FaderSlider::positionOf(double db)
{
    if (db <= -60.0) return db <= engine::kSilenceDb ? 0 : 1;
    return static_cast<int>(std::lround(1 + (db + 60.0) / 72.0 * 999.0));
}

double FaderSlider::dbOf(int position)
{
    if (position <= 0) return engine::kSilenceDb;
    return std::round((-60.0 + (position - 1) / 999.0 * 72.0) * 10.0) / 10.0;
}

void FaderSlider::setDb(double db)
{
    const QSignalBlocker block(this); // an echo, not a user move
    setValue(positionOf(db));
}

void FaderSlider::mouseDoubleClickEvent(QMouseEvent*)
{
    setValue(positionOf(0.0));
    emit dbChanged(0.0);
}

void FaderSlider::mousePressEvent(QMouseEvent* e)
{
    m_pressValue = value();
    m_pressY = e->position().toPoint().y();
    QSlider::mousePressEvent(e);
}

void FaderSlider::mouseMoveEvent(QMouseEvent* e)
{
    if (!(e->modifiers() & Qt::ShiftModifier)) {
        QSlider::mouseMoveEvent(e);
        return;
    }
    // Fine: a tenth of the normal travel per pixel.
    const int dy = m_pressY - e->position().toPoint().y();
    const int span = std::max(1, height());
    setSliderPosition(std::clamp(m_pressValue + dy * (maximum() - minimum()) / span / 10, minimum(), maximum()));
    emit dbChanged(dbOf(sliderPosition()));
}

} // namespace mixroom::desk
