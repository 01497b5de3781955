// Settings > Diagnosis thresholds…: every threshold with its meaning, editable; kept in the
// settings file and applied to the next launch, attach or replay.
#pragma once

#include "thresholds.h"

#include <QDialog>

class QTableWidget;

namespace traindx {

class ThresholdsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ThresholdsDialog(QWidget* parent = nullptr);
    void accept() override;

    // The defaults with the user's settings applied.
    static Thresholds fromSettings();

private:
    QTableWidget* m_table;
};

} // namespace traindx
