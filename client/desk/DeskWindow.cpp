// SPDX-License-Identifier: MIT
#include "client/desk/DeskWindow.h"

#include "engine/model/Automation.h"

#include "client/NameResolver.h"
#include "client/desk/CompressorEditor.h"
#include "client/desk/EffectEditor.h"
#include "client/desk/EqEditor.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonArray>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QUuid>
#include <QVBoxLayout>

namespace mixroom::desk {

using protocol::Kind;

DeskWindow::DeskWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle("Mixroom Desk");
    resize(1280, 720); // fits a 1366x768 laptop; the size and layout used last are restored below
    auto* bar = addToolBar("Connection");
    bar->setMovable(false);
    QSettings settings("Mixroom", "mixroom-desk");
    m_url = new QLineEdit(settings.value("server", "ws://127.0.0.1:7870").toString(), this);
    m_url->setPlaceholderText("ws://host:7870");
    m_url->setMinimumWidth(220);
    m_token = new QLineEdit(settings.value("token").toString(), this);
    m_token->setPlaceholderText("token, or paste a whole 'mixroom login …' line");
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setMinimumWidth(260);
    auto* go = new QPushButton("Connect", this);
    bar->addWidget(new QLabel(" Server ", this));
    bar->addWidget(m_url);
    bar->addWidget(new QLabel(" Token ", this));
    bar->addWidget(m_token);
    bar->addWidget(go);
    connect(go, &QPushButton::clicked, this, [this] { connectTo(m_url->text(), m_token->text()); });
    connect(m_token, &QLineEdit::returnPressed, go, &QPushButton::click); // Enter connects
    connect(m_url, &QLineEdit::returnPressed, go, &QPushButton::click);

    // Edit: undo and redo of one's own edits, through the server.
    QMenu* editMenu = menuBar()->addMenu("&Edit");
    m_undo = editMenu->addAction("Undo");
    m_undo->setShortcut(QKeySequence::Undo);
    m_redo = editMenu->addAction("Redo");
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    m_undo->setEnabled(false);
    m_redo->setEnabled(false);
    connect(m_undo, &QAction::triggered, this, [this] {
        flushEdits(); // a drag still in the coalescing window is part of what is undone
        if (m_history) m_history->undo();
    });
    connect(m_redo, &QAction::triggered, this, [this] {
        if (m_history) m_history->redo();
    });
    // Mixer: groups and returns (the owner's); a strip's own menu (⋯) has its sends and removal.
    m_mixerMenu = menuBar()->addMenu("&Mixer");
    auto ask = [this](const QString& title, const QString& suggestion) {
        bool ok = false;
        const QString name = QInputDialog::getText(this, title, "Name:", QLineEdit::Normal, suggestion, &ok).trimmed();
        return ok ? name : QString();
    };
    connect(m_mixerMenu->addAction("Add group…"), &QAction::triggered, this, [this, ask] {
        if (const QString n = ask("Add group", "Group"); !n.isEmpty()) addGroup(n);
    });
    connect(m_mixerMenu->addAction("Add reverb return…"), &QAction::triggered, this, [this, ask] {
        if (const QString n = ask("Add reverb return", "Reverb"); !n.isEmpty()) addReturn(n, "reverb");
    });
    connect(m_mixerMenu->addAction("Add delay return…"), &QAction::triggered, this, [this, ask] {
        if (const QString n = ask("Add delay return", "Delay"); !n.isEmpty()) addReturn(n, "delay");
    });
    m_mixerMenu->setEnabled(false);
    QMenu* viewMenu = menuBar()->addMenu("&View");
    m_viewAction = viewMenu->addAction("Review view");
    m_viewAction->setCheckable(true);
    m_viewAction->setShortcut(Qt::Key_F2);
    connect(m_viewAction, &QAction::toggled, this, &DeskWindow::setReviewView);

    auto* central = new QWidget(this);
    auto* col = new QVBoxLayout(central);
    auto* scroll = new QScrollArea(central);
    scroll->setWidgetResizable(true);
    m_stripHost = new QWidget(scroll);
    m_stripRow = new QHBoxLayout(m_stripHost);
    m_stripRow->addStretch(1);
    scroll->setWidget(m_stripHost);
    m_master = new MasterStrip(central);
    m_master->setEnabled(false);
    wireStrip(m_master);
    m_presence = new QLabel("Not connected", central);
    m_transport = new TransportBar(central);
    m_timeline = new Timeline(central);
    col->addWidget(m_transport);
    col->addWidget(m_timeline);
    m_automation = new AutomationPanel(central);
    col->addWidget(m_automation);
    connect(m_timeline, &Timeline::playheadChanged, m_automation, &AutomationPanel::setPlayhead);
    connect(m_timeline, &Timeline::playheadChanged, this, [this] {
        // Faders and pans with lanes move with them while the playhead runs.
        if (m_conn && !m_conn->mirror().state().automation.empty()) refreshStrips();
    });
    connect(m_transport, &TransportBar::transportState, this, &DeskWindow::transportChanged);
    connect(m_timeline, &Timeline::seekRequested, m_transport, &TransportBar::seek);
    connect(m_transport, &TransportBar::transportState, m_timeline, &Timeline::setTransport);
    connect(m_timeline, &Timeline::loopRequested, m_transport, &TransportBar::loop);
    connect(m_transport, &TransportBar::meters, this, [this](const QJsonObject& m) {
        const QJsonObject master = m.value("master").toObject();
        m_master->setMasterMeters(master);
        if (CompressorEditor* c = m_compEditors.value("master")) c->setReduction(master.value("compGrDb").toDouble());
        for (const QJsonValue& v : m.value("strips").toArray()) {
            const QJsonObject s = v.toObject();
            const QString kind = s.value("kind").toString();
            if (StripWidget* w = m_strips.value((kind == "track"   ? "tracks/"
                                                 : kind == "group" ? "groups/"
                                                                   : "returns/") +
                                                s.value("id").toString())) {
                const double peak = s.value("peakDb").toDouble(); // per channel when the server sends it
                w->setMeter(s.value("peakLDb").toDouble(peak), s.value("peakRDb").toDouble(peak), s.value("rmsDb").toDouble());
                if (CompressorEditor* c = m_compEditors.value(w->prefix())) c->setReduction(s.value("grDb").toDouble());
            }
        }
    });
    // The mixer page: strips and the master section. The review page: the notes list (the
    // timeline above grows to take the room the mixer had).
    m_mixerPage = new QWidget(central);
    auto* mixer = new QHBoxLayout(m_mixerPage);
    mixer->setContentsMargins(0, 0, 0, 0);
    mixer->addWidget(scroll, 1);
    // The master section scrolls vertically when the window is short (a 768-pixel laptop).
    auto* masterScroll = new QScrollArea(m_mixerPage);
    masterScroll->setWidget(m_master);
    masterScroll->setWidgetResizable(true);
    masterScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    masterScroll->setFrameShape(QFrame::NoFrame);
    masterScroll->setMinimumWidth(m_master->minimumSizeHint().width() + masterScroll->verticalScrollBar()->sizeHint().width());
    mixer->addWidget(masterScroll);
    m_reviewPage = new QWidget(central);
    auto* review = new QVBoxLayout(m_reviewPage);
    review->setContentsMargins(0, 0, 0, 0);
    review->addWidget(new QLabel("Notes (click one to jump there; reply and resolve above)", m_reviewPage));
    m_noteList = new QListWidget(m_reviewPage);
    review->addWidget(m_noteList, 1);
    connect(m_timeline, &Timeline::notesChanged, this, &DeskWindow::fillNoteList);
    connect(m_noteList, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const QString id = item->data(Qt::UserRole).toString();
        m_timeline->selectNote(id);
        for (const QJsonObject& n : m_timeline->notes())
            if (n.value("id").toString() == id) m_transport->seek(n.value("at").toDouble());
    });
    m_pages = new QStackedWidget(central);
    m_pages->addWidget(m_mixerPage);
    m_pages->addWidget(m_reviewPage);
    col->addWidget(m_pages, 1);
    col->addWidget(m_presence);
    m_column = col;
    setCentralWidget(central);
    auto* dock = new QDockWidget("Versions", this);
    dock->setObjectName("versions");
    m_versions = new VersionsPanel(dock);
    connect(m_versions, &VersionsPanel::versionsChanged, m_transport, &TransportBar::setVersions);
    dock->setWidget(m_versions);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    m_status = new QLabel("Not connected", this);
    statusBar()->addWidget(m_status, 1);
    setConnectedLook(false);
    // The size and panel layout used last.
    restoreGeometry(settings.value("geometry").toByteArray());
    restoreState(settings.value("windowState").toByteArray());

    m_flush.setSingleShot(true);
    m_flush.setInterval(30); // a fader drag becomes at most ~33 edits per second
    connect(&m_flush, &QTimer::timeout, this, &DeskWindow::flushEdits);
}

DeskWindow::~DeskWindow() = default;

void DeskWindow::closeEvent(QCloseEvent* e)
{
    QSettings settings("Mixroom", "mixroom-desk");
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
    QMainWindow::closeEvent(e);
}

void DeskWindow::setReviewView(bool review)
{
    m_review = review;
    if (m_viewAction->isChecked() != review) m_viewAction->setChecked(review);
    m_pages->setCurrentWidget(review ? m_reviewPage : m_mixerPage);
    // In the review view the waveform takes the room; in the mixer, the strips do.
    m_column->setStretchFactor(m_timeline, review ? 3 : 0);
}

void DeskWindow::fillNoteList()
{
    const QString keep = m_noteList->currentItem() ? m_noteList->currentItem()->data(Qt::UserRole).toString() : QString();
    m_noteList->clear();
    for (const QJsonObject& n : m_timeline->notes()) {
        const qint64 at = static_cast<qint64>(n.value("at").toDouble());
        const int replies = static_cast<int>(n.value("replies").toArray().size());
        auto* item =
            new QListWidgetItem(QString("%1:%2  %3  %4: %5%6")
                                    .arg(at / 60000)
                                    .arg((at / 1000) % 60, 2, 10, QChar('0'))
                                    .arg(n.value("resolved").toBool() ? "resolved" : "open    ")
                                    .arg(n.value("authorName").toString(), n.value("text").toString())
                                    .arg(replies ? QString("  (%1 repl%2)").arg(replies).arg(replies == 1 ? "y" : "ies") : QString()),
                                m_noteList);
        item->setData(Qt::UserRole, n.value("id").toString());
        if (n.value("resolved").toBool()) item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
        if (n.value("id").toString() == keep) m_noteList->setCurrentItem(item);
    }
}

void DeskWindow::setConnectedLook(bool connected)
{
    // Nothing shows made-up values: before the first welcome there is no mixer to show, and while
    // disconnected the last known values stay visible but cannot be edited.
    m_mixerPage->setEnabled(connected);
    m_master->setVisible(connected || !m_structure.isEmpty());
    if (!connected && !m_structure.isEmpty()) m_presence->setText("Disconnected: the mixer shows the last values the server confirmed");
}

void DeskWindow::connectTo(const QString& urlIn, const QString& tokenIn)
{
    QString url = urlIn.trimmed(), token = tokenIn.trimmed();
    // An invite pasted whole: "mixroom login ws://host:7870 --token mxr_…".
    static const QRegularExpression invite(R"((wss?://\S+)\s+--token\s+(\S+))");
    if (const auto m = invite.match(url + " " + token); m.hasMatch()) { // pasted into either field
        url = m.captured(1);
        token = m.captured(2);
    }
    m_url->setText(url);
    m_token->setText(token);
    QSettings settings("Mixroom", "mixroom-desk");
    settings.setValue("server", url);
    settings.setValue("token", token);
    if (!settings.contains("clientId")) settings.setValue("clientId", "desk-" + QUuid::createUuid().toString(QUuid::WithoutBraces));

    m_history.reset();
    m_conn = std::make_unique<client::Connection>(QUrl(url), token, settings.value("clientId").toString());
    m_history = std::make_unique<client::EditHistory>(m_conn.get());
    m_automation->attach(m_conn.get());
    m_passes.clear();
    connect(m_history.get(), &client::EditHistory::changed, this, [this] {
        m_undo->setEnabled(m_history->canUndo());
        m_redo->setEnabled(m_history->canRedo());
        m_undo->setText(m_history->canUndo() ? "Undo " + m_history->undoText() : "Undo");
        m_redo->setText(m_history->canRedo() ? "Redo " + m_history->redoText() : "Redo");
    });
    m_undo->setEnabled(false);
    m_redo->setEnabled(false);
    m_status->setText(QString("Connecting to %1…").arg(url));
    connect(m_conn.get(), &client::Connection::welcomed, this, [this](const QJsonObject& w) {
        const QJsonObject m = w.value("member").toObject();
        m_status->setText(
            QString("Connected to \"%1\" as %2 (%3)")
                .arg(w.value("session").toObject().value("name").toString(), m.value("name").toString(), m.value("role").toString()));
        const bool firstWelcome = m_structure.isEmpty();
        m_mixerMenu->setEnabled(w.value("permissions").toObject().value("edit_structure").toBool());
        rebuildStrips();
        setConnectedLook(true);
        // Roles that may not edit the mix start in the review view (no greyed-out mixer).
        if (firstWelcome) setReviewView(!w.value("permissions").toObject().value("edit_strip").toBool());
        m_versions->attach(m_conn.get()); // a reconnect only refreshes
        m_timeline->attach(m_conn.get());
        m_transport->attach(m_conn.get());
    });
    connect(m_conn.get(), &client::Connection::edit, this, [this] { refreshStrips(); });
    connect(m_conn.get(), &client::Connection::reply, this, [this](qint64, const QJsonObject& m) {
        // A pass of ours another member took over (or that could not be stored) records no more.
        const QString state = m.value("state").toString();
        if (m.value("type").toString() == "pass" && (state == "taken_over" || state == "dropped") &&
            m.value("member").toString() == m_conn->welcome().value("member").toObject().value("id").toString())
            m_passes.remove(m.value("path").toString());
    });
    connect(m_conn.get(), &client::Connection::presence, this, &DeskWindow::onPresence);
    connect(m_conn.get(), &client::Connection::refused, this, [this](qint64, const QJsonObject& e) {
        m_status->setText(QString("Refused: %1").arg(e.value("message").toString()));
        if (e.value("code").toString() != "rate_limited") m_passes.remove(e.value("path").toString()); // a pass that did not start
        refreshStrips(); // roll the control back to the authoritative value
    });
    connect(m_conn.get(), &client::Connection::failed, this, [this](const QString& code, const QString& message) {
        const QString why = code == "bad_token"             ? "the token is wrong or was revoked"
                            : code == "version_unsupported" ? "the server speaks another protocol version: " + message
                                                            : message;
        m_status->setText("Cannot connect: " + why);
    });
    connect(m_conn.get(), &client::Connection::stateChanged, this, [this, url](client::Connection::State s) {
        if (s == client::Connection::State::Reconnecting)
            m_status->setText(QString("Reconnecting to %1… (the server is unreachable; retrying by itself)").arg(url));
        if (s != client::Connection::State::Connected) setConnectedLook(false);
    });
    m_conn->open();
}

void DeskWindow::addGroup(const QString& name)
{
    m_conn->request(Kind::AddGroup, {{"id", client::newStripId(m_conn->mirror().state(), name)}, {"name", name}});
}

void DeskWindow::addReturn(const QString& name, const QString& effect)
{
    m_conn->request(Kind::AddReturn, {{"id", client::newStripId(m_conn->mirror().state(), name)}, {"name", name}, {"effect", effect}});
}

void DeskWindow::addSend(const QString& strip, const QString& to)
{
    m_conn->request(Kind::AddSend, {{"strip", strip}, {"to", to}});
    // A new send starts at -inf: bring it to a usable level at once (one undo step each).
    m_conn->request(Kind::Set, {{"path", strip + "/sends/" + to + "/level"}, {"value", -12.0}});
}

void DeskWindow::removeSend(const QString& strip, const QString& to)
{
    m_conn->request(Kind::RemoveSend, {{"strip", strip}, {"to", to}});
}

void DeskWindow::removeStrip(const QString& prefix)
{
    const QString kind = prefix.section('/', 0, 0), id = prefix.section('/', 1);
    const Kind k = kind == "tracks" ? Kind::RemoveTrack : kind == "groups" ? Kind::RemoveGroup : Kind::RemoveReturn;
    m_conn->request(k, {{"id", id}});
}

EffectEditor* DeskWindow::openEffect(const QString& prefix)
{
    QPointer<EffectEditor>& editor = m_effectEditors[prefix];
    if (!editor) {
        editor = new EffectEditor(m_conn.get(), prefix, m_conn->welcome().value("permissions").toObject(), this);
        editor->setAttribute(Qt::WA_DeleteOnClose);
    }
    editor->show();
    editor->raise();
    return editor;
}

void DeskWindow::fillStripMenu(const QString& prefix, QMenu* menu)
{
    menu->clear();
    const engine::Session& st = m_conn->mirror().state();
    const QString kind = prefix.section('/', 0, 0), id = prefix.section('/', 1);
    const bool owner = m_conn->welcome().value("permissions").toObject().value("edit_structure").toBool();
    const QString why = owner ? QString() : "only the session's owner changes the mix's structure";
    auto add = [&](QMenu* m, const QString& text, auto fn) {
        QAction* a = m->addAction(text);
        a->setEnabled(owner);
        a->setToolTip(why);
        connect(a, &QAction::triggered, this, fn);
        return a;
    };
    if (kind == "returns") {
        connect(menu->addAction("Effect…"), &QAction::triggered, this, [this, prefix] { openEffect(prefix); });
    } else {
        const engine::Strip* strip = kind == "tracks" ? static_cast<const engine::Strip*>(st.track(id.toStdString()))
                                                      : static_cast<const engine::Strip*>(st.group(id.toStdString()));
        if (!strip) return;
        QMenu* sendTo = menu->addMenu("Add send to");
        QMenu* removeTo = menu->addMenu("Remove send to");
        for (const auto& r : st.returns) {
            const QString to = QString::fromStdString(r.id), label = QString::fromStdString(r.name);
            const bool has = std::any_of(strip->sends.begin(), strip->sends.end(), [&](const engine::Send& x) { return x.to == r.id; });
            if (has)
                add(removeTo, label, [this, prefix, to] { removeSend(prefix, to); });
            else
                add(sendTo, label, [this, prefix, to] { addSend(prefix, to); });
        }
        sendTo->setEnabled(owner && !sendTo->isEmpty());
        removeTo->setEnabled(owner && !removeTo->isEmpty());
    }
    menu->addSeparator();
    add(menu,
        kind == "tracks"   ? "Remove track"
        : kind == "groups" ? "Remove group (its tracks go to the master)"
                           : "Remove return",
        [this, prefix] { removeStrip(prefix); });
}

void DeskWindow::wireStrip(StripWidget* w)
{
    if (QToolButton* more = w->moreButton()) {
        auto* menu = new QMenu(more);
        more->setMenu(menu);
        connect(menu, &QMenu::aboutToShow, this, [this, menu, prefix = w->prefix()] { fillStripMenu(prefix, menu); });
    }
    connect(w, &StripWidget::edit, this, [this](const QString& path, const QJsonValue& value) {
        if (m_passes.contains(path)) { // recorded by the pass, not set
            m_passValues.insert(path, value);
            if (!m_flush.isActive()) m_flush.start();
            return;
        }
        queueEdit(path, value);
    });
    connect(w, &StripWidget::openEq, this, &DeskWindow::openEq);
    connect(w, &StripWidget::openCompressor, this, &DeskWindow::openCompressor);
    connect(w, &StripWidget::touch, this, [this, w](const QString& path) {
        m_conn->request(Kind::Touch, path.isEmpty() ? QJsonObject{} : QJsonObject{{"path", path}});
        const QString mode = automationMode(w->prefix());
        if (!path.isEmpty() && recording() && (mode == "touch" || mode == "latch" || mode == "write")) {
            if (m_passes.contains(path)) return; // write armed it at play
            flushEdits();
            m_passes.insert(path);
            m_conn->request(Kind::AutoBegin, {{"path", path}, {"mode", mode}, {"at", m_timeline->playhead()}});
        } else if (path.isEmpty()) {
            for (const QString& p : QSet<QString>(m_passes))
                if (p.startsWith(w->prefix() + "/")) endPass(p);
        }
    });
    connect(w, &StripWidget::automationModeChosen, this, [this](const QString& prefix, const QString& mode) {
        m_autoModes.insert(prefix, mode);
        // The strip's lanes take the mode too (a lane's mode is stored with it).
        for (const auto& [path, lane] : m_conn->mirror().state().automation) {
            const QString p = QString::fromStdString(path);
            if (p.startsWith(prefix + "/") && QString::fromStdString(engine::toString(lane.mode)) != mode)
                m_conn->request(Kind::SetLane, {{"path", p}, {"mode", mode}});
        }
        refreshStrips();
    });
}

QString DeskWindow::automationMode(const QString& prefix) const
{
    if (m_autoModes.contains(prefix)) return m_autoModes.value(prefix);
    if (!m_conn) return "read";
    const auto& lanes = m_conn->mirror().state().automation;
    const auto it = lanes.find((prefix + "/fader").toStdString());
    return it == lanes.end() ? QString("read") : QString::fromStdString(engine::toString(it->second.mode));
}

bool DeskWindow::recording() const
{
    return m_conn && m_transport->listening() && m_playing && m_transport->source() == "live";
}

void DeskWindow::endPass(const QString& path)
{
    flushEdits(); // its last value first
    m_passes.remove(path);
    m_conn->request(Kind::AutoEnd, {{"path", path}, {"at", m_timeline->playhead()}});
}

void DeskWindow::transportChanged(const QJsonObject& state)
{
    const bool playing = state.value("playing").toBool();
    if (playing && !m_playing) {
        m_playing = true;
        // Write mode writes from the start of playback: the fader of every strip in write mode.
        QList<StripWidget*> all = m_strips.values();
        all.append(m_master);
        for (StripWidget* w : all)
            if (automationMode(w->prefix()) == "write" && recording() && !m_passes.contains(w->prefix() + "/fader")) {
                m_passes.insert(w->prefix() + "/fader");
                m_conn->request(Kind::AutoBegin, {{"path", w->prefix() + "/fader"}, {"mode", "write"}, {"at", m_timeline->playhead()}});
            }
    } else if (!playing) {
        m_playing = false;
        m_passes.clear(); // the server ends every pass when the transport stops
        m_passValues.clear();
    }
    if (state.value("lengthMs").toDouble() > 0) m_automation->setLength(state.value("lengthMs").toDouble());
}

void DeskWindow::rebuildStrips()
{
    for (StripWidget* s : std::as_const(m_strips))
        s->deleteLater();
    m_strips.clear();
    const engine::Session& st = m_conn->mirror().state();
    const QJsonObject perms = m_conn->welcome().value("permissions").toObject();
    const QString role = m_conn->welcome().value("member").toObject().value("role").toString();
    const QString reason =
        perms.value("edit_strip").toBool() ? QString() : QString("the %1 role may not edit track and bus parameters").arg(role);
    auto add = [&](const QString& kind, const engine::Strip& s) {
        auto* w = new StripWidget(kind + "/" + QString::fromStdString(s.id), QString::fromStdString(s.name), m_stripHost);
        m_stripRow->insertWidget(m_stripRow->count() - 1, w);
        w->setEditable(reason);
        if (QComboBox* out = w->outputBox(); kind == "tracks" && !perms.value("edit_structure").toBool()) {
            out->setEnabled(false);
            out->setToolTip(QString("the %1 role may not change the routing").arg(role));
        }
        wireStrip(w);
        m_strips.insert(w->prefix(), w);
    };
    QStringList ids;
    for (const auto& t : st.tracks) {
        add("tracks", t);
        ids << "t:" + QString::fromStdString(t.id);
    }
    for (const auto& g : st.groups) {
        add("groups", g);
        ids << "g:" + QString::fromStdString(g.id);
    }
    for (const auto& r : st.returns) {
        add("returns", r);
        ids << "r:" + QString::fromStdString(r.id);
    }
    m_structure = ids.join(',');
    m_master->setEnabled(true);
    m_master->setMasterEditable(perms.value("edit_master").toBool() ? QString()
                                                                    : QString("the %1 role may not edit the master chain").arg(role));
    refreshStrips();
}

void DeskWindow::refreshStrips()
{
    // What the controls show: the static values, or a lane's value at the playhead (a fader with a
    // lane moves with it).
    engine::Session shown = m_conn->mirror().state();
    const int64_t at = std::llround(m_timeline->playhead() * shown.sampleRate / 1000.0);
    for (const auto& [path, lane] : shown.automation)
        if (lane.mode != engine::LaneMode::Off)
            if (const engine::ParamSpec* spec = engine::findSpec(path))
                if (engine::FieldRef ref = engine::resolveField(shown, path)) ref.setNumber(engine::laneValue(lane, *spec, at));
    const engine::Session& st = shown;
    QStringList ids;
    for (const auto& t : st.tracks)
        ids << "t:" + QString::fromStdString(t.id);
    for (const auto& g : st.groups)
        ids << "g:" + QString::fromStdString(g.id);
    for (const auto& r : st.returns)
        ids << "r:" + QString::fromStdString(r.id);
    if (ids.join(',') != m_structure) return rebuildStrips(); // tracks, groups or returns changed
    auto show = [&](const QString& kind, const engine::Strip& s) {
        if (StripWidget* w = m_strips.value(kind + "/" + QString::fromStdString(s.id))) {
            w->show(s.fader, s.pan, s.mute, s.solo);
            QStringList automated;
            for (const auto& [path, lane] : st.automation)
                if (QString p = QString::fromStdString(path); p.startsWith(w->prefix() + "/")) automated << p.mid(w->prefix().size() + 1);
            w->setAutomation(automationMode(w->prefix()), automated);
            std::vector<std::pair<QString, double>> sends;
            for (const engine::Send& snd : s.sends)
                sends.emplace_back(QString::fromStdString(snd.to), snd.level);
            w->showSends(sends);
        }
    };
    QStringList groupIds, groupNames;
    for (const auto& g : st.groups) {
        groupIds << QString::fromStdString(g.id);
        groupNames << QString::fromStdString(g.name);
    }
    for (const auto& t : st.tracks) {
        show("tracks", t);
        if (StripWidget* w = m_strips.value("tracks/" + QString::fromStdString(t.id)))
            w->setOutputs(groupIds, groupNames, QString::fromStdString(t.output));
    }
    for (const auto& g : st.groups)
        show("groups", g);
    for (const auto& r : st.returns)
        show("returns", r);
    size_t sendRows = 0;
    for (const auto& t : st.tracks)
        sendRows = std::max(sendRows, t.sends.size());
    for (const auto& g : st.groups)
        sendRows = std::max(sendRows, g.sends.size());
    for (StripWidget* w : std::as_const(m_strips))
        w->setSendRows(static_cast<int>(sendRows));
    m_master->showMaster(st.master);
    QStringList masterLanes;
    for (const auto& [path, lane] : st.automation)
        if (QString p = QString::fromStdString(path); p.startsWith("master/")) masterLanes << p.mid(7);
    m_master->setAutomation(automationMode("master"), masterLanes);
}

void DeskWindow::onPresence(const QJsonObject& presence)
{
    QStringList who;
    QHash<QString, QString> touching; // strip prefix -> who
    const QString me = m_conn->welcome().value("member").toObject().value("id").toString();
    for (const QJsonValue& v : presence.value("members").toArray()) {
        const QJsonObject m = v.toObject();
        who << QString("%1 (%2)").arg(m.value("name").toString(), m.value("role").toString());
        const QStringList parts = m.value("touching").toString().split('/');
        if (parts.size() >= 2 && m.value("id").toString() != me) touching.insert(parts[0] + "/" + parts[1], m.value("name").toString());
    }
    m_presence->setText("Here: " + who.join(", "));
    for (auto it = m_strips.begin(); it != m_strips.end(); ++it)
        it.value()->setTouchedBy(touching.value(it.key()));
    QString master;
    for (auto it = touching.constBegin(); it != touching.constEnd(); ++it)
        if (it.key().startsWith("master/")) master = it.value();
    m_master->setTouchedBy(master);
}

EqEditor* DeskWindow::openEq(const QString& prefix)
{
    QPointer<EqEditor>& editor = m_eqEditors[prefix];
    if (!editor) {
        const bool editable =
            m_conn->welcome().value("permissions").toObject().value(prefix == "master" ? "edit_master" : "edit_strip").toBool();
        editor = new EqEditor(m_conn.get(), prefix, editable, this);
        editor->setAttribute(Qt::WA_DeleteOnClose);
    }
    editor->show();
    editor->raise();
    return editor;
}

CompressorEditor* DeskWindow::openCompressor(const QString& prefix)
{
    QPointer<CompressorEditor>& editor = m_compEditors[prefix];
    if (!editor) {
        const bool editable =
            m_conn->welcome().value("permissions").toObject().value(prefix == "master" ? "edit_master" : "edit_strip").toBool();
        editor = new CompressorEditor(m_conn.get(), prefix, editable, this);
        editor->setAttribute(Qt::WA_DeleteOnClose);
    }
    editor->show();
    editor->raise();
    return editor;
}

void DeskWindow::queueEdit(const QString& path, const QJsonValue& value)
{
    m_pending.insert(path, value);
    if (!m_flush.isActive()) m_flush.start();
}

void DeskWindow::flushEdits()
{
    for (auto it = m_passValues.begin(); it != m_passValues.end(); ++it)
        if (m_passes.contains(it.key()))
            m_conn->request(Kind::AutoValue, {{"path", it.key()}, {"value", it.value()}, {"at", m_timeline->playhead()}});
    m_passValues.clear();
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it)
        m_conn->request(Kind::Set, {{"path", it.key()}, {"value", it.value()}});
    m_pending.clear();
}

} // namespace mixroom::desk
