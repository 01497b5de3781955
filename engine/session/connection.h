// The client side of the wire: connects to a probe's Unix socket (or, for a probe started
// with TRAINDX_LISTEN=tcp://HOST:PORT, to that address with its token), greets it, checks
// the protocol version, and turns the byte stream into frames. Lives on the session's
// worker thread; never blocks it.
#pragma once

#include "framing.h"

#include <QElapsedTimer>
#include <QLocalSocket>
#include <QObject>
#include <QTcpSocket>
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
    // `address`: a socket path or "tcp://HOST:PORT".
    void connectTo(const QString& address, int timeoutMs);
    void setToken(const QString& token) { m_token = token; }
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
    void greet();
    // An error while connecting: a probe that is not listening yet is retried until the timeout.
    void onSocketError(bool notThereYet, bool peerClosed, const QString& text);

    QIODevice* m_socket = nullptr; // a QLocalSocket or a QTcpSocket
    QString m_token;
    QTimer m_retry {this};
    QElapsedTimer m_sinceStart;
    int m_timeoutMs = 0;
    QString m_path;
    std::unique_ptr<wire::FrameReader> m_reader;
    bool m_ready = false;
    bool m_closed = true;
};

} // namespace traindx
