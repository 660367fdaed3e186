// SPDX-License-Identifier: MIT
// mixroom-desk's widgets against a real server on loopback (offscreen platform): a fader moved in
// the desk changes the server and another client; another client's edit moves the desk's fader;
// controls a role may not use are disabled with the reason; presence highlights a touched strip;
// a wrong token is explained. Also writes the screenshot under $MIXROOM_SCREENSHOT_DIR.
#include "ServerFixture.h"
#include "client/desk/CompressorEditor.h"
#include "client/desk/DeskWindow.h"
#include "client/desk/EffectEditor.h"
#include "client/desk/EqEditor.h"
#include "client/desk/MasterStrip.h"
#include "server/DemoSetup.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QCursor>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMouseEvent>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QToolButton>

using namespace mixroom;
using namespace mixroom::test;
using protocol::Kind;

class TestDesk : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings of the desk go to a test location
    }

    void faderEditReachesServerAndOthers()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.show();
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        auto other = f.connect("artist");
        QVERIFY(other);
        desk::StripWidget* bass = w.strip("tracks/bass");
        // Type a value, as a person would.
        bass->dbEdit()->setFocus();
        bass->dbEdit()->selectAll();
        QTest::keyClicks(bass->dbEdit(), "-6.5");
        QTest::keyClick(bass->dbEdit(), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].fader, -6.5, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(other->mirror().state().tracks[0].fader, -6.5, 5000);
        // Double-click the fader: back to 0 dB.
        QTest::mouseDClick(bass->fader(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].fader, 0.0, 5000);
        // Mute button.
        QTest::mouseClick(bass->muteButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(other->mirror().state().tracks[0].mute, 5000);
    }

    void othersEditsMoveTheControls()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/vox") != nullptr, 10000);
        auto mix = f.connect("mix");
        mix->request(Kind::Set, {{"path", "tracks/vox/fader"}, {"value", -12.0}});
        mix->request(Kind::Set, {{"path", "tracks/vox/pan"}, {"value", -0.5}});
        QTRY_COMPARE_WITH_TIMEOUT(w.strip("tracks/vox")->fader()->db(), -12.0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(w.strip("tracks/vox")->pan()->value(), -50, 5000);
        QCOMPARE(w.strip("tracks/vox")->dbEdit()->text(), QString("-12.0"));
        // Structure follows too: a new group gets its strip.
        mix->request(Kind::AddGroup, {{"id", "band"}, {"name", "Band"}});
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("groups/band") != nullptr, 5000);
        // Presence: the mix engineer touching the vocal fader highlights that strip.
        mix->request(Kind::Touch, {{"path", "tracks/vox/fader"}});
        QTRY_VERIFY_WITH_TIMEOUT(!w.strip("tracks/vox")->property("touchedBy").toString().isEmpty(), 5000);
        QVERIFY(w.presenceText().contains("(mix)"));
    }

    void forbiddenControlsAreDisabledWithTheReason()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        desk::StripWidget* s = w.strip("tracks/bass");
        QVERIFY(!s->fader()->isEnabled());
        QVERIFY(!s->muteButton()->isEnabled());
        QVERIFY(s->fader()->toolTip().contains("the client role may not edit"));
        QVERIFY(w.statusText().contains("client"));
    }

    void wrongTokenIsExplained()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo("mixroom login " + f.url().toString() + " --token mxr_wrong", ""); // an invite line pasted whole
        QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains("token is wrong"), 10000);
    }

    void approvingUpdatesStatusEverywhere()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow mixDesk, artistDesk, labelDesk;
        mixDesk.connectTo(f.url().toString(), f.tokens["mix"]);
        artistDesk.connectTo(f.url().toString(), f.tokens["artist"]);
        labelDesk.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(mixDesk.strip("tracks/bass") && artistDesk.strip("tracks/bass") && labelDesk.strip("tracks/bass"), 10000);
        mixDesk.versions()->save("v1", "first pass");
        QTRY_COMPARE_WITH_TIMEOUT(labelDesk.versions()->statusOf("v1"), QString("pending"), 5000);
        auto approve = [](desk::DeskWindow& d) {
            d.versions()->list()->setCurrentItem(d.versions()->list()->topLevelItem(0));
            d.versions()->approveSelected(true);
        };
        approve(artistDesk);
        QTRY_VERIFY_WITH_TIMEOUT(mixDesk.versions()->list()->topLevelItem(0)->text(2) == "client", 5000); // still waiting for the label
        approve(labelDesk);
        for (desk::DeskWindow* d : {&mixDesk, &artistDesk, &labelDesk})
            QTRY_COMPARE_WITH_TIMEOUT(d->versions()->statusOf("v1"), QString("approved"), 5000);
        // A readable diff against the live mix.
        auto mix = f.connect("artist");
        mix->request(Kind::Set, {{"path", "tracks/bass/fader"}, {"value", -3.0}});
        QTRY_COMPARE_WITH_TIMEOUT(mixDesk.strip("tracks/bass")->fader()->db(), -3.0, 5000);
        mixDesk.versions()->list()->setCurrentItem(mixDesk.versions()->list()->topLevelItem(0));
        mixDesk.versions()->diffSelected();
        QTRY_VERIFY_WITH_TIMEOUT(mixDesk.versions()->diffText().contains("tracks/bass/fader: 0 → -3"), 5000);
        // The client role may not save versions: the button says why.
        int saveButtons = 0;
        for (QPushButton* b : labelDesk.versions()->findChildren<QPushButton*>())
            if (b->text() == "Save…") {
                ++saveButtons;
                QVERIFY(!b->isEnabled());
                QVERIFY(b->toolTip().contains("the client role may not save"));
            }
        QCOMPARE(saveButtons, 1);
    }

    void noteAtPlayheadShowsEverywhere()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow a, b;
        a.connectTo(f.url().toString(), f.tokens["artist"]);
        b.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(a.strip("tracks/bass") && b.strip("tracks/bass"), 10000);
        a.timeline()->setPlayhead(500);
        a.timeline()->addNote("vocal too quiet here");
        QTRY_COMPARE_WITH_TIMEOUT(b.timeline()->markerCount(), 1, 5000);
        QCOMPARE(b.timeline()->notes().first().value("at").toDouble(), 500.0);
        // Clicking the marker (here: selecting it) jumps there and opens the thread; replies appear live.
        const QString id = b.timeline()->notes().first().value("id").toString();
        b.timeline()->selectNote(id);
        QVERIFY(b.timeline()->threadText().contains("vocal too quiet here"));
        auto mix = f.connect("mix");
        mix->request(Kind::AddNote, {{"parent", id}, {"text", "raised 2 dB"}});
        QTRY_VERIFY_WITH_TIMEOUT(b.timeline()->threadText().contains("raised 2 dB"), 5000);
        // Replying from the desk reaches the author's thread.
        b.timeline()->replyToSelected("much better");
        a.timeline()->selectNote(id);
        QTRY_VERIFY_WITH_TIMEOUT(a.timeline()->threadText().contains("much better"), 5000);
        // Only the author (or the owner) may resolve: the client is told why.
        QCOMPARE(b.timeline()->resolveButton()->text(), QString("Resolve"));
        b.timeline()->toggleResolved();
        QTRY_VERIFY_WITH_TIMEOUT(b.timeline()->threadText().contains("only the note's author or the session owner"), 5000);
        a.timeline()->toggleResolved();
        QTRY_VERIFY_WITH_TIMEOUT(b.timeline()->threadText().contains("[resolved]"), 5000);
        QCOMPARE(b.timeline()->resolveButton()->text(), QString("Reopen"));
        // The filter shows open or resolved notes only.
        b.timeline()->filter()->setCurrentIndex(1); // open
        QTRY_COMPARE_WITH_TIMEOUT(b.timeline()->markerCount(), 0, 5000);
        b.timeline()->filter()->setCurrentIndex(2); // resolved
        QTRY_COMPARE_WITH_TIMEOUT(b.timeline()->markerCount(), 1, 5000);
    }

    void listeningMovesMetersAndMasterReadout()
    {
        ServerFixture f;
        f.stemSeconds = 6;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        // A client listens on its own transport by default; following the room, it may not drive
        // the room's transport, and its Play says why.
        QComboBox* mode = nullptr;
        for (QComboBox* c : w.transport()->findChildren<QComboBox*>())
            if (c->findText("Own transport") >= 0) mode = c;
        QVERIFY(mode);
        QCOMPARE(mode->currentText(), QString("Own transport"));
        mode->setCurrentIndex(0);
        for (QPushButton* b : w.transport()->findChildren<QPushButton*>())
            if (b->text() == "Play") {
                QVERIFY(!b->isEnabled());
                QVERIFY(b->toolTip().contains("may not drive the room's transport"));
            }
        w.transport()->startListening(true); // no sound card here: meters only
        auto mix = f.connect("mix");
        mix->request(Kind::Transport, {{"target", "follow"}, {"action", "play"}});
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass")->meterValue() > -300, 10000); // above -30 dBFS
        // Stereo meters: the mono bass panned hard left (constant-power law: nothing on the right).
        mix->request(Kind::Set, {{"path", "tracks/bass/pan"}, {"value", -1.0}});
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass")->meter()->peakDb(0) > -30 && w.strip("tracks/bass")->meter()->peakDb(1) < -90,
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(w.master()->loudnessText().contains("LUFS"), 5000);
        QVERIFY(w.master()->loudnessText().contains("dBTP"));
        // Integrated loudness appears once the first gated 400 ms block is in.
        QTRY_VERIFY_WITH_TIMEOUT(QRegularExpression("I -\\d+\\.\\d LUFS").match(w.master()->loudnessText()).hasMatch(), 5000);
        QCOMPARE(w.master()->target()->count(), 2); // streaming -14 and broadcast -23
        // Seeking from the desk moves the transport it listens to (the client's own transport is allowed).
        w.transport()->stopListening();
        w.transport()->startListening(false);
        w.transport()->seek(2500);
        QTRY_COMPARE_WITH_TIMEOUT(w.timeline()->playhead(), 2500.0, 5000); // the server's transport_state came back
        w.transport()->stopListening();
        QVERIFY(!w.transport()->listening());
    }

    void eqEditorEditsAndDrawsTheEnginesCurve()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        QTest::mouseClick(w.strip("tracks/bass")->eqButton(), Qt::LeftButton);
        desk::EqEditor* eq = w.openEq("tracks/bass");
        QVERIFY(eq && eq->gainBox(1));
        eq->gainBox(1)->setValue(6.0); // band 1: a peak at 1 kHz
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].eq[0].gain, 6.0, 5000);
        // The curve is the engine's response: +6 dB at the centre, flat far away.
        QTRY_VERIFY_WITH_TIMEOUT(std::abs(eq->curve()->responseDb(1000) - 6.0) < 1e-6, 5000);
        QVERIFY(std::abs(eq->curve()->responseDb(20)) < 0.1);
        // Another member's edit shows up in the open editor.
        auto mix = f.connect("mix");
        mix->request(Kind::Set, {{"path", "tracks/bass/eq/1/gain"}, {"value", -3.0}});
        QTRY_COMPARE_WITH_TIMEOUT(eq->gainBox(1)->value(), -3.0, 5000);
    }

    void sendLevelsEditAndFollow()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w, viewer;
        w.connectTo(f.url().toString(), f.tokens["artist"]);
        viewer.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && viewer.strip("tracks/bass"), 10000);
        QDoubleSpinBox* send = w.strip("tracks/bass")->sendBox("verb");
        QVERIFY(send);
        QVERIFY(send->isEnabled());
        send->setValue(-6.0);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].sends[0].level, -6.0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(viewer.strip("tracks/bass")->sendBox("verb")->value(), -6.0, 5000);
        // The client role sees the level but may not change it, and is told why.
        QVERIFY(!viewer.strip("tracks/bass")->sendBox("verb")->isEnabled());
        QVERIFY(viewer.strip("tracks/bass")->sendBox("verb")->toolTip().contains("may not edit"));
        auto mix = f.connect("mix");
        mix->request(Kind::Set, {{"path", "tracks/bass/sends/verb/level"}, {"value", -10.0}});
        QTRY_COMPARE_WITH_TIMEOUT(send->value(), -10.0, 5000);
        QVERIFY(w.strip("tracks/vox")->sendBox("verb") == nullptr); // only the sends a strip has
    }

    void compressorEditorEditsAndShowsGainReduction()
    {
        ServerFixture f;
        f.stemSeconds = 6;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        QTest::mouseClick(w.strip("tracks/bass")->compButton(), Qt::LeftButton);
        desk::CompressorEditor* c = w.openCompressor("tracks/bass");
        QVERIFY(c && c->box("threshold"));
        QCOMPARE(c->box("threshold")->minimum(), -60.0); // ranges come from the engine's table
        c->box("threshold")->setValue(-50.0);
        c->box("ratio")->setValue(20.0);
        c->enabledBox()->setChecked(true);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].comp.threshold, -50.0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].comp.enabled, 5000);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[0].comp.ratio, 20.0);
        // Another member's edit shows up in the open editor.
        auto other = f.connect("artist");
        other->request(Kind::Set, {{"path", "tracks/bass/comp/attack"}, {"value", 5.0}});
        QTRY_COMPARE_WITH_TIMEOUT(c->box("attack")->value(), 5.0, 5000);
        // While listening, the meter shows the compressor working on the bass.
        QCOMPARE(c->reductionValue(), 0);
        w.transport()->startListening(true);
        other->request(Kind::Transport, {{"target", "follow"}, {"action", "play"}});
        QTRY_VERIFY_WITH_TIMEOUT(c->reductionValue() > 0, 10000);
        w.transport()->stopListening();
    }

    // Automation on the desk: lanes under the timeline (the chooser names parameters by strip),
    // points added by clicking, moved by dragging and deleted with the right button; a strip shows
    // it is automated and its fader follows the lane at the playhead; a touch pass from the fader
    // while the transport plays is recorded by the server.
    void automationLanesAndPasses()
    {
        ServerFixture f;
        f.stemSeconds = 20;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.resize(1200, 900);
        w.show();
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        desk::AutomationPanel* panel = w.automation();
        QTRY_VERIFY_WITH_TIMEOUT(panel->chooser()->findText("Bass: fader") >= 0, 5000);
        QVERIFY(panel->chooser()->findData("tracks/bass/stem") < 0); // not automatable
        panel->showLane("tracks/bass/fader");
        desk::LaneView* lane = panel->lane("tracks/bass/fader");
        QVERIFY(lane);
        QTRY_VERIFY_WITH_TIMEOUT(lane->width() > 200 && lane->pointAt(20000, 0).x() > lane->pointAt(0, 0).x(), 5000);
        auto mouse = [&](QEvent::Type type, QPoint at, Qt::MouseButton button, Qt::MouseButtons buttons) {
            QMouseEvent e(type, QPointF(at), lane->mapToGlobal(QPointF(at)), button, buttons, Qt::NoModifier);
            QApplication::sendEvent(lane, &e);
        };
        auto click = [&](QPoint at, Qt::MouseButton button) {
            mouse(QEvent::MouseButtonPress, at, button, button);
            mouse(QEvent::MouseButtonRelease, at, button, Qt::NoButton);
        };
        auto serverLane = [&]() {
            const auto& lanes = f.srv->room(f.sessionId)->state().automation;
            const auto it = lanes.find("tracks/bass/fader");
            return it == lanes.end() ? engine::Lane{} : it->second;
        };
        const double msPerPixel = 20000.0 / (lane->width() - 8);
        click(lane->pointAt(2000, -20), Qt::LeftButton);
        click(lane->pointAt(10000, 0), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(serverLane().points.size(), size_t(2), 5000);
        QVERIFY(std::abs(serverLane().points[0].time / 48.0 - 2000) <= msPerPixel);
        QVERIFY(std::abs(serverLane().points[0].value + 20) <= 2); // within a pixel of the fader's travel
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass")->automated().contains("fader"), 5000);
        QVERIFY(w.strip("tracks/bass")->automationButton()->toolTip().contains("automated: fader"));
        QVERIFY(!w.strip("tracks/vox")->property("automated").toBool());
        // Drag the second point to 15 s; delete the first with the right button.
        mouse(QEvent::MouseButtonPress, lane->pointAt(10000, 0), Qt::LeftButton, Qt::LeftButton);
        mouse(QEvent::MouseMove, lane->pointAt(12000, -5), Qt::NoButton, Qt::LeftButton);
        mouse(QEvent::MouseMove, lane->pointAt(15000, -10), Qt::NoButton, Qt::LeftButton);
        mouse(QEvent::MouseButtonRelease, lane->pointAt(15000, -10), Qt::LeftButton, Qt::NoButton);
        QTRY_VERIFY_WITH_TIMEOUT(serverLane().points.size() == 2 && std::abs(serverLane().points[1].time / 48.0 - 15000) <= msPerPixel,
                                 5000);
        click(lane->pointAt(serverLane().points[0].time / 48.0, serverLane().points[0].value), Qt::RightButton);
        QTRY_COMPARE_WITH_TIMEOUT(serverLane().points.size(), size_t(1), 5000);

        // Another member's lane: the fader follows it at the playhead (-30 dB at 0 s to 0 dB at 20 s).
        auto other = f.connect("mix");
        QVERIFY(other);
        QCOMPARE(
            call(*other, Kind::SetLane, {{"path", "tracks/bass/fader"}, {"points", QJsonArray{QJsonArray{0, -30}, QJsonArray{960000, 0}}}})
                .value("type")
                .toString(),
            QString("ack"));
        w.timeline()->setPlayhead(10000);
        QTRY_VERIFY_WITH_TIMEOUT(std::abs(w.strip("tracks/bass")->fader()->db() + 15) < 0.2, 5000);
        w.timeline()->setPlayhead(15000);
        QTRY_VERIFY_WITH_TIMEOUT(std::abs(w.strip("tracks/bass")->fader()->db() + 7.5) < 0.2, 5000);

        // A touch pass from the vocal's fader while the own transport plays.
        desk::StripWidget* vox = w.strip("tracks/vox");
        QAction* touch = nullptr;
        for (QAction* a : vox->automationButton()->menu()->actions())
            if (a->text() == "touch") touch = a;
        QVERIFY(touch);
        touch->trigger();
        QCOMPARE(vox->automationMode(), QString("touch"));
        w.transport()->startListening(false);
        w.transport()->seek(1000);
        w.transport()->play();
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->playing(), 5000);
        emit vox->touch("tracks/vox/fader"); // the fader is grabbed ...
        QTRY_VERIFY_WITH_TIMEOUT(w.passes().contains("tracks/vox/fader"), 5000);
        emit vox->edit("tracks/vox/fader", -12.0); // ... moved, held there while the song plays on ...
        const double movedAt = w.timeline()->playhead();
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->playhead() > movedAt + 300, 5000);
        emit vox->edit("tracks/vox/fader", -18.0);
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->playhead() > movedAt + 600, 5000);
        emit vox->touch(QString()); // ... and let go
        QTRY_VERIFY_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().automation.count("tracks/vox/fader"), 5000);
        const engine::Lane recorded = f.srv->room(f.sessionId)->state().automation.at("tracks/vox/fader");
        QVERIFY(recorded.mode == engine::LaneMode::Touch);
        bool sawMinus12 = false, sawMinus18 = false;
        for (const auto& p : recorded.points) {
            sawMinus12 = sawMinus12 || p.value == -12.0;
            sawMinus18 = sawMinus18 || p.value == -18.0;
        }
        QVERIFY2(sawMinus12 && sawMinus18, qPrintable(QString::number(recorded.points.size())));
        QVERIFY(w.passes().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(vox->automated().contains("fader"), 5000);
        w.transport()->pause();
        w.transport()->stopListening();
    }

    void timelineWaveformRangesLoopAndRunningPlayhead()
    {
        ServerFixture f;
        f.stemSeconds = 4;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.resize(1200, 600);
        w.show();
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        desk::Timeline* t = w.timeline();
        // The server's overview of the live mix arrives and is loud where the stems play.
        QTRY_COMPARE_WITH_TIMEOUT(t->overviewBins(), 2000, 10000);
        QVERIFY(t->overviewPeak(1000) > 0.2);
        // Muting everything: once the edits settle the overview is fetched again and is silent.
        auto mix = f.connect("mix");
        mix->request(Kind::Set, {{"path", "tracks/bass/mute"}, {"value", true}});
        mix->request(Kind::Set, {{"path", "tracks/vox/mute"}, {"value", true}});
        QTRY_VERIFY_WITH_TIMEOUT(t->overviewPeak(1000) < 0.01, 10000);

        // Drag across the bar: a range is selected; "Add note" pins the note to it.
        auto* bar = t->findChild<desk::TimelineBar*>();
        QVERIFY(bar);
        const int y = bar->height() / 2;
        auto send = [&](QEvent::Type type, int x, Qt::MouseButton button, Qt::MouseButtons buttons) {
            QMouseEvent e(type, QPointF(x, y), bar->mapToGlobal(QPointF(x, y)), button, buttons, Qt::NoModifier);
            QApplication::sendEvent(bar, &e);
        };
        const int x0 = bar->width() / 4, x1 = bar->width() / 2;
        send(QEvent::MouseButtonPress, x0, Qt::LeftButton, Qt::LeftButton);
        send(QEvent::MouseMove, (x0 + x1) / 2, Qt::NoButton, Qt::LeftButton);
        send(QEvent::MouseMove, x1, Qt::NoButton, Qt::LeftButton);
        send(QEvent::MouseButtonRelease, x1, Qt::LeftButton, Qt::NoButton);
        QVERIFY(t->selectionFrom() > 0 && t->selectionTo() > t->selectionFrom());
        QVERIFY(t->addButton()->text().startsWith("Add note on "));
        const double from = t->selectionFrom(), to = t->selectionTo();
        t->addNote("this whole section drags");
        QTRY_VERIFY_WITH_TIMEOUT(!mix->mirror().state().tracks.empty() && t->markerCount() == 1, 5000);
        QCOMPARE(t->notes().first().value("at").toDouble(), from);
        QCOMPARE(t->notes().first().value("to").toDouble(), to);

        // Loop the selection on the own transport: the loop comes back from the server.
        w.transport()->startListening(false);
        QVERIFY(t->loopButton()->isEnabled());
        QTest::mouseClick(t->loopButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(t->loopButton()->text(), QString("Stop loop"), 5000);
        // Playing: the playhead runs by itself between transport messages.
        w.transport()->seek(100);
        QTRY_COMPARE_WITH_TIMEOUT(t->playhead(), 100.0, 5000);
        w.transport()->play();
        QTRY_VERIFY_WITH_TIMEOUT(t->playing(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(t->playhead() > 400, 5000);
        QTest::mouseClick(t->loopButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(t->loopButton()->text(), QString("Loop selection"), 5000);
        w.transport()->pause();
        QTRY_VERIFY_WITH_TIMEOUT(!t->playing(), 5000);
        w.transport()->stopListening();
    }

    void abSwitchesTheOwnStreamToAVersion()
    {
        ServerFixture f;
        f.stemSeconds = 4;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "v1"}}).value("type").toString(), QString("version"));
        desk::DeskWindow w;
        w.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(w.transport()->abChoice()->count(), 2, 5000); // live and v1
        // Not while following the room: A/B is a private switch.
        w.transport()->startListening(true);
        QVERIFY(!w.transport()->abChoice()->isEnabled());
        QVERIFY(w.transport()->abChoice()->toolTip().contains("choose Own transport"));
        w.transport()->startListening(false);
        QVERIFY(w.transport()->abChoice()->isEnabled());
        w.transport()->abChoice()->setCurrentIndex(1);
        emit w.transport()->abChoice()->activated(1);
        QTRY_COMPARE_WITH_TIMEOUT(w.transport()->source(), QString("v1"), 5000);
        w.transport()->abSwitch("live", false);
        QTRY_COMPARE_WITH_TIMEOUT(w.transport()->source(), QString("live"), 5000);
        QCOMPARE(w.transport()->abChoice()->currentIndex(), 0);
        w.transport()->stopListening();
    }

    void masterSectionEditsTheChainAndShowsLoudness()
    {
        ServerFixture f;
        f.stemSeconds = 6;
        QVERIFY(f.start());
        desk::DeskWindow w, artist;
        w.connectTo(f.url().toString(), f.tokens["mastering"]);
        artist.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && artist.strip("tracks/bass"), 10000);
        desk::MasterStrip* m = w.master();
        QVERIFY(m->ceiling()->isEnabled());
        // The mastering engineer sets the ceiling, width and master fader; the artist's desk follows.
        m->ceiling()->setValue(-2.0);
        m->width()->setValue(120);
        m->dbEdit()->setFocus();
        m->dbEdit()->selectAll();
        QTest::keyClicks(m->dbEdit(), "-1.5");
        QTest::keyClick(m->dbEdit(), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().master.limiter.ceiling, -2.0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().master.width, 120.0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().master.fader, -1.5, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(artist.master()->ceiling()->value(), -2.0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(artist.master()->fader()->db(), -1.5, 5000);
        // The artist may not touch the master chain, and is told why.
        QVERIFY(!artist.master()->ceiling()->isEnabled());
        QVERIFY(artist.master()->ceiling()->toolTip().contains("the artist role may not edit the master chain"));
        QVERIFY(!artist.master()->fader()->isEnabled());
        // Listening fills the readout; a hot master makes the limiter work.
        auto mix = f.connect("mix");
        call(*mix, Kind::Set, {{"path", "tracks/bass/fader"}, {"value", 12.0}});
        call(*mix, Kind::Set, {{"path", "tracks/vox/fader"}, {"value", 12.0}});
        w.transport()->startListening(false);
        w.transport()->play();
        QTRY_VERIFY_WITH_TIMEOUT(m->limiterReductionTenths() > 10, 10000); // more than 1 dB
        QTRY_VERIFY_WITH_TIMEOUT(QRegularExpression("S -?\\d+\\.\\d").match(m->loudnessText()).hasMatch(), 10000);
        QVERIFY(m->loudnessText().contains("TP -"));
        w.transport()->stopListening();
    }

    void eqBandsAreAddedAndRemoved()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w, artist;
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        artist.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && artist.strip("tracks/bass"), 10000);
        desk::EqEditor* eq = w.openEq("tracks/bass");
        QVERIFY(eq->addButton()->isEnabled());
        const size_t before = f.srv->room(f.sessionId)->state().tracks[0].eq.size();
        eq->addBand("hp24");
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].eq.size(), before + 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(eq->gainBox(static_cast<int>(before + 1)) != nullptr, 5000);
        // The high-pass shows in the curve: deep cut at 20 Hz.
        QTRY_VERIFY_WITH_TIMEOUT(eq->curve()->responseDb(20) < -20, 5000);
        auto* remove = eq->findChild<QPushButton*>("remove1");
        QVERIFY(remove && remove->isEnabled());
        QCursor::setPos(remove->mapToGlobal(remove->rect().center())); // the pointer is on the button it clicks
        QTest::mouseClick(remove, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].eq.size(), before, 5000);
        QVERIFY(f.srv->room(f.sessionId)->state().tracks[0].eq.back().type == engine::EqType::HighPass24);
        QTRY_COMPARE_WITH_TIMEOUT(w.connection()->mirror().state().tracks[0].eq.size(), before, 5000); // the echo is in
        // The rows hold still under the pointer (the removed one marked) until it leaves the editor.
        QVERIFY(eq->compactPending());
        QCOMPARE(eq->findChild<QPushButton*>("remove1")->text(), QString("removed"));
        QVERIFY(eq->findChild<QPushButton*>(QString("remove%1").arg(before + 1)) != nullptr);
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(eq, &leave);
        QVERIFY(!eq->compactPending());
        QTRY_VERIFY_WITH_TIMEOUT(eq->findChild<QPushButton*>(QString("remove%1").arg(before + 1)) == nullptr, 5000);
        QCOMPARE(eq->findChild<QPushButton*>("remove1")->text(), QString("Remove"));
        // Enter in a field commits the field and never adds a band.
        QDoubleSpinBox* gain = eq->gainBox(1);
        gain->setFocus();
        gain->selectAll();
        QTest::keyClicks(gain, "3.5");
        QTest::keyClick(gain, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().tracks[0].eq[0].gain, 3.5, 5000);
        QCOMPARE(f.srv->room(f.sessionId)->state().tracks[0].eq.size(), before);
        // The artist edits band values but not the structure: told why.
        desk::EqEditor* a = artist.openEq("tracks/bass");
        QVERIFY(!a->addButton()->isEnabled());
        QVERIFY(a->addButton()->toolTip().contains("the artist role may not add or remove EQ bands"));
        QVERIFY(a->gainBox(1)->isEnabled());
    }

    void masteringPullsTheApprovedMixWithProgress()
    {
        ServerFixture f;
        f.stemSeconds = 3;
        QVERIFY(f.start());
        auto mix = f.connect("mix");
        QCOMPARE(call(*mix, Kind::SaveVersion, {{"name", "v1"}}).value("type").toString(), QString("version"));
        desk::DeskWindow w, client;
        w.connectTo(f.url().toString(), f.tokens["mastering"]);
        client.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && client.strip("tracks/bass"), 10000);
        QVERIFY(!client.versions()->pullButton()->isEnabled());
        QVERIFY(client.versions()->pullButton()->toolTip().contains("the client role may not pull"));
        QVERIFY(w.versions()->pullButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(w.versions()->list()->topLevelItemCount() == 1, 5000);
        w.versions()->list()->setCurrentItem(w.versions()->list()->topLevelItem(0));
        const QString out = f.dir.path() + "/v1.wav";
        // Not approved yet: the refusal is shown, nothing is written.
        w.versions()->pullSelected(out);
        QTRY_VERIFY_WITH_TIMEOUT(w.versions()->pullText().startsWith("pull failed"), 10000);
        QVERIFY(w.versions()->pullText().contains("approved"));
        QVERIFY(!QFile::exists(out));
        for (const QString role : {"artist", "client"}) {
            auto m = f.connect(role);
            QCOMPARE(call(*m, Kind::Approve, {{"version", "v1"}, {"approved", true}}).value("type").toString(), QString("approval"));
        }
        QTRY_COMPARE_WITH_TIMEOUT(w.versions()->statusOf("v1"), QString("approved"), 5000);
        QSignalSpy pulled(w.versions(), &desk::VersionsPanel::pulled);
        w.versions()->pullSelected(out);
        QVERIFY(!w.versions()->pullProgress()->isHidden());
        QVERIFY(pulled.wait(20000));
        QCOMPARE(w.versions()->pullProgress()->value(), 1000);
        QVERIFY(w.versions()->pullText().contains("verified"));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex()),
                 pulled.first().at(1).toString());
        QVERIFY(!QFile::exists(out + ".part"));
    }

    // The strips read like a console's: dB numbers beside every fader at the same heights across
    // strips whatever their sends, a meter with peak hold and a latching clip lamp, the pan value,
    // and a routing selector that moves the track on the server.
    void mixerStripsShowScalesMetersAndRouting()
    {
        ServerFixture f;
        f.document = [](const std::string& stem) {
            engine::Session s;
            for (const char* id : {"bass", "vox"}) {
                engine::Track t;
                t.id = t.name = id;
                t.stem = stem;
                s.tracks.push_back(t);
            }
            engine::Group g;
            g.id = "rhythm";
            g.name = "Rhythm";
            s.groups.push_back(g);
            engine::Return r;
            r.id = r.name = "verb";
            s.returns.push_back(r);
            s.tracks[0].sends = {engine::Send{"verb"}};
            return s;
        };
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.resize(1366, 740);
        w.show();
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && w.strip("returns/verb"), 10000);
        desk::StripWidget *bass = w.strip("tracks/bass"), *verb = w.strip("returns/verb");
        QTRY_VERIFY(bass->isVisible() && verb->isVisible());
        // 0 dB sits at the same height on a track with a send and on a return without one.
        auto globalY = [](desk::StripWidget* s, double db) { return s->scale()->mapToGlobal(QPoint(0, s->scale()->yOf(db))).y(); };
        QCOMPARE(globalY(bass, 0.0), globalY(verb, 0.0));
        QVERIFY(globalY(bass, 0.0) < globalY(bass, -12.0));
        // The scale's 0 dB is where the fader's handle is at 0 dB.
        bass->fader()->setDb(0.0);
        QStyleOptionSlider opt;
        opt.initFrom(bass->fader());
        opt.orientation = Qt::Vertical;
        opt.minimum = bass->fader()->minimum();
        opt.maximum = bass->fader()->maximum();
        opt.sliderPosition = opt.sliderValue = bass->fader()->value();
        opt.upsideDown = true;
        const QRect handle = bass->fader()->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, bass->fader());
        QVERIFY(std::abs(bass->fader()->mapToGlobal(handle.center()).y() - globalY(bass, 0.0)) <= 1);
        // Meter: peak hold and a clip lamp that latches until clicked.
        bass->setMeter(-6, -9, -12);
        QCOMPARE(bass->meter()->holdDb(0), -6.0);
        QCOMPARE(bass->meter()->holdDb(1), -9.0);
        bass->setMeter(-20, -22, -25);
        QCOMPARE(bass->meter()->holdDb(0), -6.0); // held, per channel
        QCOMPARE(bass->meter()->holdDb(1), -9.0);
        QVERIFY(!bass->meter()->clipped());
        bass->setMeter(-4, 0.3, -3);
        bass->setMeter(-30, -30, -40);
        QVERIFY(bass->meter()->clipped(1) && !bass->meter()->clipped(0)); // the right channel clipped
        QTest::mouseClick(bass->meter(), Qt::LeftButton);
        QVERIFY(!bass->meter()->clipped());
        // Pan value.
        auto artist = f.connect("artist");
        artist->request(Kind::Set, {{"path", "tracks/bass/pan"}, {"value", -0.35}});
        QTRY_COMPARE_WITH_TIMEOUT(bass->panLabel()->text(), QString("L35"), 5000);
        // Routing: the selector lists master and the groups, and moves the track.
        QComboBox* out = bass->outputBox();
        QVERIFY(out && out->isEnabled());
        QCOMPARE(out->count(), 2);
        QCOMPARE(out->currentData().toString(), QString("master"));
        out->setCurrentIndex(1);
        emit out->activated(1);
        QTRY_COMPARE_WITH_TIMEOUT(f.srv->room(f.sessionId)->state().track("bass")->output, std::string("rhythm"), 5000);
        QVERIFY(!verb->outputBox()->isEnabled()); // returns play into the master
        QCOMPARE(verb->outputBox()->currentData().toString(), QString("master"));
    }

    // The owner builds structure from the desk: groups, returns, sends from a strip's menu, the
    // return's effect editor (fields of the current type, from the parameter table); others see why not.
    void structureFromTheDesk()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow w, artist;
        w.connectTo(f.url().toString(), f.tokens["mix"]);
        artist.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") && artist.strip("tracks/bass"), 10000);
        auto server = [&] { return f.srv->room(f.sessionId)->state(); };
        w.addGroup("Synths");
        w.addReturn("Hall", "reverb");
        QTRY_VERIFY_WITH_TIMEOUT(server().group("synths") && server().aux("hall"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("returns/hall") != nullptr, 5000);
        // The bass strip's menu offers a send to Hall (bass already sends to verb).
        auto actionIn = [](QMenu* m, const QString& path) -> QAction* {
            QMenu* menu = m;
            QAction* found = nullptr;
            for (const QString& part : path.split('>')) {
                found = nullptr;
                for (QAction* a : menu->actions())
                    if (a->text() == part) found = a;
                if (!found) return nullptr;
                if (found->menu()) menu = found->menu();
            }
            return found;
        };
        QMenu* menu = w.strip("tracks/bass")->moreButton()->menu();
        emit menu->aboutToShow();
        QAction* send = actionIn(menu, "Add send to>Hall");
        QVERIFY(send && send->isEnabled());
        QVERIFY(!actionIn(menu, "Add send to>verb")); // already there: offered for removal instead
        QVERIFY(actionIn(menu, "Remove send to>verb"));
        send->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(server().track("bass")->sends.size() == 2, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->sends[1].level, -12.0, 5000);
        // The return's effect editor: reverb fields only, edits reach the server, the type switches the fields.
        desk::EffectEditor* fx = w.openEffect("returns/hall");
        QVERIFY(fx->shows("decay") && !fx->shows("feedback"));
        auto* decay = qobject_cast<QDoubleSpinBox*>(fx->control("decay"));
        QVERIFY(decay && decay->isEnabled());
        decay->setValue(3.4);
        QTRY_COMPARE_WITH_TIMEOUT(server().aux("hall")->reverb.decay, 3.4, 5000);
        auto mix = f.connect("mix");
        mix->request(Kind::Set, {{"path", "returns/hall/effect/type"}, {"value", "delay"}});
        QTRY_VERIFY_WITH_TIMEOUT(fx->shows("feedback") && !fx->shows("decay"), 5000);
        // The artist may edit effect settings but not the structure: told why.
        QMenu* artistMenu = artist.strip("tracks/bass")->moreButton()->menu();
        emit artistMenu->aboutToShow();
        QAction* remove = actionIn(artistMenu, "Remove track");
        QVERIFY(remove && !remove->isEnabled());
        QVERIFY(remove->toolTip().contains("owner"));
        QTRY_VERIFY_WITH_TIMEOUT(artist.strip("returns/hall") != nullptr, 5000);
        desk::EffectEditor* afx = artist.openEffect("returns/hall");
        QVERIFY(!afx->control("type")->isEnabled() && afx->control("feedback")->isEnabled());
        // Removing: the send, then the group and the return.
        emit menu->aboutToShow();
        actionIn(menu, "Remove send to>Hall")->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->sends.size(), size_t(1), 5000);
        w.removeStrip("groups/synths");
        w.removeStrip("returns/hall");
        QTRY_VERIFY_WITH_TIMEOUT(!server().group("synths") && !server().aux("hall"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("returns/hall") == nullptr, 5000);
    }

    // Undo and redo of one's own edits go through the server as inverse edits: the other desk
    // sees them, and its own edits are untouched.
    void undoAndRedoAcrossTwoDesks()
    {
        ServerFixture f;
        QVERIFY(f.start());
        desk::DeskWindow a, b;
        a.connectTo(f.url().toString(), f.tokens["mix"]);
        b.connectTo(f.url().toString(), f.tokens["artist"]);
        QTRY_VERIFY_WITH_TIMEOUT(a.strip("tracks/bass") && b.strip("tracks/vox"), 10000);
        QCOMPARE(a.undoAction()->shortcut(), QKeySequence(QKeySequence::Undo));
        QVERIFY(a.redoAction()->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z)));
        QVERIFY(!a.undoAction()->isEnabled());
        auto server = [&] { return f.srv->room(f.sessionId)->state(); };
        const double bassBefore = server().track("bass")->fader;
        // A drag on A's bass fader (many values within a second: one step), then B moves vox.
        for (double v : {-1.0, -2.5, -4.0, -6.0})
            emit a.strip("tracks/bass")->edit("tracks/bass/fader", v);
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->fader, -6.0, 5000);
        emit b.strip("tracks/vox")->edit("tracks/vox/fader", -3.0);
        QTRY_COMPARE_WITH_TIMEOUT(server().track("vox")->fader, -3.0, 5000);
        QVERIFY(a.undoAction()->isEnabled());
        a.undoAction()->trigger(); // Ctrl+Z on A
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->fader, bassBefore, 5000);
        QCOMPARE(server().track("vox")->fader, -3.0); // B's edit stays
        QTRY_COMPARE_WITH_TIMEOUT(b.connection()->mirror().state().track("bass")->fader, bassBefore, 5000);
        QVERIFY(!a.undoAction()->isEnabled());
        a.redoAction()->trigger(); // Ctrl+Shift+Z
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->fader, -6.0, 5000);
        // B undoes its own edit only.
        b.undoAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(server().track("vox")->fader, 0.0, 5000);
        QCOMPARE(server().track("bass")->fader, -6.0);
        // An EQ band removed by A comes back where it was, with its settings.
        emit a.strip("tracks/bass")->edit("tracks/bass/eq/1/gain", 4.5);
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->eq[0].gain, 4.5, 5000);
        desk::EqEditor* eq = a.openEq("tracks/bass");
        eq->removeBand(1);
        QTRY_VERIFY_WITH_TIMEOUT(server().track("bass")->eq.empty(), 5000);
        a.undoAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->eq.size(), size_t(1), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->eq[0].gain, 4.5, 5000);
        a.undoAction()->trigger(); // and the gain edit before it
        QTRY_COMPARE_WITH_TIMEOUT(server().track("bass")->eq[0].gain, 0.0, 5000);
    }

    // The client gets the review view: no greyed-out mixer, the waveform, a live notes list that
    // jumps to a note, versions with approve; own transport.
    void clientGetsTheReviewView()
    {
        ServerFixture f;
        f.stemSeconds = 6;
        QVERIFY(f.start());
        desk::DeskWindow w;
        w.resize(1366, 768);
        w.show();
        w.connectTo(f.url().toString(), f.tokens["client"]);
        QTRY_VERIFY_WITH_TIMEOUT(w.reviewView(), 10000);
        QVERIFY(!w.mixerPage()->isVisible());
        QVERIFY(w.timeline()->isVisible() && w.versions()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->overviewBins() > 0, 10000);
        auto mix = f.connect("mix");
        mix->request(Kind::AddNote, {{"at", 3500}, {"text", "guitar too loud in the chorus"}});
        QTRY_COMPARE_WITH_TIMEOUT(w.noteList()->count(), 1, 5000);
        QVERIFY(w.noteList()->item(0)->text().contains("0:03") && w.noteList()->item(0)->text().contains("guitar too loud"));
        const QRect r = w.noteList()->visualItemRect(w.noteList()->item(0));
        QTest::mouseClick(w.noteList()->viewport(), Qt::LeftButton, {}, r.center());
        QTRY_COMPARE_WITH_TIMEOUT(w.timeline()->playhead(), 3500.0, 5000);
        QVERIFY(w.timeline()->threadText().contains("guitar too loud"));
        // An engineer starts in the mixer and may switch (F2).
        desk::DeskWindow e;
        e.show();
        QVERIFY(!e.master()->isVisible()); // nothing made up before the server has spoken
        e.connectTo(f.url().toString(), f.tokens["mix"]);
        QTRY_VERIFY_WITH_TIMEOUT(e.strip("tracks/bass") != nullptr, 10000);
        QVERIFY(!e.reviewView() && e.mixerPage()->isVisible() && e.master()->isVisible());
        // A dropped connection: the last confirmed values stay, read-only, until the server is back.
        e.connection()->simulateDrop();
        QTRY_VERIFY_WITH_TIMEOUT(!e.mixerPage()->isEnabled(), 5000);
        QVERIFY(e.presenceText().startsWith("Disconnected"));
        QTRY_VERIFY_WITH_TIMEOUT(e.mixerPage()->isEnabled(), 10000);
        e.setReviewView(true);
        QVERIFY(!e.mixerPage()->isVisible());
    }

    // On a 1366x768 laptop nothing overlaps, and the window remembers its size.
    void fitsALaptopAndRemembersItsLayout()
    {
        ServerFixture f;
        QVERIFY(f.start());
        {
            desk::DeskWindow w;
            QVERIFY2(w.minimumSizeHint().width() <= 1366 && w.minimumSizeHint().height() <= 740,
                     qPrintable(QString("minimum %1x%2").arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
            w.resize(1366, 740); // the screen less a panel
            w.show();
            w.connectTo(f.url().toString(), f.tokens["mix"]);
            QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/bass") != nullptr, 10000);
            QTRY_COMPARE(w.size(), QSize(1366, 740));
            // The visible panels of the central area and the docks do not overlap.
            QList<QWidget*> panels{w.transport(), w.timeline(), w.mixerPage()};
            for (QDockWidget* d : w.findChildren<QDockWidget*>())
                if (d->isVisible()) panels << d;
            for (int i = 0; i < panels.size(); ++i) {
                const QRect ri(panels[i]->mapTo(&w, QPoint(0, 0)), panels[i]->size());
                QVERIFY2(QRect(QPoint(0, 0), w.size()).contains(ri), qPrintable(panels[i]->metaObject()->className()));
                for (int j = i + 1; j < panels.size(); ++j) {
                    const QRect rj(panels[j]->mapTo(&w, QPoint(0, 0)), panels[j]->size());
                    QVERIFY2(
                        !ri.intersects(rj),
                        qPrintable(
                            QString("%1 overlaps %2").arg(panels[i]->metaObject()->className(), panels[j]->metaObject()->className())));
                }
            }
            w.resize(1300, 700);
            w.close(); // saves the geometry
        }
        desk::DeskWindow again;
        QCOMPARE(again.size(), QSize(1300, 700));
        // Enter in the token field connects.
        auto* token = again.findChildren<QLineEdit*>().at(1);
        token->setText(f.tokens["artist"]);
        QTest::keyClick(token, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(again.statusText().startsWith("Connected"), 10000);
    }

    // docs/ screenshots of a real multi-track session (the demo song): the mixer while listening,
    // the EQ and compressor editors, the client's review view, and versions with a diff. Written
    // under $MIXROOM_SCREENSHOT_DIR (scripts/screenshots.sh); checked for size in any case.
    void screenshot()
    {
        ServerFixture f;
        QVERIFY(f.start());
        QString error;
        const auto invites = server::ensureDemo(*f.store, f.srv->stems(), f.dir.path(), &error);
        QVERIFY2(invites.size() == 4, qPrintable(error));
        auto token = [&](const QString& role) {
            for (const auto& i : invites)
                if (i.role == role) return i.token;
            return QString();
        };
        const QString dir = qEnvironmentVariable("MIXROOM_SCREENSHOT_DIR");
        auto save = [&](QWidget* widget, const QString& name) {
            const QImage image = widget->grab().toImage();
            QVERIFY(!image.isNull() && image.width() >= 400);
            if (!dir.isEmpty()) QVERIFY(image.save(dir + "/" + name));
        };
        client::Connection mix(f.url(), token("mix"), "screenshot-mix");
        QSignalSpy welcomed(&mix, &client::Connection::welcomed);
        mix.open();
        QVERIFY(welcomed.wait(10000));
        mix.request(Kind::SaveVersion, {{"name", "rough mix"}, {"message", "first pass, all stems in"}});
        mix.request(Kind::Set, {{"path", "tracks/lead/fader"}, {"value", -0.5}});
        mix.request(Kind::Set, {{"path", "tracks/keys/pan"}, {"value", -0.35}});
        mix.request(Kind::SaveVersion, {{"name", "vocal up"}, {"message", "lead up 1.5 dB, keys wider"}});
        // A ride on the lead vocal (shown under the timeline).
        mix.request(Kind::SetLane, {{"path", "tracks/lead/fader"},
                                    {"mode", "touch"},
                                    {"points", QJsonArray{QJsonArray{0, -2}, QJsonArray{1100000, -2}, QJsonArray{1300000, 1.5, "curved"},
                                                          QJsonArray{2000000, 1.5}, QJsonArray{2300000, -1}}}});

        // The mixer, listening (meters moving), as the mix engineer sees it on a laptop.
        desk::DeskWindow w;
        w.resize(1366, 740);
        w.show();
        w.connectTo(f.url().toString(), token("mix"));
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/lead") != nullptr, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!w.versions()->statusOf("vocal up").isEmpty(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->overviewBins() > 0, 30000); // the waveform
        w.automation()->showLane("tracks/lead/fader");
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/lead")->automated().contains("fader"), 5000);
        w.transport()->startListening(true);
        mix.request(Kind::Transport, {{"target", "follow"}, {"action", "seek"}, {"at", 24000}});
        mix.request(Kind::Transport, {{"target", "follow"}, {"action", "play"}});
        QTRY_VERIFY_WITH_TIMEOUT(w.strip("tracks/drums")->meterValue() > -200 && w.master()->loudnessText().contains("LUFS"), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(QRegularExpression("I -\\d+\\.\\d LUFS").match(w.master()->loudnessText()).hasMatch(), 10000);
        save(&w, "desk-mixer.png");

        // The lead's EQ and the rhythm bus compressor.
        desk::EqEditor* eq = w.openEq("tracks/lead");
        eq->resize(640, 380);
        QTRY_VERIFY_WITH_TIMEOUT(eq->gainBox(1) != nullptr, 5000);
        save(eq, "desk-eq.png");
        desk::CompressorEditor* comp = w.openCompressor("groups/rhythm");
        comp->resize(640, 300);
        QTRY_VERIFY_WITH_TIMEOUT(comp->reductionValue() > 0, 10000);
        save(comp, "desk-compressor.png");
        w.transport()->stopListening();

        // Versions with a diff.
        w.versions()->list()->setCurrentItem(w.versions()->list()->topLevelItem(0));
        w.versions()->diffSelected();
        QTRY_VERIFY_WITH_TIMEOUT(!w.versions()->diffText().isEmpty(), 5000);
        w.versions()->resize(520, 520);
        save(w.versions(), "desk-versions.png");

        // The label's review view: waveform, notes, versions; the approval waits for them.
        mix.request(Kind::AddNote, {{"at", 16000.0}, {"to", 24000.0}, {"text", "the chorus needs more lift"}});
        mix.request(Kind::AddNote, {{"at", 40500.0}, {"text", "love the delay throw here"}});
        desk::DeskWindow label;
        label.resize(1366, 740);
        label.show();
        label.connectTo(f.url().toString(), token("client"));
        QTRY_VERIFY_WITH_TIMEOUT(label.reviewView() && label.noteList()->count() == 2, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(label.timeline()->overviewBins() > 0, 30000);
        label.timeline()->selectNote(label.timeline()->notes().first().value("id").toString());
        QTRY_VERIFY_WITH_TIMEOUT(!label.versions()->statusOf("vocal up").isEmpty(), 5000);
        save(&label, "desk-review.png");
    }
};

QTEST_MAIN(TestDesk)
#include "tst_desk.moc"
