// Run ▸ Change…: any change the probe can make to the live training, built from fields
// (what, which layer or optimizer, how much, when) and shown in the short form traindx-cli
// --apply takes, so that the same change can be made again headless.
#pragma once

#include "live_change.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QDialogButtonBox;

namespace traindx {

class ChangeDialog : public QDialog {
    Q_OBJECT
public:
    explicit ChangeDialog(const RunState& run, QWidget* parent = nullptr);

    // Valid once the fields make a change.
    bool change(LiveChange* change, QString* error) const;
    QString text() const; // "lr=0.001@step:300"

    QComboBox* kindChoice() const { return m_kind; }
    QComboBox* layerChoice() const { return m_layer; }
    QLineEdit* valueEdit() const { return m_value; }
    QComboBox* whenChoice() const { return m_when; }
    QSpinBox* atEdit() const { return m_at; }

private:
    void update();

    QComboBox* m_kind;
    QLineEdit* m_value;
    QLabel* m_valueLabel;
    QComboBox* m_layer;
    QComboBox* m_scheme;
    QComboBox* m_optimizer;
    QComboBox* m_when;
    QSpinBox* m_at;
    QLabel* m_preview;
    QDialogButtonBox* m_buttons;
};

} // namespace traindx
