#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "api/server_state.hpp"

// A listening socket: accepts, deals each connection to an I/O thread in turn and starts its
// session; at max_connections closes the connection idle the longest to make room, and when
// none is idle turns the newcomer away (plain HTTP: a 503 problem; HTTPS: closed before any
// handshake work).
namespace signet::api::detail {

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    // Binds (Errc::invalid_argument for a bad address, Errc::io when it cannot listen).
    Listener(std::shared_ptr<ServerState> state, IoContexts& contexts, ListenerKind kind,
             const ListenerOptions& options);

    std::uint16_t port() const noexcept { return port_; }
    ListenerKind kind() const noexcept { return kind_; }

    void start();
    void close();  // thread-safe

  private:
    void accept();
    void on_accept(error_code ec, Socket socket);
    void admit(Socket socket);
    void reject(Socket socket);

    std::shared_ptr<ServerState> state_;
    IoContexts& contexts_;
    ListenerKind kind_;
    Acceptor acceptor_;
    net::steady_timer retry_timer_;
    std::uint16_t port_ = 0;
};

}  // namespace signet::api::detail
