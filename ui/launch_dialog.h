// File > Launch…: the training program, its arguments and working directory, remembered
// from one launch to the next.
#pragma once

#include "launcher.h"

#include <QDialog>

class QLineEdit;

namespace traindx {

class LaunchDialog : public QDialog {
    Q_OBJECT
public:
    explicit LaunchDialog(QWidget* parent = nullptr);

    LaunchSpec spec() const;
    void accept() override;

    static LaunchSpec lastSpec();
    static void remember(const LaunchSpec& spec);

private:
    QLineEdit* m_program;
    QLineEdit* m_arguments;
    QLineEdit* m_directory;
    QLineEdit* m_environment;
};

} // namespace traindx
