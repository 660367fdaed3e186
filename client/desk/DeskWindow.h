// SPDX-License-Identifier: MIT
#pragma once
// The mixroom-desk main window: connect (server URL and token, or a pasted `mixroom login` line;
// remembered), a mixer with one strip per track, group and return that follows everyone's edits
// live, role-aware controls (disabled with the reason), presence (who is here, who touches what),
// and a status line (connected, reconnecting, or why the connection failed).
// Thread: GUI thread.
#include "client/Connection.h"
#include "client/EditHistory.h"
#include "client/desk/AutomationPanel.h"
#include "client/desk/MasterStrip.h"
#include "client/desk/StripWidget.h"
#include "client/desk/Timeline.h"
#include "client/desk/TransportBar.h"
#include "client/desk/VersionsPanel.h"

#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <memory>

class QAction;
class QHBoxLayout;
class QListWidget;
class QMenu;
class QStackedWidget;
class QVBoxLayout;

namespace mixroom::desk {

class EqEditor;
class CompressorEditor;
class EffectEditor;

class DeskWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit DeskWindow(QWidget* parent = nullptr);
    ~DeskWindow() override;
    // Connects (also what the Connect button does). A pasted "mixroom login URL --token T" works too.
    void connectTo(const QString& url, const QString& token);
    StripWidget* strip(const QString& prefix) const { return m_strips.value(prefix); }
    QString statusText() const { return m_status->text(); }
    QString presenceText() const { return m_presence->text(); }
    client::Connection* connection() const { return m_conn.get(); }
    VersionsPanel* versions() const { return m_versions; }
    Timeline* timeline() const { return m_timeline; }
    TransportBar* transport() const { return m_transport; }
    MasterStrip* master() const { return m_master; }
    EqEditor* openEq(const QString& prefix); // the strip's EQ editor (one per strip)
    CompressorEditor* openCompressor(const QString& prefix);
    client::EditHistory* history() const { return m_history.get(); }
    // Structure, as the Mixer menu and the strips' menus do it (owner): the requests go to the server.
    void addGroup(const QString& name);
    void addReturn(const QString& name, const QString& effect); // reverb or delay
    void addSend(const QString& strip, const QString& to);
    void removeSend(const QString& strip, const QString& to);
    void removeStrip(const QString& prefix); // a track, group or return
    EffectEditor* openEffect(const QString& prefix);
    QAction* undoAction() const { return m_undo; }
    QAction* redoAction() const { return m_redo; }
    // The mixer, or the review view (waveform, notes, versions; the default for roles that may not
    // edit the mix). F2 switches.
    void setReviewView(bool review);
    bool reviewView() const { return m_review; }
    QListWidget* noteList() const { return m_noteList; }
    QWidget* mixerPage() const { return m_mixerPage; }
    AutomationPanel* automation() const { return m_automation; }
    // Controls this desk is recording an automation pass of (AutomationPasses.h on the server).
    QSet<QString> passes() const { return m_passes; }

  protected:
    void closeEvent(QCloseEvent* e) override;

  private:
    void wireStrip(StripWidget* w); // edits, editors and touch of a strip (or the master)
    void rebuildStrips();
    void refreshStrips();
    void onPresence(const QJsonObject& presence);
    void queueEdit(const QString& path, const QJsonValue& value);
    void flushEdits();
    void fillNoteList();
    void fillStripMenu(const QString& prefix, QMenu* menu);
    void setConnectedLook(bool connected);
    // The strip's automation mode: chosen on this desk, else its fader lane's, else read.
    QString automationMode(const QString& prefix) const;
    // Moving a control while the transport plays in touch, latch or write mode records a pass.
    bool recording() const;
    void endPass(const QString& path);
    void transportChanged(const QJsonObject& state);

    QLineEdit *m_url, *m_token;
    QLabel *m_status, *m_presence;
    QWidget* m_stripHost = nullptr;
    VersionsPanel* m_versions = nullptr;
    Timeline* m_timeline = nullptr;
    TransportBar* m_transport = nullptr;
    QHash<QString, QPointer<EqEditor>> m_eqEditors;
    QHash<QString, QPointer<CompressorEditor>> m_compEditors;
    QHash<QString, QPointer<EffectEditor>> m_effectEditors;
    QMenu* m_mixerMenu = nullptr;
    QHBoxLayout* m_stripRow = nullptr;
    MasterStrip* m_master = nullptr;
    QHash<QString, StripWidget*> m_strips;
    std::unique_ptr<client::Connection> m_conn;
    QHash<QString, QJsonValue> m_pending;    // coalesced edits: the latest value per path
    QHash<QString, QJsonValue> m_passValues; // coalesced values of passes, sent with the edits
    AutomationPanel* m_automation = nullptr;
    QHash<QString, QString> m_autoModes; // strip prefix -> mode chosen on this desk
    QSet<QString> m_passes;
    bool m_playing = false;
    QTimer m_flush;
    QString m_structure; // ids of the strips shown, to know when to rebuild
    std::unique_ptr<client::EditHistory> m_history;
    QAction *m_undo = nullptr, *m_redo = nullptr, *m_viewAction = nullptr;
    QStackedWidget* m_pages = nullptr;
    QWidget *m_mixerPage = nullptr, *m_reviewPage = nullptr;
    QListWidget* m_noteList = nullptr;
    QVBoxLayout* m_column = nullptr;
    bool m_review = false;
};

} // namespace mixroom::desk
