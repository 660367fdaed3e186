// SPDX-License-Identifier: MIT
#include "client/desk/FaderSlider.h"

#include "engine/model/Session.h"

#include <QMouseEvent>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionSlider>

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

FaderScale::FaderScale(FaderSlider* fader, QWidget* parent) : QWidget(parent), m_fader(fader)
{
    setFixedWidth(28);
    setToolTip("fader scale in dB");
}

int FaderScale::yOf(double db) const
{
    QStyleOptionSlider opt;
    opt.initFrom(m_fader);
    opt.orientation = Qt::Vertical;
    opt.minimum = m_fader->minimum();
    opt.maximum = m_fader->maximum();
    opt.sliderPosition = m_fader->positionOf(db);
    opt.sliderValue = opt.sliderPosition;
    opt.upsideDown = !m_fader->invertedAppearance();
    const QRect groove = m_fader->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, m_fader);
    const QRect handle = m_fader->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, m_fader);
    const int span = groove.height() - handle.height();
    const int pos = QStyle::sliderPositionFromValue(opt.minimum, opt.maximum, opt.sliderPosition, span, opt.upsideDown);
    const QPoint inFader(0, groove.top() + pos + handle.height() / 2);
    return mapFrom(m_fader->parentWidget(), m_fader->mapToParent(inFader)).y();
}

void FaderScale::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.75));
    p.setFont(small);
    p.setPen(palette().color(QPalette::WindowText));
    const int th = p.fontMetrics().height();
    for (double db : {12.0, 6.0, 0.0, -6.0, -12.0, -24.0, -40.0}) { // -60 would sit on -inf
        const int y = yOf(db);
        p.drawLine(width() - 4, y, width(), y);
        p.drawText(QRect(0, y - th / 2, width() - 5, th), Qt::AlignRight | Qt::AlignVCenter,
                   db > 0 ? QString("+%1").arg(db) : QString::number(db));
    }
    const int y = yOf(-1000.0);
    p.drawText(QRect(0, y - th / 2, width() - 5, th), Qt::AlignRight | Qt::AlignVCenter, "-inf");
}

} // namespace mixroom::desk
