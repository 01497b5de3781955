// traindx: the desktop debugger.
//   traindx                          an empty window; File > Launch… starts a trainer
//   traindx --launch PROGRAM [ARGS…] starts straight into debugging PROGRAM
//   traindx --launch-job N PROGRAM [ARGS…]   the same as N ranks of one job
//   traindx --attach PID             attaches to a running trainer
//   traindx RUN.traindx              opens a recorded run
#include "discovery.h"
#include "main_window.h"
#include "quit_signals.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("TrainDx"));
    QApplication::setOrganizationName(QStringLiteral("TrainDx"));
    QApplication::setApplicationVersion(QStringLiteral(TRAINDX_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A debugger for LibTorch training"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({QStringLiteral("launch"), QStringLiteral("Launch PROGRAM (the remaining arguments are its own).")});
    parser.addOption({QStringLiteral("launch-job"),
                      QStringLiteral("Launch PROGRAM as N ranks of one job on this machine, as torchrun does."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("reduced"),
                      QStringLiteral("With --launch-job: the probes combine their statistics, rank 0 alone serves the job's.")});
    parser.addOption({QStringLiteral("attach"), QStringLiteral("Attach to the training process PID (or a probe's socket)."),
                      QStringLiteral("PID")});
    parser.addOption({QStringLiteral("attach-job"),
                      QStringLiteral("Attach to every rank of a running job, found in its store (MASTER_ADDR:MASTER_PORT)."),
                      QStringLiteral("HOST:PORT")});
    parser.addPositionalArgument(QStringLiteral("program"),
                                 QStringLiteral("With --launch: the training program and its arguments. Otherwise: a run file to open."),
                                 QStringLiteral("[PROGRAM [ARGS…] | RUN.traindx]"));
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    parser.process(app);

    traindx::MainWindow window;
    window.show();
    if (parser.isSet(QStringLiteral("launch")) || parser.isSet(QStringLiteral("launch-job"))) {
        const QStringList rest = parser.positionalArguments();
        if (rest.isEmpty()) {
            qWarning("traindx: --launch and --launch-job need a program");
            return 2;
        }
        traindx::LaunchSpec spec;
        spec.program = rest.first();
        spec.arguments = rest.mid(1);
        spec.workingDirectory = QDir::currentPath();
        bool ok = true;
        const int ranks = parser.isSet(QStringLiteral("launch-job")) ? parser.value(QStringLiteral("launch-job")).toInt(&ok) : 1;
        if (!ok || ranks < 1 || ranks > 64) {
            qWarning("traindx: --launch-job needs a number of ranks from 1 to 64");
            return 2;
        }
        if (ranks > 1)
            window.launchJob(spec, ranks, parser.isSet(QStringLiteral("reduced")));
        else
            window.launch(spec);
    } else if (parser.isSet(QStringLiteral("attach-job"))) {
        QString error;
        if (!window.attachJob(parser.value(QStringLiteral("attach-job")), &error)) {
            qWarning("traindx: %s", qPrintable(error));
            return 2;
        }
    } else if (parser.isSet(QStringLiteral("attach"))) {
        const QString target = parser.value(QStringLiteral("attach"));
        bool isPid = false;
        const qint64 pid = target.toLongLong(&isPid);
        QString socket = isPid ? QString() : target;
        for (const auto& endpoint : traindx::discovery::listEndpoints())
            if (isPid && endpoint.pid == pid)
                socket = endpoint.socketPath;
        if (socket.isEmpty()) {
            qWarning("traindx: process %s has no TrainDx probe listening in %s", qPrintable(target),
                     qPrintable(traindx::discovery::describeDirectory()));
            return 2;
        }
        window.attach(socket);
    } else if (!parser.positionalArguments().isEmpty()) {
        window.openRun(parser.positionalArguments().first());
    }
    // Told to quit (SIGTERM, SIGINT, SIGHUP), the window closes as it would from the menu:
    // a trainer it launched is stopped, not left running on its own.
    traindx::QuitSignals quitSignals;
    QObject::connect(&quitSignals, &traindx::QuitSignals::received, &app, [] {
        QApplication::closeAllWindows();
        QApplication::quit();
    });
    return app.exec();
}
