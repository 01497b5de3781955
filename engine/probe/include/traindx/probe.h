// TrainDx probe: link it into a LibTorch training program and TrainDx can watch,
// diagnose and step the training loop.
//
//   traindx::Probe probe(model, traindx::ProbeOptions().name("mlp").loss(traindx::Loss::BCE));
//   probe.watch(optimizer);
//   probe.describe_data(x_sample, y_sample);
//   for (epoch…) {
//     for (batch…) {
//       optimizer.zero_grad(); auto loss = …; loss.backward(); optimizer.step();
//       probe.step(loss, accuracy);
//     }
//     probe.end_epoch({{"val_accuracy", val_acc}});
//   }
//
// The probe never throws into the training loop, never blocks it unless TrainDx holds it
// at a boundary, and never draws from the trainer's random generators. Its calls may come
// from several threads: they are taken one at a time, so a thread that calls while another
// is held at a boundary waits for that hold to end. Environment:
//   TRAINDX=off               the probe does nothing
//   TRAINDX_LISTEN=PATH       listen on this Unix socket (default: the discovery directory)
//   TRAINDX_LISTEN=tcp://HOST:PORT   listen on TCP instead (off by default); a client must
//                             present the token: TRAINDX_TOKEN (16 characters or more), or a
//                             random one the probe prints on stderr
//   TRAINDX_WAIT=1            the constructor waits for a client (TRAINDX_WAIT_TIMEOUT s, default 30)
//   TRAINDX_LAUNCHED=1        set by TrainDx when it launches the program: the probe then
//                             ignores SIGPIPE (if the program left it at its default), so that
//                             the training outlives a debugger whose end closes its output
// A rank of a multi-rank job (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, as
// torchrun sets them) publishes where its probe listens in the job's store, under "traindx/":
// `traindx-cli attach --store HOST:PORT` finds every rank. Environment:
//   TRAINDX_REDUCE=1          the job is served reduced: the probes combine their statistics on
//                             rank 0 over a Gloo group of their own, and only rank 0 serves
//   TRAINDX_REDUCE_EVERY=N    steps between two reduced samples (default 20); epoch ends too
#pragma once

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#define TRAINDX_PROBE_API __attribute__((visibility("default")))

namespace traindx {

// The loss the training program optimises: lets TrainDx check that the last layer can
// reach the targets and that the loss does not apply an activation twice.
enum class Loss { Unspecified, BCE, BCEWithLogits, CrossEntropy, NLL, MSE, L1, SmoothL1, Other };

// What a function inside forward() applied to the tensor given to Probe::tap(). The probe
// records the tensor as that activation of the module it follows, so dead units and
// saturation are counted as for a torch::nn module. Unspecified: inferred from the values
// where they leave no doubt (a softmax's rows sum to 1, a ReLU's output is ≥ 0 with exact
// zeros); None: the module's own output, nothing applied.
enum class Activation { Unspecified, None, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU, ELU, MaxPool, AvgPool };

// What a named loss is expected to do (Probe::step with several losses): fall, or not —
// a GAN's generator and discriminator losses push against each other.
enum class Objective { Minimise, Adversarial };

class ProbeOptions {
public:
    ProbeOptions& name(std::string value) { name_ = std::move(value); return *this; }
    ProbeOptions& loss(Loss value) { loss_ = value; return *this; }
    // Fraction of the training loop's time the probe may spend on statistics.
    ProbeOptions& overhead_budget(double fraction) { overhead_budget_ = fraction; return *this; }
    // Rows of the describe_data() sample that are pushed through the model at each epoch end.
    ProbeOptions& probe_batch_size(int rows) { probe_batch_size_ = rows; return *this; }
    // Snapshots kept for a client that attaches late.
    ProbeOptions& history(int snapshots) { history_ = snapshots; return *this; }
    // Overrides TRAINDX_LISTEN.
    ProbeOptions& listen(std::string path) { listen_ = std::move(path); return *this; }
    // For a loop without epochs (train until the loss is small): every `steps` steps the
    // probe ends an epoch itself, as end_epoch() with no metrics would. 0: automatic — a
    // loop that has called no end_epoch() after 5000 steps, or after 200 steps and 20 s,
    // gets windows of that many steps.
    ProbeOptions& steps_per_epoch(int steps) { steps_per_epoch_ = steps; return *this; }
    // A named loss not expected to fall (Objective::Adversarial): the progress checks leave it out.
    ProbeOptions& objective(const std::string& loss, Objective value) { objectives_[loss] = value; return *this; }
    // The activation a custom forward() applies to the model's output as a function
    // (`return torch::sigmoid(fc3(x));`), for the output range checks. Needed only when
    // step() gets a plain number: from a loss tensor the probe reads it off the autograd graph.
    ProbeOptions& output(Activation value) { output_ = value; return *this; }
    // A job of several ranks: its process group gives the probe its rank and the job's size
    // (instead of RANK and WORLD_SIZE); the probe never calls its collectives.
    ProbeOptions& process_group(c10::intrusive_ptr<c10d::ProcessGroup> group) { process_group_ = std::move(group); return *this; }
    // The job's store, where the probe publishes its address (instead of opening its own
    // client to MASTER_ADDR:MASTER_PORT).
    ProbeOptions& store(c10::intrusive_ptr<c10d::Store> store) { store_ = std::move(store); return *this; }
    // Serve the job reduced (as TRAINDX_REDUCE=1): every rank must say the same. Snapshots are
    // then taken every `every` steps and at epoch ends, the boundaries every rank reaches.
    ProbeOptions& reduced(bool value, int every = 20) { reduced_ = value; reduce_every_ = every; return *this; }

    const std::string& name() const { return name_; }
    Loss loss() const { return loss_; }
    double overhead_budget() const { return overhead_budget_; }
    int probe_batch_size() const { return probe_batch_size_; }
    int history() const { return history_; }
    const std::string& listen() const { return listen_; }
    int steps_per_epoch() const { return steps_per_epoch_; }
    const std::map<std::string, Objective>& objectives() const { return objectives_; }
    Activation output() const { return output_; }
    const c10::intrusive_ptr<c10d::ProcessGroup>& process_group() const { return process_group_; }
    const c10::intrusive_ptr<c10d::Store>& store() const { return store_; }
    bool reduced() const { return reduced_; }
    int reduce_every() const { return reduce_every_; }

private:
    std::string name_;
    Loss loss_ = Loss::Unspecified;
    double overhead_budget_ = 0.01;
    int probe_batch_size_ = 256;
    int history_ = 512;
    std::string listen_;
    int steps_per_epoch_ = 0;
    std::map<std::string, Objective> objectives_;
    Activation output_ = Activation::Unspecified;
    c10::intrusive_ptr<c10d::ProcessGroup> process_group_;
    c10::intrusive_ptr<c10d::Store> store_;
    bool reduced_ = false;
    int reduce_every_ = 20;
};

class TRAINDX_PROBE_API Probe {
public:
    template <typename ModuleType>
    explicit Probe(const torch::nn::ModuleHolder<ModuleType>& model, ProbeOptions options = {})
        : Probe(std::static_pointer_cast<torch::nn::Module>(model.ptr()), std::move(options), 0)
    {
    }

    template <typename ModuleType, typename = std::enable_if_t<std::is_base_of_v<torch::nn::Module, ModuleType>>>
    explicit Probe(const std::shared_ptr<ModuleType>& model, ProbeOptions options = {})
        : Probe(std::static_pointer_cast<torch::nn::Module>(model), std::move(options), 0)
    {
    }

    // A module the program holds by value (`Net model;`): the probe keeps a reference, so
    // the module must outlive it, as it does when both live in the same scope.
    template <typename ModuleType, typename = std::enable_if_t<std::is_base_of_v<torch::nn::Module, ModuleType>>>
    explicit Probe(ModuleType& model, ProbeOptions options = {})
        : Probe(std::shared_ptr<torch::nn::Module>(std::shared_ptr<torch::nn::Module>(), &model), std::move(options), 0)
    {
    }

    ~Probe();
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    // Another model the same loop trains (a GAN's discriminator), before the first step:
    // its layers join the probe's under `name` ("discriminator.fc1"); the first model's
    // keep their own names.
    template <typename ModuleType>
    void add_model(const std::string& name, const torch::nn::ModuleHolder<ModuleType>& model)
    {
        add_model_ptr(name, std::static_pointer_cast<torch::nn::Module>(model.ptr()));
    }
    template <typename ModuleType, typename = std::enable_if_t<std::is_base_of_v<torch::nn::Module, ModuleType>>>
    void add_model(const std::string& name, const std::shared_ptr<ModuleType>& model)
    {
        add_model_ptr(name, std::static_pointer_cast<torch::nn::Module>(model));
    }
    template <typename ModuleType, typename = std::enable_if_t<std::is_base_of_v<torch::nn::Module, ModuleType>>>
    void add_model(const std::string& name, ModuleType& model)
    {
        add_model_ptr(name, std::shared_ptr<torch::nn::Module>(std::shared_ptr<torch::nn::Module>(), &model));
    }

    // Learning rate and optimizer type for the learning-rate checks; call it once per
    // optimizer, before the first step. Findings name it `name`, or by default the model
    // whose parameters it updates ("discriminator").
    void watch(const torch::optim::Optimizer& optimizer, const std::string& name = "");
    // A sample of the training data: its ranges feed the data checks, and its first rows
    // are the fixed probe batch whose activations are captured at each epoch end.
    void describe_data(const torch::Tensor& inputs, const torch::Tensor& targets);
    // After optimizer.step(), before the next zero_grad(). May block while TrainDx holds
    // the loop at this batch boundary.
    void step(const torch::Tensor& loss, std::optional<double> accuracy = std::nullopt);
    void step(double loss, std::optional<double> accuracy = std::nullopt);
    // Several named losses of one step: probe.step({{"d_loss", d}, {"g_loss", g}}). The
    // curves follow the first one (by name) that is minimised, or the first one when all
    // are adversarial; any loss that is not finite is reported as the step's loss.
    void step(const std::map<std::string, torch::Tensor>& losses, std::optional<double> accuracy = std::nullopt);
    // At the end of each epoch, with any metrics the program computed ("val_loss", …).
    // May block while TrainDx holds the loop at this epoch boundary.
    void end_epoch(const std::map<std::string, double>& metrics = {});
    // Inside a custom module's forward(): records the statistics of an intermediate
    // tensor. `name` is the path of the module whose output the tensor is, or was before
    // `activation` was applied to it:
    //   x = torch::relu(fc1->forward(x));  probe.tap("fc1", x, traindx::Activation::ReLU);
    void tap(const std::string& name, const torch::Tensor& tensor, Activation activation = Activation::Unspecified);

    // True once TrainDx asked the training to stop. A loop that checks it can end
    // cleanly; if it never checks, the probe ends the process at the next boundary.
    bool stop_requested() const;
    // False when the probe is off (TRAINDX=off) or could not start.
    bool active() const;

    class Impl;

private:
    Probe(std::shared_ptr<torch::nn::Module> model, ProbeOptions options, int);
    void add_model_ptr(const std::string& name, std::shared_ptr<torch::nn::Module> model);

    std::unique_ptr<Impl> impl_;
};

} // namespace traindx
