// traindx-cli: TrainDx without a window, for terminals and CI.
#include "cli_compare.h"
#include "cli_job.h"
#include "cli_run.h"
#include "job_store.h"
#include "rule.h"

#include <QApplication>
#include <QCoreApplication>
#include <QTextStream>

namespace {

const char* const kUsage = R"(usage:
  traindx-cli run [OPTIONS] -- PROGRAM [ARGS...]   launch a training program and diagnose it
  traindx-cli attach PID|SOCKET|tcp://HOST:PORT [OPTIONS]
                                                   diagnose a running training program
  traindx-cli attach --store HOST:PORT [OPTIONS]   diagnose every rank of a running job, found
                                                   in its store (MASTER_ADDR:MASTER_PORT)
  traindx-cli replay FILE [OPTIONS]                diagnose a recorded run (.traindx)
  traindx-cli compare A.traindx B.traindx          what run B fixed, broke and shares with run A
  traindx-cli thresholds                           list the diagnosis thresholds
  traindx-cli rules                                list the diagnosis rules

options:
  --json FILE              write the findings as JSON
  --report FILE            write a PDF diagnosis report
  --record FILE            record the run into FILE (default: a new file in the runs folder)
  --no-record              do not record the run
  --max-epochs N           stop the trainer after N epochs
  --stop-on-symptom        stop the trainer at the first fault
  --apply CHANGE           change the live training (repeatable): lr=VALUE, lr*FACTOR,
                           reinit=LAYER[:SCHEME], reset_optimizer, freeze=LAYER, unfreeze=LAYER,
                           optimize=LAYER (give it to the optimizer), clip=NORM|off;
                           before training, or at @step:N or @epoch:N
  --auto-fix               at the first fault, apply its fix live when it can be (a learning
                           rate, a layer's initialisation) and continue; exit 0 when no fault
                           follows the change
  --threshold NAME=VALUE   override a diagnosis threshold (repeatable)
  --thresholds-file FILE   read "name = value" lines
  --ranks N                run the program as N ranks of one job on this machine, as torchrun
                           does (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), and compare them
  --reduced                with --ranks: the probes combine their statistics across the ranks
                           and rank 0 alone serves them (one stream, whatever the ranks)
  --show-output            pass the trainer's output through to stderr
  --token TOKEN            the token of a probe listening on TCP (default: $TRAINDX_TOKEN)

exit code: 0 healthy, 1 findings, 2 usage or launch error, 3 trainer crashed,
           4 not diagnosed; compare: 0 when B has no fault A lacked, 1 when it has
)";

} // namespace

// Drawing a PDF report needs a GUI application object; without a display it draws offscreen.
std::unique_ptr<QCoreApplication> makeApplication(int& argc, char** argv)
{
    bool report = false;
    for (int i = 1; i < argc; ++i)
        report = report || QByteArray(argv[i]) == "--report";
    if (!report)
        return std::make_unique<QCoreApplication>(argc, argv);
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    return std::make_unique<QApplication>(argc, argv);
}

int main(int argc, char** argv)
{
    const auto application = makeApplication(argc, argv);
    QCoreApplication& app = *application;
    QCoreApplication::setApplicationName(QStringLiteral("traindx-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TRAINDX_VERSION));
    QTextStream err(stderr);
    const QStringList arguments = app.arguments().mid(1);
    const QString command = arguments.value(0);

    if (command == QLatin1String("thresholds")) {
        QTextStream out(stdout);
        const traindx::Thresholds thresholds;
        for (const auto& entry : thresholds.entries())
            out << entry.name << " = " << entry.value << "    # " << entry.meaning << "\n";
        return 0;
    }
    if (command == QLatin1String("rules")) {
        QTextStream out(stdout);
        for (const traindx::RuleSpec* rule : traindx::rules())
            out << traindx::symptomName(rule->symptom) << "    " << rule->description
                << (rule->thresholds.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(rule->thresholds.join(QStringLiteral(", "))))
                << "\n";
        return 0;
    }
    if (command == QLatin1String("compare")) {
        if (arguments.size() != 3) {
            err << "traindx-cli: compare takes two run files\n\n" << kUsage;
            return traindx::cli::UsageError;
        }
        QTextStream out(stdout);
        return traindx::cli::compareRuns(arguments[1], arguments[2], out, err);
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        QTextStream(stdout) << kUsage;
        return 0;
    }
    if (command == QLatin1String("--version")) {
        QTextStream(stdout) << "traindx-cli " << TRAINDX_VERSION << "\n";
        return 0;
    }
    if (command != QLatin1String("run") && command != QLatin1String("attach") && command != QLatin1String("replay")) {
        err << kUsage;
        return traindx::cli::UsageError;
    }
    traindx::cli::Options options;
    QString error;
    const auto mode = command == QLatin1String("attach") ? traindx::cli::Mode::Attach
        : command == QLatin1String("replay")             ? traindx::cli::Mode::Replay
                                                         : traindx::cli::Mode::Run;
    if (!traindx::cli::parse(arguments.mid(1), mode, &options, &error)) {
        err << "traindx-cli: " << error << "\n\n" << kUsage;
        return traindx::cli::UsageError;
    }
    if (!options.storeAddress.isEmpty()) {
        const int colon = options.storeAddress.lastIndexOf(QLatin1Char(':'));
        const traindx::JobAddresses found = traindx::readJobAddresses(
            options.storeAddress.left(colon).toStdString(), options.storeAddress.mid(colon + 1).toInt(), std::chrono::seconds(10));
        if (!found.error.empty()) {
            err << "traindx-cli: " << QString::fromStdString(found.error) << "\n";
            return traindx::cli::UsageError;
        }
        for (int r = 0; r < int(found.addresses.size()); ++r) {
            if (found.reduced && r > 0)
                break;
            if (found.addresses[std::size_t(r)].empty()) {
                err << "traindx-cli: rank " << r << " of the job published no address in its store within 10 s\n";
                return traindx::cli::UsageError;
            }
            options.rankAddresses.append(QString::fromStdString(found.addresses[std::size_t(r)]));
        }
        if (found.reduced) { // one stream, rank 0's, is the job's
            options.attachTarget = options.rankAddresses.first();
            options.rankAddresses.clear();
        }
    }
    if (options.ranks > 1 || options.rankAddresses.size() > 1) {
        traindx::cli::HeadlessJob job(options);
        job.start();
        return app.exec();
    }
    traindx::cli::HeadlessRun run(options);
    run.start();
    return app.exec();
}
