// SPDX-License-Identifier: Apache-2.0
//
// Entra ID access tokens for the ACA dynamic-sessions backend, without the Azure SDK. A
// TokenSource asks one place for a token (an environment variable, the Entra token endpoint with
// a client secret, the managed-identity endpoint, IMDS, the Azure CLI); make_token_source()
// builds one from CredentialOptions, by default a chain in DefaultAzureCredential's order; a
// CachedCredential keeps the token and refreshes it before it expires. The protocol of each
// source is in /work/shared/protocols/aca.md, section 7.
//
// Failures are values. fetch() and get() never throw for anything the environment, the network
// or an endpoint does: a missing variable, a refused connection, an HTTP 401 or malformed JSON is
// a TokenResult with `error` set to one line that starts with the source's name. The exceptions
// are set-up errors found by make_token_source() (an unknown mode, an invalid tenant or URL:
// sandbench::ConfigError), thrown before anything is measured.
//
// Secrets. Tokens, the client secret and the managed-identity header are passed to
// sandbench::register_secret() the moment they are read, nothing here logs them, and every error
// message goes through sandbench::redact(). Bodies of successful responses (which carry tokens)
// are never quoted in errors, not even when malformed; error bodies are quoted as a short excerpt.
// An AccessToken must not be written into results: put it in an Authorization header only.
//
// The default chain tries, in order, and returns the first token (or, if none, an error listing
// every source's reason):
//   1. "environment": a static token from ACA_ACCESS_TOKEN (or the variable that
//      CredentialOptions::static_token_env names). Only this service's own variable is read by
//      default: a generic name such as AZURE_ACCESS_TOKEN often holds a token for another
//      audience (Azure Resource Manager), which would only show up later as a 401.
//   2. "client-secret": AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.
//   3. "managed-identity": IDENTITY_ENDPOINT and IDENTITY_HEADER (Container Apps, App Service).
//      Without IDENTITY_ENDPOINT, IMDS ("imds") is tried only when SANDBENCH_ENABLE_IMDS=1 (or
//      mode "managed-identity" is chosen explicitly). IMDS lives at 169.254.169.254, a link-local
//      address that outside Azure is nobody's or, on other clouds, another provider's metadata
//      service; probing it by default would send requests off this machine, stall each start for
//      the connect timeout, and make tests depend on the network.
//   4. "azure-cli": `az account get-access-token --resource <resource> --output json`.
// After a success the chain asks the source that answered first next time (as the Azure SDKs
// do), and falls back to the whole chain if it stops working.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_client.hpp"

namespace sandbench::backends::auth {

/// The audience of ACA dynamic sessions tokens (resource form: scope without "/.default").
inline constexpr std::string_view kDynamicSessionsResource = "https://dynamicsessions.io";
/// Entra's public-cloud authority; AZURE_AUTHORITY_HOST overrides it (see CredentialOptions).
inline constexpr std::string_view kDefaultAuthorityHost = "https://login.microsoftonline.com";
/// The Azure Instance Metadata Service token endpoint.
inline constexpr std::string_view kDefaultImdsEndpoint =
    "http://169.254.169.254/metadata/identity/oauth2/token";
/// The variable holding a static token when CredentialOptions::static_token_env is unset.
inline constexpr std::string_view kDefaultStaticTokenEnv = "ACA_ACCESS_TOKEN";

/// A bearer token and when it stops working. A static token that is not a JWT with an `exp`
/// claim has no known expiry: expires_on is then time_point::max().
struct AccessToken {
    std::string token;
    std::chrono::system_clock::time_point expires_on;
};

/// A token or a one-line, redacted reason there is none. `source` names who answered.
struct TokenResult {
    std::optional<AccessToken> token;
    std::string error;
    std::string source;

    [[nodiscard]] bool ok() const noexcept { return token.has_value(); }
};

/// Fetches fresh tokens; thread-compatible (one caller at a time; CachedCredential serialises).
class TokenSource {
public:
    TokenSource() = default;
    TokenSource(const TokenSource&) = delete;
    TokenSource& operator=(const TokenSource&) = delete;
    TokenSource(TokenSource&&) = delete;
    TokenSource& operator=(TokenSource&&) = delete;
    virtual ~TokenSource() = default;

    /// "environment", "client-secret", "managed-identity", "imds", "azure-cli" or "chain".
    [[nodiscard]] virtual std::string_view name() const = 0;
    /// A token for `resource` (e.g. kDynamicSessionsResource; a trailing "/.default" is
    /// accepted). Never throws; a token that has already expired is an error.
    [[nodiscard]] virtual TokenResult fetch(std::string_view resource) = 0;
};

/// Caches a source's token per resource and refreshes it `refresh_margin` before expiry (or
/// half-way through its life, if that is later: a token valid for less than twice the margin
/// is not fetched again on every call). Thread-safe: concurrent callers share one refresh;
/// while it runs, callers whose cached token has not yet expired keep using it. If a refresh
/// fails while the cached token is still valid, that token is returned and the refresh is
/// retried no sooner than 30 s later.
class CachedCredential {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    /// `clock` defaults to std::chrono::system_clock::now; tests inject their own.
    explicit CachedCredential(std::unique_ptr<TokenSource> source,
                              std::chrono::seconds refresh_margin = std::chrono::minutes(5),
                              Clock clock = {});

    [[nodiscard]] TokenResult get(std::string_view resource = kDynamicSessionsResource);
    /// The underlying source's name, for messages ("chain", "azure-cli", ...).
    [[nodiscard]] std::string_view source_name() const noexcept;

private:
    struct Entry {
        std::optional<AccessToken> token;
        std::string source;
        std::chrono::system_clock::time_point refresh_at;
        /// Earliest retry after a failed refresh while `token` was still valid.
        std::chrono::system_clock::time_point retry_at;
        bool refreshing = false;
        /// Counts finished refreshes, so that waiters know theirs has ended.
        unsigned long generation = 0;
        TokenResult last_failure;
    };

    [[nodiscard]] std::chrono::system_clock::time_point now() const;

    std::unique_ptr<TokenSource> source_;
    std::chrono::seconds refresh_margin_;
    Clock clock_;
    std::mutex mutex_;  // guards entries_
    std::condition_variable refreshed_;
    std::map<std::string, Entry, std::less<>> entries_;
    std::mutex fetch_mutex_;  // serialises source_->fetch(): sources are thread-compatible
};

/// Where tokens come from; filled from the backend's config and the environment.
struct CredentialOptions {
    /// "default" (the chain above), "static", "client-secret", "managed-identity" (the
    /// IDENTITY_ENDPOINT form when that variable is set, otherwise IMDS) or "azure-cli".
    std::string mode = "default";
    /// The variable holding a static token; unset means kDefaultStaticTokenEnv.
    std::optional<std::string> static_token_env;
    /// Entra authority. While it is the default, AZURE_AUTHORITY_HOST (if set) replaces it; any
    /// other value given here wins over the variable. https only, except on loopback hosts.
    std::string authority_host = std::string(kDefaultAuthorityHost);
    /// Override AZURE_TENANT_ID and AZURE_CLIENT_ID. client_id (or AZURE_CLIENT_ID) also selects
    /// a user-assigned managed identity. tenant_id, only when set here, is passed to `az` as
    /// --tenant. The client secret is read from AZURE_CLIENT_SECRET only: it has no place in a
    /// config file.
    std::optional<std::string> tenant_id;
    std::optional<std::string> client_id;
    /// The Azure CLI: a name searched on PATH (then /usr/bin and /usr/local/bin), or a path.
    std::string az_path = "az";
    /// Limit of one `az` run; its process group is killed after it.
    std::chrono::seconds az_timeout{30};
    /// Unset means kDefaultImdsEndpoint. Tests point it at a loopback server.
    std::optional<std::string> imds_endpoint;
    /// The HTTP client of the token endpoints (timeouts, proxy, retry policy, CA file).
    http::ClientOptions http;
};

/// The source `options.mode` names (see CredentialOptions::mode). The sources read the
/// environment at each fetch, not here, so that a rotated secret or token is picked up and a
/// missing variable is reported as that source's reason. Throws sandbench::ConfigError for an
/// unknown mode or an invalid option (tenant or client id, URL, az path or timeout, HTTP
/// options).
[[nodiscard]] std::unique_ptr<TokenSource> make_token_source(const CredentialOptions& options);

}  // namespace sandbench::backends::auth
