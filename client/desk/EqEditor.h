// SPDX-License-Identifier: MIT
#pragma once
// A strip's EQ: one row per band (type, frequency, gain, Q, on, remove), an add-band row, and the
// summed frequency response
// drawn from the engine's own biquad design (the curve is what the mix engine does). Edits go to
// the server by parameter path; the editor follows everyone's edits.
// Thread: GUI thread.
#include "client/Connection.h"

#include <QDialog>
#include <QDoubleSpinBox>
#include <QWidget>

class QComboBox;
class QGridLayout;
class QPushButton;

namespace mixroom::desk {

class EqCurve : public QWidget {
  public:
    explicit EqCurve(QWidget* parent = nullptr) : QWidget(parent) { setMinimumSize(360, 160); }
    std::vector<engine::EqBand> bands;
    int sampleRate = 48000;
    // The response in dB at `freq` (the sum of every enabled band's sections).
    double responseDb(double freq) const;

  protected:
    void paintEvent(QPaintEvent*) override;
};

class EqEditor : public QDialog {
    Q_OBJECT
  public:
    // `strip` is "tracks/<id>", "groups/<id>", "returns/<id>" or "master".
    EqEditor(client::Connection* conn, const QString& strip, bool editable, QWidget* parent = nullptr);
    void refresh(); // from the session mirror
    EqCurve* curve() const { return m_curve; }
    QDoubleSpinBox* gainBox(int band) const;
    // Structure: add a band of `type` (hp12 ... peak), remove band n (1-based). Needs the role's
    // edit_structure permission; the buttons say so when it is missing.
    void addBand(const QString& type);
    void removeBand(int band);
    QPushButton* addButton() const { return m_add; }
    // After Remove, the rows stay where they are (the removed one marked) until the pointer
    // leaves the table, so the next row's Remove never slides under the pointer.
    bool compactPending() const { return m_compactPending; }

  protected:
    void leaveEvent(QEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;

  private:
    void compactRows();
    const std::vector<engine::EqBand>* bandsOf() const;
    client::Connection* m_conn;
    QString m_strip;
    bool m_editable;
    EqCurve* m_curve;
    QGridLayout* m_grid;
    size_t m_shownBands = 0;
    bool m_structural = false;
    QString m_structureWhy;
    QComboBox* m_addType;
    QPushButton* m_add;
    bool m_compactPending = false;
    QWidget* m_table = nullptr;
};

} // namespace mixroom::desk
