// SIGINT, SIGTERM and SIGHUP as a Qt signal on the thread that made this object, so that a
// window or traindx-cli told to quit does what quitting does (stop or detach from its
// trainer, write what it owes) instead of dying on the spot. One instance per process.
#pragma once

#include <QObject>

class QSocketNotifier;

namespace traindx {

class QuitSignals : public QObject {
    Q_OBJECT
public:
    explicit QuitSignals(QObject* parent = nullptr);
    ~QuitSignals() override;

Q_SIGNALS:
    void received(int signal);

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace traindx
