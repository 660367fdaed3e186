// SPDX-License-Identifier: MIT
#pragma once
// The versions panel: every version with its status and who is still to approve; save, approve /
// take back, restore, a readable diff against the live mix, and (for roles that may) the pull of a
// version's full-resolution mix to a file with progress. Follows `version`, `approval`
// and `render` events live.
// Thread: GUI thread.
#include "client/Connection.h"
#include "client/MixPull.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QWidget>

#include <memory>

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
    // The mastering pull of the selected version to `file` (wav24, wav32f or flac24 by suffix:
    // .wav is wav24, .flac is flac24), with progress; what the Pull button does after asking.
    void pullSelected(const QString& file, const QString& format = {});
    QProgressBar* pullProgress() const { return m_pullBar; }
    QString pullText() const { return m_pullStatus->text(); }
    QPushButton* pullButton() const { return m_pull; }

  signals:
    void versionsChanged(const QStringList& names); // after every refresh, oldest first
    void pulled(const QString& file, const QString& sha256);

  private:
    QString selected() const;
    client::Connection* m_conn = nullptr;
    QTreeWidget* m_list;
    QLabel* m_diff;
    QPushButton *m_save, *m_approve, *m_unapprove, *m_restore, *m_diffButton, *m_pull;
    QProgressBar* m_pullBar;
    QLabel* m_pullStatus;
    std::unique_ptr<client::MixPull> m_job;
    qint64 m_listSeq = -1, m_diffSeq = -1;
};

} // namespace mixroom::desk
