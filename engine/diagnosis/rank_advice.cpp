#include "rank_advice.h"

namespace traindx {

void adviseOutOfSync(Finding& f, const QString& how, bool initial, bool unmixed, const QString& who)
{
    f.fixClass = FixClass::ChangeTrainingLoop;
    if (initial) {
        f.fixText = QStringLiteral("Start every rank from the same weights: seed the model the same way on every rank, or "
                                   "broadcast rank 0's parameters before the first step.");
        f.checker = QStringLiteral("%1: the initial weights differ").arg(how);
    } else if (unmixed) {
        f.fixText = QStringLiteral("All-reduce every gradient in place on %1, as on the others, before its optimizer steps: "
                                   "its .grad is its own backward's gradient at every step, never the ranks' average.")
                        .arg(who);
        f.checker = QStringLiteral("%1: the zero_grad sentinel's ratio on %2 never varies, so its gradients were never "
                                   "mixed with the other ranks'")
                        .arg(how, who);
    } else {
        f.fixText = QStringLiteral("Make every rank step with the same gradients: all-reduce all of them (every parameter, "
                                   "every step) and divide by the world size on every rank.");
        f.checker = QStringLiteral("%1: weights compared at the same step").arg(how);
    }
}

void adviseStraggler(Finding& f, const QString& how, int rank)
{
    f.fixClass = FixClass::ChangeTrainingLoop;
    f.fixText = QStringLiteral("Find what rank %1 does before its forward pass that the others do not (a slower data loader, a "
                               "larger shard, another process on its cores), or give it less data: the job runs at its pace.")
                    .arg(rank);
    f.checker = QStringLiteral("%1: time from one step's end to the next step's last gradient, per rank").arg(how);
}

void adviseNonFiniteData(Finding& f, const QString& who, qint64 step)
{
    f.fixClass = FixClass::ImproperData;
    f.fixText = QStringLiteral("Look at the batch %1 read at step %2: its loss was not finite before any gradient was, so the data "
                               "(or the forward pass on it) broke there; the other ranks only received it. Check the data for "
                               "NaN or infinite values before it reaches the model.")
                    .arg(who)
                    .arg(step);
}

} // namespace traindx
