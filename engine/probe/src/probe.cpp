#include "traindx/probe.h"

#include "gradient_hooks.h"
#include "hold_gate.h"
#include "listen_address.h"
#include "loss_graph.h"
#include "model_walk.h"
#include "parameter_sample.h"
#include "live_changes.h"
#include "sample_clock.h"
#include "server.h"
#include "job_link.h"
#include "snapshot_parts.h"
#include "taps.h"
#include "tensor_stats.h"

#include <torch/version.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <mutex>
#include <unordered_set>
#include <unistd.h>

namespace traindx {

namespace {

using Clock = std::chrono::steady_clock;

bool env_is(const char* name, const char* value)
{
    const char* actual = std::getenv(name);
    return actual && std::string(actual) == value;
}

int env_int(const char* name, int fallback)
{
    const char* text = std::getenv(name);
    return text && *text ? std::atoi(text) : fallback;
}

wire::LossKind loss_kind(Loss loss)
{
    switch (loss) {
    case Loss::Unspecified: return wire::LOSS_UNSPECIFIED;
    case Loss::BCE: return wire::LOSS_BCE;
    case Loss::BCEWithLogits: return wire::LOSS_BCE_WITH_LOGITS;
    case Loss::CrossEntropy: return wire::LOSS_CROSS_ENTROPY;
    case Loss::NLL: return wire::LOSS_NLL;
    case Loss::MSE: return wire::LOSS_MSE;
    case Loss::L1: return wire::LOSS_L1;
    case Loss::SmoothL1: return wire::LOSS_SMOOTH_L1;
    case Loss::Other: return wire::LOSS_OTHER;
    }
    return wire::LOSS_UNSPECIFIED;
}

const char* loss_name(Loss loss)
{
    switch (loss) {
    case Loss::Unspecified: return "";
    case Loss::BCE: return "bce";
    case Loss::BCEWithLogits: return "bce_with_logits";
    case Loss::CrossEntropy: return "cross_entropy";
    case Loss::NLL: return "nll";
    case Loss::MSE: return "mse";
    case Loss::L1: return "l1";
    case Loss::SmoothL1: return "smooth_l1";
    case Loss::Other: return "other";
    }
    return "";
}

std::string optimizer_name(const torch::optim::Optimizer& optimizer)
{
    if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return "SGD";
    if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return "AdamW";
    if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return "Adam";
    if (dynamic_cast<const torch::optim::RMSprop*>(&optimizer)) return "RMSprop";
    if (dynamic_cast<const torch::optim::Adagrad*>(&optimizer)) return "Adagrad";
    if (dynamic_cast<const torch::optim::LBFGS*>(&optimizer)) return "LBFGS";
    return "Optimizer";
}

void fill_command_line(wire::Hello& hello)
{
    std::ifstream file("/proc/self/cmdline", std::ios::binary);
    std::string argument;
    bool first = true;
    while (std::getline(file, argument, '\0')) {
        if (first)
            hello.set_program(argument);
        else
            hello.add_arguments(argument);
        first = false;
    }
}

probe::Server::Limits server_limits(const ProbeOptions& options)
{
    probe::Server::Limits limits;
    limits.history_frames = std::size_t(std::max(1, options.history()));
    return limits;
}

} // namespace

class Probe::Impl {
public:
    Impl(std::shared_ptr<torch::nn::Module> model, ProbeOptions options);
    ~Impl();

    bool start();
    // Serialises the public calls; recursive, because the model's forward() run by the
    // probe may call tap().
    std::recursive_mutex& api_mutex() { return api_mutex_; }
    void watch(const torch::optim::Optimizer& optimizer, const std::string& name);
    void describe_data(const torch::Tensor& inputs, const torch::Tensor& targets);
    void step(double loss, std::optional<double> accuracy);
    void observe_loss(const torch::Tensor& loss);
    void step_named(const std::map<std::string, torch::Tensor>& losses, std::optional<double> accuracy);
    void add_model(const std::string& name, std::shared_ptr<torch::nn::Module> model);
    // `window` > 0: the probe closes a window of that many steps itself; 0: the program ended an epoch.
    void end_epoch(const std::map<std::string, double>& metrics, int window = 0);
    void tap(const std::string& name, const torch::Tensor& tensor, Activation activation);
    bool stop_requested();
    void fail(const char* where, const char* what);
    bool failed() const { return failed_; }
    const std::string& name() const { return options_.name(); }
    // Says `text` on the program's stderr and to the client, as an error event.
    void tell(const std::string& text);

private:
    // Time the probe spends, kept apart from the loop's own time (holds count as neither).
    class Meter {
    public:
        explicit Meter(Impl& impl) : impl_(impl), start_(Clock::now()) {}
        ~Meter() { impl_.clock_.add_probe_time(Clock::now() - start_); }
    private:
        Impl& impl_;
        Clock::time_point start_;
    };

    void send_model();
    void refresh_optimized();
    void send_initial_snapshot();
    // Hooks on the trainable parameters of the layers from `first_layer` on.
    void watch_gradients(std::size_t first_layer = 0);
    // Picks one sentinel per watched optimizer among the parameters it updates (one among
    // all, when none is watched).
    void choose_sentinels();
    // ||p.grad|| over what this step's backward produced, for the sentinel where it is
    // largest; 0 when unknown. Sets `optimizer` to 1 + that sentinel's optimizer (0: none watched).
    double accumulation_ratio(int* optimizer) const;
    // Weights before the first step, when the program has not described its data before
    // watch(): the first optimizer step must not be taken for the initialisation.
    void remember_initial_weights();
    // The name of the model whose parameters `parameters` are, when exactly one is.
    std::string model_of(const std::unordered_set<const void*>& parameters) const;
    // Inside backward, at the run's first non-finite gradient: tell the client, send the
    // weights as they still are, and hold.
    void hold_at_nonfinite(const probe::GradientHooks::Watch& watch, bool forward);
    using Weights = std::vector<probe::ParameterSampler::Sample>; // by layer id
    Weights copy_weights();
    double relative_change(const probe::LayerInfo& layer, const Weights& reference);
    // keep_reference: leave the weights remembered for a sample in progress untouched.
    void collect_parameters(wire::Snapshot& snapshot, bool with_update_ratio, bool epoch_end = false,
                            bool keep_reference = false);
    void capture_activations(wire::Snapshot& snapshot);
    // The taps recorded since the last sample; with `or_latest`, when none were, the
    // latest ones attached before (an epoch end between samples).
    void attach_taps(wire::Snapshot& snapshot, bool or_latest = false);
    void remember_weights();
    wire::LayerStats& layer_stats(wire::Snapshot& snapshot, int layer);
    // Whether the watched optimizer updates `parameter` (true when none is watched).
    bool optimizes(const torch::Tensor& parameter) const;
    // Stamps the snapshot and sends it, or hands it to the job's reduction.
    void flush(wire::Snapshot::Kind kind, wire::Snapshot&& snapshot);
    void send_snapshot(wire::Snapshot&& snapshot);
    // A job of several ranks: publishes this rank's address in the job's store, and sets up
    // the reduction when the job is served reduced.
    void join_job(bool serving);
    double learning_rate() const;
    void boundary(probe::Boundary where);
    // Steps per epoch when the probe closes them itself (ProbeOptions::steps_per_epoch, or
    // automatic windows for a loop that ends none), else 0.
    int window_steps();
    void on_hold(bool held, const probe::HoldGate::Position& position);
    // On the training thread, at a boundary or before training: the changes a client asked
    // for, each answered with an event.
    void apply_changes(bool at_epoch_end = false);

    std::shared_ptr<torch::nn::Module> model_;
    std::vector<std::shared_ptr<torch::nn::Module>> models_ {model_}; // model_ and those added
    ProbeOptions options_;
    std::vector<std::string> model_names_ {options_.name()}; // by models_ index
    probe::ModelWalk walk_;
    probe::HoldGate gate_;
    probe::Server server_;

    struct WatchedOptimizer {
        const torch::optim::Optimizer* optimizer = nullptr;
        std::string name; // given to watch(), or the model it updates
        std::string type;
        std::unordered_set<const void*> parameters; // by tensor
    };
    std::vector<WatchedOptimizer> optimizers_; // in the order of the watch() calls
    std::unordered_set<const void*> optimized_; // every watched optimizer's parameters
    std::vector<int> sentinel_optimizer_;       // per sentinel: 1 + optimizer index, 0 when none is watched
    std::optional<wire::Snapshot> pending_initial_; // taken at watch(), sent at the first step
    torch::Tensor probe_batch_;

    int epoch_ = 0;
    int batch_ = 0;
    long long step_ = 0;
    std::vector<wire::BatchPoint> points_;
    double epoch_loss_sum_ = 0, epoch_accuracy_sum_ = 0;
    int epoch_loss_count_ = 0, epoch_accuracy_count_ = 0;

    // Sampling: layer statistics are taken while probe time stays within the budget.
    probe::SampleClock clock_ {options_.overhead_budget()};
    double probe_seconds_reported_ = 0, loop_seconds_reported_ = 0;
    bool weights_remembered_ = false;
    probe::ParameterSampler sampler_;
    Weights previous_weights_;    // one step back, for the update ratio of a sample
    Weights epoch_start_weights_; // for the update over a whole epoch
    std::vector<double> update_ratio_;
    std::shared_ptr<probe::GradientHooks> hooks_ = std::make_shared<probe::GradientHooks>();
    std::vector<torch::Tensor> watched_; // by watch index
    Clock::time_point last_step_end_;    // when step() last returned to the trainer
    bool eval_mode_seen_ = false;

    probe::Taps taps_ {walk_};
    probe::LiveChanges changes_;
    std::mutex settled_mutex_;
    std::condition_variable settled_changed_;
    bool settled_ = false; // the waited-for client has sent its settings
    std::map<int, wire::LayerStats> latest_taps_; // by layer id

    std::recursive_mutex api_mutex_;
    bool initial_sent_ = false;
    bool loss_graph_seen_ = false;
    std::vector<std::string> loss_graph_;
    bool stop_polled_ = false;
    bool failed_ = false;
    bool program_ends_epochs_ = false;
    bool loss_adversarial_ = false; // the loss the curves follow is not expected to fall
    int auto_window_ = 0;
    long long held_snapshot_step_ = -1; // the step whose state a hold last sent
    probe::JobPlace place_;
    bool reduced_ = false;  // the job is served reduced: snapshots only at boundaries every rank reaches
    int reduce_every_ = 20; // steps between two reduced samples
    std::unique_ptr<probe::JobLink> job_;
    static constexpr long long kAutoWindowMostSteps = 5000;
    static constexpr long long kAutoWindowFewestSteps = 200;
    static constexpr double kAutoWindowSeconds = 20.0;
};

Probe::Impl::Impl(std::shared_ptr<torch::nn::Module> model, ProbeOptions options)
    : model_(std::move(model))
    , options_(std::move(options))
    , walk_(model_)
    , gate_([this](bool held, const probe::HoldGate::Position& position) { on_hold(held, position); })
    , server_({[this](const wire::Control& control) {
                   using C = probe::HoldGate::Command;
                   switch (control.command()) {
                   case wire::Control::PAUSE: gate_.command(C::Pause); break;
                   case wire::Control::CONTINUE: gate_.command(C::Continue); break;
                   case wire::Control::STEP_EPOCH: gate_.command(C::StepEpoch); break;
                   case wire::Control::STEP_BATCH: gate_.command(C::StepBatch); break;
                   case wire::Control::STOP: gate_.command(C::Stop); break;
                   case wire::Control::SET_BREAK: {
                       hooks_->break_on_nonfinite = control.break_on_nonfinite();
                       // A client sends its settings, changes first, as soon as it connects.
                       std::lock_guard lock(settled_mutex_);
                       settled_ = true;
                       settled_changed_.notify_all();
                       break;
                   }
                   case wire::Control::CHANGE: changes_.request(control.change()); break;
                   default: break; // commands of a newer client are ignored
                   }
               },
               [this] {
                   hooks_->break_on_nonfinite = false;
                   gate_.client_gone();
               }},
              server_limits(options_))
    , update_ratio_(walk_.layers().size(), -1.0)
{
    watch_gradients();
}

void Probe::Impl::watch_gradients(std::size_t first_layer)
{
    for (std::size_t id = first_layer; id < walk_.layers().size(); ++id)
        for (const auto& [name, tensor] : walk_.layers()[id].parameters)
            if (tensor.requires_grad()) {
                probe::GradientHooks::watch(hooks_, int(id), name, tensor);
                watched_.push_back(tensor);
            }
    hooks_->on_nonfinite = [this](const probe::GradientHooks::Watch& watch, bool forward) { hold_at_nonfinite(watch, forward); };
    hooks_->scale_others = [this](double factor, std::size_t except) {
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < watched_.size(); ++i)
            if (i != except && watched_[i].grad().defined())
                watched_[i].mutable_grad().mul_(factor);
    };
    choose_sentinels();
}

void Probe::Impl::choose_sentinels()
{
    const auto smallest = [this](const std::function<bool(const torch::Tensor&)>& among) {
        std::size_t best = probe::GradientHooks::kNone;
        for (std::size_t i = 0; i < watched_.size(); ++i)
            if (among(watched_[i]) && (best == probe::GradientHooks::kNone || watched_[i].numel() < watched_[best].numel()))
                best = i;
        return best;
    };
    std::vector<std::size_t> sentinels;
    sentinel_optimizer_.clear();
    if (optimizers_.empty()) {
        sentinels.push_back(smallest([](const torch::Tensor&) { return true; }));
        sentinel_optimizer_.push_back(0);
    }
    for (std::size_t o = 0; o < optimizers_.size(); ++o) {
        const auto& parameters = optimizers_[o].parameters;
        sentinels.push_back(smallest([&parameters](const torch::Tensor& t) { return parameters.count(t.unsafeGetTensorImpl()) > 0; }));
        sentinel_optimizer_.push_back(int(o) + 1);
    }
    hooks_->set_sentinels(sentinels);
}

double Probe::Impl::accumulation_ratio(int* optimizer) const
{
    double largest = 0;
    *optimizer = 0;
    for (std::size_t i = 0; i < hooks_->sentinels.size(); ++i) {
        const std::size_t index = hooks_->sentinels[i].index;
        if (index == probe::GradientHooks::kNone)
            continue;
        const double ratio = hooks_->accumulation_ratio(i, watched_[index]);
        if (ratio > largest) {
            largest = ratio;
            *optimizer = sentinel_optimizer_[i];
        }
    }
    return largest;
}

void Probe::Impl::hold_at_nonfinite(const probe::GradientHooks::Watch& watch, bool forward)
{
    if (!server_.has_client())
        return;
    const auto start = Clock::now();
    const auto& layer = walk_.layers()[std::size_t(watch.layer)];
    wire::Frame frame;
    auto* event = frame.mutable_event();
    event->set_kind(wire::Event::NONFINITE_GRADIENT);
    event->set_epoch(epoch_);
    event->set_batch(batch_);
    event->set_step(step_);
    event->set_layer(watch.layer);
    event->set_parameter(watch.parameter);
    event->set_forward(forward);
    event->set_text((forward ? "the loss or the output was already not finite; " : "") + std::string("the gradient of ")
                    + (layer.path.empty() ? layer.type : layer.path) + "." + watch.parameter
                    + " is not finite, before the optimizer used it");
    server_.send(std::move(frame), probe::Server::Keep::Nothing);
    if (!reduced_) { // a snapshot of one rank's own cannot enter the job's reduction
        wire::Snapshot snapshot;
        collect_parameters(snapshot, false, false, /*keep_reference=*/true);
        flush(wire::Snapshot::BATCH, std::move(snapshot));
    }
    clock_.add_probe_time(Clock::now() - start);
    const auto held = Clock::now();
    gate_.hold({epoch_, batch_, step_, probe::Boundary::Gradient});
    clock_.add_held_time(Clock::now() - held);
}

Probe::Impl::~Impl()
{
    hooks_->alive = false;
    hooks_->on_nonfinite = nullptr;
    job_.reset(); // its last snapshots reach the client before the end
    wire::Frame frame;
    auto* event = frame.mutable_event();
    event->set_kind(wire::Event::FINISHED);
    event->set_epoch(epoch_);
    event->set_step(step_);
    server_.send(std::move(frame), probe::Server::Keep::Nothing);
    server_.stop(std::chrono::milliseconds(2000));
}

bool Probe::Impl::start()
{
    // Launched by TrainDx, the program's output goes to a pipe the debugger reads; if the
    // debugger is killed, the next line printed would end the training with SIGPIPE.
    if (env_is("TRAINDX_LAUNCHED", "1")) {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    }
    // The hello and the model are in place before the socket accepts anyone: a client that
    // connects the moment it can must not be greeted by an empty hello.
    wire::Hello hello;
    hello.set_protocol_major(wire::kProtocolMajor);
    hello.set_protocol_minor(wire::kProtocolMinor);
    hello.set_role(wire::Hello::PROBE);
    hello.set_pid(::getpid());
    fill_command_line(hello);
    hello.set_torch_version(TORCH_VERSION);
    hello.set_traindx_version(TRAINDX_VERSION);
    place_ = probe::job_place_from_environment();
    if (const auto& group = options_.process_group()) {
        place_.rank = group->getRank();
        place_.world_size = group->getSize();
    }
    reduced_ = place_.in_job() && (options_.reduced() || env_is("TRAINDX_REDUCE", "1"));
    if (reduced_ && !options_.store() && (place_.store_host.empty() || place_.store_port <= 0)) {
        std::fprintf(stderr, "traindx: the job cannot be served reduced without its store (MASTER_ADDR, MASTER_PORT or "
                             "ProbeOptions::store): each rank serves its own statistics\n");
        reduced_ = false;
    }
    reduce_every_ = std::max(2, env_int("TRAINDX_REDUCE_EVERY", options_.reduce_every()));
    if (reduced_)
        probe::set_histogram_grid(probe::HistogramGrid::Dyadic);
    hello.set_rank(place_.rank);
    hello.set_world_size(place_.world_size);
    hello.set_reduced(reduced_ && place_.rank == 0);
    hello.set_model_name(options_.name());
    hello.set_started_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    server_.set_hello(hello);
    send_model();

    // Served reduced, the job's statistics come from rank 0 alone.
    if (reduced_ && place_.rank != 0) {
        join_job(false);
        clock_.restart(Clock::now());
        return true;
    }
    std::string error;
    const std::string path = probe::listen_path(options_.listen(), &error);
    bool token_generated = false;
    std::string token;
    if (probe::is_tcp(path)) {
        token = probe::listen_token(&token_generated, &error);
        server_.set_token(token);
    }
    if (path.empty() || !error.empty() || !server_.listen(path, &error)) {
        std::fprintf(stderr, "traindx: the probe is off: %s\n", error.c_str());
        return false;
    }
    if (probe::is_tcp(path))
        std::fprintf(stderr, "traindx: listening on %s; attach with: traindx-cli attach %s --token %s\n",
                     server_.path().c_str(), server_.path().c_str(),
                     token_generated ? token.c_str() : "\"$TRAINDX_TOKEN\"");
    join_job(true);

    if (env_is("TRAINDX_WAIT", "1")) {
        const int timeout = env_int("TRAINDX_WAIT_TIMEOUT", 30);
        if (!server_.wait_for_client(std::chrono::seconds(timeout))) {
            std::fprintf(stderr, "traindx: no TrainDx client connected within %d s; training goes on\n", timeout);
        } else {
            // Its settings and the changes it asks for before training are in before the first step.
            std::unique_lock lock(settled_mutex_);
            settled_changed_.wait_for(lock, std::chrono::seconds(2), [this] { return settled_; });
        }
    }
    clock_.restart(Clock::now());
    return true;
}

void Probe::Impl::join_job(bool serving)
{
    if (!place_.in_job() || (!options_.store() && (place_.store_host.empty() || place_.store_port <= 0)))
        return;
    probe::JobLink::Settings settings;
    settings.place = place_;
    settings.store = options_.store();
    settings.reduced = reduced_;
    if (serving)
        settings.address = server_.path();
    settings.timeout = std::chrono::seconds(std::max(1, env_int("TRAINDX_REDUCE_TIMEOUT", 10)));
    job_ = std::make_unique<probe::JobLink>(
        std::move(settings), [this](wire::Snapshot&& snapshot) { send_snapshot(std::move(snapshot)); },
        [this](const std::string& text) { tell(text); });
}

void Probe::Impl::fail(const char* where, const char* what)
{
    if (!failed_)
        std::fprintf(stderr, "traindx: the probe stops watching after an error in %s: %s\n", where, what);
    failed_ = true;
    gate_.client_gone();
}

void Probe::Impl::send_model()
{
    wire::Frame frame;
    auto* model = frame.mutable_model();
    walk_.describe(model);
    model->set_name(options_.name());
    model->set_loss(loss_name(options_.loss()));
    model->set_loss_kind(loss_kind(options_.loss()));
    model->set_loss_adversarial(loss_adversarial_);
    for (const auto& node : loss_graph_)
        model->add_loss_graph(node);
    const auto [output_type, output_function] = probe::activation_names(options_.output());
    model->set_output_activation(output_type);
    model->set_output_function(output_function);
    if (!optimizers_.empty()) {
        for (auto& layer : *model->mutable_layers()) {
            const auto& info = walk_.layers()[std::size_t(layer.id())];
            for (int i = 0; i < layer.parameters_size() && std::size_t(i) < info.parameters.size(); ++i) {
                const void* tensor = info.parameters[i].second.unsafeGetTensorImpl();
                layer.mutable_parameters(i)->set_optimizer(optimized_.count(tensor) ? wire::TensorShape::IN_OPTIMIZER
                                                                                    : wire::TensorShape::NOT_IN_OPTIMIZER);
                for (std::size_t o = 0; o < optimizers_.size() && layer.optimizer() == 0; ++o)
                    if (optimizers_[o].parameters.count(tensor))
                        layer.set_optimizer(int(o) + 1);
            }
        }
        model->set_optimizer(optimizers_.front().type);
    }
    for (const auto& watched : optimizers_) {
        auto* optimizer = model->add_optimizers();
        optimizer->set_name(watched.name);
        optimizer->set_type(watched.type);
        if (!watched.optimizer->param_groups().empty())
            optimizer->set_learning_rate(watched.optimizer->param_groups().front().options().get_lr());
    }
    model->set_learning_rate(learning_rate());
    model->set_probe_batch_size(probe_batch_.defined() ? int(probe_batch_.size(0)) : 0);
    server_.set_state(probe::Server::State::Model, frame);
}

double Probe::Impl::learning_rate() const
{
    if (optimizers_.empty() || optimizers_.front().optimizer->param_groups().empty())
        return 0.0;
    return optimizers_.front().optimizer->param_groups().front().options().get_lr();
}

std::string Probe::Impl::model_of(const std::unordered_set<const void*>& parameters) const
{
    std::string found;
    for (std::size_t m = 0; m < models_.size(); ++m)
        for (const auto& parameter : models_[m]->parameters())
            if (parameters.count(parameter.unsafeGetTensorImpl())) {
                if (!found.empty() && found != model_names_[m])
                    return "";
                found = model_names_[m];
                break;
            }
    return found;
}

void Probe::Impl::refresh_optimized()
{
    optimized_.clear();
    for (auto& watched : optimizers_) {
        watched.parameters.clear();
        for (const auto& group : watched.optimizer->param_groups())
            for (const auto& parameter : group.params()) {
                watched.parameters.insert(parameter.unsafeGetTensorImpl());
                optimized_.insert(parameter.unsafeGetTensorImpl());
            }
    }
}

void Probe::Impl::watch(const torch::optim::Optimizer& optimizer, const std::string& name)
{
    Meter meter(*this);
    for (const auto& watched : optimizers_)
        if (watched.optimizer == &optimizer)
            return;
    WatchedOptimizer watched {&optimizer, name, optimizer_name(optimizer), {}};
    for (const auto& group : optimizer.param_groups())
        for (const auto& parameter : group.params()) {
            watched.parameters.insert(parameter.unsafeGetTensorImpl());
            optimized_.insert(parameter.unsafeGetTensorImpl());
        }
    if (watched.name.empty())
        watched.name = model_of(watched.parameters);
    if (watched.name.empty())
        watched.name = "optimizer " + std::to_string(optimizers_.size() + 1);
    optimizers_.push_back(std::move(watched));
    choose_sentinels();
    apply_changes(); // asked for before training: applied before the first step, and before the
                     // initial weights are taken
    send_model();
    remember_initial_weights();
}

void Probe::Impl::remember_initial_weights()
{
    if (initial_sent_ || step_ > 0)
        return;
    wire::Snapshot snapshot;
    collect_parameters(snapshot, false);
    pending_initial_ = std::move(snapshot);
    epoch_start_weights_ = copy_weights();
    remember_weights();
    taps_.arm();
}

void Probe::Impl::describe_data(const torch::Tensor& inputs, const torch::Tensor& targets)
{
    Meter meter(*this);
    wire::Frame frame;
    auto* data = frame.mutable_data();
    probe::tensor_stats(inputs, true, data->mutable_inputs());
    probe::tensor_stats(targets, true, data->mutable_targets());
    for (auto d : inputs.sizes())
        data->add_input_shape(d);
    for (auto d : targets.sizes())
        data->add_target_shape(d);
    data->set_targets_integral(!torch::isFloatingType(targets.scalar_type()));
    server_.set_state(probe::Server::State::Data, frame);

    const auto rows = std::min<std::int64_t>(inputs.size(0), std::max(1, options_.probe_batch_size()));
    probe_batch_ = inputs.detach().slice(0, 0, rows).clone();
    walk_.capture(probe_batch_, [](const probe::LayerInfo&, const torch::Tensor&) {}); // learns the output shapes
    apply_changes();
    send_model();
    send_initial_snapshot();
}

void Probe::Impl::send_initial_snapshot()
{
    if (initial_sent_ || step_ > 0)
        return;
    initial_sent_ = true;
    pending_initial_.reset();
    epoch_start_weights_ = copy_weights();
    wire::Snapshot snapshot;
    collect_parameters(snapshot, false);
    capture_activations(snapshot);
    flush(wire::Snapshot::INITIAL, std::move(snapshot));
    // The first step is always measured: its size says whether the learning rate is sane
    // before the values can overflow.
    if (step_ == 0) {
        remember_weights();
        taps_.arm();
    }
}

wire::LayerStats& Probe::Impl::layer_stats(wire::Snapshot& snapshot, int layer)
{
    for (auto& stats : *snapshot.mutable_layers())
        if (stats.layer() == layer)
            return stats;
    auto* stats = snapshot.add_layers();
    stats->set_layer(layer);
    stats->set_update_ratio(update_ratio_[layer]);
    stats->set_epoch_update_ratio(-1.0);
    return *stats;
}

bool Probe::Impl::optimizes(const torch::Tensor& parameter) const
{
    return optimizers_.empty() || optimized_.count(parameter.unsafeGetTensorImpl()) > 0;
}

namespace {

std::vector<torch::Tensor> tensors_of(const probe::LayerInfo& layer)
{
    std::vector<torch::Tensor> tensors;
    for (const auto& parameter : layer.parameters)
        tensors.push_back(parameter.second);
    return tensors;
}

} // namespace

// A bounded sample of each parameter, not a clone of the model (see ParameterSampler).
Probe::Impl::Weights Probe::Impl::copy_weights()
{
    Weights copy(walk_.layers().size());
    for (const auto& layer : walk_.layers())
        if (!layer.parameters.empty())
            copy[layer.id] = sampler_.remember(layer.id, tensors_of(layer));
    return copy;
}

double Probe::Impl::relative_change(const probe::LayerInfo& layer, const Weights& reference)
{
    if (std::size_t(layer.id) >= reference.size() || reference[layer.id].empty())
        return -1.0;
    return sampler_.relative_change(layer.id, tensors_of(layer), reference[layer.id]);
}

void Probe::Impl::remember_weights()
{
    previous_weights_ = copy_weights();
    weights_remembered_ = true;
}

void Probe::Impl::collect_parameters(wire::Snapshot& snapshot, bool with_update_ratio, bool snapshot_is_epoch_end,
                                     bool keep_reference)
{
    torch::NoGradGuard no_grad;
    for (const auto& layer : walk_.layers()) {
        if (layer.parameters.empty())
            continue;
        if (with_update_ratio && weights_remembered_)
            update_ratio_[layer.id] = relative_change(layer, previous_weights_);
        auto& stats = layer_stats(snapshot, layer.id);
        if (snapshot_is_epoch_end)
            stats.set_epoch_update_ratio(relative_change(layer, epoch_start_weights_));
        const torch::Tensor* weight = nullptr;
        const torch::Tensor* bias = nullptr;
        // "weight" and "bias", or a recurrent layer's first of each ("weight_ih_l0", "bias_ih_l0").
        for (const auto& [name, tensor] : layer.parameters) {
            if (name == "bias" || (!bias && name.rfind("bias", 0) == 0))
                bias = &tensor;
            else if (!weight || name == "weight")
                weight = &tensor;
            if ((with_update_ratio || snapshot_is_epoch_end) && tensor.requires_grad() && !tensor.grad().defined()
                && optimizes(tensor))
                stats.set_no_gradient(true);
        }
        if (weight) {
            probe::tensor_stats(*weight, true, stats.mutable_weight());
            if (weight->grad().defined()) {
                probe::tensor_stats(weight->grad(), true, stats.mutable_weight_grad());
            }
        }
        if (bias) {
            probe::tensor_stats(*bias, true, stats.mutable_bias());
            if (bias->grad().defined()) {
                probe::tensor_stats(bias->grad(), true, stats.mutable_bias_grad());
            }
        }
    }
    if (keep_reference)
        return;
    weights_remembered_ = false;
    previous_weights_.clear();
}

void Probe::Impl::capture_activations(wire::Snapshot& snapshot)
{
    if (!probe_batch_.defined() || !walk_.sequential())
        return;
    walk_.capture(probe_batch_, [&](const probe::LayerInfo& layer, const torch::Tensor& output) {
        if (layer.leaf)
            probe::activation_stats(output, layer.type, &layer_stats(snapshot, layer.id));
    });
}

void Probe::Impl::attach_taps(wire::Snapshot& snapshot, bool or_latest)
{
    if (!taps_.recorded().empty())
        latest_taps_ = taps_.recorded();
    else if (!or_latest)
        return;
    for (const auto& [layer, tap] : latest_taps_) {
        auto& stats = layer_stats(snapshot, layer);
        *stats.mutable_activation() = tap.activation();
        stats.set_dead_fraction(tap.dead_fraction());
        stats.set_saturated_fraction(tap.saturated_fraction());
        *stats.mutable_unit_active() = tap.unit_active();
    }
}

void Probe::Impl::flush(wire::Snapshot::Kind kind, wire::Snapshot&& snapshot)
{
    const auto now = Clock::now();
    const double loop_total = clock_.loop_seconds(now);
    const double probe_total = clock_.probe_seconds();
    snapshot.set_kind(kind);
    snapshot.set_step(step_);
    snapshot.set_epoch(epoch_);
    snapshot.set_batch(batch_);
    snapshot.set_learning_rate(learning_rate());
    snapshot.set_probe_seconds(probe_total - probe_seconds_reported_);
    snapshot.set_loop_seconds(loop_total - loop_seconds_reported_);
    snapshot.set_dropped(server_.dropped());
    snapshot.set_eval_mode(eval_mode_seen_);
    eval_mode_seen_ = false;
    snapshot.set_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
    for (auto& point : points_)
        *snapshot.add_points() = std::move(point);
    points_.clear();
    probe_seconds_reported_ = probe_total;
    loop_seconds_reported_ = loop_total;
    clock_.flushed(now);
    if (reduced_ && job_)
        job_->reduce(std::move(snapshot));
    else
        send_snapshot(std::move(snapshot));
    server_.set_progress(epoch_, step_);
}

void Probe::Impl::send_snapshot(wire::Snapshot&& snapshot)
{
    const auto keep = snapshot.layers_size() > 0 || snapshot.kind() == wire::Snapshot::EPOCH_END
                          ? probe::Server::Keep::Snapshot
                          : probe::Server::Keep::Points;
    for (auto& part : wire::split_snapshot(std::move(snapshot), wire::kMaxFrameBytes / 4)) {
        wire::Frame frame;
        *frame.mutable_snapshot() = std::move(part);
        server_.send(std::move(frame), keep);
    }
}

// Once, at the first loss tensor: what lies between the model's output and the loss.
void Probe::Impl::observe_loss(const torch::Tensor& loss)
{
    if (loss_graph_seen_ || !loss.defined() || !loss.requires_grad())
        return;
    Meter meter(*this);
    loss_graph_seen_ = true;
    loss_graph_ = probe::loss_graph(loss);
    if (!loss_graph_.empty())
        send_model();
}

void Probe::Impl::step(double loss, std::optional<double> accuracy)
{
    {
        Meter meter(*this);
        if (!initial_sent_ && pending_initial_) { // without describe_data(): the weights at watch()
            initial_sent_ = true;
            flush(wire::Snapshot::INITIAL, std::move(*pending_initial_));
            pending_initial_.reset();
        } else if (!initial_sent_) {
            send_initial_snapshot(); // neither describe_data() nor watch(): weights after one step
        }
        const auto start = Clock::now();
        wire::BatchPoint point;
        point.set_step(step_);
        point.set_epoch(epoch_);
        point.set_batch(batch_);
        point.set_loss(loss);
        if (hooks_->step_measured) {
            point.set_grad_norm(std::sqrt(hooks_->step_sum_of_squares));
            point.set_has_grad_norm(true);
            int optimizer = 0;
            point.set_accumulated(accumulation_ratio(&optimizer));
            point.set_accumulated_optimizer(optimizer);
            // The step's own work, up to its last gradient: not the wait for other ranks in an
            // all-reduce after backward, nor the optimizer.
            if (last_step_end_ != Clock::time_point() && hooks_->last_gradient > last_step_end_)
                point.set_compute_seconds(std::chrono::duration<double>(hooks_->last_gradient - last_step_end_).count());
        }
        hooks_->begin_step();
        if (accuracy) {
            point.set_accuracy(*accuracy);
            point.set_has_accuracy(true);
            epoch_accuracy_sum_ += *accuracy;
            ++epoch_accuracy_count_;
        }
        for (const auto& model : models_)
            if (!model->is_training())
                eval_mode_seen_ = true;
        if (std::isfinite(loss)) {
            epoch_loss_sum_ += loss;
            ++epoch_loss_count_;
        }
        points_.push_back(point);

        if (weights_remembered_) {
            // The second step of a sample: weights now minus weights one step ago.
            wire::Snapshot snapshot;
            collect_parameters(snapshot, true);
            attach_taps(snapshot);
            taps_.clear();
            clock_.sampled(start, Clock::now());
            flush(wire::Snapshot::BATCH, std::move(snapshot));
        } else if (reduced_ ? (step_ + 2) % reduce_every_ == 0 : clock_.sample_due(start)) {
            remember_weights();
            taps_.arm();
        } else if (!reduced_ && clock_.flush_due(start)) {
            flush(wire::Snapshot::BATCH, wire::Snapshot());
        }
        ++step_;
        ++batch_;
    }
    boundary(probe::Boundary::Batch);
    if (const int window = window_steps(); window > 0 && batch_ >= window)
        end_epoch({}, window);
    last_step_end_ = Clock::now();
}

int Probe::Impl::window_steps()
{
    if (options_.steps_per_epoch() > 0)
        return options_.steps_per_epoch();
    if (program_ends_epochs_)
        return 0;
    // A loop that has ended no epoch after a good while never will: the probe closes
    // windows of as many steps as it has seen so far, so the epoch-level checks run.
    if (auto_window_ == 0
        && (step_ >= kAutoWindowMostSteps
            || (step_ >= kAutoWindowFewestSteps && !reduced_ && clock_.loop_seconds(Clock::now()) >= kAutoWindowSeconds)))
        auto_window_ = int(step_);
    return auto_window_;
}

void Probe::Impl::end_epoch(const std::map<std::string, double>& metrics, int window)
{
    if (window == 0)
        program_ends_epochs_ = true;
    {
        Meter meter(*this);
        wire::Snapshot snapshot;
        snapshot.set_window_steps(window);
        for (const auto& [name, value] : metrics)
            (*snapshot.mutable_metrics())[name] = value;
        auto& all = *snapshot.mutable_metrics();
        if (!all.count("train_loss") && epoch_loss_count_ > 0)
            all["train_loss"] = epoch_loss_sum_ / epoch_loss_count_;
        if (!all.count("train_accuracy") && epoch_accuracy_count_ > 0)
            all["train_accuracy"] = epoch_accuracy_sum_ / epoch_accuracy_count_;
        collect_parameters(snapshot, false, true);
        epoch_start_weights_ = copy_weights();
        capture_activations(snapshot);
        attach_taps(snapshot, true);
        flush(wire::Snapshot::EPOCH_END, std::move(snapshot));
        taps_.arm();
    }
    boundary(probe::Boundary::Epoch);
    ++epoch_;
    batch_ = 0;
    epoch_loss_sum_ = epoch_accuracy_sum_ = 0;
    epoch_loss_count_ = epoch_accuracy_count_ = 0;
    server_.set_progress(epoch_, step_);
}

void Probe::Impl::tap(const std::string& name, const torch::Tensor& tensor, Activation activation)
{
    if (!taps_.armed())
        return;
    Meter meter(*this);
    if (taps_.record(name, tensor, activation)) {
        update_ratio_.resize(walk_.layers().size(), -1.0);
        send_model();
    }
}

void Probe::Impl::add_model(const std::string& name, std::shared_ptr<torch::nn::Module> model)
{
    if (initial_sent_ || step_ > 0) {
        tell("add_model(\"" + name + "\") after the first step is ignored: add every model before training");
        return;
    }
    if (!model)
        return;
    Meter meter(*this);
    const std::size_t first = walk_.layers().size();
    walk_.add_model(name, model);
    models_.push_back(std::move(model));
    model_names_.push_back(name);
    update_ratio_.resize(walk_.layers().size(), -1.0);
    watch_gradients(first);
    send_model();
    if (pending_initial_)
        remember_initial_weights(); // the added model's weights too
}

void Probe::Impl::step_named(const std::map<std::string, torch::Tensor>& losses, std::optional<double> accuracy)
{
    if (losses.empty())
        return;
    const auto adversarial = [this](const std::string& name) {
        const auto found = options_.objectives().find(name);
        return found != options_.objectives().end() && found->second == Objective::Adversarial;
    };
    auto followed = losses.begin();
    for (auto it = losses.begin(); it != losses.end(); ++it)
        if (!adversarial(it->first)) {
            followed = it;
            break;
        }
    double value = followed->second.defined() ? followed->second.item<double>() : std::nan("");
    for (const auto& [name, loss] : losses)
        if (const double v = loss.defined() ? loss.item<double>() : std::nan(""); !std::isfinite(v))
            value = v; // a broken loss is the step's news, whichever it is
    if (!loss_graph_seen_ && adversarial(followed->first) != loss_adversarial_) {
        loss_adversarial_ = adversarial(followed->first);
        send_model();
    }
    observe_loss(followed->second);
    step(value, accuracy);
}

void Probe::Impl::on_hold(bool held, const probe::HoldGate::Position& position)
{
    wire::Frame frame;
    auto* event = frame.mutable_event();
    event->set_kind(held ? wire::Event::HELD : wire::Event::RESUMED);
    event->set_epoch(position.epoch);
    event->set_batch(position.batch);
    event->set_step(position.step);
    event->set_at_epoch_end(position.boundary == probe::Boundary::Epoch);
    event->set_in_backward(position.boundary == probe::Boundary::Gradient);
    server_.send(std::move(frame), probe::Server::Keep::Nothing);
    // Held between batches (a pause, a step of one batch): the weights and gradients as they
    // are now, so every view shows the state at the hold. An epoch end and a hold inside
    // backward have just sent theirs.
    if (held && !reduced_ && position.boundary == probe::Boundary::Batch && held_snapshot_step_ != position.step
        && step_ > 0 && batch_ > 0) {
        held_snapshot_step_ = position.step;
        wire::Snapshot snapshot;
        collect_parameters(snapshot, false, false, /*keep_reference=*/true);
        // A batch sample names the step just done, as one taken inside step() does.
        --step_;
        --batch_;
        flush(wire::Snapshot::BATCH, std::move(snapshot));
        ++step_;
        ++batch_;
    }
}

void Probe::Impl::apply_changes(bool at_epoch_end)
{
    if (!changes_.pending())
        return;
    std::vector<const torch::optim::Optimizer*> optimizers;
    for (const auto& watched : optimizers_)
        optimizers.push_back(watched.optimizer);
    auto events = changes_.apply(walk_.layers(), optimizers, *hooks_, step_, epoch_ + (at_epoch_end ? 1 : 0));
    if (events.empty())
        return;
    refresh_optimized(); // parameters given to an optimizer
    for (auto& event : events) {
        event.set_epoch(epoch_);
        event.set_batch(batch_);
        event.set_step(step_);
        event.set_at_epoch_end(at_epoch_end);
        if (event.kind() == wire::Event::CHANGE_APPLIED)
            std::fprintf(stderr, "traindx: changed by TrainDx at step %lld: %s\n", step_, event.text().c_str());
        wire::Frame frame;
        *frame.mutable_event() = std::move(event);
        server_.send(std::move(frame), probe::Server::Keep::Nothing);
    }
    if (weights_remembered_)
        remember_weights(); // a sample in progress measures the steps, not the change
    send_model();           // rates, frozen layers
}

void Probe::Impl::boundary(probe::Boundary where)
{
    const auto start = Clock::now();
    gate_.pass({epoch_, batch_, step_, where});
    clock_.add_held_time(Clock::now() - start);
    apply_changes(where == probe::Boundary::Epoch);
    if (gate_.stop_requested() && !stop_polled_) {
        // The loop does not check stop_requested(): end the program as a debugger's stop does.
        wire::Frame frame;
        frame.mutable_event()->set_kind(wire::Event::STOPPING);
        frame.mutable_event()->set_text("stopped by TrainDx");
        server_.send(std::move(frame), probe::Server::Keep::Nothing);
        server_.stop(std::chrono::milliseconds(1000));
        std::fprintf(stderr, "traindx: training stopped by TrainDx\n");
        std::raise(SIGTERM);
    }
}

bool Probe::Impl::stop_requested()
{
    stop_polled_ = true;
    return gate_.stop_requested();
}

// ---------------------------------------------------------------------------------------
// The public API: every call is fenced so that nothing the probe does escapes into the loop.

#define TRAINDX_GUARDED(where, ...)                                                                  \
    do {                                                                                            \
        if (!impl_ || impl_->failed())                                                              \
            break;                                                                                  \
        std::lock_guard<std::recursive_mutex> serialised(impl_->api_mutex());                       \
        try {                                                                                       \
            __VA_ARGS__;                                                                            \
        } catch (const std::exception& error) {                                                     \
            impl_->fail(where, error.what());                                                       \
        } catch (...) {                                                                             \
            impl_->fail(where, "unknown exception");                                                \
        }                                                                                           \
    } while (false)

namespace {

// The probe TrainDx watches in this process: one socket, one model table, one loss.
std::mutex live_probe_mutex;
Probe::Impl* live_probe = nullptr;

} // namespace

void Probe::Impl::tell(const std::string& text)
{
    std::fprintf(stderr, "traindx: %s\n", text.c_str());
    wire::Frame frame;
    frame.mutable_event()->set_kind(wire::Event::ERROR);
    frame.mutable_event()->set_text(text);
    server_.send(std::move(frame), probe::Server::Keep::Nothing);
}

Probe::Probe(std::shared_ptr<torch::nn::Module> model, ProbeOptions options, int)
{
    if (env_is("TRAINDX", "off") || !model)
        return;
    try {
        std::lock_guard lock(live_probe_mutex);
        if (live_probe) {
            const std::string name = options.name().empty() ? "unnamed" : "'" + options.name() + "'";
            const std::string first = live_probe->name().empty() ? "unnamed" : "'" + live_probe->name() + "'";
            live_probe->tell("a second traindx::Probe (model " + name + ") was created in this process and is off: "
                             "TrainDx watches one probe per process, the first one (model " + first + ")");
            return;
        }
        impl_ = std::make_unique<Impl>(std::move(model), std::move(options));
        if (!impl_->start())
            impl_.reset();
        live_probe = impl_.get();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "traindx: the probe is off: %s\n", error.what());
        impl_.reset();
    } catch (...) {
        impl_.reset();
    }
}

Probe::~Probe()
{
    try {
        std::lock_guard lock(live_probe_mutex);
        if (live_probe == impl_.get())
            live_probe = nullptr;
        impl_.reset();
    } catch (...) {
    }
}

void Probe::watch(const torch::optim::Optimizer& optimizer, const std::string& name)
{
    TRAINDX_GUARDED("watch()", impl_->watch(optimizer, name));
}

void Probe::describe_data(const torch::Tensor& inputs, const torch::Tensor& targets)
{
    TRAINDX_GUARDED("describe_data()", impl_->describe_data(inputs, targets));
}

void Probe::step(const torch::Tensor& loss, std::optional<double> accuracy)
{
    TRAINDX_GUARDED("step()", impl_->observe_loss(loss);
                    impl_->step(loss.defined() ? loss.item<double>() : std::nan(""), accuracy));
}

void Probe::step(double loss, std::optional<double> accuracy)
{
    TRAINDX_GUARDED("step()", impl_->step(loss, accuracy));
}

void Probe::step(const std::map<std::string, torch::Tensor>& losses, std::optional<double> accuracy)
{
    TRAINDX_GUARDED("step()", impl_->step_named(losses, accuracy));
}

void Probe::add_model_ptr(const std::string& name, std::shared_ptr<torch::nn::Module> model)
{
    TRAINDX_GUARDED("add_model()", impl_->add_model(name, std::move(model)));
}

void Probe::end_epoch(const std::map<std::string, double>& metrics)
{
    TRAINDX_GUARDED("end_epoch()", impl_->end_epoch(metrics));
}

void Probe::tap(const std::string& name, const torch::Tensor& tensor, Activation activation)
{
    TRAINDX_GUARDED("tap()", impl_->tap(name, tensor, activation));
}

bool Probe::stop_requested() const
{
    bool requested = false;
    TRAINDX_GUARDED("stop_requested()", requested = impl_->stop_requested());
    return requested;
}

bool Probe::active() const
{
    return impl_ && !impl_->failed();
}

} // namespace traindx
