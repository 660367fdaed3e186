// SPDX-License-Identifier: MIT
#pragma once
// The master section: the master fader and peak meter (a StripWidget without pan, mute and solo),
// its chain in signal order — EQ and glue compressor (editors), stereo width, the true-peak
// limiter (on, ceiling, release) with its gain reduction — and the loudness readout: momentary,
// short-term and integrated LUFS and true peak, coloured against the chosen target (-14 LUFS
// streaming, -23 LUFS broadcast) and -1 dBTP. Editing needs the role's edit_master permission.
// Thread: GUI thread.
#include "client/desk/StripWidget.h"
#include "engine/model/Session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonObject>

namespace mixroom::desk {

class MasterStrip : public StripWidget {
    Q_OBJECT
  public:
    explicit MasterStrip(QWidget* parent = nullptr);
    void showMaster(const engine::Master& m);
    void setMasterEditable(const QString& reasonIfNot);
    // The `master` object of a meters message.
    void setMasterMeters(const QJsonObject& master);
    QComboBox* target() const { return m_target; }
    QString loudnessText() const; // "M -14.2  S -14.8  I -15.0 LUFS  TP -1.3 dBTP"
    QDoubleSpinBox* width() const { return m_width; }
    QDoubleSpinBox* ceiling() const { return m_ceiling; }
    QCheckBox* limiterOn() const { return m_limiterOn; }
    int limiterReductionTenths() const { return m_limiterGr->value(); }

  private:
    QDoubleSpinBox *m_width, *m_ceiling, *m_release;
    QCheckBox* m_limiterOn;
    QProgressBar* m_limiterGr;
    QLabel *m_m, *m_s, *m_i, *m_tp;
    QComboBox* m_target;
    QJsonObject m_last;
};

} // namespace mixroom::desk
