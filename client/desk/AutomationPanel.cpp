// SPDX-License-Identifier: MIT
#include "client/desk/AutomationPanel.h"

#include "client/AutomationText.h"
#include "engine/model/Automation.h"
#include "protocol/SessionCodec.h"

#include <QHBoxLayout>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolButton>

#include <cmath>

namespace mixroom::desk {

using protocol::Kind;

namespace {
constexpr int kMargin = 4; // as the timeline bar, so times line up
constexpr int kGrab = 6;   // pixels around a point that grab it
} // namespace

LaneView::LaneView(const QString& path, QWidget* parent) : QWidget(parent), m_path(path)
{
    m_spec = engine::findSpec(path.toStdString());
    setMinimumHeight(64);
    setMouseTracking(true);
    setToolTip("click: add a point; drag a point: move it; right-click or double-click a point: delete it");
}

void LaneView::setLane(const engine::Lane* lane, double staticValue, int rate, double lengthMs)
{
    if (m_drag < 0) { // never under the user's drag
        m_points = lane ? lane->points : std::vector<engine::AutoPoint>{};
        m_hasLane = lane != nullptr;
    }
    m_static = staticValue;
    m_rate = rate > 0 ? rate : 48000;
    m_lengthMs = lengthMs;
    update();
}

void LaneView::setPlayhead(double ms)
{
    m_playheadMs = ms;
    update();
}

double LaneView::lo() const
{
    if (!m_spec) return 0;
    return m_spec->unit == "dB" ? std::max(m_spec->min, std::min(-60.0, m_spec->max - 1)) : m_spec->min;
}
double LaneView::hi() const
{
    return m_spec ? m_spec->max : 1;
}

double LaneView::msAt(int x) const
{
    return m_lengthMs <= 0 ? 0 : std::clamp((x - kMargin) / std::max(1.0, width() - 2.0 * kMargin) * m_lengthMs, 0.0, m_lengthMs);
}

double LaneView::valueAt(int y) const
{
    const double f = 1.0 - std::clamp((y - kMargin) / std::max(1.0, height() - 2.0 * kMargin), 0.0, 1.0);
    double v = lo() + f * (hi() - lo());
    if (m_spec && m_spec->type == engine::ParamType::Bool) return v >= 0.5 ? 1 : 0;
    if (m_spec && m_spec->unit == "dB" && f <= 0) v = m_spec->min; // the bottom is silence
    return std::round(v * 100) / 100;                              // to the hundredth, as typed
}

QPoint LaneView::pointAt(double ms, double value) const
{
    const double x = kMargin + (m_lengthMs <= 0 ? 0 : ms / m_lengthMs * (width() - 2.0 * kMargin));
    const double f = std::clamp((value - lo()) / std::max(1e-9, hi() - lo()), 0.0, 1.0);
    return QPoint(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(kMargin + (1 - f) * (height() - 2.0 * kMargin))));
}

int LaneView::pointIndexAt(const QPoint& pos) const
{
    for (size_t i = 0; i < m_points.size(); ++i) {
        const QPoint p = pointAt(1000.0 * static_cast<double>(m_points[i].time) / m_rate, m_points[i].value);
        if (std::abs(p.x() - pos.x()) <= kGrab && std::abs(p.y() - pos.y()) <= kGrab) return static_cast<int>(i);
    }
    return -1;
}

void LaneView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing);
    if (!m_spec || m_lengthMs <= 0) return;
    // The curve, sampled per pixel as the engine evaluates it; the static value dashed when there
    // is no lane.
    const engine::Lane lane{engine::LaneMode::Read, m_points};
    QPainterPath curve;
    for (int x = kMargin; x < width() - kMargin; ++x) {
        const double ms = msAt(x);
        const double v = m_points.empty() ? m_static : engine::laneValue(lane, *m_spec, std::llround(ms * m_rate / 1000.0));
        const QPoint q = pointAt(ms, v);
        if (x == kMargin)
            curve.moveTo(q);
        else
            curve.lineTo(q);
    }
    p.setPen(QPen(m_points.empty() ? palette().mid().color() : QColor(60, 170, 100), 2, m_points.empty() ? Qt::DashLine : Qt::SolidLine));
    p.drawPath(curve);
    for (const engine::AutoPoint& q : m_points) {
        const QPoint c = pointAt(1000.0 * static_cast<double>(q.time) / m_rate, q.value);
        p.fillRect(QRect(c.x() - 3, c.y() - 3, 7, 7), q.curve == engine::Curve::Step ? QColor(220, 160, 40) : QColor(40, 140, 80));
    }
    const int x = pointAt(m_playheadMs, 0).x();
    p.setPen(QPen(QColor(220, 60, 60), 1));
    p.drawLine(x, 0, x, height());
}

void LaneView::mousePressEvent(QMouseEvent* e)
{
    if (!m_editable || !m_spec || m_lengthMs <= 0) return;
    const int hit = pointIndexAt(e->pos());
    if (e->button() == Qt::RightButton) {
        if (hit < 0) return;
        m_points.erase(m_points.begin() + hit);
        emit pointsEdited(m_path, m_points);
        update();
        return;
    }
    if (e->button() != Qt::LeftButton) return;
    if (hit >= 0) {
        m_drag = hit;
        m_moved = false;
        return;
    }
    // A new point where the click is, on the time grid of the session rate.
    const engine::AutoPoint q{std::llround(msAt(e->pos().x()) * m_rate / 1000.0), valueAt(e->pos().y()), engine::Curve::Linear};
    auto at = std::lower_bound(m_points.begin(), m_points.end(), q.time, [](const engine::AutoPoint& a, int64_t t) { return a.time < t; });
    if (at != m_points.end() && at->time == q.time)
        *at = q;
    else
        m_points.insert(at, q);
    emit pointsEdited(m_path, m_points);
    update();
}

void LaneView::mouseMoveEvent(QMouseEvent* e)
{
    if (m_drag < 0) {
        setCursor(m_editable && pointIndexAt(e->pos()) >= 0 ? Qt::SizeAllCursor : Qt::CrossCursor);
        return;
    }
    // Between its neighbours: times stay in order.
    const size_t i = static_cast<size_t>(m_drag);
    int64_t t = std::llround(msAt(e->pos().x()) * m_rate / 1000.0);
    if (i > 0) t = std::max(t, m_points[i - 1].time + 1);
    if (i + 1 < m_points.size()) t = std::min(t, m_points[i + 1].time - 1);
    m_points[i].time = std::max<int64_t>(0, t);
    m_points[i].value = valueAt(e->pos().y());
    m_moved = true;
    update();
}

void LaneView::mouseReleaseEvent(QMouseEvent*)
{
    if (m_drag < 0) return;
    m_drag = -1;
    if (m_moved) emit pointsEdited(m_path, m_points);
}

void LaneView::mouseDoubleClickEvent(QMouseEvent* e)
{
    if (!m_editable) return;
    const int hit = pointIndexAt(e->pos());
    if (hit < 0) return;
    m_drag = -1;
    m_points.erase(m_points.begin() + hit);
    emit pointsEdited(m_path, m_points);
    update();
}

AutomationPanel::AutomationPanel(QWidget* parent) : QWidget(parent)
{
    auto* col = new QVBoxLayout(this);
    col->setContentsMargins(0, 0, 0, 0);
    auto* head = new QHBoxLayout;
    head->addWidget(new QLabel("Automation:", this));
    m_choose = new QComboBox(this);
    m_choose->setToolTip("a parameter whose lane to show under the timeline");
    m_choose->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    head->addWidget(m_choose);
    m_add = new QPushButton("Show lane", this);
    connect(m_add, &QPushButton::clicked, this, [this] {
        if (m_choose->currentIndex() >= 0) showLane(m_choose->currentData().toString());
    });
    head->addWidget(m_add);
    head->addStretch(1);
    col->addLayout(head);
    m_rows = new QVBoxLayout;
    m_rows->setSpacing(2);
    col->addLayout(m_rows);
}

void AutomationPanel::attach(client::Connection* conn)
{
    m_conn = conn;
    connect(conn, &client::Connection::welcomed, this, [this] { refresh(); });
    connect(conn, &client::Connection::edit, this, [this] { refresh(); });
    connect(conn, &client::Connection::refused, this, [this] { refresh(); }); // roll back a refused lane edit
    refresh();
}

void AutomationPanel::send(const QString& path, const QJsonObject& fields)
{
    if (!m_conn) return;
    QJsonObject f = fields;
    f.insert("path", path);
    m_conn->request(Kind::SetLane, f);
}

void AutomationPanel::showLane(const QString& path)
{
    if (lane(path) || !engine::findSpec(path.toStdString())) return;
    Row r;
    r.box = new QWidget(this);
    // A header line, then the lane across the whole width, so its times line up with the
    // timeline's above.
    auto* col = new QVBoxLayout(r.box);
    col->setContentsMargins(0, 0, 0, 0);
    col->setSpacing(1);
    auto* head = new QHBoxLayout;
    r.label = new QLabel(path, r.box);
    head->addWidget(r.label);
    r.mode = new QComboBox(r.box);
    r.mode->addItems({"off", "read", "touch", "latch", "write"});
    r.mode->setCurrentText("read");
    r.mode->setToolTip("the lane's mode: off plays the static value; the others play the lane (touch, latch and write are "
                       "how the strip records passes)");
    connect(r.mode, &QComboBox::activated, this, [this, path, mode = r.mode] { send(path, {{"mode", mode->currentText()}}); });
    head->addWidget(r.mode);
    auto* close = new QToolButton(r.box);
    close->setText("Hide");
    connect(close, &QToolButton::clicked, this, [this, path] { hideLane(path); });
    head->addWidget(close);
    head->addStretch(1);
    col->addLayout(head);
    r.view = new LaneView(path, r.box);
    col->addWidget(r.view);
    connect(r.view, &LaneView::pointsEdited, this, [this](const QString& p, const std::vector<engine::AutoPoint>& points) {
        send(p, {{"points", protocol::laneToJson(engine::Lane{engine::LaneMode::Read, points}).value("points")}});
    });
    m_rows->addWidget(r.box);
    m_lanes.append(r);
    refresh();
}

void AutomationPanel::hideLane(const QString& path)
{
    for (int i = 0; i < m_lanes.size(); ++i)
        if (m_lanes[i].view->path() == path) {
            m_lanes[i].box->deleteLater();
            m_lanes.removeAt(i);
            return;
        }
}

LaneView* AutomationPanel::lane(const QString& path) const
{
    for (const Row& r : m_lanes)
        if (r.view->path() == path) return r.view;
    return nullptr;
}

QStringList AutomationPanel::shown() const
{
    QStringList out;
    for (const Row& r : m_lanes)
        out << r.view->path();
    return out;
}

void AutomationPanel::setPlayhead(double ms)
{
    m_playheadMs = ms;
    for (const Row& r : m_lanes)
        r.view->setPlayhead(ms);
}

void AutomationPanel::setLength(double ms)
{
    if (ms == m_lengthMs) return;
    m_lengthMs = ms;
    refresh();
}

void AutomationPanel::refresh()
{
    if (!m_conn || !m_conn->mirror().hasState()) return;
    engine::Session s = m_conn->mirror().state();
    if (m_lengthMs <= 0) m_lengthMs = m_conn->welcome().value("lengthMs").toDouble();
    const QJsonObject perms = m_conn->welcome().value("permissions").toObject();
    // The choices: every automatable parameter, named by its strip's name ("Vocals: fader").
    QStringList paths;
    engine::forEachField(s, [&](const std::string& path, const engine::ParamSpec& spec, engine::FieldRef) {
        if (engine::automatable(spec)) paths << QString::fromStdString(path);
    });
    QStringList current;
    for (int i = 0; i < m_choose->count(); ++i)
        current << m_choose->itemData(i).toString();
    if (current != paths) {
        const QString keep = m_choose->currentData().toString();
        m_choose->clear();
        for (const QString& p : paths) {
            const QStringList seg = p.split('/');
            QString label = p;
            if (seg.size() >= 3) {
                const engine::Strip* strip = seg[0] == "tracks"    ? static_cast<const engine::Strip*>(s.track(seg[1].toStdString()))
                                             : seg[0] == "groups"  ? static_cast<const engine::Strip*>(s.group(seg[1].toStdString()))
                                             : seg[0] == "returns" ? static_cast<const engine::Strip*>(s.aux(seg[1].toStdString()))
                                                                   : nullptr;
                if (strip) label = QString::fromStdString(strip->name) + ": " + seg.mid(2).join('/');
            } else if (seg[0] == "master") {
                label = "Master: " + seg.mid(1).join('/');
            }
            m_choose->addItem(label, p);
        }
        m_choose->setCurrentIndex(std::max(0, m_choose->findData(keep)));
    }
    for (int i = 0; i < m_lanes.size();) {
        Row& r = m_lanes[i];
        const QString path = r.view->path();
        engine::FieldRef ref = engine::resolveField(s, path.toStdString());
        if (!ref) { // its strip (or band, or send) went away
            r.box->deleteLater();
            m_lanes.removeAt(i);
            continue;
        }
        const auto it = s.automation.find(path.toStdString());
        const engine::Lane* lane = it == s.automation.end() ? nullptr : &it->second;
        r.view->setLane(lane, ref.number(), s.sampleRate, m_lengthMs);
        const bool editable = path.startsWith("master/") ? perms.value("edit_master").toBool() : perms.value("edit_strip").toBool();
        r.view->setEditable(editable);
        r.mode->setEnabled(editable && lane);
        if (lane) r.mode->setCurrentText(QString::fromStdString(engine::toString(lane->mode)));
        const int at = m_choose->findData(path);
        r.label->setText(
            QString("%1 — %2").arg(at >= 0 ? m_choose->itemText(at) : path,
                                   lane ? QString("%1 point%2").arg(lane->points.size()).arg(lane->points.size() == 1 ? "" : "s")
                                        : QString("no lane: click to add points")));
        ++i;
    }
}

} // namespace mixroom::desk
