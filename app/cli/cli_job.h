// traindx-cli run --ranks N: the program launched as N ranks of one job, the way torchrun
// starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT on a free port), one
// session per rank. Each rank is diagnosed as a process of its own, then the ranks are
// compared (cross_rank.h). A rank that ends badly gives the others a grace period to end
// on their own, after which they are stopped: nothing waits on a dead rank for long.
#pragma once

#include "cli_run.h"

#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

namespace traindx::cli {

class HeadlessJob : public QObject {
    Q_OBJECT
public:
    explicit HeadlessJob(Options options, QObject* parent = nullptr);
    void start();

    static constexpr int kGraceMs = 30000; // for the others, once a rank ended badly

private:
    void onState(int rank, const RunStatePtr& state);
    void interrupted(int signal);
    void stopAll();
    void finish();
    bool writeJson(const QVector<Finding>& job, QString* error) const;

    Options m_options;
    std::vector<std::unique_ptr<Session>> m_sessions;
    QVector<RunStatePtr> m_states;
    QVector<QSet<QString>> m_printed;
    QVector<int> m_epochsPrinted;
    QTimer m_grace;
    bool m_stopping = false;
    bool m_done = false;
    int m_interruptedBy = 0;
    QuitSignals m_quitSignals;
};

} // namespace traindx::cli
