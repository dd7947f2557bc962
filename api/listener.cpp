#include "api/listener.hpp"

#include <openssl/ssl.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "api/session.hpp"

namespace signet::api::detail {

namespace {

using TlsStream = beast::ssl_stream<TcpStream>;

std::string endpoint_text(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    text += ':';
    text += std::to_string(endpoint.port());
    return text;
}

class PlainSession final : public Session<PlainSession>,
                           public std::enable_shared_from_this<PlainSession> {
  public:
    PlainSession(std::shared_ptr<ServerState> state, Socket&& socket, std::string remote)
        : Session(std::move(state), ListenerKind::http, std::move(remote), socket.get_executor()),
          stream_(std::move(socket)) {}

    TcpStream& stream() { return stream_; }

    void start() {
        net::dispatch(stream_.get_executor(),
                      [self = shared_from_this()] { self->wait_for_request(); });
    }

    void shutdown_transport() {
        error_code ignored;
        stream_.socket().shutdown(Socket::shutdown_send, ignored);
        linger();
    }

  private:
    TcpStream stream_;
};

class TlsSession final : public Session<TlsSession>,
                         public std::enable_shared_from_this<TlsSession> {
  public:
    TlsSession(std::shared_ptr<ServerState> state, Socket&& socket, std::string remote)
        : Session(std::move(state), ListenerKind::https, std::move(remote), socket.get_executor()),
          stream_(std::move(socket), *state_->tls) {}

    TlsStream& stream() { return stream_; }

    void start() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->phase_ = Phase::handshake;
            self->lowest().expires_at(self->first_head_deadline());
            self->stream_.async_handshake(ssl::stream_base::server,
                                          [self](error_code ec) { self->on_handshake(ec); });
        });
    }

    void shutdown_transport() {
        // close_notify, then whatever the client does, the socket goes.
        stream_.async_shutdown([self = shared_from_this()](error_code) { self->close_quietly(); });
    }

  private:
    void on_handshake(error_code ec) {
        if (ec) {
            // e.g. a client offering only TLS 1.1, or a certificate the client CA did not issue.
            state_->log->debug("TLS handshake failed",
                               {{"remote", remote_}, {"error", ec.message()}});
            return close_quietly();
        }
        if (claimed())
            return close_quietly();
        SSL* ssl = stream_.native_handle();
        if (X509* certificate = SSL_get0_peer_certificate(ssl);
            certificate != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
            try {
                peer_certificate_ = certificate_sha256(certificate);
            } catch (const Error&) {
                peer_certificate_.reset();
            }
        }
        wait_for_request();
    }

    TlsStream stream_;
};

// A connection beyond max_connections on plain HTTP gets a 503 problem and is closed; it holds
// no slot and reads no request.
class Rejection : public std::enable_shared_from_this<Rejection> {
  public:
    explicit Rejection(Socket&& socket) : stream_(std::move(socket)) {
        RequestId id{};
        new_request_id(id);
        const std::string_view request_id(id.data(), id.size());
        Response response = problem_response(
            problems::overloaded, "the server has too many open connections", request_id);
        response.headers.emplace_back("Retry-After", "1");
        write_response_head(response_, response, request_id, ConnectionField::close,
                            BodyFraming::content_length);
        response_ += response.body;
    }

    void start() {
        stream_.expires_after(std::chrono::seconds(1));
        net::async_write(stream_, net::buffer(response_),
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec)
                                 return self->stream_.close();
                             error_code ignored;
                             self->stream_.socket().shutdown(Socket::shutdown_send, ignored);
                             self->drain();
                         });
    }

  private:
    void drain() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](error_code ec, std::size_t) {
                                    if (ec)
                                        return self->stream_.close();
                                    self->drain();
                                });
    }

    TcpStream stream_;
    std::string response_;
    std::array<char, 1024> scratch_{};
};

}  // namespace

Listener::Listener(std::shared_ptr<ServerState> state, IoContexts& contexts, ListenerKind kind,
                   const ListenerOptions& options)
    : state_(std::move(state)),
      contexts_(contexts),
      kind_(kind),
      acceptor_(contexts[0].get_executor()),
      retry_timer_(acceptor_.get_executor()) {
    error_code ec;
    const auto address = net::ip::make_address(options.address, ec);
    if (ec) {
        throw Error(
            Errc::invalid_argument,
            std::string(to_string(kind)) + " listener: invalid address '" + options.address + "'");
    }
    const tcp::endpoint endpoint(address, options.port);
    const std::string where =
        std::string(to_string(kind)) + " listener on " + endpoint_text(endpoint);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor_.bind(endpoint, ec);
    if (!ec)
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw Error(Errc::io, "cannot open the " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
}

void Listener::start() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void Listener::close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->retry_timer_.cancel();
    });
}

void Listener::accept() {
    acceptor_.async_accept(contexts_.next_executor(),
                           [self = shared_from_this()](error_code ec, Socket socket) {
                               self->on_accept(ec, std::move(socket));
                           });
}

void Listener::on_accept(error_code ec, Socket socket) {
    if (!acceptor_.is_open() || ec == net::error::operation_aborted)
        return;
    if (ec) {
        // Out of file descriptors, typically: back off instead of spinning.
        state_->log->warn("accept failed",
                          {{"listener", to_string(kind_)}, {"error", ec.message()}});
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
            if (!wait_ec)
                self->accept();
        });
        return;
    }
    admit(std::move(socket));
    accept();
}

void Listener::admit(Socket socket) {
    if (state_->stopping.load(std::memory_order_acquire))
        return;  // socket closes here
    const std::size_t before = state_->open_connections.fetch_add(1, std::memory_order_acq_rel);
    // At the limit, a connection doing nothing makes room: the newcomer takes its slot (the
    // count stays one over until the claimed connection's thread has closed it).
    if (before >= state_->limits.max_connections && !state_->evict_oldest_idle()) {
        state_->open_connections.fetch_sub(1, std::memory_order_acq_rel);
        return reject(std::move(socket));
    }
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    const auto peer = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("-") : endpoint_text(peer);
    try {
        if (kind_ == ListenerKind::http) {
            auto session =
                std::make_shared<PlainSession>(state_, std::move(socket), std::move(remote));
            state_->add_connection(session);
            session->start();
        } else {
            auto session =
                std::make_shared<TlsSession>(state_, std::move(socket), std::move(remote));
            state_->add_connection(session);
            session->start();
        }
    } catch (const std::exception& e) {
        // The session's ConnectionSlot gives the slot back if it was built; only an
        // allocation failure before it could leak one, which is not worth more code.
        state_->log->error("cannot start a connection", {{"error", e.what()}});
    }
}

void Listener::reject(Socket socket) {
    state_->rejected[ServerState::slot(kind_)]->inc();
    state_->log->debug("connection refused: too many connections",
                       {{"listener", to_string(kind_)}});
    if (kind_ == ListenerKind::https)
        return;  // no handshake spent on it: just closed
    std::make_shared<Rejection>(std::move(socket))->start();
}

}  // namespace signet::api::detail
