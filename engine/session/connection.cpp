#include "connection.h"

#include <QCoreApplication>
#include <QUrl>

namespace traindx {

Connection::Connection(QObject* parent)
    : QObject(parent)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(20);
    connect(&m_retry, &QTimer::timeout, this, &Connection::tryConnect);
}

Connection::~Connection()
{
    if (m_socket)
        m_socket->disconnect(this);
}

void Connection::connectTo(const QString& address, int timeoutMs)
{
    disconnectFromProbe();
    m_path = address;
    m_timeoutMs = timeoutMs;
    m_closed = false;
    m_sinceStart.start();
    tryConnect();
}

void Connection::tryConnect()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
    }
    m_reader = std::make_unique<wire::FrameReader>();
    m_ready = false;

    const QUrl url(m_path);
    if (url.scheme() == QLatin1String("tcp")) {
        auto* socket = new QTcpSocket(this);
        m_socket = socket;
        connect(socket, &QTcpSocket::connected, this, &Connection::greet);
        connect(socket, &QTcpSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
            onSocketError(error == QAbstractSocket::ConnectionRefusedError, error == QAbstractSocket::RemoteHostClosedError,
                          socket->errorString());
        });
        connect(socket, &QTcpSocket::disconnected, this, [this] {
            if (!m_closed)
                fail(m_ready ? QString() : tr("the probe closed the connection during the handshake"));
        });
        socket->connectToHost(url.host(), quint16(url.port()));
    } else {
        auto* socket = new QLocalSocket(this);
        m_socket = socket;
        connect(socket, &QLocalSocket::connected, this, &Connection::greet);
        connect(socket, &QLocalSocket::errorOccurred, this, [this, socket](QLocalSocket::LocalSocketError error) {
            onSocketError(error == QLocalSocket::ServerNotFoundError || error == QLocalSocket::ConnectionRefusedError,
                          error == QLocalSocket::PeerClosedError, socket->errorString());
        });
        connect(socket, &QLocalSocket::disconnected, this, [this] {
            if (!m_closed)
                fail(m_ready ? QString() : tr("the probe closed the connection during the handshake"));
        });
        socket->connectToServer(m_path);
    }
    connect(m_socket, &QIODevice::readyRead, this, &Connection::onReadyRead);
}

void Connection::greet()
{
    wire::Frame frame;
    auto* hello = frame.mutable_hello();
    hello->set_protocol_major(wire::kProtocolMajor);
    hello->set_protocol_minor(wire::kProtocolMinor);
    hello->set_role(wire::Hello::CLIENT);
    hello->set_pid(QCoreApplication::applicationPid());
    hello->set_program(QCoreApplication::applicationName().toStdString());
    hello->set_traindx_version(QCoreApplication::applicationVersion().toStdString());
    hello->set_token(m_token.toStdString());
    send(frame);
}

void Connection::onSocketError(bool notThereYet, bool peerClosed, const QString& text)
{
    if (!m_ready && notThereYet && m_sinceStart.elapsed() < m_timeoutMs) {
        m_retry.start();
        return;
    }
    if (peerClosed) {
        fail(m_ready ? QString() : tr("the probe closed the connection during the handshake"));
        return;
    }
    fail(tr("cannot talk to the probe at %1: %2").arg(m_path, text));
}

void Connection::disconnectFromProbe()
{
    m_retry.stop();
    m_closed = true;
    m_ready = false;
    if (m_socket) {
        m_socket->disconnect(this);
        if (auto* local = qobject_cast<QLocalSocket*>(m_socket))
            local->abort();
        else if (auto* tcp = qobject_cast<QTcpSocket*>(m_socket))
            tcp->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
}

void Connection::send(const wire::Frame& frame)
{
    if (!m_socket || !m_socket->isOpen())
        return;
    const std::string bytes = wire::encode_frame(frame);
    m_socket->write(bytes.data(), qint64(bytes.size()));
}

void Connection::fail(const QString& error)
{
    if (m_closed)
        return;
    disconnectFromProbe();
    Q_EMIT closed(error);
}

void Connection::onReadyRead()
{
    const QByteArray bytes = m_socket->readAll();
    m_reader->feed(bytes.constData(), std::size_t(bytes.size()));
    wire::Frame frame;
    for (;;) {
        switch (m_reader->next(frame)) {
        case wire::FrameReader::Status::NeedMore:
            return;
        case wire::FrameReader::Status::Error:
            fail(tr("the probe sent a bad frame, connection closed: %1").arg(QString::fromStdString(m_reader->error())));
            return;
        case wire::FrameReader::Status::Frame:
            break;
        }
        if (!m_ready) {
            if (frame.has_event() && frame.event().kind() == wire::Event::ERROR) {
                fail(tr("the probe refused the connection: %1").arg(QString::fromStdString(frame.event().text())));
                return;
            }
            if (!frame.has_hello()) {
                fail(tr("the probe's first frame was not a hello: not a TrainDx probe?"));
                return;
            }
            std::string why;
            if (!wire::is_compatible(frame.hello(), &why)) {
                fail(QString::fromStdString(why));
                return;
            }
            if (frame.hello().busy()) {
                const wire::Hello hello = frame.hello();
                disconnectFromProbe();
                Q_EMIT busy(hello);
                Q_EMIT closed(tr("another TrainDx client is attached to process %1").arg(hello.pid()));
                return;
            }
            m_ready = true;
            Q_EMIT ready(frame.hello());
            continue;
        }
        Q_EMIT frameReceived(frame);
        if (!m_socket)
            return; // a receiver disconnected us
    }
}

} // namespace traindx
