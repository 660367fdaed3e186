// SPDX-License-Identifier: MIT
#pragma once
// A strip's compressor: on/off, threshold, ratio, knee, attack, release, makeup and detector, with
// a gain-reduction meter fed by the preview's meters while listening.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDoubleSpinBox>
#include <QProgressBar>

#include <map>

namespace mixroom::desk {

// The compressor's static curve (the engine's own compressorCurve) on input/output dB axes from
// -60 to 0 dBFS, with makeup, and the latest gain reduction marked at the knee.
class CompressorCurve : public QWidget {
    Q_OBJECT
  public:
    explicit CompressorCurve(QWidget* parent = nullptr) : QWidget(parent) { setMinimumSize(220, 220); }
    engine::Compressor comp;
    double reductionDb = 0;

  protected:
    void paintEvent(QPaintEvent*) override;
};

class CompressorEditor : public QDialog {
    Q_OBJECT
  public:
    CompressorEditor(client::Connection* conn, const QString& strip, bool editable, QWidget* parent = nullptr);
    void refresh();
    void setReduction(double db);
    QDoubleSpinBox* box(const QString& param) const { return m_boxes.at(param); }
    QCheckBox* enabledBox() const { return m_enabled; }
    int reductionValue() const { return m_gr->value(); } // tenths of a dB
    CompressorCurve* curve() const { return m_curve; }

  private:
    const engine::Compressor* comp() const;
    client::Connection* m_conn;
    QString m_strip;
    std::map<QString, QDoubleSpinBox*> m_boxes;
    QCheckBox* m_enabled;
    QComboBox* m_detector;
    QProgressBar* m_gr;
    CompressorCurve* m_curve;
};

} // namespace mixroom::desk
