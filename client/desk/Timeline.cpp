// SPDX-License-Identifier: MIT
#include "client/desk/Timeline.h"

#include <QHBoxLayout>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

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
    p.fillRect(QRect(4, height() / 2 - 3, width() - 8, 6), palette().mid());
    for (const QJsonObject& n : notes) {
        const int x = xOf(n.value("at").toDouble());
        const QColor c = n.value("resolved").toBool() ? QColor(120, 170, 120) : QColor(230, 150, 30);
        if (!n.value("to").isNull())
            p.fillRect(QRect(x, 6, std::max(2, xOf(n.value("to").toDouble()) - x), height() - 12),
                       QColor(c.red(), c.green(), c.blue(), 70));
        p.setPen(QPen(n.value("id").toString() == selected ? palette().highlight().color() : c, 3));
        p.drawLine(x, 4, x, height() - 4);
    }
    p.setPen(QPen(palette().text().color(), 1));
    const int ph = xOf(playheadMs);
    p.drawLine(ph, 0, ph, height());
}

void TimelineBar::mousePressEvent(QMouseEvent* e)
{
    const int x = e->position().toPoint().x();
    for (const QJsonObject& n : notes)
        if (std::abs(xOf(n.value("at").toDouble()) - x) <= 4) {
            emit noteClicked(n.value("id").toString());
            return;
        }
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
    auto* add = new QPushButton("Add note", this);
    row->addWidget(m_position);
    row->addWidget(m_text, 1);
    row->addWidget(add);
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
    connect(m_bar, &TimelineBar::noteClicked, this, [this](const QString& id) {
        selectNote(id);
        emit seekRequested(m_bar->playheadMs);
    });
    connect(add, &QPushButton::clicked, this, [this] {
        if (!m_text->text().trimmed().isEmpty()) {
            addNoteAtPlayhead(m_text->text().trimmed());
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
        } else if (m.value("type") == "note") {
            reload(); // someone added, edited, resolved or deleted a note
        }
    });
    connect(conn, &client::Connection::refused, this, [this](qint64 seq, const QJsonObject& e) {
        if (seq != m_actionSeq) return;
        m_actionError = e.value("message").toString(); // e.g. only the author may resolve
        selectNote(m_bar->selected);
    });
    reload();
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
}

void Timeline::addNoteAtPlayhead(const QString& text)
{
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
