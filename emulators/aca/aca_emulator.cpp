// SPDX-License-Identifier: Apache-2.0
//
// The ACA emulator's construction, settings and session pool: the kernels' backend, the HTTP
// server's configuration, allocation of a session's kernel on first use, and the session
// management routes (GET/DELETE session, listSessions, metadata). Routing is aca_routes.cpp,
// executions aca_executions.cpp, files aca_files.cpp, bodies aca_wire.cpp.
#include "aca_emulator.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aca_emulator_impl.hpp"
#include "aca_session_pool.hpp"
#include "aca_wire.hpp"
#include "local/local_backend.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/version.hpp"
#include "sandbench/emulators/server_thread.hpp"

namespace sandbench::emulators {
namespace aca {
namespace {

using nlohmann::json;

constexpr std::size_t kSessionsPerPage = 300;

}  // namespace

Settings read_settings(const json& settings) {
    backends::ConfigReader reader{"ACA emulator", settings};
    Settings out;
    out.token = reader.get_optional_string("token");
    out.forbid = reader.get_bool("forbid", false);
    out.cooldown_s = reader.get_double("cooldown_s", 300, 0.05, 7 * 24 * 3600.0);
    out.max_sessions = reader.get_int("max_sessions", 600, 1, 1'000'000);
    out.max_upload_bytes =
        reader.get_int("max_upload_bytes", std::int64_t{128} << 20, 1, std::int64_t{1} << 40);
    out.max_execution_s = reader.get_double("max_execution_s", 220, 0.1, 24 * 3600.0);
    out.output_streams_max_length =
        reader.get_int("output_streams_max_length", 4096, 1, std::int64_t{1} << 31);
    out.subscription = reader.get_string("subscription", out.subscription);
    out.resource_group = reader.get_string("resource_group", out.resource_group);
    out.pool = reader.get_string("pool", out.pool);
    out.threads = reader.get_int("threads", 64, 2, 4096);
    reader.reject_unknown_keys();
    if (out.token && out.token->empty()) {
        throw ConfigError("ACA emulator: setting 'token' must not be empty");
    }
    for (const auto* part : {&out.subscription, &out.resource_group, &out.pool}) {
        if (part->empty() || part->find_first_of("/?#% ") != std::string::npos) {
            throw ConfigError(fmt::format(
                "ACA emulator: '{}' cannot be a path segment of the pool endpoint", *part));
        }
    }
    return out;
}

AcaEmulator::AcaEmulator(const EmulatorOptions& options, Settings settings)
    : settings_(std::move(settings)), faults_(options.faults, options.latency, options.seed) {
    json kernel = options.kernel.is_object() ? options.kernel : json::object();
    if (!kernel.contains("isolation")) {
        kernel["isolation"] = "bwrap";  // the service disables egress by default (notes §8)
    }
    kernels_ = backends::local::make_local_backend({"aca-emulator-kernels", "local", kernel});
    const auto& description = kernels_->info().description;  // "Python 3.11.2 kernel in ..."
    if (description.starts_with("Python ")) {
        python_version_ = description.substr(7, description.find(' ', 7) - 7);
    }
    PoolSettings pool;
    pool.cooldown = std::chrono::duration<double>{settings_.cooldown_s};
    pool.max_sessions = static_cast<std::size_t>(settings_.max_sessions);
    pool_ = std::make_unique<SessionPool>(pool);

    configure_server();
    install_handlers();

    listener_.emplace(server_, options.host, options.port, "ACA emulator");
    endpoint_ = listener_->base_url() + pool_path();
}

void AcaEmulator::configure_server() {
    const auto threads = static_cast<std::size_t>(settings_.threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Clients keep a connection per session; the defaults (5 requests, 5 s) would close it
    // under a reused session and count reconnects the real service does not cause.
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_keep_alive_timeout(60);
    server_.set_tcp_nodelay(true);
    server_.set_read_timeout(60);
    server_.set_write_timeout(60);
    // The upload limit is checked on the part (413 with the error envelope); this bound only
    // keeps a far larger body from being read into memory.
    server_.set_payload_max_length(static_cast<std::size_t>(settings_.max_upload_bytes) * 2 +
                                   (std::size_t{1} << 20));
    server_.set_default_headers({{"X-Sandbench-Emulated", "true"}});
    server_.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
            return faults_.apply(request, response) ? httplib::Server::HandlerResponse::Handled
                                                    : httplib::Server::HandlerResponse::Unhandled;
        });
}

void AcaEmulator::install_handlers() {
    server_.set_error_handler(httplib::Server::HandlerWithResponse{
        [](const httplib::Request& /*request*/, httplib::Response& response) {
            if (!response.body.empty() || response.has_header("x-ms-error-code")) {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            if (response.status == 413) {
                send_error(response, 413, "RequestEntityTooLarge", "the request body is too large");
            } else if (response.status == 404) {
                send_error(response, 404, "NotFound", "no such route");
            } else {
                send_error(response, response.status, "BadRequest",
                           "the request was not understood");
            }
            return httplib::Server::HandlerResponse::Handled;
        }});
    server_.set_exception_handler([](const httplib::Request& /*request*/,
                                     httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown error";
        try {
            std::rethrow_exception(std::move(error));
        } catch (const std::exception& caught) {
            what = caught.what();
        } catch (...) {
        }
        send_error(response, 500, "InternalServerError", what);
    });
    server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
        serve(Verb::kGet, request, response);
    });
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
        serve(Verb::kPost, request, response);
    });
    server_.Delete(".*", [this](const httplib::Request& request, httplib::Response& response) {
        serve(Verb::kDelete, request, response);
    });
}

void AcaEmulator::stop() noexcept {
    if (stopped_.exchange(true)) {
        return;
    }
    if (listener_) {
        listener_->stop();
    }
    std::vector<std::thread> workers;
    {
        const std::lock_guard lock(executions_mutex_);
        workers.swap(workers_);
    }
    for (auto& worker : workers) {
        worker.join();
    }
    pool_.reset();  // closes every session's kernel before the kernels' backend goes
}

void AcaEmulator::send_session_failure(httplib::Response& response, ExecutionRun& run, int status,
                                       std::string code, std::string message) {
    run.failure_status = status;
    run.failure_code = std::move(code);
    run.failure_message = std::move(message);
    send_error(response, run.failure_status, run.failure_code, run.failure_message);
}

bool AcaEmulator::with_session(const std::string& identifier, httplib::Response& response,
                               ExecutionRun& run, const SessionWork& work) {
    // A session deleted or expired while this request waited for it is replaced once.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto session = pool_->check_out(identifier);
        if (!session) {
            send_session_failure(response, run, 404, "SessionPoolFull",
                                 fmt::format("the session pool has reached its maximum of {} "
                                             "sessions",
                                             settings_.max_sessions));
            return false;
        }
        bool recycle = false;
        bool retry = false;
        {
            std::unique_lock lock(session->mutex);
            if (session->gone) {
                retry = true;
            } else {
                if (!session->kernel && !allocate_kernel(session, lock, response, run)) {
                    return false;
                }
                run.guid = session->guid;
                recycle = work(*session);
            }
        }
        pool_->check_in(session);
        if (retry) {
            continue;
        }
        if (recycle) {
            pool_->discard(session);
        }
        return true;
    }
    send_session_failure(response, run, 503, "SessionUnavailable",
                         "the session was being removed; retry");
    return false;
}

bool AcaEmulator::allocate_kernel(const std::shared_ptr<PoolSession>& session,
                                  std::unique_lock<std::mutex>& lock, httplib::Response& response,
                                  ExecutionRun& run) {
    const auto start = SteadyClock::now();
    const auto& latency = faults_.latency();
    if (latency.allocation.count() > 0) {
        std::this_thread::sleep_for(faults_.draw(latency.allocation));
    }
    auto started = kernels_->create_session();
    if (!started.ok() || !started.session) {
        lock.unlock();
        pool_->check_in(session);
        pool_->discard(session);
        send_session_failure(response, run, 500, "SessionAllocationFailed", started.message);
        return false;
    }
    session->data_dir = started.extra.value("data_dir", std::string{});
    session->kernel = std::move(started.session);
    run.allocated = true;
    run.allocation_ms = milliseconds(SteadyClock::now() - start);
    return true;
}

void AcaEmulator::get_session(const Call& call) {
    for (const auto& view : pool_->list()) {
        if (view.identifier == call.identifier) {
            return send_json(call.response, 200, session_json(view));
        }
    }
    send_error(call.response, 404, "SessionNotFound",
               fmt::format("no session '{}' in the pool", call.identifier));
}

void AcaEmulator::delete_session(const Call& call) {
    if (!pool_->remove(call.identifier)) {
        return send_error(call.response, 404, "SessionNotFound",
                          fmt::format("no session '{}' in the pool", call.identifier));
    }
    call.response.status = 204;
}

void AcaEmulator::list_sessions(const Call& call) {
    std::size_t skip = 0;
    if (call.request.has_param("skip")) {
        const auto text = call.request.get_param_value("skip");
        const bool digits =
            !text.empty() && text.size() < 10 && std::all_of(text.begin(), text.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0;
            });
        if (!digits) {
            return send_error(call.response, 400, "SessionRequestValidationFailed",
                              "skip must be a non-negative integer");
        }
        skip = static_cast<std::size_t>(std::stoul(text));
    }
    auto views = pool_->list();
    std::sort(views.begin(), views.end(), [](const auto& a, const auto& b) {
        return std::tie(a.created_at, a.identifier) < std::tie(b.created_at, b.identifier);
    });
    json sessions = json::array();
    for (std::size_t i = skip; i < views.size() && i < skip + kSessionsPerPage; ++i) {
        sessions.push_back(session_json(views[i]));
    }
    json next = nullptr;
    if (skip + kSessionsPerPage < views.size()) {
        next = fmt::format("{}/listSessions?api-version={}&skip={}", endpoint_, call.version.text,
                           skip + kSessionsPerPage);
    }
    send_json(call.response, 200,
              {{"sessions", std::move(sessions)}, {"nextLink", std::move(next)}});
}

void AcaEmulator::metadata(const Call& call) {
    send_json(call.response, 200,
              {{"runtimes", json::array({{{"name", "python"}, {"version", python_version_}}})},
               {"preInstalledPackages", json::array()},
               {"createdAt", rfc3339(started_at_)},
               {"lastUpdatedAt", rfc3339(started_at_)},
               {"jupyterKernel",
                {{"name", "sandbench-local-kernel"},
                 {"version", kVersion},
                 {"projectUrl", "urn:sandbench:backends:local:kernel"},
                 {"description", "sandbench's local Python kernel (emulated dynamic sessions)"}}}});
}

}  // namespace aca

std::unique_ptr<Emulator> start_aca_emulator(const EmulatorOptions& options) {
    if (options.host != "127.0.0.1" && options.host != "::1" && options.host != "localhost") {
        throw UsageError(fmt::format(
            "ACA emulator: host '{}' is not a loopback address; emulators are never exposed",
            options.host));
    }
    auto emulator =
        std::make_unique<aca::AcaEmulator>(options, aca::read_settings(options.settings));
    // The backend settings name this variable; a backend in this process then reaches the
    // emulator with backend_settings() alone. An existing value is kept (the caller's choice).
    ::setenv(std::string(kAcaEmulatorTokenVariable).c_str(), emulator->token_for_clients().c_str(),
             /*overwrite=*/0);
    return emulator;
}

}  // namespace sandbench::emulators
