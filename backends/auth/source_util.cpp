// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "auth/sources.hpp"
#include "http/outcome.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends::auth::detail {
namespace {

using nlohmann::json;

/// Replaces line breaks and other control characters by spaces: a TokenResult's error is one
/// line whatever an endpoint or a tool printed.
std::string one_line(std::string_view text) {
    std::string line;
    line.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        line.push_back(byte < 0x20U || byte == 0x7FU ? ' ' : c);
    }
    return line;
}

/// Digits only, at most 12 of them: epoch seconds and lifetimes, not arbitrary numbers.
std::optional<std::int64_t> seconds_of(const json& value) {
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (number > std::uint64_t{999'999'999'999}) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(number);
    }
    if (value.is_number_integer()) {
        const auto number = value.get<std::int64_t>();
        if (number < 0 || number > std::int64_t{999'999'999'999}) {
            return std::nullopt;
        }
        return number;
    }
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty() || text.size() > 12) {
            return std::nullopt;
        }
        std::int64_t number = 0;
        for (const char c : text) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            number = number * 10 + (c - '0');
        }
        return number;
    }
    return std::nullopt;
}

bool is_loopback_host(std::string_view host) {
    return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

/// The host of an http(s) URL that validate_url() accepted, without port or user info.
std::string_view host_of(std::string_view url) {
    auto rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest.remove_prefix(at + 1);
    }
    if (rest.starts_with('[')) {
        return rest.substr(0, rest.find(']') + 1);
    }
    return rest.substr(0, rest.find(':'));
}

/// The message of an error body: Entra, IMDS and the managed-identity endpoint send
/// {"error": "...", "error_description": "..."}; some App Service versions send
/// {"statusCode": 400, "message": "..."} or {"error": {"code": "...", "message": "..."}}.
std::string describe_error_body(const std::string& body) {
    const auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_object()) {
        std::string code;
        std::string description;
        if (const auto it = parsed.find("error"); it != parsed.end()) {
            if (it->is_string()) {
                code = it->get<std::string>();
            } else if (it->is_object()) {
                code = it->value("code", "");
                description = it->value("message", "");
            }
        }
        if (const auto it = parsed.find("error_description");
            it != parsed.end() && it->is_string()) {
            description = it->get<std::string>();
        } else if (const auto msg = parsed.find("message");
                   msg != parsed.end() && msg->is_string()) {
            description = msg->get<std::string>();
        }
        if (!code.empty() || !description.empty()) {
            const std::string joined =
                code.empty() ? description
                             : (description.empty() ? code : code + " - " + description);
            return http::body_excerpt(one_line(joined), 300);
        }
    }
    return http::body_excerpt(body, 200);
}

/// Hides anything shaped like a JWT (base64url of '{"' is "eyJ"). redact() knows the tokens it
/// was given, but an endpoint's error body or az's stderr may quote one this process never saw
/// (an earlier token, another identity's).
std::string without_jwts(const std::string& text) {
    if (text.find("eyJ") == std::string::npos) {
        return text;
    }
    static const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?)");
    return std::regex_replace(text, kJwt, "***");
}

}  // namespace

TokenResult failure(std::string_view source, std::string_view reason) {
    TokenResult result;
    result.source = std::string(source);
    result.error = redact(without_jwts(one_line(fmt::format("{} credential: {}", source, reason))));
    return result;
}

TokenResult success(std::string_view source, std::string token, TimePoint expires_on) {
    if (expires_on <= std::chrono::system_clock::now()) {
        return failure(source,
                       fmt::format("the token it returned expired at {}", format_time(expires_on)));
    }
    TokenResult result;
    result.source = std::string(source);
    result.token = AccessToken{std::move(token), expires_on};
    return result;
}

std::optional<std::string> env(const std::string& name) {
    // getenv is not synchronised with setenv; nothing in sandbench sets variables while
    // measuring (tests do, between fetches).
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

std::string percent_encode(std::string_view text) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size() * 3);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
            encoded.push_back(c);
        } else {
            encoded.push_back('%');
            encoded.push_back(kHex[byte >> 4U]);
            encoded.push_back(kHex[byte & 0x0FU]);
        }
    }
    return encoded;
}

std::string resource_of(std::string_view resource) {
    constexpr std::string_view kSuffix = "/.default";
    if (resource.ends_with(kSuffix)) {
        resource.remove_suffix(kSuffix.size());
    }
    return std::string(resource);
}

std::optional<TimePoint> epoch_of(const json& value) {
    const auto seconds = seconds_of(value);
    if (!seconds) {
        return std::nullopt;
    }
    return TimePoint{std::chrono::seconds{*seconds}};
}

std::optional<TimePoint> from_now(const json& value) {
    const auto seconds = seconds_of(value);
    if (!seconds) {
        return std::nullopt;
    }
    return std::chrono::system_clock::now() + std::chrono::seconds{*seconds};
}

std::string format_time(TimePoint time) {
    if (time == TimePoint::max()) {
        return "never";
    }
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    if (::gmtime_r(&seconds, &utc) == nullptr) {
        return "?";
    }
    std::array<char, 32> text{};
    if (std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
        return "?";
    }
    return text.data();
}

std::optional<std::string> check_endpoint(std::string_view url, bool allow_http) {
    if (auto invalid = http::validate_url(url)) {
        return invalid;
    }
    if (!allow_http && url.starts_with("http://") && !is_loopback_host(host_of(url))) {
        return fmt::format("'{}' must use https (plain http is accepted on loopback only)", url);
    }
    return std::nullopt;
}

TokenResult token_from_response(std::string_view source, const std::string& what,
                                const http::Response& response) {
    if (response.error) {
        return failure(source,
                       fmt::format("cannot reach {} ({}): {}", what,
                                   http::to_string(response.error.kind), response.error.message));
    }
    if (!response.ok()) {
        std::string reason = fmt::format("{} answered HTTP {}", what, response.status_code);
        if (const auto detail = describe_error_body(response.body); !detail.empty()) {
            reason += ": " + detail;
        }
        return failure(source, reason);
    }
    // A 2xx body carries the token, so it is never quoted, not even when it is malformed.
    const auto body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) {
        return failure(source, fmt::format("malformed JSON from {} (HTTP {}, {} bytes)", what,
                                           response.status_code, response.body.size()));
    }
    const auto token = body.find("access_token");
    if (token == body.end() || !token->is_string() ||
        token->get_ref<const std::string&>().empty()) {
        return failure(source, fmt::format("{} returned no access_token", what));
    }
    std::string value = token->get<std::string>();
    register_secret(value);
    std::optional<TimePoint> expires_on;
    if (const auto it = body.find("expires_on"); it != body.end()) {
        expires_on = epoch_of(*it);
    }
    if (!expires_on) {
        if (const auto it = body.find("expires_in"); it != body.end()) {
            expires_on = from_now(*it);
        }
    }
    if (!expires_on) {
        return failure(source, fmt::format("{} returned no usable expires_on or expires_in", what));
    }
    return success(source, std::move(value), *expires_on);
}

}  // namespace sandbench::backends::auth::detail
