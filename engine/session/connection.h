// The client side of the wire: connects to a probe's Unix socket, greets it, checks the
// protocol version, and turns the byte stream into frames. Lives on the session's worker
// thread; never blocks it.
#pragma once

#include "framing.h"

#include <QElapsedTimer>
#include <QLocalSocket>
#include <QObject>
#include <QTimer>

#include <memory>

namespace traindx {

class Connection : public QObject {
    Q_OBJECT
public:
    explicit Connection(QObject* parent = nullptr);
    ~Connection() override;

    // Keeps trying until the socket accepts or `timeoutMs` passes: a launched trainer
    // needs a moment before it listens.
    void connectTo(const QString& socketPath, int timeoutMs);
    void disconnectFromProbe();
    void send(const wire::Frame& frame);
    bool isReady() const { return m_ready; }
    QString socketPath() const { return m_path; }

Q_SIGNALS:
    void ready(const traindx::wire::Hello& hello);
    void frameReceived(const traindx::wire::Frame& frame);
    // The probe answered but another client holds it: its hello says who it is.
    void busy(const traindx::wire::Hello& hello);
    // The connection is over. `error` is empty when it ended normally.
    void closed(const QString& error);

private:
    void tryConnect();
    void onReadyRead();
    void fail(const QString& error);

    QLocalSocket* m_socket = nullptr;
    QTimer m_retry {this};
    QElapsedTimer m_sinceStart;
    int m_timeoutMs = 0;
    QString m_path;
    std::unique_ptr<wire::FrameReader> m_reader;
    bool m_ready = false;
    bool m_closed = true;
};

} // namespace traindx
