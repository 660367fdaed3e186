// SPDX-License-Identifier: MIT
#pragma once
// Automation lanes under the timeline: the lanes of the parameters chosen ("Show lane"), each
// drawn over the song on the timeline's time axis with its points and the playhead. Click on the
// lane to add a point there, drag a point to move it (time and value), right-click a point (or
// double-click it) to delete it; each change is one set_lane of the whole lane, refused and rolled
// back like any edit. A lane's mode is chosen beside it. Lanes everyone else edits redraw live.
// Thread: GUI thread.
#include "client/Connection.h"
#include "engine/model/ParamTable.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <QWidget>

namespace mixroom::desk {

class LaneView : public QWidget {
    Q_OBJECT
  public:
    LaneView(const QString& path, QWidget* parent = nullptr);
    QString path() const { return m_path; }
    // The lane (none: the parameter's static value) and where it is drawn.
    void setLane(const engine::Lane* lane, double staticValue, int rate, double lengthMs);
    void setPlayhead(double ms);
    void setEditable(bool on) { m_editable = on; }
    const std::vector<engine::AutoPoint>& points() const { return m_points; }
    // Widget coordinates of a time (ms) and value, and back: what the mouse works in.
    QPoint pointAt(double ms, double value) const;
    int pointIndexAt(const QPoint& pos) const; // -1: none within a few pixels

  signals:
    void pointsEdited(const QString& path, const std::vector<engine::AutoPoint>& points);

  protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;

  private:
    double msAt(int x) const;
    double valueAt(int y) const;
    // The parameter's range on the lane's height: dB parameters from -60 dB up (a fader's useful
    // travel), others their whole range.
    double lo() const;
    double hi() const;
    QString m_path;
    const engine::ParamSpec* m_spec = nullptr;
    std::vector<engine::AutoPoint> m_points;
    bool m_hasLane = false;
    double m_static = 0, m_lengthMs = 0, m_playheadMs = 0;
    int m_rate = 48000;
    bool m_editable = true;
    int m_drag = -1;
    bool m_moved = false;
};

class AutomationPanel : public QWidget {
    Q_OBJECT
  public:
    explicit AutomationPanel(QWidget* parent = nullptr);
    void attach(client::Connection* conn);
    // Shows the lane of `path` (an automatable parameter path); again: nothing.
    void showLane(const QString& path);
    void hideLane(const QString& path);
    LaneView* lane(const QString& path) const;
    QStringList shown() const;
    QComboBox* chooser() const { return m_choose; }
    void setPlayhead(double ms);
    void setLength(double ms);
    // Redraws from the mirror (after edits); lists the parameters that may be shown.
    void refresh();

  private:
    void send(const QString& path, const QJsonObject& fields);
    client::Connection* m_conn = nullptr;
    QComboBox* m_choose;
    QPushButton* m_add;
    QVBoxLayout* m_rows;
    struct Row {
        QWidget* box;
        LaneView* view;
        QComboBox* mode;
        QLabel* label;
    };
    QList<Row> m_lanes;
    double m_lengthMs = 0, m_playheadMs = 0;
};

} // namespace mixroom::desk
