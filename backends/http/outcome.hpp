// SPDX-License-Identifier: Apache-2.0
//
// From an HTTP Response to the backend interface's values: which backends::Status it stands for,
// a one-line message for a failure (status code and a short, redacted excerpt of the body, or
// the transport error), and the transport timing and HTTP facts an Outcome records. Every HTTP
// backend fills its outcomes through here, so that the same failure reads the same in every
// report whatever the service.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/http_client.hpp"
#include "sandbench/backends/backend.hpp"

namespace sandbench::backends::http {

/// The status `response` stands for:
///   kTimeout for a time-out; kCancelled when the body callback aborted (the caller stopped it,
///   typically on a stop request; a backend that aborts for another reason sets its own status);
///   kBackendError for a too-large body (the service answered, with something unusable);
///   kTransportError for every other transport error (connect, dns, tls, connection lost,
///   invalid request, other); then by status code: kOk for 2xx, kRateLimited for 429 and for
///   503 with Retry-After, kBackendError for anything else (other 4xx and 5xx, and 1xx/3xx,
///   because redirects are not followed).
[[nodiscard]] Status status_of(const Response& response) noexcept;

/// One line for a failed response, redacted; empty when status_of() is kOk. For example
/// "HTTP 503 (Retry-After 2 s): {\"error\": \"busy\"} [3 attempts]" or
/// "timeout: Operation timed out after 100 milliseconds with 0 bytes received".
[[nodiscard]] std::string describe_failure(const Response& response);

/// At most `max_bytes` of the start of `body` as one printable line: redacted, control
/// characters as spaces, invalid UTF-8 as '?', cut at a character boundary with "..." appended
/// when shortened. Safe to put in JSON.
[[nodiscard]] std::string body_excerpt(std::string_view body, std::size_t max_bytes = 200);

/// Sets `outcome`'s status, message and transport timing from `response` (transport is left
/// unset for a request that was never sent), and adds to `outcome.extra`: http_status,
/// http_version, http_attempts, http_retry_wait_ms, http_connection_reused, and
/// http_first_body_byte_ms when a body arrived. Other fields of `outcome` are kept.
void fill_outcome(const Response& response, Outcome& outcome);

}  // namespace sandbench::backends::http
