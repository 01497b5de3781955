// traindx-test-client SOCKET: connects to a probe, asks it to pause, prints "held" once
// the trainer is held, then does nothing until it is killed. Tests kill it to check that
// a vanished client never leaves the training loop held.
#include "connection.h"

#include <QCoreApplication>
#include <cstdio>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: traindx-test-client SOCKET\n");
        return 2;
    }
    traindx::Connection connection;
    QObject::connect(&connection, &traindx::Connection::ready, [&connection] {
        traindx::wire::Frame frame;
        frame.mutable_control()->set_command(traindx::wire::Control::PAUSE);
        connection.send(frame);
    });
    QObject::connect(&connection, &traindx::Connection::frameReceived, [](const traindx::wire::Frame& frame) {
        if (frame.has_event() && frame.event().kind() == traindx::wire::Event::HELD) {
            std::printf("held\n");
            std::fflush(stdout);
        }
    });
    QObject::connect(&connection, &traindx::Connection::closed, [](const QString& error) {
        std::fprintf(stderr, "closed: %s\n", qPrintable(error));
        QCoreApplication::exit(1);
    });
    connection.connectTo(QString::fromLocal8Bit(argv[1]), 30000);
    return app.exec();
}
