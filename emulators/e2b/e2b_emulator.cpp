// SPDX-License-Identifier: Apache-2.0
#include "e2b_emulator.hpp"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "local/local_backend.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/emulators/server_thread.hpp"
#include "sandbox.hpp"
#include "wire.hpp"

namespace sandbench::emulators {
namespace {

using e2b::Context;
using e2b::Sandbox;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

constexpr int kEnvdPort = 49983;
constexpr int kInterpreterPort = 49999;
/// The envd version reported: recent enough for every feature gate of the current SDKs.
constexpr const char* kEnvdVersion = "0.6.13";
/// E2B's infra returns this constant for the deprecated clientID.
constexpr const char* kClientId = "6532622b";
/// Default lifetime of a v1 create without `timeout` (the API's own default).
constexpr int kV1DefaultTimeout = 15;
/// Executions in the emulator have no deadline of their own: the client's timeout (it
/// disconnects) or the sandbox's end stops them.
constexpr backends::Milliseconds kNoDeadline{1e12};
/// Stdout arrives from the local kernel in one piece; it is streamed in pieces of about this size,
/// cut after a line break, as a Jupyter kernel's output would arrive in several messages.
constexpr std::size_t kOutputPiece = std::size_t{64} * 1024;
constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr const char* kEnvdUnauthorized =
    "unauthorized access, please provide a valid access token or method signing if supported";

struct Settings {
    std::optional<std::string> api_key;
    int default_timeout_s = 300;
    int max_timeout_s = 3600;
    int max_sandboxes = 20;
    std::chrono::milliseconds keepalive{5000};
    std::chrono::milliseconds reaper_interval{250};
    std::vector<e2b::StreamFaultRule> stream_faults;
};

Settings read_settings(const json& raw) {
    const std::string owner = "e2b emulator";
    json config = raw.is_null() ? json::object() : raw;
    if (!config.is_object()) {
        throw ConfigError(owner + ": settings must be a table/object");
    }
    Settings settings;
    // A list is not a ConfigReader type: taken out before the reader sees the rest.
    if (const auto it = config.find("stream_faults"); it != config.end()) {
        std::vector<std::string> items;
        if (it->is_string()) {
            std::string text = it->get<std::string>();
            std::size_t start = 0;
            while (start <= text.size()) {
                const auto end = text.find(';', start);
                const auto item = text.substr(start, end - start);
                if (!item.empty()) {
                    items.push_back(item);
                }
                if (end == std::string::npos) {
                    break;
                }
                start = end + 1;
            }
        } else if (it->is_array() && std::all_of(it->begin(), it->end(),
                                                 [](const json& v) { return v.is_string(); })) {
            items = it->get<std::vector<std::string>>();
        } else {
            throw ConfigError(fmt::format(
                "{}: setting 'stream_faults' must be a list of strings or a ';'-separated string "
                "(got {})",
                owner, it->dump()));
        }
        for (const auto& item : items) {
            try {
                settings.stream_faults.push_back(e2b::parse_stream_fault(item));
            } catch (const UsageError& error) {
                throw ConfigError(fmt::format("{}: {}", owner, error.what()));
            }
        }
        config.erase(it);
    }
    backends::ConfigReader reader(owner, config);
    settings.api_key = reader.get_optional_string("api_key");
    settings.default_timeout_s =
        static_cast<int>(reader.get_int("default_timeout_s", 300, 1, 86'400));
    settings.max_timeout_s = static_cast<int>(reader.get_int("max_timeout_s", 3600, 1, 86'400));
    settings.max_sandboxes = static_cast<int>(reader.get_int("max_sandboxes", 20, 1, 10'000));
    settings.keepalive =
        std::chrono::milliseconds(reader.get_int("keepalive_ms", 5000, 10, 3'600'000));
    settings.reaper_interval =
        std::chrono::milliseconds(reader.get_int("reaper_interval_ms", 250, 10, 60'000));
    reader.reject_unknown_keys();
    if (settings.api_key && settings.api_key->empty()) {
        throw ConfigError(owner + ": setting 'api_key' must not be empty");
    }
    return settings;
}

std::string rfc3339(SystemClock::time_point time) {
    const auto seconds = SystemClock::to_time_t(time);
    struct tm parts {};
    ::gmtime_r(&seconds, &parts);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            time.time_since_epoch() % std::chrono::seconds(1))
                            .count();
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                       micros);
}

/// Python's datetime.isoformat() of an aware UTC time, as the kernel messages' timestamps.
std::string iso_timestamp() {
    std::string text = rfc3339(SystemClock::now());
    text.pop_back();  // 'Z'
    return text + "+00:00";
}

std::string random_sandbox_id() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string id = "i";
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    for (int i = 0; i < 20; ++i) {
        id += kAlphabet[pick(random)];
    }
    return id;
}

std::string random_token() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    return fmt::format("{:016x}{:016x}", random(), random());
}

void api_error(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(json{{"code", status}, {"message", message}}.dump(), kJsonType);
}

void proxy_error(httplib::Response& res, const std::string& sandbox_id, int status,
                 const std::string& message, std::optional<int> port = std::nullopt) {
    json body = {{"sandboxId", sandbox_id}, {"message", message}, {"code", status}};
    if (port) {
        body["port"] = *port;
    }
    res.status = status;
    res.set_content(body.dump(), kJsonType);
}

/// A Connect-RPC error: {"code": "<name>", "message": ...} with the matching HTTP status.
void connect_error(httplib::Response& res, const std::string& code, const std::string& message) {
    static const std::map<std::string, int> kStatus = {
        {"invalid_argument", 400}, {"unauthenticated", 401}, {"permission_denied", 403},
        {"not_found", 404},        {"already_exists", 409},  {"resource_exhausted", 429},
        {"unimplemented", 501},    {"internal", 500},        {"unavailable", 503}};
    const auto it = kStatus.find(code);
    res.status = it == kStatus.end() ? 500 : it->second;
    res.set_content(json{{"code", code}, {"message", message}}.dump(), "application/json");
}

std::string connect_code(int file_status) {
    switch (file_status) {
        case 400:
            return "invalid_argument";
        case 403:
            return "permission_denied";
        case 404:
            return "not_found";
        case 409:
            return "already_exists";
        case 507:
            return "resource_exhausted";
        default:
            return "internal";
    }
}

std::optional<json> parse_body(const httplib::Request& req) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
        return std::nullopt;
    }
    return body;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string normalize_language(const json& language) {
    if (!language.is_string()) {
        return "python";
    }
    std::string text = lower(language.get<std::string>());
    const auto first = text.find_first_not_of(" \t\n");
    const auto last = text.find_last_not_of(" \t\n");
    text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    if (text.empty()) {
        return "python";
    }
    if (text == "js") {
        return "javascript";
    }
    if (text == "ts") {
        return "typescript";
    }
    return text;
}

std::string default_data_root() {
    std::error_code error;
    std::filesystem::path temp = std::filesystem::temp_directory_path(error);
    if (error) {
        temp = "/tmp";
    }
    return (temp / fmt::format("sandbench-{}", ::geteuid())).string();
}

/// A fresh directory below `base` for one emulator's kernels. Searchable by everyone (0711), as
/// the local backend makes its own root: under root, bwrap runs unprivileged and must reach the
/// session directories inside to bind them.
std::string make_data_root(const std::string& base) {
    std::error_code error;
    std::filesystem::create_directories(base, error);
    if (error) {
        throw ConfigError(
            fmt::format("e2b emulator: cannot create '{}': {}", base, error.message()));
    }
    std::string pattern = (std::filesystem::path(base) / "e2b-emulator-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw IoError(fmt::format("e2b emulator: cannot create a directory in '{}'", base));
    }
    using std::filesystem::perms;
    std::filesystem::permissions(pattern, perms::owner_all | perms::group_exec | perms::others_exec,
                                 error);
    return pattern;
}

/// Where a request goes: the control plane, or a port of a sandbox.
struct Route {
    bool sandbox = false;
    std::string sandbox_id;
    int port = 0;
    std::string problem;  ///< a routing error (400)
};

bool is_local_host(const std::string& host) {
    static const std::regex kIp(R"(^\d{1,3}(\.\d{1,3}){3}$)");
    return host == "localhost" || host.find(':') != std::string::npos ||
           std::regex_match(host, kIp) || host.rfind("sandbox.", 0) == 0;
}

/// E2B's proxy rule (client-proxy host.go): a local, IP-literal or sandbox.* host with routing
/// headers is routed by the headers (both required); otherwise the Host's left-most label may be
/// <port>-<sandboxID>. The emulator serves the control plane on the same port, so a request
/// that matches neither goes there.
Route route_of(const httplib::Request& req) {
    Route route;
    std::string host = lower(req.get_header_value("Host"));
    if (!host.empty() && host.front() == '[') {
        host = host.substr(1, host.find(']') - 1);
    } else if (const auto colon = host.rfind(':');
               colon != std::string::npos && host.find(':') == colon) {
        host = host.substr(0, colon);
    }
    static const std::regex kLabel(R"(^(\d+)-([a-z0-9]+)\..+$)");
    const bool has_id = req.has_header("E2b-Sandbox-Id");
    const bool has_port = req.has_header("E2b-Sandbox-Port");
    std::smatch match;
    // E2B's rule first; a host that is neither local nor <port>-<id> but carries the headers is
    // routed by them too (no control-plane request carries them).
    const bool by_headers =
        (has_id || has_port) && (is_local_host(host) || !std::regex_match(host, match, kLabel));
    if (by_headers) {
        route.sandbox = true;
        if (!has_id || !has_port) {
            route.problem =
                fmt::format("Missing header: {}", has_id ? "E2b-Sandbox-Port" : "E2b-Sandbox-Id");
            return route;
        }
        route.sandbox_id = req.get_header_value("E2b-Sandbox-Id");
        try {
            route.port = std::stoi(req.get_header_value("E2b-Sandbox-Port"));
        } catch (const std::exception&) {
            route.problem = "Invalid header: E2b-Sandbox-Port";
        }
        return route;
    }
    if (std::regex_match(host, match, kLabel)) {
        route.sandbox = true;
        route.port = std::stoi(match[1].str());
        route.sandbox_id = match[2].str();
    }
    return route;
}

class E2BEmulator final : public Emulator {
public:
    explicit E2BEmulator(const EmulatorOptions& options);
    E2BEmulator(const E2BEmulator&) = delete;
    E2BEmulator& operator=(const E2BEmulator&) = delete;
    E2BEmulator(E2BEmulator&&) = delete;
    E2BEmulator& operator=(E2BEmulator&&) = delete;
    ~E2BEmulator() override { stop(); }

    [[nodiscard]] std::string endpoint() const override { return base_url_; }
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> environment() const override {
        return {{"E2B_API_URL", base_url_},
                {"E2B_SANDBOX_URL", base_url_},
                {"E2B_API_KEY", settings_.api_key.value_or(kE2bEmulatorApiKey)}};
    }
    [[nodiscard]] json backend_settings() const override {
        return {{"api_url", base_url_}, {"sandbox_url", base_url_}, {"emulated", true}};
    }
    void stop() noexcept override;

private:
    void handle(const httplib::Request& req, httplib::Response& res);
    void control_plane(const httplib::Request& req, httplib::Response& res);
    void create_sandbox(const httplib::Request& req, httplib::Response& res, bool v2);
    void list_sandboxes(const httplib::Request& req, httplib::Response& res, bool v2);
    static void envd(Sandbox& sandbox, const httplib::Request& req, httplib::Response& res);
    static void filesystem_rpc(Sandbox& sandbox, const std::string& method,
                               const httplib::Request& req, httplib::Response& res);
    void interpreter(const std::shared_ptr<Sandbox>& sandbox, const httplib::Request& req,
                     httplib::Response& res);
    void execute(const std::shared_ptr<Sandbox>& sandbox, const httplib::Request& req,
                 httplib::Response& res);
    bool stream_execution(const std::shared_ptr<Sandbox>& sandbox,
                          const std::shared_ptr<Context>& context, const std::string& code,
                          const json& env_vars, const std::vector<e2b::StreamFaultKind>& faults,
                          httplib::DataSink& sink) const;

    [[nodiscard]] std::shared_ptr<Sandbox> find(const std::string& id) const;
    /// Removes a sandbox from the service's view and ends it. False if it was unknown.
    bool kill(const std::string& id);
    void reap();
    static json sandbox_json(const Sandbox& sandbox, bool detail);
    void remove_data_root() noexcept;

    Settings settings_;
    bool isolated_ = true;
    std::string data_root_;
    std::unique_ptr<backends::Backend> kernels_;
    FaultInjector faults_;
    e2b::StreamFaults stream_faults_;
    httplib::Server server_;
    std::optional<ServerThread> listener_;  ///< set once the server is configured
    std::string base_url_;

    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Sandbox>> sandboxes_;
    int creating_ = 0;

    std::mutex reaper_mutex_;
    std::condition_variable reaper_wake_;
    bool stopping_ = false;
    std::thread reaper_;
    std::atomic<bool> stopped_{false};
};

E2BEmulator::E2BEmulator(const EmulatorOptions& options)
    : settings_(read_settings(options.settings)),
      faults_(options.faults, options.latency, options.seed),
      stream_faults_(settings_.stream_faults, options.seed + 1) {
    json kernel = options.kernel.is_null() ? json::object() : options.kernel;
    if (!kernel.is_object()) {
        throw ConfigError("e2b emulator: kernel settings must be a table/object");
    }
    if (!kernel.contains("isolation")) {
        kernel["isolation"] = "bwrap";  // E2B isolates every sandbox; so do we
    }
    if (!kernel.contains("output_limit_bytes")) {
        kernel["output_limit_bytes"] = 64LL << 20;  // E2B caps no output; the local default would
    }
    kernel["keep_data"] = true;  // the sandbox owns the directories: restarts keep the files
    isolated_ = kernel["isolation"] != "none";
    // The kernels' directories live in a root of this emulator's own, removed when it stops: with
    // keep_data, nothing else would remove the directory of the local backend's start-up probe.
    data_root_ = make_data_root(kernel.value("data_root", default_data_root()));
    kernel["data_root"] = data_root_;
    try {
        kernels_ = backends::local::make_local_backend({"e2b-emulator-kernels", "local", kernel});
    } catch (...) {
        remove_data_root();
        throw;
    }

    server_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    // uvicorn (asyncio) writes with TCP_NODELAY; without it, each streamed line after the
    // headers would wait for a delayed ACK (40 ms on Linux) and distort the time to first event.
    server_.set_tcp_nodelay(true);
    // A client keeps its connection, as it would with uvicorn (--timeout-keep-alive 640): never
    // close it after a few requests, or reused sessions would measure reconnects.
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_keep_alive_timeout(30);
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        res.set_header("X-Sandbench-Emulated", "true");
        return faults_.apply(req, res) ? httplib::Server::HandlerResponse::Handled
                                       : httplib::Server::HandlerResponse::Unhandled;
    });
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
            std::string what = "unknown error";
            try {
                std::rethrow_exception(std::move(error));
            } catch (const std::exception& caught) {
                what = caught.what();
            } catch (...) {
            }
            api_error(res, 500, "sandbench emulator: " + what);
        });
    // Routing needs headers and paths the server's own router cannot express (the same path means
    // different things on different sandbox ports): one handler for every request.
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        handle(req, res);
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);

    listener_.emplace(server_, options.host, options.port, "e2b emulator");
    base_url_ = listener_->base_url();
    reaper_ = std::thread([this] { reap(); });
}

void E2BEmulator::stop() noexcept {
    if (stopped_.exchange(true)) {
        return;
    }
    {
        const std::lock_guard lock(reaper_mutex_);
        stopping_ = true;
    }
    reaper_wake_.notify_all();
    if (reaper_.joinable()) {
        reaper_.join();
    }
    // Ending the sandboxes first interrupts running executions, whose streams would otherwise
    // keep the server's workers busy.
    std::map<std::string, std::shared_ptr<Sandbox>> all;
    {
        const std::lock_guard lock(mutex_);
        all.swap(sandboxes_);
    }
    for (auto& [id, sandbox] : all) {
        sandbox->kill();
    }
    if (listener_) {
        listener_->stop();
    }
    remove_data_root();
}

void E2BEmulator::remove_data_root() noexcept {
    if (!data_root_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(data_root_, ignored);
    }
}

void E2BEmulator::reap() {
    std::unique_lock lock(reaper_mutex_);
    while (!stopping_) {
        reaper_wake_.wait_for(lock, settings_.reaper_interval);
        if (stopping_) {
            break;
        }
        std::vector<std::string> expired;
        {
            const std::lock_guard sandboxes(mutex_);
            const auto now = SteadyClock::now();
            for (const auto& [id, sandbox] : sandboxes_) {
                if (sandbox->end_at() <= now) {
                    expired.push_back(id);
                }
            }
        }
        for (const auto& id : expired) {
            (void)kill(id);
        }
    }
}

std::shared_ptr<Sandbox> E2BEmulator::find(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    const auto it = sandboxes_.find(id);
    return it == sandboxes_.end() ? nullptr : it->second;
}

bool E2BEmulator::kill(const std::string& id) {
    std::shared_ptr<Sandbox> sandbox;
    {
        const std::lock_guard lock(mutex_);
        const auto it = sandboxes_.find(id);
        if (it == sandboxes_.end()) {
            return false;
        }
        sandbox = std::move(it->second);
        sandboxes_.erase(it);
    }
    sandbox->kill();
    return true;
}

void E2BEmulator::handle(const httplib::Request& req, httplib::Response& res) {
    const Route route = route_of(req);
    if (!route.sandbox) {
        control_plane(req, res);
        return;
    }
    if (!route.problem.empty()) {
        proxy_error(res, route.sandbox_id, 400, route.problem);
        return;
    }
    static const std::regex kId("^[a-z0-9]+$");
    if (!std::regex_match(route.sandbox_id, kId)) {
        proxy_error(res, route.sandbox_id, 400, "Invalid sandbox ID");
        return;
    }
    const auto sandbox = find(route.sandbox_id);
    if (sandbox == nullptr || sandbox->killed()) {
        proxy_error(res, route.sandbox_id, 502, "The sandbox was not found");
        return;
    }
    if (route.port == kEnvdPort) {
        envd(*sandbox, req, res);
    } else if (route.port == kInterpreterPort && sandbox->info().interpreter) {
        interpreter(sandbox, req, res);
    } else {
        proxy_error(res, route.sandbox_id, 502, "The sandbox is running but port is not open",
                    route.port);
    }
}

json E2BEmulator::sandbox_json(const Sandbox& sandbox, bool detail) {
    const auto& info = sandbox.info();
    json body = {{"templateID", info.template_id},
                 {"alias", info.alias},
                 {"sandboxID", info.id},
                 {"clientID", kClientId},
                 {"envdVersion", kEnvdVersion}};
    if (!info.envd_access_token.empty()) {
        body["envdAccessToken"] = info.envd_access_token;
    }
    if (detail) {
        body["startedAt"] = rfc3339(info.started_at);
        body["endAt"] = rfc3339(sandbox.end_at_wall());
        body["cpuCount"] = 2;
        body["memoryMB"] = info.interpreter ? 2048 : 512;
        body["diskSizeMB"] = 10240;
        body["metadata"] = info.metadata;
        body["state"] = "running";
    }
    return body;
}

void E2BEmulator::control_plane(const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (req.method == "GET" && path == "/health") {
        res.set_content("Health check successful", "text/plain");
        return;
    }
    const std::string key = req.get_header_value("X-API-Key");
    if (key.empty() || (settings_.api_key && key != *settings_.api_key)) {
        api_error(res, 401, key.empty() ? "Missing X-API-Key header" : "Invalid API key");
        return;
    }
    if (req.method == "POST" && (path == "/sandboxes" || path == "/v2/sandboxes")) {
        create_sandbox(req, res, path == "/v2/sandboxes");
        return;
    }
    if (req.method == "GET" && (path == "/sandboxes" || path == "/v2/sandboxes")) {
        list_sandboxes(req, res, path == "/v2/sandboxes");
        return;
    }
    static const std::regex kSandboxPath(R"(^(/v2)?/sandboxes/([^/]+)(/[a-z]+)?$)");
    std::smatch match;
    if (!std::regex_match(path, match, kSandboxPath)) {
        api_error(res, 404, "Not Found");
        return;
    }
    const bool v2 = match[1].matched;
    const std::string id = match[2].str();
    const std::string action = match[3].matched ? match[3].str() : "";
    const auto not_found = [&] {
        api_error(res, 404,
                  fmt::format("Sandbox \"{}\" doesn't exist or you don't have access to it", id));
    };
    if (v2 && action != "/connect") {
        api_error(res, 404, "Not Found");
        return;
    }
    if (action.empty() && req.method == "DELETE") {
        if (!kill(id)) {
            not_found();
            return;
        }
        res.status = 204;
        return;
    }
    const auto sandbox = find(id);
    if (action.empty() && req.method == "GET") {
        if (sandbox == nullptr) {
            not_found();
            return;
        }
        res.set_content(sandbox_json(*sandbox, true).dump(), kJsonType);
        return;
    }
    if (req.method != "POST") {
        api_error(res, 405, "Method Not Allowed");
        return;
    }
    const auto body = parse_body(req);
    const auto seconds = [&](const char* field) -> std::optional<int> {
        if (!body || !body->is_object() || !body->contains(field) ||
            !(*body)[field].is_number_integer()) {
            return std::nullopt;
        }
        return (*body)[field].get<int>();
    };
    if (action == "/timeout" || action == "/refreshes" || action == "/connect") {
        const char* field = action == "/refreshes" ? "duration" : "timeout";
        const auto value = seconds(field);
        if (!value || *value < 0 || *value > settings_.max_timeout_s) {
            api_error(res, 400,
                      fmt::format("'{}' must be an integer from 0 to {} seconds", field,
                                  settings_.max_timeout_s));
            return;
        }
        if (sandbox == nullptr) {
            not_found();
            return;
        }
        if (action == "/timeout") {
            sandbox->set_timeout(std::chrono::seconds(*value));  // may shorten, as E2B's
            res.status = 204;
        } else if (action == "/refreshes") {
            sandbox->extend_to(std::chrono::seconds(*value));
            res.status = 204;
        } else {
            sandbox->extend_to(std::chrono::seconds(*value));  // connect never shortens
            res.set_content(sandbox_json(*sandbox, false).dump(), kJsonType);
        }
        return;
    }
    if (action == "/pause" || action == "/resume") {
        api_error(res, 400, "pausing and resuming are not supported by the sandbench emulator");
        return;
    }
    api_error(res, 404, "Not Found");
}

void E2BEmulator::create_sandbox(const httplib::Request& req, httplib::Response& res, bool v2) {
    const auto body = parse_body(req);
    if (!body || !body->is_object()) {
        api_error(res, 400, "request body has an error: the body is not a JSON object");
        return;
    }
    const auto template_it = body->find("templateID");
    if (template_it == body->end() || !template_it->is_string() ||
        template_it->get<std::string>().empty()) {
        api_error(res, 400,
                  "request body has an error: doesn't match schema: property \"templateID\" is "
                  "missing");
        return;
    }
    const std::string template_name = template_it->get<std::string>();
    const bool interpreter = template_name.find("code-interpreter") != std::string::npos;
    if (!interpreter && template_name != "base") {
        api_error(res, 404,
                  fmt::format("template '{}' not found (the sandbench emulator knows "
                              "code-interpreter-v1, code-interpreter and base)",
                              template_name));
        return;
    }
    int timeout = v2 ? settings_.default_timeout_s : kV1DefaultTimeout;
    if (const auto it = body->find("timeout"); it != body->end() && !it->is_null()) {
        if (!it->is_number_integer()) {
            api_error(res, 400, "request body has an error: \"timeout\" must be an integer");
            return;
        }
        const auto asked = it->get<std::int64_t>();
        if (asked <= 0) {
            api_error(res, 400, "Timeout must be greater than 0");
            return;
        }
        if (asked > settings_.max_timeout_s) {
            api_error(res, 400,
                      fmt::format("Timeout cannot be greater than {} hours",
                                  settings_.max_timeout_s / 3600));
            return;
        }
        timeout = static_cast<int>(asked);
    }
    e2b::SandboxInfo info;
    for (const char* field : {"metadata", "envVars"}) {
        const auto it = body->find(field);
        if (it == body->end() || it->is_null()) {
            continue;
        }
        const bool strings =
            it->is_object() &&
            std::all_of(it->begin(), it->end(), [](const json& v) { return v.is_string(); });
        if (!strings) {
            api_error(res, 400,
                      fmt::format("request body has an error: \"{}\" must map strings to strings",
                                  field));
            return;
        }
        (std::string(field) == "metadata" ? info.metadata : info.env_vars) = *it;
    }
    const bool secure = v2 || body->value("secure", false);
    {
        const std::lock_guard lock(mutex_);
        if (static_cast<int>(sandboxes_.size()) + creating_ >= settings_.max_sandboxes) {
            api_error(res, 429,
                      fmt::format("you have reached the maximum number of concurrent E2B "
                                  "sandboxes ({}). If you need more, please visit "
                                  "'https://e2b.dev/docs/billing'",
                                  settings_.max_sandboxes));
            return;
        }
        ++creating_;
    }
    struct Slot {
        E2BEmulator& self;
        explicit Slot(E2BEmulator& owner) : self(owner) {}
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Slot(Slot&&) = delete;
        Slot& operator=(Slot&&) = delete;
        ~Slot() {
            const std::lock_guard lock(self.mutex_);
            --self.creating_;
        }
    } slot(*this);

    const auto allocation = faults_.draw(faults_.latency().allocation);
    if (allocation.count() > 0) {
        std::this_thread::sleep_for(allocation);
    }
    info.id = random_sandbox_id();
    info.template_id = template_name;
    info.alias = template_name;
    info.interpreter = interpreter;
    info.envd_access_token = secure ? random_token() : "";
    info.started_at = SystemClock::now();
    auto sandbox = std::make_shared<Sandbox>(std::move(info), *kernels_, !isolated_);
    sandbox->set_timeout(std::chrono::seconds(timeout));
    if (auto problem = sandbox->start()) {
        res.status = 500;
        res.set_content(json{{"code", 500},
                             {"message", "Failed to place sandbox: " + *problem},
                             {"error_code", "sandbox_create_failed"}}
                            .dump(),
                        kJsonType);
        return;
    }
    {
        const std::lock_guard lock(mutex_);
        sandboxes_[sandbox->info().id] = sandbox;
    }
    res.status = 201;
    res.set_content(sandbox_json(*sandbox, false).dump(), kJsonType);
}

void E2BEmulator::list_sandboxes(const httplib::Request& req, httplib::Response& res, bool v2) {
    // metadata=k%3Dv%26k2%3Dv2: the server has decoded the parameter once; each key and value is
    // encoded once more.
    std::vector<std::pair<std::string, std::string>> wanted;
    if (req.has_param("metadata")) {
        std::string query = req.get_param_value("metadata");
        std::size_t start = 0;
        while (start < query.size()) {
            const auto end = query.find('&', start);
            const auto pair = query.substr(start, end - start);
            const auto equals = pair.find('=');
            if (equals != std::string::npos) {
                wanted.emplace_back(httplib::detail::decode_url(pair.substr(0, equals), true),
                                    httplib::detail::decode_url(pair.substr(equals + 1), true));
            }
            if (end == std::string::npos) {
                break;
            }
            start = end + 1;
        }
    }
    const bool paused_only = req.has_param("state") && req.get_param_value("state") == "paused";
    json listed = json::array();
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [id, sandbox] : sandboxes_) {
            const auto& metadata = sandbox->info().metadata;
            const bool matches = std::all_of(wanted.begin(), wanted.end(), [&](const auto& item) {
                const auto it = metadata.find(item.first);
                return it != metadata.end() && *it == item.second;
            });
            if (matches && !paused_only) {
                json entry = sandbox_json(*sandbox, true);
                entry.erase("envdAccessToken");  // ListedSandbox has none
                listed.push_back(std::move(entry));
            }
        }
        if (v2) {
            res.set_header("X-Total-Running", std::to_string(sandboxes_.size()));
        }
    }
    res.set_content(listed.dump(), kJsonType);
}

void E2BEmulator::envd(Sandbox& sandbox, const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (req.method == "GET" && path == "/health") {
        res.status = 204;
        return;
    }
    const auto& token = sandbox.info().envd_access_token;
    if (!token.empty() && req.get_header_value("X-Access-Token") != token) {
        api_error(res, 401, kEnvdUnauthorized);
        return;
    }
    if (req.method == "GET" && path == "/envs") {
        res.set_content(sandbox.info().env_vars.dump(), "application/json");
        return;
    }
    if (path == "/files") {
        const std::string target = req.get_param_value("path");
        if (req.method == "GET") {
            if (target.empty()) {
                api_error(res, 400, "path is required");
                return;
            }
            auto read = sandbox.read_file(target);
            if (!read.ok()) {
                api_error(res, read.status, read.message);
                return;
            }
            res.set_content(read.bytes, "application/octet-stream");
            return;
        }
        if (req.method == "POST") {
            json written = json::array();
            std::vector<std::pair<std::string, const std::string*>> uploads;
            if (req.is_multipart_form_data()) {
                const auto count = req.files.count("file");
                for (auto it = req.files.lower_bound("file"); it != req.files.upper_bound("file");
                     ++it) {
                    // One part: the query's path; several: each part's file name is its path.
                    const std::string part_path =
                        count == 1 && !target.empty() ? target : it->second.filename;
                    uploads.emplace_back(part_path, &it->second.content);
                }
            } else {
                uploads.emplace_back(target, &req.body);
            }
            if (uploads.empty()) {
                api_error(res, 400, "no file in the request");
                return;
            }
            for (const auto& [upload_path, content] : uploads) {
                if (upload_path.empty()) {
                    api_error(res, 400, "path is required");
                    return;
                }
                auto result = sandbox.write_file(upload_path, *content);
                if (!result.ok()) {
                    api_error(res, result.status, result.message);
                    return;
                }
                written.push_back(result.entry);
            }
            res.set_content(written.dump(), "application/json");
            return;
        }
    }
    constexpr std::string_view kFilesystem = "/filesystem.Filesystem/";
    if (req.method == "POST" && path.starts_with(kFilesystem)) {
        filesystem_rpc(sandbox, path.substr(kFilesystem.size()), req, res);
        return;
    }
    if (req.method == "POST" && path.rfind("/process.Process/", 0) == 0) {
        connect_error(res, "unimplemented",
                      "the sandbench emulator does not run commands (process.Process)");
        return;
    }
    api_error(res, 404, "Not Found");
}

void E2BEmulator::filesystem_rpc(Sandbox& sandbox, const std::string& method,
                                 const httplib::Request& req, httplib::Response& res) {
    const std::string type = lower(req.get_header_value("Content-Type"));
    if (type.rfind("application/json", 0) != 0) {
        // Connect answers an unsupported codec (the binary one, application/proto) with 415.
        res.status = 415;
        res.set_header("Accept-Post", "application/json");
        return;
    }
    const auto body = parse_body(req);
    if (!body || !body->is_object()) {
        connect_error(res, "invalid_argument", "the request is not a JSON object");
        return;
    }
    const std::string path = body->value("path", std::string{});
    const auto fail = [&](const e2b::FileResult& result) {
        connect_error(res, connect_code(result.status), result.message);
    };
    if (method == "ListDir") {
        const auto depth = body->value("depth", json(1));
        auto listed = sandbox.list_dir(path.empty() ? std::string(e2b::kHome) : path,
                                       depth.is_number_integer() ? depth.get<int>() : 1);
        if (!listed.ok()) {
            fail(listed);
            return;
        }
        res.set_content(json{{"entries", listed.entries}}.dump(), "application/json");
    } else if (method == "Stat" || method == "MakeDir") {
        auto result = method == "Stat" ? sandbox.stat(path) : sandbox.make_dir(path);
        if (!result.ok()) {
            fail(result);
            return;
        }
        res.set_content(json{{"entry", result.entry}}.dump(), "application/json");
    } else if (method == "Remove") {
        auto result = sandbox.remove(path);
        if (!result.ok()) {
            fail(result);
            return;
        }
        res.set_content("{}", "application/json");
    } else {
        connect_error(res, "unimplemented",
                      fmt::format("filesystem.Filesystem/{} is not emulated", method));
    }
}

void E2BEmulator::interpreter(const std::shared_ptr<Sandbox>& sandbox, const httplib::Request& req,
                              httplib::Response& res) {
    const std::string& path = req.path;
    // The Code Interpreter (FastAPI) answers its own errors as plain text.
    const auto text = [&](int status, const std::string& message) {
        res.status = status;
        res.set_content(message, "text/plain; charset=utf-8");
    };
    if (req.method == "GET" && path == "/health") {
        res.set_content("\"OK\"", "application/json");
        return;
    }
    if (req.method == "POST" && path == "/execute") {
        execute(sandbox, req, res);
        return;
    }
    if (path == "/contexts") {
        if (req.method == "GET") {
            json listed = json::array();
            for (const auto& context : sandbox->contexts()) {
                listed.push_back(
                    {{"id", context->id}, {"language", context->language}, {"cwd", context->cwd}});
            }
            res.set_content(listed.dump(), "application/json");
            return;
        }
        if (req.method == "POST") {
            const auto body = parse_body(req);
            const json request = body && body->is_object() ? *body : json::object();
            const std::string language = normalize_language(request.value("language", json{}));
            if (language != "python") {
                text(500, fmt::format("Failed to create context: the sandbench emulator has "
                                      "Python kernels only (asked for '{}')",
                                      language));
                return;
            }
            const auto cwd = request.value("cwd", json{});
            std::string problem;
            const auto context = sandbox->create_context(
                cwd.is_string() && !cwd.get<std::string>().empty() ? cwd.get<std::string>()
                                                                   : std::string(e2b::kHome),
                problem);
            if (context == nullptr) {
                text(500, "Failed to create context: " + problem);
                return;
            }
            res.set_content(
                json{{"id", context->id}, {"language", context->language}, {"cwd", context->cwd}}
                    .dump(),
                "application/json");
            return;
        }
    }
    static const std::regex kContextPath(R"(^/contexts/([^/]+)(/restart)?$)");
    std::smatch match;
    if (std::regex_match(path, match, kContextPath)) {
        const std::string id = match[1].str();
        const bool restart = match[2].matched;
        if (restart && req.method == "POST") {
            const auto context = sandbox->find_context(id);
            if (context == nullptr) {
                text(404, fmt::format("Context {} not found", id));
                return;
            }
            Sandbox::interrupt(*context);  // a running execution ends as the kernel restarts
            const std::lock_guard lock(context->exec_mutex);
            if (auto problem = sandbox->restart_locked(*context)) {
                text(500, fmt::format("Failed to restart context {}", id));
                return;
            }
            res.set_content("null", "application/json");
            return;
        }
        if (!restart && req.method == "DELETE") {
            if (!sandbox->remove_context(id)) {
                text(404, fmt::format("Context {} not found", id));
                return;
            }
            res.set_content("null", "application/json");
            return;
        }
    }
    res.status = 404;
    res.set_content(R"({"detail":"Not Found"})", "application/json");
}

void E2BEmulator::execute(const std::shared_ptr<Sandbox>& sandbox, const httplib::Request& req,
                          httplib::Response& res) {
    const auto text = [&](int status, const std::string& message) {
        res.status = status;
        res.set_content(message, "text/plain; charset=utf-8");
    };
    const auto body = parse_body(req);
    if (!body || !body->is_object()) {
        res.status = 422;
        res.set_content(
            R"({"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error"}]})",
            "application/json");
        return;
    }
    const auto code = body->find("code");
    if (code == body->end() || !code->is_string()) {
        res.status = 422;
        res.set_content(json{{"detail", json::array({{{"type", "missing"},
                                                      {"loc", {"body", "code"}},
                                                      {"msg", "Field required"}}})}}
                            .dump(),
                        "application/json");
        return;
    }
    const json context_id = body->value("context_id", json{});
    const json language = body->value("language", json{});
    json env_vars = body->value("env_vars", json{});
    if (!env_vars.is_object()) {
        env_vars = json::object();
    }
    if (!context_id.is_null() && !language.is_null()) {
        text(400, "Only one of context_id or language can be provided");
        return;
    }
    std::shared_ptr<Context> context;
    if (context_id.is_string()) {
        context = sandbox->find_context(context_id.get<std::string>());
        if (context == nullptr) {
            text(404, fmt::format("Context {} not found", context_id.get<std::string>()));
            return;
        }
    } else {
        const std::string normalized = normalize_language(language);
        if (normalized != "python") {
            text(500, fmt::format("Failed to create context: the sandbench emulator has Python "
                                  "kernels only (asked for '{}')",
                                  normalized));
            return;
        }
        context = sandbox->default_context();
        if (context == nullptr) {
            text(404, "Context default not found");
            return;
        }
    }
    auto faults = stream_faults_.decide();
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [this, sandbox, context, source = code->get<std::string>(), env_vars,
         faults = std::move(faults)](std::size_t /*offset*/, httplib::DataSink& sink) {
            return stream_execution(sandbox, context, source, env_vars, faults, sink);
        });
}

bool E2BEmulator::stream_execution(const std::shared_ptr<Sandbox>& sandbox,
                                   const std::shared_ptr<Context>& context, const std::string& code,
                                   const json& env_vars,
                                   const std::vector<e2b::StreamFaultKind>& faults,
                                   httplib::DataSink& sink) const {
    using e2b::ndjson_line;
    using e2b::StreamFaultKind;
    const auto has_fault = [&](StreamFaultKind kind) {
        return std::find(faults.begin(), faults.end(), kind) != faults.end();
    };
    const auto write = [&](const std::string& line) {
        return sink.write(line.data(), line.size());
    };

    // Executions in one context queue behind each other, as on the Code Interpreter.
    const std::lock_guard lock(context->exec_mutex);
    if (sandbox->killed()) {
        return false;
    }
    if (context->needs_restart || context->session == nullptr || !context->session->alive()) {
        if (sandbox->restart_locked(*context)) {
            (void)write(ndjson_line({{"type", "error"},
                                     {"name", "ContextRestarting"},
                                     {"value", "Context was restarted"},
                                     {"traceback", ""}}));
            (void)write(ndjson_line({{"type", "end_of_execution"}}));
            sink.done();
            return true;
        }
    }
    const std::int64_t count = ++context->execution_count;
    if (!write(ndjson_line({{"type", "number_of_executions"}, {"execution_count", count}}))) {
        return false;
    }
    if (has_fault(StreamFaultKind::kDisconnect)) {
        return false;  // the connection closes mid-stream
    }
    if (has_fault(StreamFaultKind::kTruncatedLine)) {
        const std::string line = ndjson_line({{"type", "stdout"},
                                              {"text", "a line the emulator cuts short"},
                                              {"timestamp", iso_timestamp()}});
        if (!write(line.substr(0, line.size() / 2) + "\n")) {
            return false;
        }
    }
    // Per-request environment: set before the code and reset after, outside the count.
    if (!env_vars.empty()) {
        Sandbox::run_silently(
            *context, "__import__('os').environ.update(" + env_vars.dump(-1, ' ', true) + ")");
    }
    backends::Session* session = context->session.get();
    auto running = std::async(std::launch::async,
                              [session, &code] { return session->execute(code, kNoDeadline); });
    while (running.wait_for(settings_.keepalive) != std::future_status::ready) {
        // The server notices a client that went away only when a write fails.
        if (!write(ndjson_line({{"type", "keepalive"}}))) {
            Sandbox::interrupt(*context);
            (void)running.get();
            return false;
        }
    }
    const backends::Execution execution = running.get();
    if (sandbox->killed()) {
        return false;  // the proxy drops the connection of a sandbox that ends
    }
    if (!env_vars.empty()) {
        std::string reset;
        const auto& global = sandbox->info().env_vars;
        for (const auto& item : env_vars.items()) {
            const json key(item.key());
            reset +=
                global.contains(item.key())
                    ? fmt::format("__import__('os').environ[{}] = {}\n", key.dump(-1, ' ', true),
                                  global[item.key()].dump(-1, ' ', true))
                    : fmt::format("__import__('os').environ.pop({}, None)\n",
                                  key.dump(-1, ' ', true));
        }
        Sandbox::run_silently(*context, reset);
    }
    const auto write_output = [&](const char* type, const std::string& text) {
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t length = std::min(kOutputPiece, text.size() - start);
            if (start + length < text.size()) {
                const auto newline = text.rfind('\n', start + length - 1);
                if (newline != std::string::npos && newline >= start) {
                    length = newline - start + 1;
                }
            }
            if (!write(ndjson_line({{"type", type},
                                    {"text", text.substr(start, length)},
                                    {"timestamp", iso_timestamp()}}))) {
                return false;
            }
            start += length;
        }
        return true;
    };
    if (!write_output("stdout", execution.stdout_text) ||
        !write_output("stderr", execution.stderr_text)) {
        return false;
    }
    const bool kernel_died = execution.status == backends::Status::kBackendError &&
                             (context->session == nullptr || !context->session->alive());
    if (kernel_died) {
        // Jupyter restarts a dead kernel and the Code Interpreter reports it this way.
        context->needs_restart = true;
        if (!write(ndjson_line({{"type", "error"},
                                {"name", "ContextRestarting"},
                                {"value", "Context was restarted"},
                                {"traceback", ""}}))) {
            return false;
        }
    } else {
        if (!execution.result.is_null()) {
            if (!write(ndjson_line({{"type", "result"},
                                    {"text", e2b::result_text(e2b::python_repr(execution.result))},
                                    {"extra", json::object()},
                                    {"is_main_result", true}}))) {
                return false;
            }
        }
        for (const auto& image : execution.images) {
            if (!write(ndjson_line({{"type", "result"},
                                    {image.format, image.base64},
                                    {"extra", json::object()},
                                    {"is_main_result", false}}))) {
                return false;
            }
        }
        if (execution.status == backends::Status::kUserError) {
            if (!write(ndjson_line({{"type", "error"},
                                    {"name", execution.error_name},
                                    {"value", execution.error_value},
                                    {"traceback", execution.traceback}}))) {
                return false;
            }
        } else if (execution.status != backends::Status::kOk) {
            if (!write(ndjson_line({{"type", "error"},
                                    {"name", "ExecutionAborted"},
                                    {"value", execution.message},
                                    {"traceback", ""}}))) {
                return false;
            }
        }
    }
    if (has_fault(StreamFaultKind::kUnknownLineType)) {
        if (!write(ndjson_line(
                {{"type", "sandbench_unknown"}, {"text", "a line type no client knows"}}))) {
            return false;
        }
    }
    if (!has_fault(StreamFaultKind::kMissingEnd)) {
        if (!write(ndjson_line({{"type", "end_of_execution"}}))) {
            return false;
        }
    }
    sink.done();
    return true;
}

}  // namespace

std::unique_ptr<Emulator> start_e2b_emulator(const EmulatorOptions& options) {
    return std::make_unique<E2BEmulator>(options);
}

}  // namespace sandbench::emulators
