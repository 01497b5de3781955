// What TrainDx knows about one training run: the program, its model, the statistics
// stream so far, and where the trainer is. Published to views as an immutable value
// (RunStatePtr); the containers share their data, so a copy is cheap.
#pragma once

#include "chunked_vector.h"
#include "finding.h"

#include <QHash>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>

namespace traindx {

struct TensorStats {
    bool present = false;
    qint64 count = 0;
    double mean = 0, std = 0, min = 0, max = 0, l2 = 0;
    qint64 nan = 0, inf = 0, zeros = 0;
    double histLo = 0, histHi = 0;
    QVector<quint32> bins; // empty when this sample carries no histogram

    qint64 nonFinite() const { return nan + inf; }
};

enum class TensorKind { Weight, Bias, WeightGrad, BiasGrad, Activation };
constexpr int kTensorKinds = 5;
QString tensorKindName(TensorKind kind);

struct LayerSample {
    int layer = -1;
    TensorStats tensors[kTensorKinds];
    double updateRatio = -1;      // ||dW|| / ||W|| of one step; < 0: not measured
    double epochUpdateRatio = -1; // the same over the epoch that ended; < 0: not measured
    float deadFraction = 0;
    float saturatedFraction = 0;
    QVector<float> unitActive;
    bool noGradient = false;          // trainable, in the optimizer, yet backward defined no gradient

    const TensorStats& stats(TensorKind kind) const { return tensors[int(kind)]; }
    TensorStats& stats(TensorKind kind) { return tensors[int(kind)]; }
};

// A layer whose weights differ across the ranks of a job served reduced.
struct RankDeviation {
    int layer = -1;
    int rank = -1;          // the one farthest from the ranks' median weight norm
    double deviation = 0;   // |norm - median| / median
    double norm = 0;
    double median = 0;
};

// How the ranks of a job served reduced differed over one snapshot's steps (the snapshot's
// statistics are then the job's: every rank's values together).
struct JobSummary {
    bool present = false;
    int ranks = 0;             // ranks whose statistics the snapshot combines
    int worldSize = 0;
    int slowestRank = -1;      // the largest mean compute time per step
    double slowestSeconds = 0;
    double othersMedianSeconds = 0;
    int timedRanks = 0;
    int largestGradientRank = -1;
    double largestGradientNorm = 0;
    int firstNonFiniteRank = -1;
    qint64 firstNonFiniteStep = -1;
    bool firstNonFiniteInLoss = false;
    QVector<RankDeviation> deviations;
    QVector<int> unmixedRanks; // whose gradients were never mixed with the others'
    QString fallback;          // not empty: the reduction stopped here, and why
};

struct Snapshot {
    qint64 step = 0;
    int epoch = 0;
    int batch = 0;
    bool epochEnd = false;
    bool initial = false; // before training: the initial weights and activations
    bool evalMode = false; // the model was in evaluation mode at a training step
    QHash<QString, double> metrics;
    double learningRate = 0;
    double probeSeconds = 0;
    double loopSeconds = 0;
    qint64 dropped = 0;
    qint64 unixMs = 0;
    QVector<LayerSample> layers;
    JobSummary job;

    const LayerSample* layer(int id) const;
    // Where it was taken, as every view says it (positionText): a batch sample's `batch` is
    // the index of the batch just done, an epoch end's the batches the epoch had.
    QString position() const;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

struct BatchPoint {
    qint64 step = 0;
    int epoch = 0;
    int batch = 0;
    double loss = 0;
    double accuracy = 0;
    bool hasAccuracy = false;
    double gradNorm = -1; // L2 norm of all gradients of the step; < 0 when not measured
    double accumulated = 0; // ||p.grad|| / this step's gradient for one parameter: 1 when zeroed; 0 unknown
    int accumulatedOptimizer = -1; // index in Model::optimizers of the one `accumulated` is about; -1 unknown
    double computeSeconds = 0; // the step's own work up to its last gradient (without waits for other ranks); 0 unknown
};

// The first NaN or infinite gradient backward produced, seen by the probe's gradient hooks
// before the optimizer used it.
struct NonFiniteGradient {
    bool present = false;
    int layer = -1;
    QString parameter;
    qint64 step = 0;
    int epoch = 0;
    int batch = 0;    // batches completed in that epoch before this one
    bool forward = false; // the first gradient of the pass was broken: the loss or output already was
    QString text;
};

// Whether the watched optimizer updates a parameter.
enum class Membership { Unknown, InOptimizer, NotInOptimizer };

struct ParameterShape {
    QString name;
    QVector<qint64> dims;
    bool frozen = false; // requires_grad false: a choice, never a fault
    Membership optimizer = Membership::Unknown;
    qint64 count() const;
};

// The loss the program optimises, declared through ProbeOptions::loss() or not at all.
enum class LossKind { Unspecified, BCE, BCEWithLogits, CrossEntropy, NLL, MSE, L1, SmoothL1, Other };
QString lossKindName(LossKind loss);  // "cross_entropy"; "" for Unspecified
LossKind lossKindFromName(const QString& name);

struct Layer {
    int id = 0;
    int index = -1; // among the leaves in forward order, -1 when unknown
    int parent = -1;
    bool leaf = true;
    bool inForwardOrder = false;
    QString path;
    QString type;
    QString options;
    QString function; // a function applied in forward() and tapped ("torch::relu"); type is its module twin
    QVector<ParameterShape> parameters;
    QVector<qint64> outputShape;
    int optimizer = -1; // index in Model::optimizers of the one updating its parameters; -1 none or unknown

    qint64 parameterCount() const;
    QString displayName() const; // "layer 7 (Softmax)", or the path when the forward order is unknown
};

struct WatchedOptimizer {
    QString name; // "discriminator": given to watch(), or the model it updates
    QString type; // "Adam"
    double learningRate = 0;
};

struct Model {
    QString name;
    QVector<Layer> layers; // indexed by id
    QVector<QPair<int, int>> edges;
    LossKind loss = LossKind::Unspecified;
    QString optimizer;
    double learningRate = 0;
    qint64 parameterCount = 0;
    int probeBatchSize = 0;
    QStringList lossGraph; // autograd nodes from the loss back to a parameterised layer
    bool lossAdversarial = false; // the loss followed is one of several pushing against each other
    QVector<WatchedOptimizer> optimizers; // every watched one; the first is also optimizer and learningRate
    QString outputActivation; // declared: the module twin ("Sigmoid") of a function forward() applies to the output
    QString outputFunction;   // "torch::sigmoid"

    const Layer* layer(int id) const { return id >= 0 && id < layers.size() ? &layers[id] : nullptr; }
    // The leaf layers in forward order (or discovery order when unknown).
    QVector<int> forwardOrder() const;
};

struct DataDescription {
    bool present = false;
    TensorStats inputs, targets;
    QVector<qint64> inputShape, targetShape;
    bool targetsIntegral = false;
};

struct ProgramInfo {
    qint64 pid = 0;
    QString program;
    QStringList arguments;
    QString workingDirectory;
    QString torchVersion;
    QString traindxVersion;
    QString protocol;
    int rank = 0;
    int worldSize = 1;
    bool reduced = false; // rank 0 of a job served reduced: its statistics are the job's
    qint64 startedUnixMs = 0;
    int epochAtConnect = 0; // epochs the trainer had finished when TrainDx connected
};

enum class TrainerState {
    Idle,       // nothing launched or attached
    Starting,   // process started, probe not connected yet
    Running,
    Held,       // held at a boundary by TrainDx
    Finished,   // exited normally
    Crashed,    // exited with a signal or a non-zero code
    Detached,   // TrainDx let go; training goes on without it
    Failed,     // could not launch or connect
    Replay,     // a recorded run, read from a file
};
QString trainerStateName(TrainerState state);

// "0.0123", "NaN", "+inf": numbers as the findings, the inspector and the report show them.
QString formatNumber(double value);
// "[256, 50]"
QString shapeText(const QVector<qint64>& dims);

// A change made to the live training at a client's request, as the probe answered it.
struct ChangeRecord {
    qint64 id = 0;
    qint64 step = 0; // steps done when it was applied (or refused)
    int epoch = 0;
    int batch = 0;
    bool applied = false;
    bool atEpochEnd = false;
    QString text;    // what changed, or why nothing did
    int layer = -1;  // the layer it changed, when it changed one
    bool reinitialisation = false; // the layer's weights were drawn again

    QString when() const { return positionText(epoch, batch, atEpochEnd); }
};

struct RunState {
    ProgramInfo program;
    Model model;
    DataDescription data;
    ChunkedVector<BatchPoint> points; // every batch, ordered by step
    QVector<SnapshotPtr> snapshots;  // those carrying layer statistics, in order
    QVector<int> epochEnds;          // indices into snapshots
    QHash<QString, QVector<double>> epochMetrics; // each metric at the epoch ends that carry it
    QHash<QString, QVector<qint64>> epochMetricSteps; // the steps of those epoch ends
    QVector<Finding> findings;       // ranked, most important first
    QVector<ChangeRecord> changes;   // live changes, in the order the probe answered them

    TrainerState state = TrainerState::Idle;
    bool connected = false;
    int epoch = 0;  // epochs finished
    int batch = 0;
    qint64 step = 0;
    qint64 dropped = 0;
    int evalModeSnapshots = 0; // snapshots sent while the model was in evaluation mode at a step
    double probeSeconds = 0, loopSeconds = 0;
    // > 0: the program ends no epochs itself; the probe closes one every this many steps.
    int windowSteps = 0;
    bool heldAtEpochEnd = false;
    bool heldInBackward = false;
    NonFiniteGradient nonFiniteGradient;
    int exitCode = 0;
    int exitSignal = 0;
    QString message; // the last thing worth telling the user: an error, why it stopped
    QString runFile; // where this run is recorded, or the file it was replayed from
    QString recordingProblem; // why it is not recorded, when it should be
    QString dataLost; // why part of the run is missing: a damaged run file, frames not written
    QMap<QString, double> thresholds; // the diagnosis thresholds in force
    qint64 bytesReceived = 0; // of the probe's frames, as on the wire
    quint64 revision = 0;

    double overhead() const { return loopSeconds > 0 ? probeSeconds / loopSeconds : 0; }
    // Appends a snapshot; an epoch end is noted with its metrics.
    void appendSnapshot(const SnapshotPtr& snapshot);
    // Epochs that ended while TrainDx watched: history sent to a late client does not count.
    int epochsSinceConnect() const;
    // Why a run without findings may not be called healthy: no probe answered, or it sent
    // too little to judge. Empty when there was enough to diagnose.
    QString notDiagnosedReason() const;
    // The worst finding on this layer.
    Health layerHealth(int layer) const;
    // The first of weights, outputs and gradients whose latest values are all NaN or infinite.
    std::optional<TensorKind> nonFiniteKind(int layer) const;
    SnapshotPtr latestWith(int layer, TensorKind kind) const;
    // Snapshots at epoch ends that carry `kind` for `layer`, newest last.
    QVector<SnapshotPtr> epochHistory(int layer, TensorKind kind) const;
};
using RunStatePtr = std::shared_ptr<const RunState>;

} // namespace traindx

Q_DECLARE_METATYPE(traindx::RunStatePtr)
