// SPDX-License-Identifier: MIT
#pragma once
// One channel strip: name, solo/mute, pan knob, fader with a typed dB value, and presence
// highlighting when another member touches it. Emits edits by parameter path; shows values it is
// given (echoes and others' edits) without re-emitting them.
// Thread: GUI thread.
#include "client/desk/FaderSlider.h"
#include "client/desk/LevelMeter.h"

#include <QComboBox>
#include <QDial>
#include <QDoubleSpinBox>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <map>
#include <utility>
#include <vector>

namespace mixroom::desk {

class StripWidget : public QFrame {
    Q_OBJECT
  public:
    // `prefix` is "tracks/<id>", "groups/<id>" or "returns/<id>".
    StripWidget(const QString& prefix, const QString& name, QWidget* parent = nullptr);
    QString prefix() const { return m_prefix; }
    void show(double faderDb, double pan, bool mute, bool solo);
    // Send levels in dB by aux return id; a box appears for each send the strip has.
    void showSends(const std::vector<std::pair<QString, double>>& sends);
    // The send area's height in rows: the most sends any strip has, so every fader lines up.
    void setSendRows(int rows);
    QDoubleSpinBox* sendBox(const QString& to) const { return m_sends.count(to) ? m_sends.at(to) : nullptr; }
    // Disables editing with a reason, or enables it (empty reason).
    void setEditable(const QString& reasonIfNot);
    // Someone else's hand on one of this strip's controls (empty: nobody).
    void setTouchedBy(const QString& who);
    // Peaks (left, right) and RMS in dBFS from the preview's meters.
    void setMeter(double peakLeftDb, double peakRightDb, double rmsDb);
    int meterValue() const; // the peak in tenths of a dB, -600 when silent
    LevelMeter* meter() const { return m_meter; }
    FaderScale* scale() const { return m_scale; }
    QLabel* panLabel() const { return m_panValue; }
    // Tracks: where the track plays (master or a group), and the groups it may choose. Groups and
    // returns show "master", disabled.
    void setOutputs(const QStringList& groupIds, const QStringList& groupNames, const QString& current);
    QComboBox* outputBox() const { return m_output; }
    FaderSlider* fader() const { return m_fader; }
    QDial* pan() const { return m_pan; }
    QToolButton* muteButton() const { return m_mute; }
    QToolButton* soloButton() const { return m_solo; }
    QLineEdit* dbEdit() const { return m_db; }
    QToolButton* eqButton() const { return m_eq; }
    QToolButton* compButton() const { return m_comp; }
    // The strip's menu: sends, the return's effect, removing the strip (filled by the window).
    QToolButton* moreButton() const { return m_more; }
    // Automation: the mode the strip's fader and pan write in when moved while the transport
    // plays (off and read: plain edits; touch, latch, write: recorded passes), and the strip's
    // parameters that have lanes (the button lights and lists them).
    void setAutomation(const QString& mode, const QStringList& automated);
    QToolButton* automationButton() const { return m_auto; }
    QString automationMode() const { return m_autoMode; }
    QStringList automated() const { return m_automated; }

  signals:
    void edit(const QString& path, const QJsonValue& value);
    void touch(const QString& path); // empty: released
    void openEq(const QString& prefix);
    void openCompressor(const QString& prefix);
    void automationModeChosen(const QString& prefix, const QString& mode);

  private:
    QString m_prefix;
    FaderSlider* m_fader;
    QDial* m_pan;
    QToolButton *m_mute, *m_solo, *m_eq, *m_comp, *m_more = nullptr;
    QLineEdit* m_db;
    QLabel* m_name;
    LevelMeter* m_meter;
    FaderScale* m_scale;
    QLabel* m_panValue;
    QComboBox* m_output = nullptr;
    QVBoxLayout* m_sendLayout;
    QWidget* m_sendArea;
    int m_sendRows = -1;
    QStringList m_outputChoices; // what the routing selector lists now
    std::map<QString, QDoubleSpinBox*> m_sends;
    QString m_notEditable;
    QToolButton* m_auto;
    QString m_autoMode = "read";
    QStringList m_automated;
};

} // namespace mixroom::desk
