// SPDX-License-Identifier: Apache-2.0
#include "e2b/e2b_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "e2b/endpoints.hpp"
#include "e2b/execution_stream.hpp"
#include "http/http_client.hpp"
#include "http/outcome.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/random_id.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends::e2b {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using http::HttpClient;
using http::Method;
using http::Request;
using http::Response;

constexpr std::string_view kApiKeyVariable = "E2B_API_KEY";
/// The home directory of the sandbox's default user, the Code Interpreter's working directory.
constexpr std::string_view kHome = "/home/user";
/// The metadata key that tags every sandbox this backend creates, so that a sandbox whose create
/// answer was lost can be found and killed.
constexpr std::string_view kNonceKey = "sandbench_session";
/// Timeouts this long (or not positive) mean "no deadline" for an execution.
constexpr Milliseconds kNoDeadline{1e12};
/// The health probe after a broken stream; the SDK uses the same limit.
constexpr Milliseconds kHealthProbeTimeout{5000.0};

/// Settings shared (immutably) by a backend and its sessions.
struct Settings {
    std::string name;
    std::string template_id;
    int sandbox_timeout_s = 300;
    json metadata = json::object();
    json env_vars = json::object();
    Endpoints endpoints;
    bool context_scope = false;
    http::ClientOptions client_options;
    std::size_t output_limit = 0;
    std::string api_key;
};

/// What the control plane told about a sandbox.
struct SandboxRef {
    std::string id;
    std::string domain;  ///< empty: the connection's
    std::string envd_access_token;
    std::string traffic_access_token;
    std::string envd_version;
};

Request api_request(const Settings& settings, Method method, const std::string& path) {
    Request request;
    request.method = method;
    request.url = settings.endpoints.api_url + path;
    // The SDKs spell it X-API-KEY; field names are case-insensitive.
    request.headers.add("X-API-KEY", settings.api_key);
    return request;
}

Request api_json(const Settings& settings, const std::string& path, const json& body) {
    Request request = api_request(settings, Method::kPost, path);
    request.body = body.dump();
    request.headers.add("Content-Type", "application/json");
    return request;
}

/// A request to a port inside the sandbox, with the routing headers the SDKs send on every one.
Request sandbox_request(const Settings& settings, const SandboxRef& sandbox, int port,
                        Method method, const std::string& path, bool with_token) {
    Request request;
    request.method = method;
    request.url =
        settings.endpoints.sandbox_base(sandbox.id, port, sandbox.domain, port == kEnvdPort) + path;
    request.headers.add("E2b-Sandbox-Id", sandbox.id);
    request.headers.add("E2b-Sandbox-Port", std::to_string(port));
    if (with_token && !sandbox.envd_access_token.empty()) {
        request.headers.add("X-Access-Token", sandbox.envd_access_token);
    }
    if (!sandbox.traffic_access_token.empty()) {
        request.headers.add("E2B-Traffic-Access-Token", sandbox.traffic_access_token);
    }
    return request;
}

/// Adds the HTTP facts of `response` to `outcome` without touching its status or message.
void add_transport(const Response& response, Outcome& outcome) {
    Outcome http_facts;
    http::fill_outcome(response, http_facts);
    outcome.transport = http_facts.transport;
    outcome.extra.update(http_facts.extra);
}

std::optional<json> parse_json(const std::string& body) {
    json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        return std::nullopt;
    }
    return parsed;
}

/// The retry policy of calls that clean up after a failure: not measured, and a sandbox left
/// alive costs money, so a few attempts with backoff, whatever the run's policy.
http::RetryPolicy cleanup_policy() {
    http::RetryPolicy policy;
    policy.max_attempts = 4;
    policy.base_delay = Milliseconds{200.0};
    policy.max_delay = Milliseconds{5000.0};
    return policy;
}

Response kill_sandbox(HttpClient& client, const Settings& settings, const std::string& id,
                      std::optional<http::RetryPolicy> retry) {
    Request request = api_request(settings, Method::kDelete, "/sandboxes/" + id);
    request.retry = retry;
    return client.send(request);
}

/// Kills whatever sandboxes carry `nonce` (a create whose answer was lost may have made one).
json kill_by_nonce(HttpClient& client, const Settings& settings, const std::string& nonce) {
    json report = {{"found", 0}, {"killed", 0}};
    Request list =
        api_request(settings, Method::kGet,
                    "/v2/sandboxes?metadata=" + url_encode(fmt::format("{}={}", kNonceKey, nonce)));
    list.retry = cleanup_policy();
    const Response listed = client.send(list);
    const auto sandboxes = listed.ok() ? parse_json(listed.body) : std::nullopt;
    if (!sandboxes || !sandboxes->is_array()) {
        report["error"] = listed.ok() ? "the list is not a JSON array" : describe_failure(listed);
        return report;
    }
    int found = 0;
    int killed = 0;
    for (const auto& sandbox : *sandboxes) {
        if (!sandbox.is_object() || !sandbox.contains("sandboxID") ||
            !sandbox["sandboxID"].is_string()) {
            continue;
        }
        ++found;
        const Response gone = kill_sandbox(
            client, settings, sandbox["sandboxID"].get<std::string>(), cleanup_policy());
        killed += gone.ok() || gone.status_code == 404 ? 1 : 0;
    }
    report["found"] = found;
    report["killed"] = killed;
    return report;
}

/// POST /v2/sandboxes. Fills `start` with the outcome; returns the sandbox when it worked.
std::optional<SandboxRef> create_sandbox(HttpClient& client, const Settings& settings,
                                         Outcome& start) {
    const std::string nonce = random_hex(16);
    json metadata = settings.metadata;
    metadata[std::string(kNonceKey)] = nonce;
    json body = {{"templateID", settings.template_id},
                 {"timeout", settings.sandbox_timeout_s},
                 {"metadata", metadata}};
    if (!settings.env_vars.empty()) {
        body["envVars"] = settings.env_vars;
    }
    const Response response = client.send(api_json(settings, "/v2/sandboxes", body));
    http::fill_outcome(response, start);
    std::optional<SandboxRef> sandbox;
    if (response.ok()) {
        const auto parsed = parse_json(response.body);
        if (parsed && parsed->is_object() && parsed->contains("sandboxID") &&
            (*parsed)["sandboxID"].is_string()) {
            const auto text = [&](const char* key) {
                const auto it = parsed->find(key);
                return it != parsed->end() && it->is_string() ? it->get<std::string>()
                                                              : std::string{};
            };
            sandbox = SandboxRef{text("sandboxID"), text("domain"), text("envdAccessToken"),
                                 text("trafficAccessToken"), text("envdVersion")};
            register_secret(sandbox->envd_access_token);
            register_secret(sandbox->traffic_access_token);
            start.extra["e2b_sandbox_id"] = sandbox->id;
            start.extra["e2b_envd_version"] = sandbox->envd_version;
            start.extra["e2b_template"] = text("templateID");
            if (sandbox->id.empty()) {
                sandbox.reset();
            }
        }
        if (!sandbox) {
            start.status = Status::kBackendError;
            start.message =
                "the create answer is not a sandbox: " + http::body_excerpt(response.body);
        }
    }
    // A sandbox may exist although no usable answer arrived: the request was sent and then the
    // answer timed out, broke off, was a gateway error, or was garbage.
    const bool maybe_created =
        !sandbox && (response.error.kind == http::ErrorKind::kTimeout ||
                     response.error.kind == http::ErrorKind::kConnectionLost ||
                     response.error.kind == http::ErrorKind::kOther ||
                     response.status_code == 502 || response.status_code == 504 || response.ok());
    if (maybe_created) {
        start.extra["e2b_leak_cleanup"] = kill_by_nonce(client, settings, nonce);
    }
    return sandbox;
}

/// The shared sandbox of session_scope "context".
struct SharedSandbox {
    std::mutex mutex;
    std::optional<SandboxRef> sandbox;
    Clock::time_point end_at;
    std::uint64_t contexts = 0;
};

class E2BSession final : public Session {
public:
    E2BSession(std::shared_ptr<const Settings> settings, HttpClient client, SandboxRef sandbox,
               std::optional<std::string> context_id, std::string cwd,
               std::shared_ptr<SharedSandbox> shared)
        : settings_(std::move(settings)),
          client_(std::move(client)),
          sandbox_(std::move(sandbox)),
          context_id_(std::move(context_id)),
          cwd_(std::move(cwd)),
          shared_(std::move(shared)),
          end_at_(Clock::now() + std::chrono::seconds(settings_->sandbox_timeout_s)) {}

    E2BSession(const E2BSession&) = delete;
    E2BSession& operator=(const E2BSession&) = delete;
    E2BSession(E2BSession&&) = delete;
    E2BSession& operator=(E2BSession&&) = delete;
    ~E2BSession() override {
        if (!closed()) {
            (void)close();  // a sandbox left alive costs money until its timeout
        }
    }

    [[nodiscard]] std::string id() const override {
        return context_id_ ? sandbox_.id + "/" + *context_id_ : sandbox_.id;
    }
    [[nodiscard]] bool alive() const noexcept override { return death_.empty(); }

protected:
    Execution do_execute(std::string_view code, Milliseconds timeout) override;
    Outcome do_upload(std::string_view name, std::string_view bytes) override;
    Download do_download(std::string_view name) override;
    FileListing do_list_files() override;
    Outcome do_close() override;

private:
    /// Fails `outcome` when the sandbox is known to be gone; returns whether it did.
    template <typename Result>
    bool refuse_if_dead(Result& outcome) const {
        if (death_.empty()) {
            return false;
        }
        outcome.status = Status::kBackendError;
        outcome.message = "the sandbox is gone: " + death_;
        return true;
    }
    void extend_if_needed(Outcome& outcome);
    /// After a failed sandbox request: a 502 from the proxy means the sandbox is gone; a broken
    /// connection is checked with envd's health endpoint, as the SDKs do.
    void note_failure(const Response& response);
    [[nodiscard]] std::string file_path(std::string_view name) const {
        return cwd_ + "/" + std::string(name);
    }

    std::shared_ptr<const Settings> settings_;
    HttpClient client_;
    SandboxRef sandbox_;
    std::optional<std::string> context_id_;  ///< session_scope "context"
    std::string cwd_;
    std::shared_ptr<SharedSandbox> shared_;  ///< session_scope "context"
    Clock::time_point end_at_;
    std::string death_;
};

void E2BSession::extend_if_needed(Outcome& outcome) {
    // A quarter of the lifetime (at least 5 s) before the end, the next call extends it: a long
    // reused run must not lose its sandbox to the timeout meant for a forgotten one.
    const auto lifetime = std::chrono::seconds(settings_->sandbox_timeout_s);
    const auto margin = std::max<Clock::duration>(lifetime / 4, std::chrono::seconds(5));
    std::unique_lock<std::mutex> lock;
    Clock::time_point* end_at = &end_at_;
    if (shared_) {
        lock = std::unique_lock(shared_->mutex);
        end_at = &shared_->end_at;
    }
    if (Clock::now() + margin < *end_at) {
        return;
    }
    const Response response =
        client_.send(api_json(*settings_, "/sandboxes/" + sandbox_.id + "/timeout",
                              json{{"timeout", settings_->sandbox_timeout_s}}));
    outcome.extra["e2b_timeout_extended"] = response.ok();
    if (response.ok()) {
        *end_at = Clock::now() + lifetime;
    } else if (response.status_code == 404) {
        death_ = "the control plane no longer knows it (timed out or killed)";
    }
}

void E2BSession::note_failure(const Response& response) {
    if (response.status_code == 502) {
        death_ = "the sandbox proxy answered 502: " + http::body_excerpt(response.body);
        return;
    }
    if (response.error.kind != http::ErrorKind::kConnectionLost &&
        response.error.kind != http::ErrorKind::kConnect) {
        return;
    }
    Request probe = sandbox_request(*settings_, sandbox_, kEnvdPort, Method::kGet, "/health",
                                    /*with_token=*/false);
    probe.timeout = kHealthProbeTimeout;
    const Response health = client_.send(probe);
    if (health.status_code == 502) {
        death_ = "the sandbox stopped during the request (envd health answers 502)";
    }
}

Execution E2BSession::do_execute(std::string_view code, Milliseconds timeout) {
    Execution execution;
    if (refuse_if_dead(execution)) {
        return execution;
    }
    Outcome extension;
    extend_if_needed(extension);
    json body = {{"code", code}};
    if (context_id_) {
        body["context_id"] = *context_id_;
    }
    Request request = sandbox_request(*settings_, sandbox_, kInterpreterPort, Method::kPost,
                                      "/execute", /*with_token=*/true);
    request.body = body.dump();
    request.headers.add("Content-Type", "application/json");
    // The execution limit bounds the whole streamed exchange; the SDKs do the same.
    request.timeout = timeout > Milliseconds::zero() && timeout < kNoDeadline
                          ? std::optional<Milliseconds>(timeout)
                          : std::optional<Milliseconds>(Milliseconds::zero());
    // Running code twice is never harmless: no retry once the request may have reached the kernel.
    request.idempotent = false;

    ExecutionStream stream(settings_->output_limit, Clock::now());
    const Response response =
        client_.send(request, [&stream](std::string_view chunk) { return stream.feed(chunk); });
    const bool streamed = response.status_code >= 200 && response.status_code < 300;
    if (streamed) {
        stream.finish();
        execution = std::move(stream.execution());
    }
    add_transport(response, execution);
    execution.extra.update(extension.extra);
    const Status http_status = http::status_of(response);
    if (http_status != Status::kOk) {
        // The transfer failed (before or while streaming): that is the outcome, and whatever
        // arrived before the failure is kept.
        execution.status = http_status;
        execution.message = http::describe_failure(response);
        if (streamed && !stream.problems().empty()) {
            execution.extra["e2b_stream_problems"] = stream.problems();
        }
        note_failure(response);
    }
    if (execution.status == Status::kTimeout) {
        execution.message = fmt::format(
            "the execution exceeded its timeout of {:.0f} ms; the code interpreter interrupts "
            "the kernel when the client disconnects",
            timeout.count());
        if (context_id_) {
            // Restart rather than wait for the interrupt: the next call must find an idle kernel.
            const Response restart = client_.send(
                sandbox_request(*settings_, sandbox_, kInterpreterPort, Method::kPost,
                                "/contexts/" + *context_id_ + "/restart", /*with_token=*/false));
            execution.extra["e2b_context_restarted"] = restart.ok();
        }
    }
    return execution;
}

Outcome E2BSession::do_upload(std::string_view name, std::string_view bytes) {
    Outcome outcome;
    if (refuse_if_dead(outcome)) {
        return outcome;
    }
    extend_if_needed(outcome);
    const std::string path = file_path(name);
    // multipart/form-data with a part named "file" whose file name is the target path: what the
    // SDKs send by default for a single file.
    Request request = sandbox_request(*settings_, sandbox_, kEnvdPort, Method::kPost,
                                      "/files?path=" + url_encode(path), /*with_token=*/true);
    request.parts.push_back({"file", path, "application/octet-stream", std::string(bytes)});
    const Response response = client_.send(request);
    const json extra = std::exchange(outcome.extra, json::object());
    http::fill_outcome(response, outcome);
    outcome.extra.update(extra);
    if (response.ok()) {
        const auto written = parse_json(response.body);
        if (!written || !written->is_array() || written->empty()) {
            outcome.status = Status::kBackendError;
            outcome.message =
                "envd did not confirm the upload: " + http::body_excerpt(response.body);
        }
    } else {
        note_failure(response);
    }
    return outcome;
}

Download E2BSession::do_download(std::string_view name) {
    Download download;
    if (refuse_if_dead(download)) {
        return download;
    }
    extend_if_needed(download);
    const Response response = client_.send(sandbox_request(
        *settings_, sandbox_, kEnvdPort, Method::kGet, "/files?path=" + url_encode(file_path(name)),
        /*with_token=*/true));
    const json extra = std::exchange(download.extra, json::object());
    http::fill_outcome(response, download);
    download.extra.update(extra);
    if (response.ok()) {
        download.bytes = response.body;
    } else {
        note_failure(response);
    }
    return download;
}

FileListing E2BSession::do_list_files() {
    FileListing listing;
    if (refuse_if_dead(listing)) {
        return listing;
    }
    extend_if_needed(listing);
    // Connect-RPC, unary, JSON codec: what the SDKs' files.list() sends.
    Request request = sandbox_request(*settings_, sandbox_, kEnvdPort, Method::kPost,
                                      "/filesystem.Filesystem/ListDir", /*with_token=*/true);
    request.body = json{{"path", cwd_}, {"depth", 1}}.dump();
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Connect-Protocol-Version", "1");
    request.idempotent = true;  // a read, although POST
    const Response response = client_.send(request);
    const json extra = std::exchange(listing.extra, json::object());
    http::fill_outcome(response, listing);
    listing.extra.update(extra);
    if (!response.ok()) {
        note_failure(response);
        return listing;
    }
    const auto parsed = parse_json(response.body);
    if (!parsed || !parsed->is_object()) {
        listing.status = Status::kBackendError;
        listing.message = "ListDir answered no JSON object: " + http::body_excerpt(response.body);
        return listing;
    }
    // Proto3 JSON: enums by name (or number), int64 as a string, zero values omitted.
    for (const auto& entry : parsed->value("entries", json::array())) {
        if (!entry.is_object()) {
            continue;
        }
        const json type = entry.value("type", json{});
        const bool file = type == "FILE_TYPE_FILE" || type == 1;
        if (!file || !entry.contains("name") || !entry["name"].is_string()) {
            continue;
        }
        std::uint64_t size = 0;
        const json raw_size = entry.value("size", json{});
        if (raw_size.is_number_unsigned() || raw_size.is_number_integer()) {
            size = raw_size.get<std::uint64_t>();
        } else if (raw_size.is_string()) {
            size = std::strtoull(raw_size.get<std::string>().c_str(), nullptr, 10);
        }
        listing.files.push_back({entry["name"].get<std::string>(), size});
    }
    std::sort(listing.files.begin(), listing.files.end(),
              [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
    return listing;
}

Outcome E2BSession::do_close() {
    Outcome outcome;
    Response response;
    if (context_id_) {
        response = client_.send(sandbox_request(*settings_, sandbox_, kInterpreterPort,
                                                Method::kDelete, "/contexts/" + *context_id_,
                                                /*with_token=*/false));
    } else {
        response = kill_sandbox(client_, *settings_, sandbox_.id, std::nullopt);
    }
    http::fill_outcome(response, outcome);
    if (response.status_code == 404 || (context_id_ && response.status_code == 502)) {
        // Already gone (timed out, or killed elsewhere): the goal of close is reached.
        outcome.status = Status::kOk;
        outcome.message.clear();
        outcome.extra["e2b_already_gone"] = true;
    } else if (!response.ok() && !context_id_) {
        // The failure is the measured outcome; the sandbox must still not outlive the run.
        const Response retried = kill_sandbox(client_, *settings_, sandbox_.id, cleanup_policy());
        outcome.extra["e2b_kill_cleanup"] = {
            {"attempts", retried.attempts}, {"killed", retried.ok() || retried.status_code == 404}};
    }
    death_ = context_id_ ? "the context was removed" : "the sandbox was killed";
    return outcome;
}

class E2BBackend final : public Backend {
public:
    E2BBackend(BackendInfo info, std::shared_ptr<const Settings> settings)
        : info_(std::move(info)),
          settings_(std::move(settings)),
          shared_(std::make_shared<SharedSandbox>()) {}
    E2BBackend(const E2BBackend&) = delete;
    E2BBackend& operator=(const E2BBackend&) = delete;
    E2BBackend(E2BBackend&&) = delete;
    E2BBackend& operator=(E2BBackend&&) = delete;
    ~E2BBackend() override {
        // The sessions are gone (they must not outlive the backend); the shared sandbox goes too.
        try {
            const std::lock_guard lock(shared_->mutex);
            if (shared_->sandbox) {
                HttpClient client(settings_->client_options);
                (void)kill_sandbox(client, *settings_, shared_->sandbox->id, cleanup_policy());
            }
        } catch (...) {
            // Nothing can be done about it in a destructor; the sandbox's timeout will end it.
        }
    }

    [[nodiscard]] const BackendInfo& info() const noexcept override { return info_; }

protected:
    SessionStart do_create_session() override {
        SessionStart start;
        HttpClient client(settings_->client_options);
        if (!settings_->context_scope) {
            auto sandbox = create_sandbox(client, *settings_, start);
            if (sandbox) {
                start.session =
                    std::make_unique<E2BSession>(settings_, std::move(client), std::move(*sandbox),
                                                 std::nullopt, std::string(kHome), nullptr);
            }
            return start;
        }
        return create_context_session(std::move(client));
    }

private:
    SessionStart create_context_session(HttpClient client);

    BackendInfo info_;
    std::shared_ptr<const Settings> settings_;
    std::shared_ptr<SharedSandbox> shared_;
};

SessionStart E2BBackend::create_context_session(HttpClient client) {
    SessionStart start;
    SandboxRef sandbox;
    std::string cwd;
    {
        const std::lock_guard lock(shared_->mutex);
        if (!shared_->sandbox) {
            Outcome created;
            shared_->sandbox = create_sandbox(client, *settings_, created);
            start.extra["e2b_shared_sandbox_created"] = created.extra;
            if (!shared_->sandbox) {
                static_cast<Outcome&>(start) = std::move(created);
                return start;
            }
            shared_->end_at = Clock::now() + std::chrono::seconds(settings_->sandbox_timeout_s);
        }
        sandbox = *shared_->sandbox;
        cwd = fmt::format("{}/sandbench-{}-{}", kHome, ++shared_->contexts, random_hex(6));
    }
    start.extra["e2b_sandbox_id"] = sandbox.id;
    // The context's working directory must exist before the interpreter changes into it.
    Request make_dir = sandbox_request(*settings_, sandbox, kEnvdPort, Method::kPost,
                                       "/filesystem.Filesystem/MakeDir", /*with_token=*/true);
    make_dir.body = json{{"path", cwd}}.dump();
    make_dir.headers.add("Content-Type", "application/json");
    make_dir.headers.add("Connect-Protocol-Version", "1");
    const Response made = client.send(make_dir);
    if (!made.ok()) {
        http::fill_outcome(made, start);
        start.message = "cannot make the context's directory: " + start.message;
        return start;
    }
    Request create = sandbox_request(*settings_, sandbox, kInterpreterPort, Method::kPost,
                                     "/contexts", /*with_token=*/false);
    create.body = json{{"language", "python"}, {"cwd", cwd}}.dump();
    create.headers.add("Content-Type", "application/json");
    const Response response = client.send(create);
    http::fill_outcome(response, start);
    if (!response.ok()) {
        return start;
    }
    const auto context = parse_json(response.body);
    if (!context || !context->is_object() || !context->contains("id") ||
        !(*context)["id"].is_string()) {
        start.status = Status::kBackendError;
        start.message = "the context answer has no id: " + http::body_excerpt(response.body);
        return start;
    }
    const auto id = (*context)["id"].get<std::string>();
    start.extra["e2b_context_id"] = id;
    start.session = std::make_unique<E2BSession>(settings_, std::move(client), std::move(sandbox),
                                                 id, std::move(cwd), shared_);
    return start;
}

/// Reads an object of strings, removing it from `config` so that ConfigReader does not see it.
json take_string_map(json& config, const std::string& key, const std::string& owner) {
    const auto it = config.find(key);
    if (it == config.end()) {
        return json::object();
    }
    json value = *it;
    config.erase(it);
    const bool valid =
        value.is_object() &&
        std::all_of(value.begin(), value.end(), [](const json& item) { return item.is_string(); });
    if (!valid) {
        throw ConfigError(fmt::format("{}: setting '{}' must be a table of strings (got {})", owner,
                                      key, value.dump()));
    }
    return value;
}

/// The host of an http(s) URL, lower-case, without brackets or port.
std::string url_host(std::string_view url) {
    const auto scheme = url.find("://");
    std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest.remove_prefix(at + 1);
    }
    std::string host;
    if (!rest.empty() && rest.front() == '[') {
        host = std::string(rest.substr(1, rest.find(']') - 1));
    } else {
        host = std::string(rest.substr(0, rest.find(':')));
    }
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return host;
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

std::unique_ptr<Backend> make_e2b_backend(const BackendSpec& spec) {
    const std::string owner = fmt::format("backend '{}'", spec.name);
    json config = spec.config;
    if (!config.is_object()) {
        throw ConfigError(fmt::format("{}: settings must be a table/object", owner));
    }
    if (config.contains("api_key")) {
        throw ConfigError(fmt::format(
            "{}: 'api_key' is not a setting: the API key is read from the environment variable "
            "{} only, so that it never lands in a config file or in results",
            owner, kApiKeyVariable));
    }
    auto settings = std::make_shared<Settings>();
    settings->name = spec.name;
    settings->metadata = take_string_map(config, "metadata", owner);
    settings->env_vars = take_string_map(config, "env_vars", owner);

    ConfigReader reader{owner, config};
    settings->template_id = reader.get_string("template", "code-interpreter-v1");
    settings->sandbox_timeout_s =
        static_cast<int>(reader.get_int("sandbox_timeout_s", 300, 1, 86'400));
    auto api_url = reader.get_optional_string("api_url");
    auto sandbox_url = reader.get_optional_string("sandbox_url");
    auto domain = reader.get_optional_string("domain");
    const std::string scope = reader.get_choice("session_scope", "sandbox", {"sandbox", "context"});
    const auto retries = reader.get_int("retries", 0, 0, 10);
    const auto request_timeout_ms = reader.get_int("request_timeout_ms", 60'000, 100, 3'600'000);
    const auto connect_timeout_ms = reader.get_int("connect_timeout_ms", 10'000, 100, 600'000);
    const auto output_limit = reader.get_int("output_limit_bytes", 64LL << 20, 1024, 1LL << 32);
    const auto proxy = reader.get_optional_string("proxy");
    const auto ca_file = reader.get_optional_string("ca_file");
    const bool emulated = reader.get_bool("emulated", false);
    reader.reject_unknown_keys();

    if (settings->template_id.empty()) {
        throw ConfigError(fmt::format("{}: setting 'template' must not be empty", owner));
    }
    settings->endpoints =
        resolve_endpoints(std::move(api_url), std::move(sandbox_url), std::move(domain));
    for (const auto& [key, url] : {std::pair<std::string, std::optional<std::string>>{
                                       "api_url", settings->endpoints.api_url},
                                   {"sandbox_url", settings->endpoints.sandbox_url}}) {
        if (!url) {
            continue;
        }
        if (auto problem = http::validate_url(*url)) {
            throw ConfigError(fmt::format("{}: {} '{}': {}", owner, key, *url, *problem));
        }
    }
    settings->context_scope = scope == "context";
    settings->output_limit = static_cast<std::size_t>(output_limit);

    auto& options = settings->client_options;
    options.connect_timeout = Milliseconds{static_cast<double>(connect_timeout_ms)};
    options.timeout = Milliseconds{static_cast<double>(request_timeout_ms)};
    // HTTP/1.1 throughout: the Code Interpreter notices an abandoned execution only when the
    // TCP connection closes, which an HTTP/2 stream reset does not do (the Python SDK pins it too).
    options.http_version = http::HttpVersion::kHttp11;
    options.retry.max_attempts = static_cast<int>(retries) + 1;
    if (proxy) {
        options.proxy = *proxy;
    } else if (is_loopback(url_host(settings->endpoints.api_url)) &&
               (!settings->endpoints.sandbox_url ||
                is_loopback(url_host(*settings->endpoints.sandbox_url)))) {
        // An emulator on this machine: a proxy from the environment would intercept loopback
        // (libcurl 7.88 does not exempt it).
        options.proxy = "";
    }
    if (ca_file) {
        options.ca_file = *ca_file;
    }
    try {
        const HttpClient probe(options);
    } catch (const std::invalid_argument& error) {
        throw ConfigError(fmt::format("{}: {}", owner, error.what()));
    }

    const char* key = std::getenv(std::string(kApiKeyVariable).c_str());
    if (key == nullptr || *key == '\0') {
        throw BackendUnavailable(fmt::format(
            "{}: no E2B API key: set the environment variable {} (or run against the emulator: "
            "sandbench emulate e2b)",
            owner, kApiKeyVariable));
    }
    settings->api_key = key;
    register_secret(settings->api_key);

    BackendInfo info;
    info.name = spec.name;
    info.type = "e2b";
    info.emulated = emulated;
    info.description =
        fmt::format("E2B sandbox from template '{}' at {}{}", settings->template_id,
                    url_host(settings->endpoints.api_url),
                    emulated ? " (sandbench's emulator: local kernels)" : " (Firecracker microVM)");
    info.capabilities.files = true;
    info.capabilities.images = true;
    info.capabilities.explicit_create = true;
    info.capabilities.server_timing = false;
    info.capabilities.isolation = "firecracker";
    json env_var_names = json::array();
    for (const auto& item : settings->env_vars.items()) {
        env_var_names.push_back(item.key());  // the values may be secrets
    }
    info.config = {{"template", settings->template_id},
                   {"sandbox_timeout_s", settings->sandbox_timeout_s},
                   {"metadata", settings->metadata},
                   {"env_vars", env_var_names},
                   {"api_url", redact(settings->endpoints.api_url)},
                   {"sandbox_url", settings->endpoints.sandbox_url
                                       ? json(redact(*settings->endpoints.sandbox_url))
                                       : json(nullptr)},
                   {"domain", settings->endpoints.domain},
                   {"session_scope", scope},
                   {"retries", retries},
                   {"request_timeout_ms", request_timeout_ms},
                   {"connect_timeout_ms", connect_timeout_ms},
                   {"output_limit_bytes", output_limit},
                   {"proxy", proxy ? json(proxy->empty() ? "none" : "set") : json(nullptr)},
                   {"api_key_from", kApiKeyVariable},
                   {"emulated", emulated}};
    return std::make_unique<E2BBackend>(std::move(info), std::move(settings));
}

}  // namespace sandbench::backends::e2b
