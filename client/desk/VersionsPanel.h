// SPDX-License-Identifier: MIT
#pragma once
// The versions panel: every version with its status and who is still to approve; save, approve /
// take back, restore, and a readable diff against the live mix. Follows `version`, `approval`
// and `render` events live.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QWidget>

namespace mixroom::desk {

class VersionsPanel : public QWidget {
    Q_OBJECT
  public:
    explicit VersionsPanel(QWidget* parent = nullptr);
    void attach(client::Connection* conn); // after welcome
    void refresh();
    void save(const QString& name, const QString& message);
    void approveSelected(bool approved);
    void restoreSelected();
    void diffSelected();
    QTreeWidget* list() const { return m_list; }
    QString statusOf(const QString& version) const;
    QString diffText() const { return m_diff->text(); }

  private:
    QString selected() const;
    client::Connection* m_conn = nullptr;
    QTreeWidget* m_list;
    QLabel* m_diff;
    QPushButton *m_save, *m_approve, *m_unapprove, *m_restore, *m_diffButton;
    qint64 m_listSeq = -1, m_diffSeq = -1;
};

} // namespace mixroom::desk
