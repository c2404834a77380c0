// SPDX-License-Identifier: Apache-2.0
#include "sandbench/backends/backend.hpp"

#include <array>
#include <exception>
#include <utility>

#include "sandbench/common/file_name.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 7> kStatusNames{{
    {Status::kOk, "ok"},
    {Status::kUserError, "user_error"},
    {Status::kTimeout, "timeout"},
    {Status::kTransportError, "transport_error"},
    {Status::kRateLimited, "rate_limited"},
    {Status::kBackendError, "backend_error"},
    {Status::kCancelled, "cancelled"},
}};

/// Runs `call`, turning any escaping exception into a kBackendError outcome of type `Result`:
/// the one place that keeps the promise that nothing throws across the backend boundary.
template <typename Result, typename Call>
Result guarded(Call&& call) noexcept {
    try {
        return std::forward<Call>(call)();
    } catch (const std::exception& error) {
        Result result;
        result.status = Status::kBackendError;
        result.message = redact(error.what());
        return result;
    } catch (...) {
        Result result;
        result.status = Status::kBackendError;
        result.message = "unknown exception from backend";
        return result;
    }
}

/// A call the session answers itself, without asking the backend.
template <typename Result>
Result refused(std::string_view why) {
    Result result;
    result.status = Status::kBackendError;
    result.message = std::string(why);
    return result;
}

constexpr std::string_view kClosed = "session is closed";

}  // namespace

std::string_view to_string(Status status) noexcept {
    for (const auto& [value, name] : kStatusNames) {
        if (value == status) {
            return name;
        }
    }
    return "unknown";
}

std::optional<Status> status_from_string(std::string_view text) noexcept {
    for (const auto& [value, name] : kStatusNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

Execution Session::execute(std::string_view code, Milliseconds timeout) noexcept {
    if (closed_) {
        return refused<Execution>(kClosed);
    }
    return guarded<Execution>([&] { return do_execute(code, timeout); });
}

Outcome Session::upload(std::string_view name, std::string_view bytes) noexcept {
    if (closed_) {
        return refused<Outcome>(kClosed);
    }
    return guarded<Outcome>([&] {
        if (auto problem = invalid_file_name(name)) {
            return refused<Outcome>(*problem);
        }
        return do_upload(name, bytes);
    });
}

Download Session::download(std::string_view name) noexcept {
    if (closed_) {
        return refused<Download>(kClosed);
    }
    return guarded<Download>([&] {
        if (auto problem = invalid_file_name(name)) {
            return refused<Download>(*problem);
        }
        return do_download(name);
    });
}

FileListing Session::list_files() noexcept {
    if (closed_) {
        return refused<FileListing>(kClosed);
    }
    return guarded<FileListing>([&] { return do_list_files(); });
}

Outcome Session::close() noexcept {
    if (!closed_) {
        closed_ = guarded<Outcome>([&] { return do_close(); });
    }
    return *closed_;
}

SessionStart Backend::create_session() noexcept {
    return guarded<SessionStart>([&] { return do_create_session(); });
}

}  // namespace sandbench::backends
