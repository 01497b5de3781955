// The advice shared by the two "no progress" rules (loss and accuracy): the checkers in
// the order of the decision tree, the architecture before the optimizer.
#pragma once

#include "rule.h"

namespace traindx {

inline void adviseNoProgress(Finding& f, const Advisor& a)
{
    if (a.byInitialization(f) || a.byData(f) || a.byTargets(f) || a.byDropout(f) || a.byLearningRate(f))
        return;
    const QString optimizer = a.run().model.optimizer;
    if (optimizer != QLatin1String("Adam") && optimizer != QLatin1String("AdamW")) {
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("Training does not progress although data, initialisation and step size look sound: switch "
                             "%1to torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(1e-3)), or check "
                             "the loss against the task.")
                  .arg(optimizer.isEmpty() ? QString() : QStringLiteral("from torch::optim::%1 ").arg(optimizer)),
              QStringLiteral("no other cause found — the decision tree's default"));
        return;
    }
    // Nothing in the setup explains it and the optimizer is already adaptive: a plateau
    // that may still end. Said, but not called a fault.
    f.severity = Severity::Warning;
    a.set(f, FixClass::ChangeLayerCount,
          QStringLiteral("Training has not progressed with %1 although data, initialisation and step size look sound: "
                         "if it stays so, the model may be too small or too constrained for the task — add units or a "
                         "layer, and check that the loss matches the task.")
              .arg(optimizer),
          QStringLiteral("no other cause found, and the program already uses %1").arg(optimizer));
}

} // namespace traindx
