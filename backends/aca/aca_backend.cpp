// SPDX-License-Identifier: Apache-2.0
#include "aca/aca_backend.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "aca/aca_protocol.hpp"
#include "auth/token_source.hpp"
#include "http/http_client.hpp"
#include "http/outcome.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/common/version.hpp"

namespace sandbench::backends::aca {
namespace {

using nlohmann::json;

/// How long a pending (asynchronous) execution is polled at first; the wait doubles up to 1 s.
constexpr Milliseconds kFirstPoll{20.0};
constexpr Milliseconds kMaxPoll{1000.0};

enum class CloseMode { kAuto, kDelete, kExpire };

/// A backend's settings, shared (immutable) by its sessions.
struct Settings {
    std::string name;
    std::string endpoint;  ///< normalised: ends with '/'
    ApiVersion api;
    std::string identifier_prefix;
    CloseMode close = CloseMode::kAuto;
    Milliseconds request_timeout{60'000.0};
    Milliseconds execution_grace{10'000.0};
    std::int64_t output_streams_max_length = std::int64_t{8} << 20;
    http::ClientOptions http;
};

/// The api-version and whether DELETE /session is sent, per the close mode.
std::optional<std::string> delete_api_version(const Settings& settings) {
    switch (settings.close) {
        case CloseMode::kExpire:
            return std::nullopt;
        case CloseMode::kAuto:
            return settings.api.session_management ? std::optional(settings.api.text)
                                                   : std::nullopt;
        case CloseMode::kDelete:
            return settings.api.session_management ? settings.api.text
                                                   : std::string(kSessionDeleteApiVersion);
    }
    return std::nullopt;
}

/// "scheme://host:port" of a URL, lower-cased; empty when it has no scheme.
std::string origin(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    const auto end = url.find_first_of("/?#", scheme + 3);
    std::string out(url.substr(0, end));
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return out;
}

/// Whether `url` has the scheme, host and port of `endpoint`: links the service returns
/// (Operation-Location, nextLink) are followed with the bearer token only then.
bool same_origin(std::string_view url, std::string_view endpoint) {
    const auto wanted = origin(endpoint);
    return !wanted.empty() && origin(url) == wanted;
}

/// "aca-" and 16 hex digits of the identifier's 64-bit FNV-1a hash: stable across runs and
/// machines (unlike std::hash), and not the identifier.
std::string public_id(std::string_view identifier) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : identifier) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return fmt::format("aca-{:016x}", hash);
}

class AcaSession final : public Session {
public:
    AcaSession(std::shared_ptr<const Settings> settings,
               std::shared_ptr<auth::CachedCredential> credential, std::string identifier)
        : settings_(std::move(settings)),
          credential_(std::move(credential)),
          identifier_(std::move(identifier)),
          client_(settings_->http) {}

    /// Not the identifier itself: it is the only boundary between tenants' sessions and must
    /// stay secret (Microsoft: "treat the identifier as a secret"), yet ids end up in
    /// samples, reports and CI logs. Its hash still lets whoever holds the identifier find it.
    [[nodiscard]] std::string id() const override { return public_id(identifier_); }
    [[nodiscard]] bool alive() const noexcept override { return alive_ && !closed(); }

protected:
    Execution do_execute(std::string_view code, Milliseconds timeout) override;
    Outcome do_upload(std::string_view name, std::string_view bytes) override;
    Download do_download(std::string_view name) override;
    FileListing do_list_files() override;
    Outcome do_close() override;

private:
    [[nodiscard]] std::string url(std::string_view path) const {
        return build_url(settings_->endpoint, path, settings_->api.text, identifier_);
    }
    [[nodiscard]] bool legacy() const noexcept {
        return settings_->api.generation == ApiGeneration::kLegacy;
    }
    /// Adds the Authorization header; false (and `outcome` failed) when there is no token.
    bool authorize(http::Request& request, Outcome& outcome);
    /// Sends with the session's client and records what every outcome records.
    http::Response send(const http::Request& request, Outcome& outcome);
    /// Polls an asynchronous execution until it ends or `deadline` passes.
    void poll(const http::Response& accepted, const ExecutionFacts& pending,
              std::chrono::steady_clock::time_point deadline, std::int64_t stream_limit,
              Execution& execution);

    std::shared_ptr<const Settings> settings_;
    std::shared_ptr<auth::CachedCredential> credential_;
    std::string identifier_;
    http::HttpClient client_;
    bool first_request_ = true;
    bool alive_ = true;
};

bool AcaSession::authorize(http::Request& request, Outcome& outcome) {
    const auto token = credential_->get();
    if (!token.ok()) {
        outcome.status = Status::kBackendError;
        outcome.message = redact(fmt::format("no access token: {}", token.error));
        return false;
    }
    request.headers.set("Authorization", "Bearer " + token.token->token);
    return true;
}

http::Response AcaSession::send(const http::Request& request, Outcome& outcome) {
    auto response = client_.send(request);
    http::fill_outcome(response, outcome);
    keep_response_headers(response.headers, outcome.extra);
    if (first_request_) {
        // The service allocates the session on the first request of a new identifier.
        outcome.extra["first_request"] = true;
        first_request_ = false;
    }
    if (!response.ok() && response.status_code != 0) {
        if (const auto code = error_code(response.body, response.headers); !code.empty()) {
            outcome.extra["error_code"] = code;
        }
    }
    return response;
}

Execution AcaSession::do_execute(std::string_view code, Milliseconds timeout) {
    Execution execution;
    // The service takes whole seconds and stops every execution at 220 s (notes §8).
    const bool bounded =
        timeout > Milliseconds::zero() && timeout <= Milliseconds{kMaxExecutionSeconds * 1000.0};
    const int timeout_s = bounded
                              ? std::max(1, static_cast<int>(std::ceil(timeout.count() / 1000.0)))
                              : kMaxExecutionSeconds;
    if (!bounded && timeout > Milliseconds::zero()) {
        execution.extra["timeout_capped_s"] = kMaxExecutionSeconds;
    }
    const std::int64_t stream_limit = legacy() ? 0 : settings_->output_streams_max_length;
    const json body = legacy() ? legacy_execute_body(code, timeout_s)
                               : new_execute_body(code, timeout_s, stream_limit);
    auto request = http::Request::post_json(url(legacy() ? "code/execute" : "executions"), body);
    const Milliseconds limit = Milliseconds{timeout_s * 1000.0} + settings_->execution_grace;
    request.timeout = limit;
    if (!authorize(request, execution)) {
        return execution;
    }
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::nanoseconds>(limit);
    const auto response = send(request, execution);
    if (!execution.ok()) {
        return execution;
    }
    const auto facts =
        parse_execution(response.body, settings_->api.generation, stream_limit, execution);
    if (!facts.service_status.empty()) {
        execution.extra["service_status"] = facts.service_status;
    }
    if (facts.pending) {
        poll(response, facts, deadline, stream_limit, execution);
    }
    if (facts.session_lost || execution.status == Status::kTimeout) {
        // The service recycles a session whose execution hit the limit; so does the emulator.
        alive_ = false;
    }
    return execution;
}

void AcaSession::poll(const http::Response& accepted, const ExecutionFacts& pending,
                      std::chrono::steady_clock::time_point deadline, std::int64_t stream_limit,
                      Execution& execution) {
    std::string location = accepted.headers.get("Operation-Location").value_or("");
    if (!same_origin(location, settings_->endpoint)) {
        location = url("executions/" + url_encode(pending.execution_id));
    }
    Milliseconds wait = kFirstPoll;
    int polls = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(wait);
        wait = std::min(wait * 2, kMaxPoll);
        auto request = http::Request::get(location);
        request.timeout = settings_->request_timeout;
        Execution polled;
        if (!authorize(request, polled)) {
            execution = std::move(polled);
            return;
        }
        const auto response = client_.send(request);
        http::fill_outcome(response, polled);
        ++polls;
        if (polled.ok()) {
            const auto facts =
                parse_execution(response.body, settings_->api.generation, stream_limit, polled);
            if (facts.pending) {
                continue;
            }
            alive_ = alive_ && !facts.session_lost;
        }
        polled.extra.update(execution.extra);
        polled.extra["polls"] = polls;
        execution = std::move(polled);
        return;
    }
    execution.status = Status::kTimeout;
    execution.message = fmt::format("the execution was still running after {} polls", polls);
    execution.extra["polls"] = polls;
}

Outcome AcaSession::do_upload(std::string_view name, std::string_view bytes) {
    Outcome outcome;
    http::Request request;
    request.method = http::Method::kPost;
    request.url = url(legacy() ? "files/upload" : "files");
    request.timeout = settings_->request_timeout;
    request.parts.push_back(
        {"file", std::string(name), "application/octet-stream", std::string(bytes)});
    if (!authorize(request, outcome)) {
        return outcome;
    }
    const auto response = send(request, outcome);
    if (outcome.ok()) {
        check_upload_response(response.body, settings_->api.generation, name, bytes.size(),
                              outcome);
    }
    return outcome;
}

Download AcaSession::do_download(std::string_view name) {
    Download download;
    const std::string encoded = url_encode(name);
    auto request = http::Request::get(
        url(legacy() ? "files/content/" + encoded : "files/" + encoded + "/content"));
    request.timeout = settings_->request_timeout;
    if (!authorize(request, download)) {
        return download;
    }
    auto response = send(request, download);
    if (download.ok()) {
        download.bytes = std::move(response.body);
    }
    return download;
}

FileListing AcaSession::do_list_files() {
    FileListing listing;
    std::optional<std::string> next = url("files");
    // Listings are one page in practice; the bound stops a service that links to itself.
    for (int page = 0; next && page < 100; ++page) {
        std::string target = *next;
        if (target.starts_with('/')) {
            target.insert(0, origin(settings_->endpoint));  // an absolute-path reference
        } else if (!same_origin(target, settings_->endpoint)) {
            // The token goes with every request: never to a host the pool did not come from.
            listing.status = Status::kBackendError;
            listing.message = "the file listing's nextLink points away from the pool endpoint";
            listing.files.clear();
            return listing;
        }
        auto request = http::Request::get(target);
        request.timeout = settings_->request_timeout;
        if (!authorize(request, listing)) {
            return listing;
        }
        const auto response = send(request, listing);
        if (!listing.ok()) {
            listing.files.clear();
            return listing;
        }
        next = parse_file_listing(response.body, settings_->api.generation, listing);
        if (!listing.ok()) {
            listing.files.clear();
            return listing;
        }
    }
    return listing;
}

Outcome AcaSession::do_close() {
    Outcome outcome;
    alive_ = false;
    const auto version = delete_api_version(*settings_);
    if (!version) {
        // Nothing to call: the pool destroys the session after its cooldown (notes §8).
        outcome.extra["close"] = "expire_by_cooldown";
        outcome.extra["close_note"] = fmt::format(
            "api-version {} has no DELETE /session; the session expires after the "
            "pool's cooldown period",
            settings_->api.text);
        return outcome;
    }
    http::Request request;
    request.method = http::Method::kDelete;
    request.url = build_url(settings_->endpoint, "session", *version, identifier_);
    request.timeout = settings_->request_timeout;
    if (!authorize(request, outcome)) {
        return outcome;
    }
    const auto response = send(request, outcome);
    if (response.status_code == 404 && !response.error) {
        // Already gone (expired, or recycled after a timeout): what close() wants.
        outcome.status = Status::kOk;
        outcome.message.clear();
        outcome.extra["close"] = "already_gone";
    } else if (outcome.ok()) {
        outcome.extra["close"] = "deleted";
    }
    return outcome;
}

class AcaBackend final : public Backend {
public:
    AcaBackend(BackendInfo info, std::shared_ptr<const Settings> settings,
               std::shared_ptr<auth::CachedCredential> credential)
        : info_(std::move(info)),
          settings_(std::move(settings)),
          credential_(std::move(credential)) {}

    [[nodiscard]] const BackendInfo& info() const noexcept override { return info_; }

protected:
    SessionStart do_create_session() override {
        SessionStart start;
        std::string identifier = generate_identifier(settings_->identifier_prefix);
        if (auto problem = invalid_identifier(identifier)) {
            start.status = Status::kBackendError;
            start.message = std::move(*problem);
            return start;
        }
        start.extra["allocation"] = "first request";
        start.session = std::make_unique<AcaSession>(settings_, credential_, std::move(identifier));
        return start;
    }

private:
    BackendInfo info_;
    std::shared_ptr<const Settings> settings_;
    std::shared_ptr<auth::CachedCredential> credential_;
};

std::optional<std::pair<std::string, std::string>> endpoint_from_environment() {
    for (const auto name : kEndpointVariables) {
        const char* value = std::getenv(std::string(name).c_str());
        if (value != nullptr && *value != '\0') {
            return std::pair{std::string(name), std::string(value)};
        }
    }
    return std::nullopt;
}

/// The host of an endpoint, for the description line.
std::string host_of(std::string_view url) {
    auto rest = url.substr(std::min(url.size(), url.find("://") + 3));
    return std::string(rest.substr(0, rest.find('/')));
}

}  // namespace

std::unique_ptr<Backend> make_aca_backend(const BackendSpec& spec) {
    const std::string owner = fmt::format("backend '{}'", spec.name);
    if (spec.config.is_object() && spec.config.contains("token")) {
        throw ConfigError(fmt::format(
            "{}: a 'token' setting is refused: secrets come from the environment (set auth = "
            "\"static\" and put the token in the variable that token_env names, by default {})",
            owner, auth::kDefaultStaticTokenEnv));
    }
    ConfigReader reader{owner, spec.config};
    auto settings = std::make_shared<Settings>();
    settings->name = spec.name;
    const auto endpoint_setting = reader.get_optional_string("endpoint");
    const std::string api_text = reader.get_string("api_version", std::string(kLegacyApiVersion));
    auth::CredentialOptions credentials;
    credentials.mode = reader.get_choice(
        "auth", "default", {"default", "static", "client-secret", "managed-identity", "azure-cli"});
    credentials.static_token_env = reader.get_optional_string("token_env");
    credentials.tenant_id = reader.get_optional_string("tenant_id");
    credentials.client_id = reader.get_optional_string("client_id");
    credentials.authority_host =
        reader.get_string("authority_host", std::string(auth::kDefaultAuthorityHost));
    credentials.az_path = reader.get_string("az_path", "az");
    credentials.az_timeout = std::chrono::seconds{reader.get_int("az_timeout_s", 30, 1, 600)};
    credentials.imds_endpoint = reader.get_optional_string("imds_endpoint");
    settings->identifier_prefix = reader.get_string("identifier_prefix", "");
    const std::string close = reader.get_choice("close", "auto", {"auto", "delete", "expire"});
    const auto retries = reader.get_int("retries", 0, 0, 10);
    const auto connect_timeout = reader.get_int("connect_timeout_ms", 10'000, 1, 600'000);
    const auto request_timeout = reader.get_int("request_timeout_ms", 60'000, 1, 3'600'000);
    const auto grace = reader.get_int("execution_grace_ms", 10'000, 0, 600'000);
    settings->output_streams_max_length =
        reader.get_int("output_streams_max_length", std::int64_t{8} << 20, 1, 1LL << 31);
    const auto proxy = reader.get_optional_string("proxy");
    const std::string ca_file = reader.get_string("ca_file", "");
    const bool emulated = reader.get_bool("emulated", false);
    reader.reject_unknown_keys();

    std::string endpoint_source = "setting 'endpoint'";
    std::string endpoint;
    if (endpoint_setting) {
        endpoint = *endpoint_setting;
    } else if (auto from_env = endpoint_from_environment()) {
        endpoint_source = from_env->first;
        endpoint = std::move(from_env->second);
    } else {
        throw BackendUnavailable(fmt::format(
            "{}: no pool management endpoint: set 'endpoint' or ACA_POOL_MANAGEMENT_ENDPOINT "
            "(https://<region>.dynamicsessions.io/subscriptions/<sub>/resourceGroups/<rg>/"
            "sessionPools/<pool>)",
            owner));
    }
    settings->endpoint = normalize_endpoint(endpoint);
    if (auto problem = http::validate_url(settings->endpoint)) {
        throw ConfigError(fmt::format("{}: endpoint from {} is not usable: {}", owner,
                                      endpoint_source, *problem));
    }
    const auto api = parse_api_version(api_text);
    if (!api) {
        throw ConfigError(
            fmt::format("{}: setting 'api_version' must look like 2024-02-02-preview (got '{}')",
                        owner, api_text));
    }
    settings->api = *api;
    if (!settings->identifier_prefix.empty()) {
        if (auto problem = invalid_identifier(settings->identifier_prefix + "0000")) {
            throw ConfigError(fmt::format("{}: setting 'identifier_prefix': {}", owner, *problem));
        }
        if (settings->identifier_prefix.size() > 128 - 36) {
            throw ConfigError(fmt::format(
                "{}: setting 'identifier_prefix' must leave room for a UUID (at most 92 "
                "characters)",
                owner));
        }
    }
    settings->close = close == "delete"   ? CloseMode::kDelete
                      : close == "expire" ? CloseMode::kExpire
                                          : CloseMode::kAuto;
    settings->request_timeout = Milliseconds{static_cast<double>(request_timeout)};
    settings->execution_grace = Milliseconds{static_cast<double>(grace)};
    settings->http.connect_timeout = Milliseconds{static_cast<double>(connect_timeout)};
    settings->http.timeout = settings->request_timeout;
    settings->http.proxy = proxy;
    settings->http.ca_file = ca_file;
    settings->http.user_agent = fmt::format("sandbench/{} (Language=C++)", kVersion);
    settings->http.retry.max_attempts = static_cast<int>(retries) + 1;
    credentials.http.proxy = proxy;
    credentials.http.ca_file = ca_file;
    credentials.http.connect_timeout = settings->http.connect_timeout;

    auto credential =
        std::make_shared<auth::CachedCredential>(auth::make_token_source(credentials));
    // One token now: missing credentials are a set-up error, reported before measuring.
    const auto token = credential->get();
    if (!token.ok()) {
        throw BackendUnavailable(redact(fmt::format("{}: no access token for {} ({}): {}", owner,
                                                    auth::kDynamicSessionsResource,
                                                    credential->source_name(), token.error)));
    }

    BackendInfo info;
    info.name = spec.name;
    info.type = "aca";
    info.description =
        fmt::format("Azure Container Apps dynamic sessions (Hyper-V) at {}, API {}{}",
                    host_of(settings->endpoint), settings->api.text, emulated ? " (emulated)" : "");
    info.capabilities.files = true;
    info.capabilities.images = true;
    info.capabilities.explicit_create = false;
    info.capabilities.server_timing = true;
    info.capabilities.isolation = "hyper-v";
    info.emulated = emulated;
    info.config = {
        {"endpoint", settings->endpoint},
        {"api_version", settings->api.text},
        {"api_generation", settings->api.generation == ApiGeneration::kLegacy ? "legacy" : "new"},
        {"auth", credentials.mode},
        {"token_source", token.source},
        {"close", close},
        {"retries", retries},
        {"connect_timeout_ms", connect_timeout},
        {"request_timeout_ms", request_timeout},
        {"execution_grace_ms", grace},
        {"output_streams_max_length", settings->output_streams_max_length},
        {"emulated", emulated}};
    if (!settings->identifier_prefix.empty()) {
        info.config["identifier_prefix"] = settings->identifier_prefix;
    }
    if (credentials.static_token_env) {
        info.config["token_env"] = *credentials.static_token_env;  // the name, not the value
    }
    if (proxy) {
        info.config["proxy"] = redact(*proxy);
    }
    if (!ca_file.empty()) {
        info.config["ca_file"] = ca_file;
    }
    return std::make_unique<AcaBackend>(std::move(info), std::move(settings),
                                        std::move(credential));
}

}  // namespace sandbench::backends::aca
