// A change to the live training as a client asks for it, and the short form traindx-cli
// takes: "lr=0.001", "lr*10", "reinit=3[:xavier_uniform]", "reset_optimizer", "freeze=3",
// "unfreeze=3", each optionally "@step:N" or "@epoch:N" (asked once the run gets there;
// without it, before training).
#pragma once

#include "run_state.h"

#include <QString>

#include <optional>

namespace traindx {

struct LiveChange {
    enum class Kind { SetLearningRate, ScaleLearningRate, Reinitialise, ResetOptimizerState, Freeze, Unfreeze };
    Kind kind = Kind::SetLearningRate;
    double value = 0;  // the rate, or the factor
    int optimizer = 0; // 1 + index in Model::optimizers; 0: every watched optimizer
    QString layer;     // as findings name it: its path ("fc1") or forward index ("3")
    QString scheme;    // Reinitialise: "kaiming_normal" (default), "kaiming_uniform", "xavier_normal", "xavier_uniform"
    quint64 seed = 1;
    qint64 atStep = 0;  // ask once this many steps are done (0: before training)
    int atEpoch = 0;    // or once this many epochs have ended
    QString text;       // as written
};

bool parseLiveChange(const QString& text, LiveChange* change, QString* error);

// The change that applies a finding's fix to the live training, when its fix class can be
// applied without the program's code (a learning rate, a layer's initialisation); none for
// the others (an activation, a loss, the data), whose advice stays text.
// `model` gives the optimizer and rate a finding does not carry.
std::optional<LiveChange> liveFixFor(const Finding& finding, const Model& model);

} // namespace traindx
