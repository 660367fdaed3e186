// SPDX-License-Identifier: MIT
#pragma once
// The timeline: the song's length as a bar, a playhead (click to move it), and everyone's notes
// as markers (points and ranges), kept live. Clicking a marker selects its note and shows the
// thread; "Add note" pins a note at the playhead.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QComboBox>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QWidget>

namespace mixroom::desk {

class TimelineBar : public QWidget {
    Q_OBJECT
  public:
    explicit TimelineBar(QWidget* parent = nullptr) : QWidget(parent) { setMinimumHeight(44); }
    double lengthMs = 0, playheadMs = 0;
    QList<QJsonObject> notes; // top-level notes with their replies
    QString selected;
  signals:
    void playheadMoved(double ms);
    void noteClicked(const QString& id);

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;

  private:
    double msAt(int x) const;
    int xOf(double ms) const;
};

class Timeline : public QWidget {
    Q_OBJECT
  public:
    explicit Timeline(QWidget* parent = nullptr);
    void attach(client::Connection* conn);
    void setPlayhead(double ms);
    void addNoteAtPlayhead(const QString& text);
    void selectNote(const QString& id);
    int markerCount() const { return static_cast<int>(m_bar->notes.size()); }
    QList<QJsonObject> notes() const { return m_bar->notes; }
    QString threadText() const { return m_thread->text(); }
    void replyToSelected(const QString& text);
    void toggleResolved(); // resolves the selected note, or reopens it
    QPushButton* resolveButton() const { return m_resolve; }
    QComboBox* filter() const { return m_filter; } // all, open or resolved notes
    double playhead() const { return m_bar->playheadMs; }

  signals:
    void seekRequested(double ms); // the user moved the playhead (a click on the bar or a note)

  private:
    void reload();
    client::Connection* m_conn = nullptr;
    TimelineBar* m_bar;
    QLineEdit *m_text, *m_reply;
    QPushButton *m_resolve, *m_replyButton;
    QComboBox* m_filter;
    qint64 m_actionSeq = -1;
    QString m_actionError; // why the last reply/resolve was refused
    const QJsonObject* selected() const;
    QLabel *m_thread, *m_position;
    qint64 m_listSeq = -1;
};

} // namespace mixroom::desk
