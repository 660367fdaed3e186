// SPDX-License-Identifier: MIT
#include "client/desk/Timeline.h"

#include <QHBoxLayout>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace mixroom::desk {

using protocol::Kind;

namespace {
QString clock(double ms)
{
    const qint64 t = static_cast<qint64>(ms);
    return QString("%1:%2.%3").arg(t / 60000).arg((t / 1000) % 60, 2, 10, QChar('0')).arg((t % 1000) / 100);
}
} // namespace

double TimelineBar::msAt(int x) const
{
    return lengthMs <= 0 ? 0 : std::clamp((x - 4.0) / std::max(1, width() - 8) * lengthMs, 0.0, lengthMs);
}
int TimelineBar::xOf(double ms) const
{
    return 4 + static_cast<int>(lengthMs <= 0 ? 0 : ms / lengthMs * (width() - 8));
}

void TimelineBar::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const int mid = height() / 2, half = height() / 2 - 6;
    if (!peak.isEmpty() && overviewMs > 0 && lengthMs > 0) {
        // Mirrored waveform: peak light, RMS darker; amplitude on a linear scale like most DAWs.
        const QColor pc(120, 150, 190), rc(60, 90, 140);
        for (int x = 4; x < width() - 4; ++x) {
            const double a = msAt(x), b = msAt(x + 1);
            if (a >= overviewMs) break;
            const int i0 = static_cast<int>(a / overviewMs * peak.size());
            const int i1 = std::max(i0 + 1, static_cast<int>(b / overviewMs * peak.size()));
            float pk = 0, rm = 0;
            for (int i = i0; i < std::min<int>(i1, peak.size()); ++i) {
                pk = std::max(pk, peak[i]);
                rm = std::max(rm, rms[i]);
            }
            const int hp = static_cast<int>(std::min(1.0f, pk) * half), hr = static_cast<int>(std::min(1.0f, rm) * half);
            p.setPen(pc);
            p.drawLine(x, mid - hp, x, mid + hp);
            p.setPen(rc);
            p.drawLine(x, mid - hr, x, mid + hr);
        }
    } else {
        p.fillRect(QRect(4, mid - 3, width() - 8, 6), palette().mid());
    }
    if (loopTo > loopFrom && loopFrom >= 0) {
        p.fillRect(QRect(xOf(loopFrom), 0, std::max(2, xOf(loopTo) - xOf(loopFrom)), 5), QColor(40, 120, 220));
        p.fillRect(QRect(xOf(loopFrom), 0, std::max(2, xOf(loopTo) - xOf(loopFrom)), height()), QColor(40, 120, 220, 30));
    }
    if (selTo > selFrom && selFrom >= 0) {
        const QColor h = palette().highlight().color();
        p.fillRect(QRect(xOf(selFrom), 0, std::max(2, xOf(selTo) - xOf(selFrom)), height()), QColor(h.red(), h.green(), h.blue(), 60));
    }
    for (const QJsonObject& n : notes) {
        const int x = xOf(n.value("at").toDouble());
        const QColor c = n.value("resolved").toBool() ? QColor(120, 170, 120) : QColor(230, 150, 30);
        if (!n.value("to").isNull() && !n.value("to").isUndefined())
            p.fillRect(QRect(x, height() - 12, std::max(2, xOf(n.value("to").toDouble()) - x), 8),
                       QColor(c.red(), c.green(), c.blue(), 150));
        p.setPen(QPen(n.value("id").toString() == selected ? palette().highlight().color() : c, 3));
        p.drawLine(x, 4, x, height() - 4);
    }
    // Labels of the notes: who and the first words, beside the marker.
    QFont small = p.font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    const QFontMetrics fm(small);
    for (const QJsonObject& n : notes) {
        const int x = xOf(n.value("at").toDouble());
        const QString label =
            fm.elidedText(QString("%1: %2").arg(n.value("authorName").toString(), n.value("text").toString()), Qt::ElideRight, 160);
        const QRect box(x + 4, 14, fm.horizontalAdvance(label) + 6, fm.height() + 2);
        p.fillRect(box, QColor(30, 30, 30, 170));
        p.setPen(n.value("resolved").toBool() ? QColor(160, 210, 160) : QColor(255, 200, 110));
        p.drawText(box.adjusted(3, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, label);
    }
    // The time ruler along the top: a tick every 1, 5, 10, 15, 30 or 60 s, whichever leaves room.
    if (lengthMs > 0) {
        const double pxPerS = (width() - 8) / (lengthMs / 1000.0);
        double step = 1;
        for (double s : {1.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0})
            if (s * pxPerS >= 60) {
                step = s;
                break;
            }
        p.setPen(palette().text().color());
        for (double t = 0; t * 1000 <= lengthMs; t += step) {
            const int x = xOf(t * 1000);
            p.drawLine(x, 0, x, 5);
            p.drawText(x + 2, fm.ascent() + 1,
                       QString("%1:%2").arg(static_cast<int>(t) / 60).arg(static_cast<int>(t) % 60, 2, 10, QChar('0')));
        }
    }
    p.setPen(QPen(palette().text().color(), 1));
    const int ph = xOf(playheadMs);
    p.drawLine(ph, 0, ph, height());
}

void TimelineBar::mousePressEvent(QMouseEvent* e)
{
    m_pressX = e->position().toPoint().x();
    m_dragging = false;
}

void TimelineBar::mouseMoveEvent(QMouseEvent* e)
{
    if (m_pressX < 0) return;
    const int x = e->position().toPoint().x();
    if (!m_dragging && std::abs(x - m_pressX) < 4) return;
    m_dragging = true;
    selFrom = msAt(std::min(x, m_pressX));
    selTo = msAt(std::max(x, m_pressX));
    update();
}

void TimelineBar::mouseReleaseEvent(QMouseEvent* e)
{
    const int x = e->position().toPoint().x();
    const bool dragged = m_dragging;
    m_pressX = -1;
    m_dragging = false;
    if (dragged) {
        emit rangeSelected(selFrom, selTo);
        return;
    }
    for (const QJsonObject& n : notes)
        if (std::abs(xOf(n.value("at").toDouble()) - x) <= 4) {
            emit noteClicked(n.value("id").toString());
            return;
        }
    if (selFrom >= 0) emit rangeSelected(-1, -1); // a plain click clears the selection
    emit playheadMoved(msAt(x));
}

Timeline::Timeline(QWidget* parent) : QWidget(parent)
{
    auto* col = new QVBoxLayout(this);
    m_bar = new TimelineBar(this);
    auto* row = new QHBoxLayout;
    m_position = new QLabel("0:00.0", this);
    m_text = new QLineEdit(this);
    m_text->setPlaceholderText("a note at the playhead…");
    m_add = new QPushButton("Add note", this);
    auto* add = m_add;
    m_loop = new QPushButton("Loop selection", this);
    m_loop->setToolTip("drag across the timeline to select a range, then loop it");
    row->addWidget(m_position);
    row->addWidget(m_text, 1);
    row->addWidget(add);
    row->addWidget(m_loop);
    m_filter = new QComboBox(this);
    m_filter->addItem("All notes");
    m_filter->addItem("Open notes", true);
    m_filter->addItem("Resolved notes", false);
    row->addWidget(m_filter);
    m_thread = new QLabel(this);
    m_thread->setWordWrap(true);
    auto* threadRow = new QHBoxLayout;
    m_reply = new QLineEdit(this);
    m_reply->setPlaceholderText("reply to the selected note…");
    m_replyButton = new QPushButton("Reply", this);
    m_resolve = new QPushButton("Resolve", this);
    m_replyButton->setEnabled(false);
    m_resolve->setEnabled(false);
    threadRow->addWidget(m_thread, 1);
    threadRow->addWidget(m_reply);
    threadRow->addWidget(m_replyButton);
    threadRow->addWidget(m_resolve);
    col->addWidget(m_bar);
    col->addLayout(row);
    col->addLayout(threadRow);
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this] { reload(); });
    connect(m_replyButton, &QPushButton::clicked, this, [this] {
        if (m_reply->text().trimmed().isEmpty()) return;
        replyToSelected(m_reply->text().trimmed());
        m_reply->clear();
    });
    connect(m_resolve, &QPushButton::clicked, this, &Timeline::toggleResolved);
    connect(m_bar, &TimelineBar::playheadMoved, this, [this](double ms) {
        setPlayhead(ms);
        emit seekRequested(ms);
    });
    connect(m_bar, &TimelineBar::rangeSelected, this, [this](double from, double to) { selectRange(from, to); });
    connect(m_loop, &QPushButton::clicked, this, [this] {
        if (m_bar->loopFrom >= 0)
            emit loopRequested(-1, -1);
        else if (m_bar->selFrom >= 0)
            emit loopRequested(m_bar->selFrom, m_bar->selTo);
    });
    m_tick.setInterval(33); // the running playhead, about 30 times a second
    connect(&m_tick, &QTimer::timeout, this, &Timeline::tick);
    m_overviewDue.setSingleShot(true);
    m_overviewDue.setInterval(1500); // once edits settle: the overview costs the server a render
    connect(&m_overviewDue, &QTimer::timeout, this, &Timeline::requestOverview);
    connect(m_bar, &TimelineBar::noteClicked, this, [this](const QString& id) {
        selectNote(id);
        emit seekRequested(m_bar->playheadMs);
    });
    connect(add, &QPushButton::clicked, this, [this] {
        if (!m_text->text().trimmed().isEmpty()) {
            addNote(m_text->text().trimmed());
            m_text->clear();
        }
    });
    setEnabled(false);
}

void Timeline::attach(client::Connection* conn)
{
    if (m_conn == conn) {
        reload();
        return;
    }
    m_conn = conn;
    setEnabled(true);
    m_bar->lengthMs = conn->welcome().value("lengthMs").toDouble();
    connect(conn, &client::Connection::reply, this, [this](qint64 seq, const QJsonObject& m) {
        if (seq == m_listSeq && m.value("type") == "note_list") {
            m_bar->notes.clear();
            for (const QJsonValue& v : m.value("notes").toArray())
                m_bar->notes.append(v.toObject());
            m_bar->update();
            if (!m_bar->selected.isEmpty()) selectNote(m_bar->selected);
            emit notesChanged();
        } else if (m.value("type") == "note") {
            reload(); // someone added, edited, resolved or deleted a note
        } else if (seq == m_overviewSeq && m.value("type") == "peaks") {
            m_bar->peak.clear();
            m_bar->rms.clear();
            for (const QJsonValue& v : m.value("peak").toArray())
                m_bar->peak.append(static_cast<float>(v.toDouble()));
            for (const QJsonValue& v : m.value("rms").toArray())
                m_bar->rms.append(static_cast<float>(v.toDouble()));
            m_bar->overviewMs = m.value("lengthMs").toDouble();
            if (m_bar->lengthMs <= 0) m_bar->lengthMs = m_bar->overviewMs;
            m_bar->update();
        }
    });
    connect(conn, &client::Connection::edit, this, [this] { m_overviewDue.start(); });
    connect(conn, &client::Connection::refused, this, [this](qint64 seq, const QJsonObject& e) {
        if (seq != m_actionSeq) return;
        m_actionError = e.value("message").toString(); // e.g. only the author may resolve
        selectNote(m_bar->selected);
    });
    reload();
    requestOverview();
    updateButtons();
}

void Timeline::requestOverview()
{
    if (m_conn) m_overviewSeq = m_conn->request(Kind::GetPeaks, {{"bins", 2000}});
}

void Timeline::setTransport(const QJsonObject& state)
{
    m_playing = state.value("playing").toBool();
    m_basePosition = state.value("position").toDouble();
    m_since.start();
    const QJsonObject loop = state.value("loop").toObject();
    m_bar->loopFrom = loop.isEmpty() ? -1 : loop.value("from").toDouble();
    m_bar->loopTo = loop.isEmpty() ? -1 : loop.value("to").toDouble();
    if (state.contains("lengthMs") && state.value("lengthMs").toDouble() > 0) m_bar->lengthMs = state.value("lengthMs").toDouble();
    setPlayhead(m_basePosition);
    if (m_playing)
        m_tick.start();
    else
        m_tick.stop();
    updateButtons();
}

void Timeline::tick()
{
    // Where the transport is now: its last reported position plus the time since, wrapped in a loop.
    double ms = m_basePosition + static_cast<double>(m_since.elapsed());
    if (m_bar->loopTo > m_bar->loopFrom && m_bar->loopFrom >= 0 && m_basePosition < m_bar->loopTo && ms >= m_bar->loopTo)
        ms = m_bar->loopFrom + std::fmod(ms - m_bar->loopFrom, m_bar->loopTo - m_bar->loopFrom);
    if (m_bar->lengthMs > 0) ms = std::min(ms, m_bar->lengthMs);
    setPlayhead(ms);
}

void Timeline::selectRange(double fromMs, double toMs)
{
    if (fromMs < 0 || toMs <= fromMs) {
        m_bar->selFrom = m_bar->selTo = -1;
    } else {
        m_bar->selFrom = fromMs;
        m_bar->selTo = toMs;
        setPlayhead(fromMs);
    }
    m_bar->update();
    updateButtons();
}

void Timeline::updateButtons()
{
    const bool range = m_bar->selFrom >= 0;
    m_add->setText(range ? QString("Add note on %1–%2").arg(clock(m_bar->selFrom), clock(m_bar->selTo)) : QString("Add note"));
    const bool looping = m_bar->loopFrom >= 0;
    m_loop->setText(looping ? "Stop loop" : "Loop selection");
    m_loop->setEnabled(looping || range);
}

void Timeline::reload()
{
    if (!m_conn) return;
    QJsonObject filter;
    if (m_filter->currentData().isValid()) filter["open"] = m_filter->currentData().toBool();
    m_listSeq = m_conn->request(Kind::ListNotes, filter);
}

void Timeline::setPlayhead(double ms)
{
    m_bar->playheadMs = ms;
    m_position->setText(clock(ms));
    m_bar->update();
    emit playheadChanged(ms);
}

void Timeline::addNote(const QString& text)
{
    if (m_bar->selFrom >= 0)
        m_conn->request(Kind::AddNote, {{"at", m_bar->selFrom}, {"to", m_bar->selTo}, {"text", text}});
    else
        m_conn->request(Kind::AddNote, {{"at", m_bar->playheadMs}, {"text", text}});
}

const QJsonObject* Timeline::selected() const
{
    for (const QJsonObject& n : m_bar->notes)
        if (n.value("id").toString() == m_bar->selected) return &n;
    return nullptr;
}

void Timeline::replyToSelected(const QString& text)
{
    m_actionError.clear();
    if (const QJsonObject* n = selected()) m_actionSeq = m_conn->request(Kind::AddNote, {{"parent", n->value("id")}, {"text", text}});
}

void Timeline::toggleResolved()
{
    m_actionError.clear();
    if (const QJsonObject* n = selected())
        m_actionSeq = m_conn->request(Kind::ResolveNote, {{"id", n->value("id")}, {"resolved", !n->value("resolved").toBool()}});
}

void Timeline::selectNote(const QString& id)
{
    m_bar->selected = id;
    m_thread->clear();
    for (const QJsonObject& n : m_bar->notes)
        if (n.value("id").toString() == id) {
            setPlayhead(n.value("at").toDouble()); // jump there
            QStringList lines{QString("%1 %2 (%3): %4")
                                  .arg(clock(n.value("at").toDouble()), n.value("authorName").toString(), n.value("role").toString(),
                                       n.value("text").toString())};
            for (const QJsonValue& r : n.value("replies").toArray())
                lines << QString("    ↳ %1: %2").arg(r.toObject().value("authorName").toString(), r.toObject().value("text").toString());
            if (n.value("resolved").toBool()) lines.front() += "  [resolved]";
            if (!m_actionError.isEmpty()) lines << m_actionError;
            m_thread->setText(lines.join('\n'));
        }
    const QJsonObject* n = selected();
    m_replyButton->setEnabled(n != nullptr);
    m_resolve->setEnabled(n != nullptr);
    m_resolve->setText(n && n->value("resolved").toBool() ? "Reopen" : "Resolve");
    m_bar->update();
}

} // namespace mixroom::desk
