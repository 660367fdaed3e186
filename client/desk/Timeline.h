// SPDX-License-Identifier: MIT
#pragma once
// The timeline: the mix's waveform overview (peaks from the server, refreshed once edits settle),
// a playhead (click to move it; it runs while the listened transport plays), the loop range, and
// everyone's notes as markers (points and ranges), kept live. Dragging selects a range. Clicking a
// marker jumps there and shows its thread; "Add note" pins a note at the playhead or on the
// selected range; "Loop" loops the selection.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QWidget>

namespace mixroom::desk {

class TimelineBar : public QWidget {
    Q_OBJECT
  public:
    explicit TimelineBar(QWidget* parent = nullptr) : QWidget(parent) { setMinimumHeight(84); }
    double lengthMs = 0, playheadMs = 0;
    QList<QJsonObject> notes; // top-level notes with their replies
    QString selected;
    QVector<float> peak, rms;          // the mix's waveform overview, one value per bin
    double overviewMs = 0;             // length the overview covers
    double selFrom = -1, selTo = -1;   // a selected range (drag), or -1
    double loopFrom = -1, loopTo = -1; // the listened transport's loop, or -1
  signals:
    void playheadMoved(double ms);
    void noteClicked(const QString& id);
    void rangeSelected(double from, double to); // from < 0: the selection was cleared

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;

  private:
    double msAt(int x) const;
    int xOf(double ms) const;
    int m_pressX = -1;
    bool m_dragging = false;
};

class Timeline : public QWidget {
    Q_OBJECT
  public:
    explicit Timeline(QWidget* parent = nullptr);
    void attach(client::Connection* conn);
    void setPlayhead(double ms);
    void addNote(const QString& text); // at the playhead, or on the selected range
    void selectNote(const QString& id);
    int markerCount() const { return static_cast<int>(m_bar->notes.size()); }
    QList<QJsonObject> notes() const { return m_bar->notes; }
    QString threadText() const { return m_thread->text(); }
    void replyToSelected(const QString& text);
    void toggleResolved(); // resolves the selected note, or reopens it
    QPushButton* resolveButton() const { return m_resolve; }
    QComboBox* filter() const { return m_filter; } // all, open or resolved notes
    double playhead() const { return m_bar->playheadMs; }
    // The listened transport (transport_state): the playhead moves by itself while playing.
    void setTransport(const QJsonObject& state);
    bool playing() const { return m_playing; }
    void selectRange(double fromMs, double toMs); // fromMs < 0 clears; notes and loops use it
    double selectionFrom() const { return m_bar->selFrom; }
    double selectionTo() const { return m_bar->selTo; }
    // The waveform overview: requested on connect and again once edits settle.
    void requestOverview();
    int overviewBins() const { return static_cast<int>(m_bar->peak.size()); }
    float overviewPeak(int bin) const { return m_bar->peak.value(bin); }
    QPushButton* loopButton() const { return m_loop; }
    QPushButton* addButton() const { return m_add; }

  signals:
    void seekRequested(double ms);                  // the user moved the playhead (a click on the bar or a note)
    void playheadChanged(double ms);                // it moved (running while the transport plays, or set)
    void loopRequested(double fromMs, double toMs); // toMs < 0: stop looping
    void notesChanged();                            // the note list was (re)loaded

  private:
    void reload();
    void updateButtons();
    void tick();
    QPushButton *m_loop, *m_add;
    QTimer m_tick, m_overviewDue;
    QElapsedTimer m_since; // since the last transport_state
    double m_basePosition = 0;
    bool m_playing = false;
    qint64 m_overviewSeq = -1;
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
