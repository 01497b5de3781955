// traindx-cli run --ranks N: the program launched as N ranks of one job, the way torchrun
// starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT on a free port), one
// session per rank; or `attach --store`: a session on every rank a running job published.
// Each rank is diagnosed as a process of its own, then the ranks are compared
// (cross_rank.h). With --reduced only rank 0 has a session: its stream is the job's, and the
// other ranks are watched only for how they end. A rank that ends badly gives the others a
// grace period to end on their own, after which they are stopped: nothing waits on a dead
// rank for long.
#pragma once

#include "cli_run.h"

#include <QObject>
#include <QProcess>
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
    static constexpr int kQuietGraceMs = 5000; // for the quiet ranks, once rank 0 ended

private:
    void onState(int rank, const RunStatePtr& state);
    void interrupted(int signal);
    void stopAll();
    void finish();
    bool writeJson(const QVector<Finding>& job, QString* error) const;
    // Across the ranks: from the ranks' runs side by side, and from rank 0's of a reduced job.
    QVector<Finding> jobFindings() const;
    Verdict rankVerdict(int rank) const;
    // A rank of a job served reduced, other than rank 0: its process alone.
    void startQuietRank(int rank, const LaunchSpec& spec);
    bool quiet(int rank) const { return m_options.reduced && rank > 0; }

    Options m_options;
    std::vector<std::unique_ptr<Session>> m_sessions; // by rank; null for a quiet rank
    std::vector<std::unique_ptr<QProcess>> m_quietRanks;
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
