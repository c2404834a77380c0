// SPDX-License-Identifier: Apache-2.0
//
// Internal to backends/auth: the concrete token sources behind make_token_source() and the
// helpers they share (one-line redacted failures, expiry parsing, percent-encoding). Other parts
// use token_source.hpp only; nothing here is a stable interface.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "auth/token_source.hpp"

namespace sandbench::backends::auth::detail {

using TimePoint = std::chrono::system_clock::time_point;

/// A failed TokenResult from `source`: "<source> credential: <reason>" on one line, redacted,
/// and with anything shaped like a JWT hidden too.
/// ("<source>: " would not do: the redactor reads "client-secret: HTTP" as a secret's value.)
[[nodiscard]] TokenResult failure(std::string_view source, std::string_view reason);

/// A successful TokenResult, or a failure if `expires_on` is not after now.
[[nodiscard]] TokenResult success(std::string_view source, std::string token, TimePoint expires_on);

/// The value of environment variable `name`, or nothing when it is unset or empty.
[[nodiscard]] std::optional<std::string> env(const std::string& name);

/// RFC 3986 percent-encoding of everything but unreserved characters; valid in a query and in
/// an application/x-www-form-urlencoded body.
[[nodiscard]] std::string percent_encode(std::string_view text);

/// `resource` without a trailing "/.default" (the resource form the CLI and MSI endpoints take).
[[nodiscard]] std::string resource_of(std::string_view resource);

/// Seconds since the epoch from a JSON number or a string of digits ("1586984735").
[[nodiscard]] std::optional<TimePoint> epoch_of(const nlohmann::json& value);
/// A duration in seconds from a JSON number or a string of digits, added to now.
[[nodiscard]] std::optional<TimePoint> from_now(const nlohmann::json& value);

/// "2024-05-01T12:00:00Z", for messages.
[[nodiscard]] std::string format_time(TimePoint time);

/// Why `url` cannot be a token endpoint: invalid, or plain http to a host that is not loopback
/// (when `allow_http` is false).
[[nodiscard]] std::optional<std::string> check_endpoint(std::string_view url, bool allow_http);

/// Why `tenant` cannot be a tenant id (GUID or domain: letters, digits, '.', '-', no leading
/// '-'), or nothing.
[[nodiscard]] std::optional<std::string> check_tenant(std::string_view tenant);

/// Reads a token endpoint's JSON answer: the shape shared by Entra, the managed-identity endpoint
/// and IMDS (access_token, then expires_on as epoch seconds or expires_in as seconds). `what`
/// names the endpoint in messages.
[[nodiscard]] TokenResult token_from_response(std::string_view source, const std::string& what,
                                              const http::Response& response);

// The sources. Each constructor may throw std::invalid_argument for invalid HTTP options;
// make_token_source() turns that into a ConfigError.

[[nodiscard]] std::unique_ptr<TokenSource> make_static_source(std::string variable);
[[nodiscard]] std::unique_ptr<TokenSource> make_client_secret_source(
    const CredentialOptions& options);
/// `imds_always`: use IMDS when IDENTITY_ENDPOINT is unset, without SANDBENCH_ENABLE_IMDS=1.
[[nodiscard]] std::unique_ptr<TokenSource> make_managed_identity_source(
    const CredentialOptions& options, bool imds_always);
[[nodiscard]] std::unique_ptr<TokenSource> make_azure_cli_source(const CredentialOptions& options);
[[nodiscard]] std::unique_ptr<TokenSource> make_chain(
    std::vector<std::unique_ptr<TokenSource>> sources);

}  // namespace sandbench::backends::auth::detail
