// SPDX-License-Identifier: Apache-2.0
#include "auth/token_source.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/sources.hpp"
#include "sandbench/common/check.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends::auth {
namespace {

using detail::failure;
using detail::TimePoint;
using nlohmann::json;

constexpr std::string_view kEnvironmentName = "environment";
constexpr std::string_view kChainName = "chain";
/// How long a failed refresh is not retried while the cached token still works.
constexpr std::chrono::seconds kRetryHold{30};

/// Decodes base64url (RFC 4648 section 5, padding optional); nothing on an invalid character.
std::optional<std::string> decode_base64url(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        std::uint32_t value = 0;
        if (c >= 'A' && c <= 'Z') {
            value = static_cast<std::uint32_t>(c - 'A');
        } else if (c >= 'a' && c <= 'z') {
            value = static_cast<std::uint32_t>(c - 'a' + 26);
        } else if (c >= '0' && c <= '9') {
            value = static_cast<std::uint32_t>(c - '0' + 52);
        } else if (c == '-' || c == '+') {
            value = 62;
        } else if (c == '_' || c == '/') {
            value = 63;
        } else if (c == '=') {
            break;
        } else {
            return std::nullopt;
        }
        buffer = (buffer << 6U) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
        }
    }
    return decoded;
}

/// The claims of a JWT (header.payload.signature), or nothing for an opaque token. Only read
/// to learn the expiry and audience; the signature is the service's business.
std::optional<json> jwt_claims(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    const auto payload = decode_base64url(token.substr(first + 1, second - first - 1));
    if (!payload) {
        return std::nullopt;
    }
    auto claims = json::parse(*payload, nullptr, false);
    if (!claims.is_object()) {
        return std::nullopt;
    }
    return claims;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                             text.front() == '\r')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

std::string_view without_trailing_slash(std::string_view text) {
    while (text.ends_with('/')) {
        text.remove_suffix(1);
    }
    return text;
}

/// A token from an environment variable, taken as it is: surrounding white space (a trailing
/// newline from `$(az ...)`) and a "Bearer " prefix are dropped. A JWT's `exp` claim gives its
/// expiry, so an expired token is reported here rather than as a 401 later; an opaque token (an
/// emulator's) never expires.
class StaticTokenSource final : public TokenSource {
public:
    explicit StaticTokenSource(std::string variable) : variable_(std::move(variable)) {}

    [[nodiscard]] std::string_view name() const override { return kEnvironmentName; }

    [[nodiscard]] TokenResult fetch(std::string_view resource) override {
        const auto raw = detail::env(variable_);
        if (!raw) {
            return failure(name(), fmt::format("{} is not set", variable_));
        }
        if (*raw != registered_) {
            register_secret(*raw);
            registered_ = *raw;
        }
        std::string_view value = trim(*raw);
        if (value.size() > 7 &&
            (value.substr(0, 7) == "Bearer " || value.substr(0, 7) == "bearer ")) {
            value = trim(value.substr(7));
        }
        if (value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
                return static_cast<unsigned char>(c) <= 0x20U || c == 0x7F;
            })) {
            return failure(name(), fmt::format("{} does not hold a token (it is empty or "
                                               "contains white space)",
                                               variable_));
        }
        std::string token(value);
        if (token.size() != raw->size()) {
            register_secret(token);
        }
        auto expires_on = TimePoint::max();
        if (const auto claims = jwt_claims(token)) {
            if (const auto exp = claims->find("exp"); exp != claims->end()) {
                if (const auto when = detail::epoch_of(*exp)) {
                    expires_on = *when;
                }
            }
            warn_on_audience(*claims, resource);
        }
        if (expires_on <= std::chrono::system_clock::now()) {
            return failure(name(), fmt::format("the token in {} expired at {}", variable_,
                                               detail::format_time(expires_on)));
        }
        TokenResult result;
        result.source = std::string(name());
        result.token = AccessToken{std::move(token), expires_on};
        return result;
    }

private:
    /// A token for another audience works nowhere here; say so once, without quoting it.
    void warn_on_audience(const json& claims, std::string_view resource) {
        const auto aud = claims.find("aud");
        if (aud == claims.end() || !aud->is_string()) {
            return;
        }
        const auto& audience = aud->get_ref<const std::string&>();
        const auto wanted = detail::resource_of(resource);
        if (without_trailing_slash(audience) == without_trailing_slash(wanted) ||
            audience == warned_audience_) {
            return;
        }
        warned_audience_ = audience;
        spdlog::warn("the token in {} is for audience '{}', not '{}'; expect HTTP 401", variable_,
                     redact(audience), wanted);
    }

    std::string variable_;
    /// The value last registered as a secret, so that each fetch does not register it again.
    std::string registered_;
    std::string warned_audience_;
};

/// Tries its sources in order; the first token wins. The source that answered last time is
/// asked first (as the Azure SDKs' chains do), so a refresh does not repeat the failures of the
/// sources before it.
class ChainSource final : public TokenSource {
public:
    explicit ChainSource(std::vector<std::unique_ptr<TokenSource>> sources)
        : sources_(std::move(sources)) {}

    [[nodiscard]] std::string_view name() const override { return kChainName; }

    [[nodiscard]] TokenResult fetch(std::string_view resource) override {
        std::vector<std::string> reasons(sources_.size());
        const auto first = std::exchange(last_success_, std::nullopt);
        if (first) {
            auto result = sources_[*first]->fetch(resource);
            if (result.ok()) {
                last_success_ = first;
                return result;
            }
            spdlog::debug("auth: {}", result.error);
            reasons[*first] = std::move(result.error);
        }
        for (std::size_t i = 0; i < sources_.size(); ++i) {
            if (first == i) {
                continue;
            }
            auto result = sources_[i]->fetch(resource);
            if (result.ok()) {
                last_success_ = i;
                return result;
            }
            spdlog::debug("auth: {}", result.error);
            reasons[i] = std::move(result.error);
        }
        std::string message =
            fmt::format("no token source produced a token for {}", detail::resource_of(resource));
        for (std::size_t i = 0; i < reasons.size(); ++i) {
            message += (i == 0 ? ": " : "; ") + reasons[i];
        }
        TokenResult result;
        result.source = std::string(name());
        result.error = redact(message);
        return result;
    }

private:
    std::vector<std::unique_ptr<TokenSource>> sources_;
    std::optional<std::size_t> last_success_;
};

/// Environment variable names as POSIX shells accept them.
bool valid_variable_name(std::string_view name) {
    return !name.empty() && !(name.front() >= '0' && name.front() <= '9') &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_';
           });
}

void validate(const CredentialOptions& options) {
    const auto fail = [](const std::string& what) { throw ConfigError("auth: " + what); };
    if (options.static_token_env && !valid_variable_name(*options.static_token_env)) {
        fail(fmt::format("static_token_env '{}' is not an environment variable name",
                         *options.static_token_env));
    }
    if (options.tenant_id) {
        if (auto invalid = detail::check_tenant(*options.tenant_id)) {
            fail("tenant_id " + *invalid);
        }
    }
    if (options.client_id && options.client_id->empty()) {
        fail("client_id is empty");
    }
    if (options.authority_host != kDefaultAuthorityHost) {
        if (auto invalid = detail::check_endpoint(options.authority_host, false)) {
            fail("authority_host " + *invalid);
        }
    }
    if (options.imds_endpoint) {
        if (auto invalid = detail::check_endpoint(*options.imds_endpoint, true)) {
            fail("imds_endpoint " + *invalid);
        }
    }
    if (options.az_path.empty()) {
        fail("az_path is empty");
    }
    if (options.az_timeout <= std::chrono::seconds::zero()) {
        fail("az_timeout must be positive");
    }
}

}  // namespace

CachedCredential::CachedCredential(std::unique_ptr<TokenSource> source,
                                   std::chrono::seconds refresh_margin, Clock clock)
    : source_(std::move(source)), refresh_margin_(refresh_margin), clock_(std::move(clock)) {
    SANDBENCH_CHECK(source_ != nullptr, "CachedCredential needs a token source");
    SANDBENCH_CHECK(refresh_margin_ >= std::chrono::seconds::zero(),
                    "CachedCredential's refresh margin must not be negative");
}

std::string_view CachedCredential::source_name() const noexcept { return source_->name(); }

std::chrono::system_clock::time_point CachedCredential::now() const {
    return clock_ ? clock_() : std::chrono::system_clock::now();
}

TokenResult CachedCredential::get(std::string_view resource) {
    const auto cached = [](const Entry& entry) {
        TokenResult result;
        result.token = entry.token;
        result.source = entry.source;
        return result;
    };
    std::unique_lock lock(mutex_);
    auto it = entries_.find(resource);
    if (it == entries_.end()) {
        it = entries_.emplace(std::string(resource), Entry{}).first;
    }
    Entry& entry = it->second;  // std::map: stable while other entries are added
    const auto usable = [&](TimePoint at) { return entry.token && at < entry.token->expires_on; };

    auto at = now();
    if (entry.token && at < entry.refresh_at) {
        return cached(entry);
    }
    if (entry.refreshing) {
        // Someone is already refreshing: use the old token while it works, or share the result.
        if (usable(at)) {
            return cached(entry);
        }
        const auto generation = entry.generation;
        refreshed_.wait(lock, [&] { return entry.generation != generation; });
        return usable(now()) ? cached(entry) : entry.last_failure;
    }
    if (usable(at) && at < entry.retry_at) {
        return cached(entry);
    }

    entry.refreshing = true;
    lock.unlock();
    TokenResult result;
    {
        const std::lock_guard fetching(fetch_mutex_);
        try {
            result = source_->fetch(resource);
        } catch (const std::exception& error) {
            // Sources do not throw; if one does (bad_alloc), the waiters must still wake up.
            result = failure(source_->name(), error.what());
        }
    }
    lock.lock();
    entry.refreshing = false;
    ++entry.generation;
    at = now();
    if (result.token && result.token->expires_on <= at) {
        result = failure(result.source, fmt::format("the token it returned expired at {}",
                                                    detail::format_time(result.token->expires_on)));
    }
    if (result.token) {
        // Refresh `margin` before expiry, but not before half of the token's life has passed.
        const auto life = result.token->expires_on - at;
        entry.refresh_at = std::max(at + life / 2, result.token->expires_on - refresh_margin_);
        entry.token = result.token;
        entry.source = result.source;
        entry.retry_at = {};
        entry.last_failure = {};
    } else {
        spdlog::debug("auth: {}", result.error);
        entry.last_failure = result;
        if (usable(at)) {
            entry.retry_at = at + kRetryHold;
            result = cached(entry);
        } else {
            entry.token.reset();
        }
    }
    refreshed_.notify_all();
    return result;
}

namespace detail {

std::unique_ptr<TokenSource> make_static_source(std::string variable) {
    return std::make_unique<StaticTokenSource>(std::move(variable));
}

std::unique_ptr<TokenSource> make_chain(std::vector<std::unique_ptr<TokenSource>> sources) {
    return std::make_unique<ChainSource>(std::move(sources));
}

}  // namespace detail

std::unique_ptr<TokenSource> make_token_source(const CredentialOptions& options) {
    validate(options);
    const std::string variable =
        options.static_token_env.value_or(std::string(kDefaultStaticTokenEnv));
    try {
        if (options.mode == "default") {
            std::vector<std::unique_ptr<TokenSource>> sources;
            sources.push_back(detail::make_static_source(variable));
            sources.push_back(detail::make_client_secret_source(options));
            sources.push_back(detail::make_managed_identity_source(options, false));
            sources.push_back(detail::make_azure_cli_source(options));
            return detail::make_chain(std::move(sources));
        }
        if (options.mode == "static") {
            return detail::make_static_source(variable);
        }
        if (options.mode == "client-secret") {
            return detail::make_client_secret_source(options);
        }
        if (options.mode == "managed-identity") {
            return detail::make_managed_identity_source(options, true);
        }
        if (options.mode == "azure-cli") {
            return detail::make_azure_cli_source(options);
        }
    } catch (const std::invalid_argument& error) {
        throw ConfigError(fmt::format("auth: invalid HTTP options: {}", error.what()));
    }
    throw ConfigError(fmt::format(
        "auth: unknown mode '{}' (expected default, static, client-secret, managed-identity or "
        "azure-cli)",
        options.mode));
}

}  // namespace sandbench::backends::auth
