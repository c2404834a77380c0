// SPDX-License-Identifier: Apache-2.0
#include "aca_emulator.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "aca_data_dir.hpp"
#include "aca_session_pool.hpp"
#include "local/local_backend.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/version.hpp"

namespace sandbench::emulators {
namespace {

using aca::DataDir;
using aca::FileError;
using aca::FileInfo;
using aca::FileResult;
using aca::PoolSession;
using aca::SessionPool;
using backends::Status;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

/// The API versions the service has published (notes §2). Another version is a 400, as on Azure.
struct KnownVersion {
    std::string_view text;
    bool new_api;             ///< executions, flat bodies (2024-10-02-preview and later)
    bool session_management;  ///< /session, /listSessions, /metadata (2025-02-02-preview and later)
    int execute_status;       ///< new-API execute answers 202 until 2025-10-02-preview, then 200
};
constexpr std::array<KnownVersion, 5> kVersions{{
    {"2024-02-02-preview", false, false, 200},
    {"2024-08-02-preview", false, false, 200},
    {"2024-10-02-preview", true, false, 202},
    {"2025-02-02-preview", true, true, 202},
    {"2025-10-02-preview", true, true, 200},
}};
constexpr std::string_view kIdentifierPunctuation = "_|}{[]:\";'<>?/.,@#$%^&*()-+=!~`";
/// The token the emulator's backend settings use when settings.token is not set; the emulator
/// accepts any non-empty token then, so it is no secret.
constexpr std::string_view kPlaceholderToken = "sandbench-aca-emulator";
constexpr std::size_t kSessionsPerPage = 300;
/// Executions kept for GET /executions/{id}.
constexpr std::size_t kKeptExecutions = 1000;

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

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

double milliseconds(SteadyClock::duration duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
}

/// RFC 3339 with microseconds, as the service writes times ("2024-05-02T07:21:07.992261Z").
std::string rfc3339(SystemClock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
    const auto whole = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    ::gmtime_r(&whole, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
}

/// An HTTP date (RFC 9110), for Last-Modified.
std::string http_date(SystemClock::time_point time) {
    const std::time_t whole = SystemClock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&whole, &utc);
    std::array<char, 64> buffer{};
    const auto size =
        std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return {buffer.data(), size};
}

/// A duration as Go prints it (time.Duration.String), the form of X-Ms-Overall-Execution-Time.
std::string go_duration(SteadyClock::duration duration) {
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
    if (nanos <= 0) {
        return "0s";
    }
    const auto trim = [](std::string text) {
        if (text.find('.') != std::string::npos) {
            while (text.back() == '0') {
                text.pop_back();
            }
            if (text.back() == '.') {
                text.pop_back();
            }
        }
        return text;
    };
    if (nanos < 1'000) {
        return fmt::format("{}ns", nanos);
    }
    if (nanos < 1'000'000) {
        return trim(fmt::format("{:.3f}", static_cast<double>(nanos) / 1e3)) + "\xC2\xB5s";
    }
    if (nanos < 1'000'000'000) {
        return trim(fmt::format("{:.6f}", static_cast<double>(nanos) / 1e6)) + "ms";
    }
    const auto hours = nanos / 3'600'000'000'000;
    const auto minutes = (nanos / 60'000'000'000) % 60;
    const double seconds = static_cast<double>(nanos % 60'000'000'000) / 1e9;
    std::string text;
    if (hours > 0) {
        text += fmt::format("{}h", hours);
    }
    if (hours > 0 || minutes > 0) {
        text += fmt::format("{}m", minutes);
    }
    return text + trim(fmt::format("{:.9f}", seconds)) + "s";
}

/// Base64 in either alphabet (standard or URL-safe), padding optional; nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') {
            value = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            value = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            value = c - '0' + 52;
        } else if (c == '+' || c == '-') {
            value = 62;
        } else if (c == '/' || c == '_') {
            value = 63;
        } else if (c == '=' || c == '\n' || c == '\r') {
            continue;
        } else {
            return std::nullopt;
        }
        buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

/// False when `token` is a JWT for another audience than dynamic sessions (notes §7): a token
/// for Azure Resource Manager is a common mistake, and the service refuses it.
bool audience_accepted(std::string_view token) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) {
        return true;  // not a JWT: an opaque test token
    }
    const auto payload = base64_decode(token.substr(first + 1, second - first - 1));
    const json claims =
        payload ? json::parse(*payload, nullptr, /*allow_exceptions=*/false) : json();
    if (claims.is_discarded() || !claims.is_object() || !claims.contains("aud")) {
        return true;
    }
    const auto accepted = [](const json& audience) {
        if (!audience.is_string()) {
            return false;
        }
        std::string text = audience.get<std::string>();
        while (text.ends_with('/')) {
            text.pop_back();
        }
        return text == "https://dynamicsessions.io" || text == "https://acasessions.io";
    };
    if (claims["aud"].is_array()) {
        return std::any_of(claims["aud"].begin(), claims["aud"].end(), accepted);
    }
    return accepted(claims["aud"]);
}

std::string content_type_for(std::string_view name) {
    const auto dot = name.rfind('.');
    std::string extension = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
    std::transform(extension.begin(), extension.end(), extension.begin(), lower);
    static const std::map<std::string, std::string, std::less<>> kTypes = {
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"json", "application/json"},
        {"py", "text/x-python; charset=utf-8"},
        {"html", "text/html; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"svg", "image/svg+xml"},
        {"yaml", "application/yaml"},
        {"yml", "application/yaml"},
        {"pdf", "application/pdf"},
    };
    const auto it = kTypes.find(extension);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

/// Percent-encodes all but RFC 3986's unreserved characters.
std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        }
    }
    return out;
}

/// Cuts UTF-8 text after `limit` characters.
std::string truncate_chars(std::string text, std::int64_t limit) {
    std::int64_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
            if (seen == limit) {
                text.resize(i);
                return text;
            }
            ++seen;
        }
    }
    return text;
}

void send_error(httplib::Response& response, int status, std::string_view code,
                std::string_view message) {
    response.status = status;
    response.set_header("x-ms-error-code", std::string(code));
    response.set_content(json{{"error", {{"code", code}, {"message", message}}}}.dump(),
                         "application/json");
}

void send_json(httplib::Response& response, int status, const json& body) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
}

int http_status_of(FileError error) {
    switch (error) {
        case FileError::kInvalid:
            return 400;
        case FileError::kNotFound:
            return 404;
        case FileError::kNone:
        case FileError::kOther:
            break;
    }
    return 500;
}

void send_file_error(httplib::Response& response, const FileResult& result) {
    const int status = http_status_of(result.error);
    send_error(response, status,
               status == 404   ? "FileNotFound"
               : status == 400 ? "SessionRequestValidationFailed"
                               : "InternalServerError",
               result.message);
}

/// A file in the legacy shape (notes §3.2).
json legacy_file(const FileInfo& info, int id) {
    return {{"$id", std::to_string(id)},
            {"properties",
             {{"$id", std::to_string(id + 1)},
              {"filename", info.directory.empty() ? info.name : info.directory + "/" + info.name},
              {"size", info.size},
              {"lastModifiedTime", rfc3339(info.modified)}}}};
}

/// A SessionResourceFile (notes §4.2).
json new_file(const FileInfo& info) {
    json file = {{"name", info.name},
                 {"type", info.is_directory ? "Directory" : "File"},
                 {"lastModifiedAt", rfc3339(info.modified)},
                 {"directory", info.directory}};
    if (!info.is_directory) {
        file["contentType"] = content_type_for(info.name);
        file["sizeInBytes"] = info.size;
    }
    return file;
}

std::vector<std::string> segments(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        if (slash != 0) {
            parts.emplace_back(path.substr(0, slash));
        }
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
    std::string joined;
    for (std::size_t i = from; i < to; ++i) {
        joined += (i == from ? "" : "/") + parts[i];
    }
    return joined;
}

enum class Verb { kGet, kPost, kDelete };

/// What one execute request asks for.
struct ExecuteRequest {
    std::string code;
    std::chrono::duration<double> timeout{};
    std::int64_t stream_limit = 0;
    bool asynchronous = false;
};

/// What running one execution produced, with the service-side timings of the headers.
struct ExecutionRun {
    backends::Execution execution;
    bool allocated = false;
    double allocation_ms = 0;
    double preparation_ms = 0;
    SteadyClock::duration execution_time{};
    std::string guid;
    std::string failure_code;  ///< set when no execution happened (pool full, allocation failed)
    std::string failure_message;
    int failure_status = 0;
};

/// One execution kept for GET /executions/{id}.
struct ExecutionRecord {
    std::string identifier;
    json body;
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
    [[nodiscard]] json backend_settings() const override {
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

private:
    void serve(Verb verb, const httplib::Request& request, httplib::Response& response);
    bool authenticate(const httplib::Request& request, httplib::Response& response) const;
    [[nodiscard]] std::string pool_path() const;

    // Sessions.
    /// Runs `work` on the identifier's session (allocating it first if new), under the
    /// session's lock. `work` returns true when the session must be recycled.
    template <typename Work>
    bool with_session(const std::string& identifier, httplib::Response& response, ExecutionRun& run,
                      Work&& work);
    ExecutionRun run_execution(const std::string& identifier, const ExecuteRequest& request,
                               SteadyClock::time_point received);
    static void add_timing_headers(httplib::Response& response, const ExecutionRun& run,
                                   SteadyClock::time_point received);

    // Routes.
    void execute_legacy(const httplib::Request& request, httplib::Response& response,
                        const std::string& identifier, bool flat, SteadyClock::time_point received);
    void execute_new(const httplib::Request& request, httplib::Response& response,
                     const std::string& identifier, const KnownVersion& version,
                     SteadyClock::time_point received);
    void get_execution(httplib::Response& response, const std::string& identifier,
                       const std::string& id);
    void upload(const httplib::Request& request, httplib::Response& response,
                const std::string& identifier, std::string_view shape);
    void list_files(const httplib::Request& request, httplib::Response& response,
                    const std::string& identifier, std::string_view shape);
    void download(httplib::Response& response, const std::string& identifier,
                  const std::string& directory, const std::string& name, bool typed);
    void file_metadata(httplib::Response& response, const std::string& identifier,
                       const std::string& directory, const std::string& name, bool new_api);
    void delete_file(httplib::Response& response, const std::string& identifier,
                     const std::string& directory, const std::string& name, bool new_api);
    void get_session(httplib::Response& response, const std::string& identifier);
    void list_sessions(const httplib::Request& request, httplib::Response& response,
                       const KnownVersion& version);
    void metadata(httplib::Response& response);

    std::optional<ExecuteRequest> parse_execute(const httplib::Request& request,
                                                httplib::Response& response, bool new_api) const;
    static json legacy_properties(const ExecutionRun& run);
    static json new_resource(const ExecutionRun& run, const std::string& identifier,
                             const std::string& id, const ExecuteRequest& request);
    void keep_execution(const std::string& id, ExecutionRecord record);
    std::string execution_url(const std::string& id, const std::string& version,
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
    std::thread server_thread_;
    std::string endpoint_;
    std::atomic<bool> stopped_{false};

    std::mutex executions_mutex_;
    std::map<std::string, ExecutionRecord> executions_;
    std::deque<std::string> execution_order_;
    std::vector<std::thread> workers_;  ///< asynchronous executions; guarded by executions_mutex_
};

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
    aca::PoolSettings pool;
    pool.cooldown = std::chrono::duration<double>{settings_.cooldown_s};
    pool.max_sessions = static_cast<std::size_t>(settings_.max_sessions);
    pool_ = std::make_unique<SessionPool>(pool);

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

    int port = options.port;
    if (port == 0) {
        port = server_.bind_to_any_port(options.host);
    } else if (!server_.bind_to_port(options.host, port)) {
        port = -1;
    }
    if (port <= 0) {
        throw IoError(
            fmt::format("ACA emulator: cannot listen on {}:{}", options.host, options.port));
    }
    const std::string host =
        options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    endpoint_ = fmt::format("http://{}:{}{}", host, port, pool_path());
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost, and the thread never joined.
    const auto deadline = SteadyClock::now() + std::chrono::seconds{10};
    while (!server_.is_running() && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
}

void AcaEmulator::stop() noexcept {
    if (stopped_.exchange(true)) {
        return;
    }
    server_.stop();
    if (server_thread_.joinable()) {
        server_thread_.join();
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

std::string AcaEmulator::pool_path() const {
    return fmt::format("/subscriptions/{}/resourceGroups/{}/sessionPools/{}",
                       settings_.subscription, settings_.resource_group, settings_.pool);
}

bool AcaEmulator::authenticate(const httplib::Request& request, httplib::Response& response) const {
    const std::string header = request.get_header_value("Authorization");
    std::string_view token;
    if (header.size() > 7 && iequals(std::string_view(header).substr(0, 7), "Bearer ")) {
        token = std::string_view(header).substr(7);
        while (!token.empty() && token.front() == ' ') {
            token.remove_prefix(1);
        }
    }
    if (token.empty()) {
        response.set_header("WWW-Authenticate", "Bearer");
        send_error(response, 401, "Unauthorized",
                   "an Authorization header with a Bearer token for https://dynamicsessions.io "
                   "is required");
        return false;
    }
    if ((settings_.token && token != *settings_.token) || !audience_accepted(token)) {
        response.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        send_error(response, 401, "InvalidAuthenticationToken",
                   "the access token is invalid or not for https://dynamicsessions.io");
        return false;
    }
    if (settings_.forbid) {
        send_error(response, 403, "PermissionDenied",
                   "the caller needs the Azure ContainerApps Session Executor role on the pool");
        return false;
    }
    return true;
}

void AcaEmulator::serve(Verb verb, const httplib::Request& request, httplib::Response& response) {
    const auto received = SteadyClock::now();
    const std::string prefix = pool_path();
    if (!request.path.starts_with(prefix) ||
        (request.path.size() > prefix.size() && request.path[prefix.size()] != '/')) {
        return send_error(response, 404, "ResourceNotFound",
                          fmt::format("no session pool at {}", request.path));
    }
    const auto parts = segments(std::string_view(request.path).substr(prefix.size()));
    if (!authenticate(request, response)) {
        return;
    }
    if (!request.has_param("api-version")) {
        return send_error(response, 400, "MissingApiVersionParameter",
                          "the api-version query parameter (?api-version=) is required for all "
                          "requests");
    }
    const std::string version_text = request.get_param_value("api-version");
    const auto* version = std::find_if(kVersions.begin(), kVersions.end(), [&](const auto& known) {
        return known.text == version_text;
    });
    if (version == kVersions.end()) {
        std::string known;
        for (const auto& entry : kVersions) {
            known += (known.empty() ? "" : ", ") + std::string(entry.text);
        }
        return send_error(response, 400, "UnsupportedApiVersion",
                          fmt::format("api-version '{}' is not supported; supported versions: {}",
                                      version_text, known));
    }
    const auto route = [&](std::initializer_list<std::string_view> expected) {
        return parts.size() == expected.size() &&
               std::equal(parts.begin(), parts.end(), expected.begin(),
                          [](const std::string& a, std::string_view b) { return iequals(a, b); });
    };
    const bool pool_wide = route({"listSessions"}) || route({"metadata"});
    std::string identifier;
    if (!pool_wide) {
        if (!request.has_param("identifier")) {
            return send_error(response, 400, "SessionRequestValidationFailed",
                              "the identifier query parameter is required");
        }
        identifier = request.get_param_value("identifier");
        bool valid = identifier.size() >= 4 && identifier.size() <= 128;
        for (const char c : identifier) {
            valid = valid && (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                              kIdentifierPunctuation.find(c) != std::string_view::npos);
        }
        if (!valid) {
            return send_error(response, 400, "SessionRequestValidationFailed",
                              "the identifier must be 4 to 128 characters: letters, digits and "
                              "_|}{[]:\";'<>?/.,@#$%^&*()-+=!~`");
        }
    }
    const auto not_in_version = [&] {
        send_error(response, 404, "NotFound",
                   fmt::format("{} {} is not part of api-version {}",
                               verb == Verb::kGet    ? "GET"
                               : verb == Verb::kPost ? "POST"
                                                     : "DELETE",
                               join(parts, 0, parts.size()), version_text));
    };
    std::string problem;
    const auto directory = aca::relative_directory(request.get_param_value("path"), problem);
    if (!directory) {
        return send_error(response, 400, "SessionRequestValidationFailed", problem);
    }
    const auto file = [&](std::string_view name) {
        return aca::split_file_name(*directory, name, problem);
    };

    switch (verb) {
        case Verb::kPost:
            if (route({"code", "execute"})) {
                return execute_legacy(request, response, identifier, false, received);
            }
            if (route({"python", "execute"})) {
                return execute_legacy(request, response, identifier, true, received);
            }
            if (route({"files", "upload"})) {
                return upload(request, response, identifier, "legacy");
            }
            if (route({"python", "uploadFile"})) {
                return upload(request, response, identifier, "python");
            }
            if (route({"executions"})) {
                return version->new_api
                           ? execute_new(request, response, identifier, *version, received)
                           : not_in_version();
            }
            if (route({"files"})) {
                return version->new_api ? upload(request, response, identifier, "new")
                                        : not_in_version();
            }
            break;
        case Verb::kGet:
            if (route({"files"})) {
                return list_files(request, response, identifier,
                                  version->new_api ? "new" : "legacy");
            }
            if (route({"python", "files"})) {
                return list_files(request, response, identifier, "python");
            }
            if (route({"python", "downloadFile"})) {
                const auto name = request.has_param("filename")
                                      ? request.get_param_value("filename")
                                      : request.get_param_value("fileName");
                const auto where = file(name);
                return where ? download(response, identifier, where->first, where->second, true)
                             : send_error(response, 400, "SessionRequestValidationFailed", problem);
            }
            if (parts.size() >= 3 && iequals(parts[0], "files") && iequals(parts[1], "content")) {
                const auto where = file(join(parts, 2, parts.size()));
                return where ? download(response, identifier, where->first, where->second, true)
                             : send_error(response, 400, "SessionRequestValidationFailed", problem);
            }
            if (version->new_api && parts.size() >= 3 && iequals(parts[0], "files") &&
                iequals(parts.back(), "content")) {
                const auto where = file(join(parts, 1, parts.size() - 1));
                return where ? download(response, identifier, where->first, where->second, false)
                             : send_error(response, 400, "SessionRequestValidationFailed", problem);
            }
            if (parts.size() >= 2 && iequals(parts[0], "files")) {
                const auto where = file(join(parts, 1, parts.size()));
                return where ? file_metadata(response, identifier, where->first, where->second,
                                             version->new_api)
                             : send_error(response, 400, "SessionRequestValidationFailed", problem);
            }
            if (parts.size() == 2 && iequals(parts[0], "executions")) {
                return version->new_api ? get_execution(response, identifier, parts[1])
                                        : not_in_version();
            }
            if (route({"session"})) {
                return version->session_management ? get_session(response, identifier)
                                                   : not_in_version();
            }
            if (route({"listSessions"})) {
                return version->session_management ? list_sessions(request, response, *version)
                                                   : not_in_version();
            }
            if (route({"metadata"})) {
                return version->session_management ? metadata(response) : not_in_version();
            }
            break;
        case Verb::kDelete:
            if (parts.size() >= 2 && iequals(parts[0], "files")) {
                const auto where = file(join(parts, 1, parts.size()));
                return where ? delete_file(response, identifier, where->first, where->second,
                                           version->new_api)
                             : send_error(response, 400, "SessionRequestValidationFailed", problem);
            }
            if (route({"session"})) {
                if (!version->session_management) {
                    return not_in_version();
                }
                if (!pool_->remove(identifier)) {
                    return send_error(response, 404, "SessionNotFound",
                                      fmt::format("no session '{}' in the pool", identifier));
                }
                response.status = 204;
                return;
            }
            break;
    }
    send_error(response, 404, "NotFound",
               fmt::format("no route for {} /{}",
                           verb == Verb::kGet    ? "GET"
                           : verb == Verb::kPost ? "POST"
                                                 : "DELETE",
                           join(parts, 0, parts.size())));
}

template <typename Work>
bool AcaEmulator::with_session(const std::string& identifier, httplib::Response& response,
                               ExecutionRun& run, Work&& work) {
    // A session deleted or expired while this request waited for it is replaced once.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto session = pool_->check_out(identifier);
        if (!session) {
            run.failure_status = 404;
            run.failure_code = "SessionPoolFull";
            run.failure_message = fmt::format(
                "the session pool has reached its maximum of {} sessions", settings_.max_sessions);
            send_error(response, run.failure_status, run.failure_code, run.failure_message);
            return false;
        }
        bool recycle = false;
        bool retry = false;
        {
            std::unique_lock lock(session->mutex);
            if (session->gone) {
                retry = true;
            } else {
                if (!session->kernel) {
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
                        run.failure_status = 500;
                        run.failure_code = "SessionAllocationFailed";
                        run.failure_message = started.message;
                        send_error(response, 500, run.failure_code, run.failure_message);
                        return false;
                    }
                    session->data_dir = started.extra.value("data_dir", std::string{});
                    session->kernel = std::move(started.session);
                    run.allocated = true;
                    run.allocation_ms = milliseconds(SteadyClock::now() - start);
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
    run.failure_status = 503;
    run.failure_code = "SessionUnavailable";
    run.failure_message = "the session was being removed; retry";
    send_error(response, run.failure_status, run.failure_code, run.failure_message);
    return false;
}

ExecutionRun AcaEmulator::run_execution(const std::string& identifier,
                                        const ExecuteRequest& request,
                                        SteadyClock::time_point received) {
    ExecutionRun run;
    httplib::Response scratch;  // with_session reports failures here; the caller copies them
    with_session(identifier, scratch, run, [&](PoolSession& session) {
        const auto start = SteadyClock::now();
        run.preparation_ms = milliseconds(start - received);
        const auto limit =
            std::min(request.timeout, std::chrono::duration<double>{settings_.max_execution_s});
        run.execution = session.kernel->execute(request.code, backends::Milliseconds{limit});
        run.execution_time = SteadyClock::now() - start;
        if (run.execution.status == Status::kTimeout) {
            auto& err = run.execution.stderr_text;
            if (!err.empty() && !err.ends_with('\n')) {
                err += '\n';
            }
            err += fmt::format(
                "Timeout: the execution exceeded the limit of {:g} seconds and was stopped; the "
                "session was recycled\n",
                limit.count());
            return true;
        }
        // A dead kernel (os._exit in a cell, the memory limit) takes the session with it.
        return run.execution.status == Status::kBackendError;
    });
    return run;
}

void AcaEmulator::add_timing_headers(httplib::Response& response, const ExecutionRun& run,
                                     SteadyClock::time_point received) {
    const double execution_ms = milliseconds(run.execution_time);
    response.set_header("X-Ms-Allocation-Time", fmt::format("{:.6f}", run.allocation_ms));
    response.set_header("X-Ms-Preparation-Time", fmt::format("{:.6f}", run.preparation_ms));
    response.set_header("X-Ms-Execution-Request-Time", fmt::format("{:.6f}", execution_ms));
    response.set_header("X-Ms-Container-Execution-Duration",
                        fmt::format("{}", std::llround(execution_ms)));
    response.set_header("X-Ms-Overall-Execution-Time", go_duration(run.execution_time));
    response.set_header("X-Ms-Session-Guid", run.guid);
    // Measured now, after the body was built: the response's own processing.
    const auto now = SteadyClock::now();
    response.set_header(
        "X-Ms-Execution-Read-Response-Time",
        fmt::format("{:.6f}", std::max(0.0, milliseconds(now - received) - run.preparation_ms -
                                                execution_ms)));
    response.set_header("X-Ms-Total-Execution-Service-Time",
                        fmt::format("{:.6f}", milliseconds(now - received)));
}

std::optional<ExecuteRequest> AcaEmulator::parse_execute(const httplib::Request& request,
                                                         httplib::Response& response,
                                                         bool new_api) const {
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   "the request body must be a JSON object");
        return std::nullopt;
    }
    // Legacy clients wrap the request in "properties", new ones send it flat; some send the
    // wrapped form to the new route first (notes §4.1). Both are accepted everywhere.
    const json& fields =
        body.contains("properties") && body["properties"].is_object() ? body["properties"] : body;
    const auto text = [&](const char* key) -> std::optional<std::string> {
        const auto it = fields.find(key);
        return it != fields.end() && it->is_string() ? std::optional(it->get<std::string>())
                                                     : std::nullopt;
    };
    ExecuteRequest parsed;
    auto code = text("code");
    if (!code) {
        code = text("pythonCode");  // the pre-2024 python/execute body
    }
    if (!code) {
        if (fields.contains("shellCommand")) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "shellCommand needs a Shell session pool; this is a Python pool");
        } else {
            send_error(response, 400, "SessionPropertiesMissing",
                       "the request needs the code to execute (properties.code)");
        }
        return std::nullopt;
    }
    const std::string input_type = text("codeInputType").value_or("Inline");
    if (iequals(input_type, "InlineBase64")) {
        auto decoded = base64_decode(*code);
        if (!decoded) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "code is not valid base64 for codeInputType InlineBase64");
            return std::nullopt;
        }
        code = std::move(decoded);
    } else if (!iequals(input_type, "Inline") && !iequals(input_type, "InlineText")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   fmt::format("unknown codeInputType '{}'", input_type));
        return std::nullopt;
    }
    const std::string execution_type = text("executionType").value_or("Synchronous");
    if (!iequals(execution_type, "Synchronous") && !iequals(execution_type, "Asynchronous")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   fmt::format("unknown executionType '{}'", execution_type));
        return std::nullopt;
    }
    parsed.asynchronous = new_api && iequals(execution_type, "Asynchronous");
    parsed.code = std::move(*code);
    parsed.timeout = std::chrono::duration<double>{settings_.max_execution_s};
    if (const auto it = fields.find("timeoutInSeconds"); it != fields.end() && !it->is_null()) {
        if (!it->is_number() || it->get<double>() <= 0) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "timeoutInSeconds must be a positive number");
            return std::nullopt;
        }
        parsed.timeout = std::chrono::duration<double>{it->get<double>()};
    }
    parsed.stream_limit = settings_.output_streams_max_length;
    if (const auto it = fields.find("outputStreamsMaxLength");
        it != fields.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() <= 0) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "outputStreamsMaxLength must be a positive integer");
            return std::nullopt;
        }
        parsed.stream_limit = it->get<std::int64_t>();
    }
    return parsed;
}

/// The user-visible stderr of an execution: what the cell wrote, then the traceback, as a
/// Jupyter kernel shows it.
std::string full_stderr(const backends::Execution& execution) {
    std::string err = execution.stderr_text;
    if (execution.status == Status::kUserError) {
        if (!err.empty() && !err.ends_with('\n')) {
            err += '\n';
        }
        err += execution.traceback;
    }
    return err;
}

/// The result value the service sends: an image object for a displayed figure, "" for none.
json result_value(const backends::Execution& execution) {
    if (!execution.images.empty()) {
        const auto& image = execution.images.front();
        return {{"type", "image"}, {"format", image.format}, {"base64_data", image.base64}};
    }
    if (execution.status != Status::kOk || execution.result.is_null()) {
        return "";
    }
    return execution.result;
}

std::int64_t execution_ms(const ExecutionRun& run) {
    const auto reported = run.execution.backend_time ? run.execution.backend_time->count()
                                                     : milliseconds(run.execution_time);
    return static_cast<std::int64_t>(std::llround(reported));
}

json AcaEmulator::legacy_properties(const ExecutionRun& run) {
    return {{"status", run.execution.status == Status::kOk ? "Success" : "Failure"},
            {"stdout", run.execution.stdout_text},
            {"stderr", full_stderr(run.execution)},
            {"result", result_value(run.execution)},
            {"executionTimeInMilliseconds", execution_ms(run)}};
}

void AcaEmulator::execute_legacy(const httplib::Request& request, httplib::Response& response,
                                 const std::string& identifier, bool flat,
                                 SteadyClock::time_point received) {
    const auto parsed = parse_execute(request, response, /*new_api=*/false);
    if (!parsed) {
        return;
    }
    const auto run = run_execution(identifier, *parsed, received);
    if (run.failure_status != 0) {
        return send_error(response, run.failure_status, run.failure_code, run.failure_message);
    }
    if (run.execution.status != Status::kOk && run.execution.status != Status::kUserError &&
        run.execution.status != Status::kTimeout) {
        return send_error(response, 500, "InternalServerError",
                          fmt::format("the session's kernel failed: {}", run.execution.message));
    }
    json properties = legacy_properties(run);
    json body;
    if (flat) {
        // The pre-2024 python/execute route answered without the envelope; clients of it read
        // result, stdout and stderr at the top (@llamaindex/azure 0.2, old Semantic Kernel).
        body = std::move(properties);
        body["$id"] = "1";
    } else {
        properties["$id"] = "2";
        body = {{"$id", "1"}, {"properties", std::move(properties)}};
    }
    const std::string operation = aca::random_uuid();
    response.set_header("Operation-Id", operation);
    send_json(response, 200, body);
    add_timing_headers(response, run, received);
}

json AcaEmulator::new_resource(const ExecutionRun& run, const std::string& identifier,
                               const std::string& id, const ExecuteRequest& request) {
    const auto& execution = run.execution;
    const bool succeeded = execution.status == Status::kOk;
    std::string out = truncate_chars(execution.stdout_text, request.stream_limit);
    std::string err = truncate_chars(full_stderr(execution), request.stream_limit);
    json value = result_value(execution);
    json resource = {
        {"id", id},
        {"identifier", identifier},
        {"sessionId", identifier},
        {"executionType", request.asynchronous ? "Asynchronous" : "Synchronous"},
        {"status", succeeded ? "Succeeded" : "Failed"},
        {"result",
         {{"stdout", out},
          {"stderr", err},
          {"executionResult", value},
          {"executionTimeInMilliseconds", execution_ms(run)},
          {"outputStreamsMaxLength", request.stream_limit}}},
    };
    // The real service adds rawResult (notes §4.1); clients must not need it.
    resource["rawResult"] = {
        {"hresult", succeeded ? 0 : -1},
        {"result", value},
        {"error_name", execution.status == Status::kUserError ? execution.error_name
                       : execution.status == Status::kTimeout ? "Timeout"
                                                              : ""},
        {"error_message", execution.status == Status::kUserError ? execution.error_value : ""},
        {"error_stack_trace", execution.status == Status::kUserError ? execution.traceback : ""},
        {"stdout", out},
        {"stderr", err},
        {"diagnosticInfo",
         {{"executionRequestTimeInMilliSeconds", milliseconds(run.execution_time)},
          {"executionProcessResponseTimeInMilliSeconds", 0},
          {"executionDuration", execution_ms(run)},
          {"identifier", identifier}}},
        {"operationId", id}};
    if (execution.status == Status::kTimeout) {
        resource["error"] = {
            {"error",
             {{"code", "Timeout"},
              {"message", "the execution exceeded its time limit and was stopped"}}}};
    }
    return resource;
}

std::string AcaEmulator::execution_url(const std::string& id, const std::string& version,
                                       const std::string& identifier) const {
    return fmt::format("{}/executions/{}?api-version={}&identifier={}", endpoint_, id, version,
                       percent_encode(identifier));
}

void AcaEmulator::keep_execution(const std::string& id, ExecutionRecord record) {
    const std::lock_guard lock(executions_mutex_);
    if (!executions_.contains(id)) {
        execution_order_.push_back(id);
    }
    executions_[id] = std::move(record);
    while (execution_order_.size() > kKeptExecutions) {
        executions_.erase(execution_order_.front());
        execution_order_.pop_front();
    }
}

void AcaEmulator::execute_new(const httplib::Request& request, httplib::Response& response,
                              const std::string& identifier, const KnownVersion& version,
                              SteadyClock::time_point received) {
    const auto parsed = parse_execute(request, response, /*new_api=*/true);
    if (!parsed) {
        return;
    }
    std::string id = request.get_header_value("operation-id");
    if (id.empty() || id.size() > 128 || id.find_first_of("/?#&% \t\r\n") != std::string::npos) {
        id = aca::random_uuid();
    }
    response.set_header("operation-id", id);
    response.set_header("Operation-Location",
                        execution_url(id, std::string(version.text), identifier));
    if (parsed->asynchronous) {
        json running = {{"id", id},
                        {"identifier", identifier},
                        {"executionType", "Asynchronous"},
                        {"status", "Running"}};
        keep_execution(id, {identifier, running});
        {
            const std::lock_guard lock(executions_mutex_);
            workers_.emplace_back([this, id, identifier, request_copy = *parsed] {
                const auto run = run_execution(identifier, request_copy, SteadyClock::now());
                json body;
                if (run.failure_status != 0) {
                    body = {{"id", id},
                            {"identifier", identifier},
                            {"executionType", "Asynchronous"},
                            {"status", "Failed"},
                            {"error",
                             {{"error",
                               {{"code", run.failure_code}, {"message", run.failure_message}}}}}};
                } else {
                    body = new_resource(run, identifier, id, request_copy);
                }
                keep_execution(id, {identifier, std::move(body)});
            });
        }
        return send_json(response, 202, running);
    }
    const auto run = run_execution(identifier, *parsed, received);
    if (run.failure_status != 0) {
        return send_error(response, run.failure_status, run.failure_code, run.failure_message);
    }
    if (run.execution.status != Status::kOk && run.execution.status != Status::kUserError &&
        run.execution.status != Status::kTimeout) {
        return send_error(response, 500, "InternalServerError",
                          fmt::format("the session's kernel failed: {}", run.execution.message));
    }
    json body = new_resource(run, identifier, id, *parsed);
    keep_execution(id, {identifier, body});
    send_json(response, version.execute_status, body);
    add_timing_headers(response, run, received);
}

void AcaEmulator::get_execution(httplib::Response& response, const std::string& identifier,
                                const std::string& id) {
    const std::lock_guard lock(executions_mutex_);
    const auto it = executions_.find(id);
    if (it == executions_.end() || it->second.identifier != identifier) {
        return send_error(response, 404, "ExecutionNotFound",
                          fmt::format("No execution available for operation Id: {}", id));
    }
    send_json(response, 200, it->second.body);
}

void AcaEmulator::upload(const httplib::Request& request, httplib::Response& response,
                         const std::string& identifier, std::string_view shape) {
    if (!request.is_multipart_form_data() || !request.has_file("file")) {
        return send_error(response, 400, "SessionRequestValidationFailed",
                          "a multipart/form-data part named 'file' is required");
    }
    std::string problem;
    const auto directory = aca::relative_directory(request.get_param_value("path"), problem);
    if (!directory) {
        return send_error(response, 400, "SessionRequestValidationFailed", problem);
    }
    const auto range = request.files.equal_range("file");
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second.content.size() > static_cast<std::size_t>(settings_.max_upload_bytes)) {
            return send_error(
                response, 413, "RequestEntityTooLarge",
                fmt::format("'{}' has {} bytes; the upload limit is {} bytes", it->second.filename,
                            it->second.content.size(), settings_.max_upload_bytes));
        }
        if (it->second.filename.empty()) {
            return send_error(response, 400, "SessionRequestValidationFailed",
                              "the 'file' part needs a filename");
        }
    }
    std::vector<FileInfo> stored;
    FileResult failed;
    ExecutionRun run;
    const bool worked = with_session(identifier, response, run, [&](PoolSession& session) {
        const DataDir data{session.data_dir};
        for (auto it = range.first; it != range.second && failed.ok(); ++it) {
            const auto where = aca::split_file_name(*directory, it->second.filename, problem);
            if (!where) {
                failed = {FileError::kInvalid, problem};
                break;
            }
            FileInfo info;
            failed = data.write(where->first, where->second, it->second.content, info);
            stored.push_back(std::move(info));
        }
        return false;
    });
    if (!worked) {
        return;
    }
    if (!failed.ok()) {
        return send_file_error(response, failed);
    }
    if (shape == "new") {
        return send_json(response, 200, new_file(stored.front()));
    }
    if (shape == "python") {
        const auto& info = stored.front();
        return send_json(response, 200,
                         {{"$id", "1"},
                          {"filename", info.name},
                          {"size", info.size},
                          {"lastModifiedTime", rfc3339(info.modified)}});
    }
    json value = json::array();
    int id = 2;
    for (const auto& info : stored) {
        value.push_back(legacy_file(info, id));
        id += 2;
    }
    send_json(response, 200, {{"$id", "1"}, {"value", std::move(value)}});
}

void AcaEmulator::list_files(const httplib::Request& request, httplib::Response& response,
                             const std::string& identifier, std::string_view shape) {
    std::string problem;
    const auto directory = aca::relative_directory(request.get_param_value("path"), problem);
    if (!directory) {
        return send_error(response, 400, "SessionRequestValidationFailed", problem);
    }
    const bool recursive = iequals(request.get_param_value("recursive"), "true");
    std::vector<FileInfo> files;
    FileResult result;
    ExecutionRun run;
    if (!with_session(identifier, response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.list(*directory, shape == "new" && recursive, files);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(response, result);
    }
    if (shape == "new") {
        json value = json::array();
        for (const auto& info : files) {
            value.push_back(new_file(info));
        }
        return send_json(response, 200, {{"value", std::move(value)}, {"nextLink", nullptr}});
    }
    // The legacy listings hold the files of /mnt/data itself (notes §3.3).
    json value = json::array();
    int id = 2;
    for (const auto& info : files) {
        if (info.is_directory) {
            continue;
        }
        if (shape == "python") {
            value.push_back({{"$id", std::to_string(id)},
                             {"filename", info.name},
                             {"size", info.size},
                             {"lastModifiedTime", rfc3339(info.modified)}});
            id += 1;
        } else {
            value.push_back(legacy_file(info, id));
            id += 2;
        }
    }
    send_json(response, 200,
              shape == "python" ? json{{"$id", "1"}, {"$values", std::move(value)}}
                                : json{{"$id", "1"}, {"value", std::move(value)}});
}

void AcaEmulator::download(httplib::Response& response, const std::string& identifier,
                           const std::string& directory, const std::string& name, bool typed) {
    std::string bytes;
    FileInfo info;
    FileResult result;
    ExecutionRun run;
    if (!with_session(identifier, response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.read(directory, name, bytes, info);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(response, result);
    }
    response.status = 200;
    response.set_header("Last-Modified", http_date(info.modified));
    // The legacy route types the content by extension (Microsoft's local sample); the new one
    // is application/octet-stream by the spec.
    response.set_content(bytes, typed ? content_type_for(name) : "application/octet-stream");
}

void AcaEmulator::file_metadata(httplib::Response& response, const std::string& identifier,
                                const std::string& directory, const std::string& name,
                                bool new_api) {
    FileInfo info;
    FileResult result;
    ExecutionRun run;
    if (!with_session(identifier, response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.stat(directory, name, info);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(response, result);
    }
    if (new_api) {
        return send_json(response, 200, new_file(info));
    }
    json entry = legacy_file(info, 0);
    entry["$id"] = "";
    entry["properties"]["$id"] = "";
    send_json(response, 200, {{"value", json::array({std::move(entry)})}});
}

void AcaEmulator::delete_file(httplib::Response& response, const std::string& identifier,
                              const std::string& directory, const std::string& name, bool new_api) {
    FileResult result;
    ExecutionRun run;
    if (!with_session(identifier, response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.remove(directory, name);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(response, result);
    }
    if (new_api) {
        response.status = 204;
        return;
    }
    send_json(response, 200, {{"message", "file deleted successfully"}});
}

json session_json(const SessionPool::View& view) {
    return {{"identifier", view.identifier},
            {"createdAt", rfc3339(view.created_at)},
            {"lastAccessedAt", rfc3339(view.last_access)},
            {"expireAt", rfc3339(view.expire_at)},
            {"etag", view.etag}};
}

void AcaEmulator::get_session(httplib::Response& response, const std::string& identifier) {
    for (const auto& view : pool_->list()) {
        if (view.identifier == identifier) {
            return send_json(response, 200, session_json(view));
        }
    }
    send_error(response, 404, "SessionNotFound",
               fmt::format("no session '{}' in the pool", identifier));
}

void AcaEmulator::list_sessions(const httplib::Request& request, httplib::Response& response,
                                const KnownVersion& version) {
    std::size_t skip = 0;
    if (request.has_param("skip")) {
        const auto text = request.get_param_value("skip");
        const bool digits =
            !text.empty() && text.size() < 10 && std::all_of(text.begin(), text.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0;
            });
        if (!digits) {
            return send_error(response, 400, "SessionRequestValidationFailed",
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
        next = fmt::format("{}/listSessions?api-version={}&skip={}", endpoint_, version.text,
                           skip + kSessionsPerPage);
    }
    send_json(response, 200, {{"sessions", std::move(sessions)}, {"nextLink", std::move(next)}});
}

void AcaEmulator::metadata(httplib::Response& response) {
    send_json(response, 200,
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

}  // namespace

std::unique_ptr<Emulator> start_aca_emulator(const EmulatorOptions& options) {
    if (options.host != "127.0.0.1" && options.host != "::1" && options.host != "localhost") {
        throw UsageError(fmt::format(
            "ACA emulator: host '{}' is not a loopback address; emulators are never exposed",
            options.host));
    }
    auto emulator = std::make_unique<AcaEmulator>(options, read_settings(options.settings));
    // The backend settings name this variable; a backend in this process then reaches the
    // emulator with backend_settings() alone. An existing value is kept (the caller's choice).
    ::setenv(std::string(kAcaEmulatorTokenVariable).c_str(), emulator->token_for_clients().c_str(),
             /*overwrite=*/0);
    return emulator;
}

}  // namespace sandbench::emulators
