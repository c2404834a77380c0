// SPDX-License-Identifier: Apache-2.0
//
// The ACA emulator's server, private to emulators/aca/ (aca_emulator.hpp is the public face).
// One class, its members defined by seam: aca_emulator.cpp builds it and runs the session pool
// (allocation, GET/DELETE session, listSessions, metadata); aca_routes.cpp checks every request
// (pool path, auth, api-version, identifier, ?path=) and dispatches it through the route table;
// aca_executions.cpp runs code; aca_files.cpp serves files. The bodies they send are written by
// aca_wire.hpp.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "aca_emulator.hpp"
#include "aca_session_pool.hpp"
#include "aca_wire.hpp"
#include "sandbench/backends/backend.hpp"
#include "sandbench/emulators/server_thread.hpp"

namespace sandbench::emulators::aca {

/// The token the emulator's backend settings use when settings.token is not set; the emulator
/// accepts any non-empty token then, so it is no secret.
inline constexpr std::string_view kPlaceholderToken = "sandbench-aca-emulator";

struct Settings {
    std::optional<std::string> token;
    bool forbid = false;
    double cooldown_s = 300;
    std::int64_t max_sessions = 600;
    std::int64_t max_upload_bytes = std::int64_t{128} << 20;
    double max_execution_s = 220;
    std::int64_t output_streams_max_length = 4096;
    std::string subscription = "00000000-0000-0000-0000-000000000000";
    std::string resource_group = "sandbench";
    std::string pool = "emulated-pool";
    std::int64_t threads = 64;
};

/// Reads and validates EmulatorOptions::settings. Throws ConfigError.
[[nodiscard]] Settings read_settings(const nlohmann::json& settings);

/// One of the API versions the service has published (notes §2).
struct KnownVersion {
    std::string_view text;
    bool new_api;             ///< executions, flat bodies (2024-10-02-preview and later)
    bool session_management;  ///< /session, /listSessions, /metadata (2025-02-02-preview and later)
    int execute_status;       ///< new-API execute answers 202 until 2025-10-02-preview, then 200
};

enum class Verb { kGet, kPost, kDelete };

/// A request that passed the route steps, as its handler gets it.
struct Call {
    const httplib::Request& request;
    httplib::Response& response;
    SteadyClock::time_point received;
    const KnownVersion& version;
    std::string identifier;  ///< "" on the pool-wide routes (listSessions, metadata)
    std::string directory;   ///< ?path=, relative to /mnt/data
    std::string wildcard;    ///< what the route pattern's "*" or "**" matched, '/'-joined
};

/// (directory relative to /mnt/data, file name), as aca::split_file_name gives them.
using FilePath = std::pair<std::string, std::string>;

/// One execution kept for GET /executions/{id}.
struct ExecutionRecord {
    std::string identifier;
    nlohmann::json body;
};

class AcaEmulator final : public Emulator {
public:
    AcaEmulator(const EmulatorOptions& options, Settings settings);
    ~AcaEmulator() override { stop(); }
    AcaEmulator(const AcaEmulator&) = delete;
    AcaEmulator& operator=(const AcaEmulator&) = delete;
    AcaEmulator(AcaEmulator&&) = delete;
    AcaEmulator& operator=(AcaEmulator&&) = delete;

    [[nodiscard]] std::string endpoint() const override { return endpoint_; }
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> environment() const override {
        return {{"ACA_POOL_MANAGEMENT_ENDPOINT", endpoint_},
                {std::string(kAcaEmulatorTokenVariable), token_for_clients()}};
    }
    [[nodiscard]] nlohmann::json backend_settings() const override {
        return {{"endpoint", endpoint_},
                {"emulated", true},
                {"auth", "static"},
                {"token_env", kAcaEmulatorTokenVariable},
                {"proxy", ""}};
    }
    void stop() noexcept override;

    [[nodiscard]] std::string token_for_clients() const {
        return settings_.token.value_or(std::string(kPlaceholderToken));
    }

    // Route handlers, public for the route table of aca_routes.cpp (the class is private to
    // emulators/aca/). Executions: aca_executions.cpp.
    void execute_legacy(const Call& call, bool flat);
    void execute_new(const Call& call);
    void get_execution(const Call& call);
    // Files: aca_files.cpp. `shape`: "legacy", "python" (pre-2024 routes) or "new".
    void upload(const Call& call, std::string_view shape);
    void list_files(const Call& call, std::string_view shape);
    void download(const Call& call, const FilePath& file, bool typed);
    void file_metadata(const Call& call, const FilePath& file);
    void delete_file(const Call& call, const FilePath& file);
    // The pool: aca_emulator.cpp.
    void get_session(const Call& call);
    void delete_session(const Call& call);
    void list_sessions(const Call& call);
    void metadata(const Call& call);

private:
    /// Work on a session under its lock; returns true when the session must be recycled.
    using SessionWork = std::function<bool(PoolSession&)>;

    // Construction (aca_emulator.cpp).
    void configure_server();
    void install_handlers();
    // Routing (aca_routes.cpp).
    void serve(Verb verb, const httplib::Request& request, httplib::Response& response);
    bool authenticate(const httplib::Request& request, httplib::Response& response) const;
    [[nodiscard]] std::string pool_path() const;

    // Sessions (aca_emulator.cpp).
    /// Runs `work` on the identifier's session (allocating it first if new), under the
    /// session's lock. False, with the failure in `run` and `response`, when no session could
    /// be had.
    bool with_session(const std::string& identifier, httplib::Response& response, ExecutionRun& run,
                      const SessionWork& work);
    /// Starts the kernel of a new session; `lock` holds its mutex and is released on failure.
    bool allocate_kernel(const std::shared_ptr<PoolSession>& session,
                         std::unique_lock<std::mutex>& lock, httplib::Response& response,
                         ExecutionRun& run);
    static void send_session_failure(httplib::Response& response, ExecutionRun& run, int status,
                                     std::string code, std::string message);

    // Executions (aca_executions.cpp).
    ExecutionRun run_execution(const std::string& identifier, const ExecuteRequest& request,
                               SteadyClock::time_point received);
    static void add_timing_headers(httplib::Response& response, const ExecutionRun& run,
                                   SteadyClock::time_point received);
    std::optional<ExecuteRequest> parse_execute(const httplib::Request& request,
                                                httplib::Response& response, bool new_api) const;
    bool read_limits(const nlohmann::json& fields, httplib::Response& response,
                     ExecuteRequest& parsed) const;
    void start_asynchronous(const Call& call, const std::string& id, const ExecuteRequest& parsed);
    void keep_execution(const std::string& id, ExecutionRecord record);
    std::string execution_url(const std::string& id, std::string_view version,
                              const std::string& identifier) const;

    Settings settings_;
    FaultInjector faults_;
    std::string python_version_;
    SystemClock::time_point started_at_ = SystemClock::now();
    // Destroyed in reverse order: the server first, then the pool's sessions, then the kernels'
    // backend (sessions must go before their backend).
    std::unique_ptr<backends::Backend> kernels_;
    std::unique_ptr<SessionPool> pool_;
    httplib::Server server_;
    std::optional<ServerThread> listener_;  ///< set last in the constructor
    std::string endpoint_;
    std::atomic<bool> stopped_{false};

    std::mutex executions_mutex_;
    std::map<std::string, ExecutionRecord> executions_;
    std::deque<std::string> execution_order_;
    std::vector<std::thread> workers_;  ///< asynchronous executions; guarded by executions_mutex_
};

}  // namespace sandbench::emulators::aca
