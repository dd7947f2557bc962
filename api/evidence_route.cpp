#include "api/evidence_route.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/contract_requests.hpp"
#include "api/problem.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "evidence/package.hpp"

namespace signet::api {

namespace {

// The package builds under way in this node, at most `limit` (a mutex and a count rather than
// std::counting_semaphore, whose try_acquire may fail spuriously: a 503 must mean "full").
class BuildSlots : public std::enable_shared_from_this<BuildSlots> {
  public:
    // Given back when it goes.
    class Slot {
      public:
        explicit Slot(std::shared_ptr<BuildSlots> slots) : slots_(std::move(slots)) {}
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() {
            std::lock_guard lock(slots_->mutex_);
            --slots_->taken_;
        }

      private:
        std::shared_ptr<BuildSlots> slots_;
    };

    explicit BuildSlots(std::size_t limit) : limit_(limit) {}

    // A slot, or null when all `limit` are taken.
    std::unique_ptr<Slot> try_take() {
        {
            std::lock_guard lock(mutex_);
            if (taken_ == limit_)
                return nullptr;
            ++taken_;
        }
        return std::make_unique<Slot>(shared_from_this());
    }

  private:
    std::mutex mutex_;
    const std::size_t limit_;
    std::size_t taken_ = 0;
};

// The builder pushes (a ZipSink), the server pulls (a BodyProducer): the builder runs on its
// own thread and waits while kPackageQueueBytes are queued, so memory stays bounded whatever
// the document's size. Destroying the stream (the body ended, or the client went) makes the
// builder's next push throw, and waits for its thread.
class PackageStream {
  public:
    PackageStream(std::unique_ptr<BuildSlots::Slot> slot,
                  std::function<void(const evidence::ZipSink&)> build)
        : slot_(std::move(slot)), worker_([this, build = std::move(build)] { run(build); }) {}

    PackageStream(const PackageStream&) = delete;
    PackageStream& operator=(const PackageStream&) = delete;

    ~PackageStream() {
        {
            std::lock_guard lock(mutex_);
            cancelled_ = true;
        }
        changed_.notify_all();
        worker_.join();
    }

    // Waits for the first bytes; a refusal (the builder throws before any) is rethrown here, so
    // the handler answers it as problem+json.
    void wait_for_first_bytes() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !queued_.empty() || done_; });
        if (queued_.empty() && error_)
            std::rethrow_exception(error_);
        if (queued_.empty())
            throw Error(Errc::internal, "the evidence package builder wrote nothing");
    }

    // The next piece; "" once the archive is complete. The builder's failure after the first
    // byte is rethrown: the server then closes the connection mid-body.
    std::string next() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !queued_.empty() || done_; });
        if (queued_.empty() && error_)
            std::rethrow_exception(error_);
        std::string piece = std::move(queued_);
        queued_.clear();
        lock.unlock();
        changed_.notify_all();
        return piece;
    }

  private:
    void run(const std::function<void(const evidence::ZipSink&)>& build) {
        std::exception_ptr error;
        try {
            build([this](ByteView bytes) { push(bytes); });
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            error_ = error;
            done_ = true;
        }
        changed_.notify_all();
    }

    void push(ByteView bytes) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return queued_.size() < kPackageQueueBytes || cancelled_; });
        if (cancelled_)
            throw Error(Errc::unavailable, "the client stopped reading the evidence package");
        queued_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        lock.unlock();
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::string queued_;
    bool done_ = false;
    bool cancelled_ = false;
    std::exception_ptr error_;
    std::unique_ptr<BuildSlots::Slot> slot_;  // given back once the worker has ended
    std::thread worker_;  // last: it starts once everything above exists
};

std::string path_contract(const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.empty())
        throw Error(Errc::internal, "the route's pattern does not give the contract's id");
    // A malformed id is the caller's mistake (400), not an absent contract.
    const std::string_view segment = values[0];
    const bool hex = segment.size() == 32 && std::ranges::all_of(segment, [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex)
        throw Error(Errc::invalid_argument, "the contract id " + quote_input(segment) +
                                                " is not 32 lowercase hex digits");
    return std::string(segment);
}

}  // namespace

void add_evidence_route(Router& router, EvidenceServices services) {
    Route route;
    route.method = http::verb::get;
    route.path = "/v1/contracts/{id}/evidence";
    route.match = PathMatch::segments;
    route.scope = "contracts";
    route.max_body_bytes = 0;
    if (services.max_concurrent_builds == 0)
        throw Error(Errc::invalid_argument,
                    "the evidence route needs max_concurrent_builds of at least 1");
    auto slots = std::make_shared<BuildSlots>(services.max_concurrent_builds);
    route.handler = [services = std::move(services), slots](const Request& request) {
        const std::string id = path_contract(request);
        if (!services.write_package)
            throw Error(Errc::unavailable,
                        "evidence packages cannot be made: " + services.unavailable);
        std::unique_ptr<BuildSlots::Slot> slot = slots->try_take();
        if (!slot) {
            Response busy = problem_response(
                problems::unavailable,
                "this node is building " + std::to_string(services.max_concurrent_builds) +
                    " evidence packages, the most it builds at once; retry later",
                request.request_id);
            busy.headers.emplace_back("Retry-After",
                                      std::to_string(kPackageBuildRetryAfterSeconds));
            return busy;
        }
        const sign::ContractCaller caller = contract_caller(request);
        auto stream = std::make_shared<PackageStream>(
            std::move(slot),
            [write = services.write_package, id, caller](const evidence::ZipSink& sink) {
                write(id, caller, sink);
            });
        try {
            stream->wait_for_first_bytes();
        } catch (const evidence::ContractShredded& shredded) {
            // 410 as GET /v1/contracts/{id}/document answers it (api/contract_routes.cpp).
            return problem_response(problems::document_shredded, shredded.what(),
                                    request.request_id);
        }
        Response response = Response::stream("application/zip", std::nullopt,
                                             [stream] { return stream->next(); });
        // RFC 6266 §4.1; the id is 32 hex digits (checked above): nothing to escape.
        response.headers.emplace_back("Content-Disposition",
                                      "attachment; filename=\"contract-" + id + "-evidence.zip\"");
        return response;
    };
    router.add(std::move(route));
}

}  // namespace signet::api
