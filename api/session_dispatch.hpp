#pragma once

// A connection's request handling (part of api/session.hpp, which includes it: include that):
// the router's answer, authentication and the route's scope, the handler run where its route
// says (the I/O thread, the workers or the control pool) with whatever it throws turned into a
// problem document, and the log lines of a failed or abandoned handler.

#include "api/session.hpp"

namespace signet::api::detail {

// Authenticates (when credentials come with the request), checks the route's scope, and
// runs the handler where its route says.
template <class Derived>
inline void Session<Derived>::handle() {
    stop_body_timer();
    phase_ = Phase::handling;
    const auto& request = reader_.parser().get();
    const bool body_unread = !reader_.parser().is_done();
    switch (match_.outcome) {
        case Router::Outcome::not_found:
            return send_problem(problems::no_such_route, "no route matches this path", body_unread);
        case Router::Outcome::not_on_this_listener:
            return send_problem(problems::no_such_route,
                                kind_ == ListenerKind::http
                                    ? "this path is served over HTTPS only"
                                    : "this path is served over plain HTTP only",
                                body_unread);
        case Router::Outcome::method_not_allowed: {
            Response response = problem_response(
                problems::method_not_allowed, "this path does not take this method", request_id());
            response.headers.emplace_back("Allow", std::string(match_.allow));
            return send(std::move(response), body_unread);
        }
        case Router::Outcome::found:
            break;
    }

    const Route& route = *match_.route;
    bool presented = authenticate(request);
    if (!route.scope.empty()) {
        // A browser session (the operator console) stands in for the credential it was opened
        // with, on scoped routes only and never over a bearer token.
        if (state_->sessions && kind_ == ListenerKind::https &&
            request.find(http::field::authorization) == request.end()) {
            if (auto session = state_->sessions->authenticate(request.method(), request)) {
                if (!session->refusal.empty())
                    return send_problem(problems::csrf_refused, session->refusal, body_unread);
                // A cookie naming no live session (expired, logged out) leaves whatever
                // else came with the request (a client certificate) to decide.
                if (session->client)
                    client_ = std::move(session->client);
                presented = true;
            }
        }
        if (!client_) {
            Response response = problem_response(
                problems::unauthenticated,
                presented ? "the credentials presented are not recognised"
                          : "this route needs a client certificate or a bearer token",
                request_id());
            response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"signet\"");
            return send(std::move(response), false);
        }
        if (!client_->has_scope(route.scope)) {
            return send_problem(
                problems::permission_denied,
                "client '" + client_->name + "' lacks the scope '" + route.scope + "'", false);
        }
    }

    const Request view{
        request.method(),
        request.method_string(),
        request.target(),
        reader_.path(),
        reader_.query(),
        request,
        request.body(),
        client_.get(),
        request_id(),
        remote_,
        kind_,
        route.path,
    };
    const Placement placement = state_->placement[match_.route_index];
    if (placement == Placement::io_thread)
        return finish(route, call_handler(route, view));
    if (route.io_thread_attempt) {
        std::optional<Response> answered;
        try {
            answered = route.io_thread_attempt(view);
            if (answered)
                produce_first_piece(*answered, view.method);
        } catch (...) {
            // The handler decides it on the pool, and says why.
        }
        if (answered)
            return finish(route, std::move(*answered));
    }
    // On a pool. Until the response comes back, the connection starts no other operation,
    // so the parser, client and request id the view points into stay as they are.
    state_->handlers_running.fetch_add(1, std::memory_order_relaxed);
    net::post(placement == Placement::control ? *state_->control : *state_->workers,
              [self = derived().shared_from_this(), &route, view] {
                  Response response = self->call_handler(route, view);
                  self->state_->handlers_running.fetch_sub(1, std::memory_order_relaxed);
                  net::post(self->executor_,
                            [self, &route, response = std::move(response)]() mutable {
                                self->finish(route, std::move(response));
                            });
              });
}

// Runs the handler; whatever it throws becomes a problem document. Runs on an I/O thread or
// a pool and touches no connection state.
template <class Derived>
inline Response Session<Derived>::call_handler(const Route& route, const Request& view) const {
    try {
        Response response = route.handler(view);
        produce_first_piece(response, view.method);
        return response;
    } catch (const Error& e) {
        Response response = problem_response(e, request_id());
        if (response.status == http::status::internal_server_error)
            log_handler_failure(route, to_string(e.code()), e.what());
        return response;
    } catch (const std::exception& e) {
        log_handler_failure(route, "exception", e.what());
        return problem_response(Error(Errc::internal, e.what()), request_id());
    } catch (...) {
        log_handler_failure(route, "exception", "unknown exception");
        return problem_response(Error(Errc::internal, "unknown"), request_id());
    }
}

template <class Derived>
inline void Session<Derived>::finish(const Route& route, Response response) {
    if (!valid_extra_headers(response)) {
        log_handler_failure(route, "internal",
                            "the handler set an invalid or reserved header field");
        response = problem_response(Error(Errc::internal, "bad header"), request_id());
    }
    send(std::move(response), false);
}

// Bearer token (Authorization, HTTPS only) first, else the client certificate. Returns
// whether any credential came with the request.
template <class Derived>
inline bool Session<Derived>::authenticate(const http::request<http::string_body>& request) {
    const auto authorization = request.find(http::field::authorization);
    if (authorization != request.end()) {
        const std::string_view value = authorization->value();
        // RFC 9110 §11.1: the scheme is case-insensitive; RFC 6750 §2.1: "Bearer" SP token.
        if (kind_ == ListenerKind::https && state_->clients && value.size() > 7 &&
            beast::iequals(value.substr(0, 7), "bearer ")) {
            std::string_view token = value.substr(7);
            while (!token.empty() && token.front() == ' ')
                token.remove_prefix(1);
            while (!token.empty() && token.back() == ' ')
                token.remove_suffix(1);
            if (!token.empty())
                client_ = state_->clients->find_by_token(sha256_of(token));
        }
        return true;
    }
    if (peer_certificate_ && state_->clients) {
        client_ = state_->clients->find_by_certificate(*peer_certificate_);
        return true;
    }
    return peer_certificate_.has_value();
}

template <class Derived>
inline void Session<Derived>::log_handler_failure(const Route& route, std::string_view code,
                                                  std::string_view what) const {
    state_->log->error(
        "request failed",
        {{"request_id", request_id()}, {"route", route.path}, {"error", code}, {"detail", what}});
}

template <class Derived>
inline void Session<Derived>::log_abandoned() const {
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    state_->log->error("abandoning a request still in its handler after the shutdown grace",
                       {{"request_id", request_id()},
                        {"route", match_.route != nullptr ? std::string_view(match_.route->path)
                                                          : kUnmatchedRoute},
                        {"remote", remote_},
                        {"running_ms", std::round(seconds * 1e3)}});
}

}  // namespace signet::api::detail
