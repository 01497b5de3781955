// A change to the live training as a client asks for it, and the short form traindx-cli
// takes: "lr=0.001", "lr*10", "reinit=3[:xavier_uniform]", "reset_optimizer", "freeze=3",
// "unfreeze=3", "clip=1.0" (gradients clipped to that global norm; "clip=off"),
// "optimize=3" (the layer's parameters given to the optimizer), each optionally "@step:N"
// or "@epoch:N" (asked once the run gets there; without it, before training).
#pragma once

#include "run_state.h"
#include "thresholds.h"

#include <QString>

#include <optional>

namespace traindx {

struct LiveChange {
    // In the order of wire::Change's kinds.
    enum class Kind { SetLearningRate, ScaleLearningRate, Reinitialise, ResetOptimizerState, Freeze, Unfreeze, ClipGradientNorm, AddToOptimizer };
    Kind kind = Kind::SetLearningRate;
    double value = 0;  // the rate, the factor, or the largest gradient norm (0: clipping off)
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

// Re-initialises layer `id` with the scheme for the activation after it.
LiveChange reinitialisationOf(const Model& model, int id);

// Every layer whose initial weights the initialisation checker finds far from the fan-in
// rule, as the re-initialisation that fixes it (Kaiming before a ReLU, Xavier otherwise):
// one poor_initialization finding names only the first, and its neighbours usually share it.
QVector<LiveChange> reinitialisationsFor(const RunState& run, const Thresholds& thresholds);

} // namespace traindx
