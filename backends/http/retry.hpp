// SPDX-License-Identifier: Apache-2.0
//
// The one retry policy of the HTTP layer: how many attempts, how long to wait between them
// (exponential backoff with jitter, or the server's Retry-After), as a plain value plus the pure
// functions that compute delays, so that the schedule is testable without a server or a clock.
// Which failures are retried is decided by HttpClient (http_client.hpp), which documents it.
//
// Retrying is off by default (max_attempts = 1): while measuring, a retry hides the failure the
// benchmark exists to count. Backends turn it on for calls that are not measured (cleanup), or
// when a run asks for it; the attempts and the time spent waiting are recorded either way.
#pragma once

#include <optional>
#include <string>

#include "sandbench/backends/backend.hpp"

namespace sandbench::backends::http {

struct RetryPolicy {
    /// Attempts in total, the first included; 1 turns retrying off.
    int max_attempts = 1;
    /// Backoff before the second attempt; it doubles for each further attempt.
    Milliseconds base_delay{250.0};
    /// Upper bound of every wait, the server's Retry-After included.
    Milliseconds max_delay{10'000.0};
    /// Share of each backoff that is randomised, in [0, 1]: the wait is drawn uniformly from
    /// [backoff * (1 - jitter), backoff]. 1 is "full jitter" (best at spreading concurrent
    /// clients, the scenario the concurrency benchmarks create); 0 is deterministic.
    double jitter = 1.0;
    /// Wait what a 429 or 503 response's Retry-After asks (capped by max_delay) instead of the
    /// backoff. Retry-After is used exactly, without jitter: the server chose the time.
    bool honour_retry_after = true;
};

/// Why `policy` cannot be used (attempts < 1, negative delays, jitter outside [0, 1]), or nothing.
[[nodiscard]] std::optional<std::string> validate(const RetryPolicy& policy);

/// The backoff after `failed_attempts` (>= 1) failures: min(max_delay, base * 2^(failed - 1)),
/// reduced by `jitter * unit_random`, where unit_random is in [0, 1).
[[nodiscard]] Milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempts,
                                         double unit_random) noexcept;

/// The wait before the next attempt: the server's `retry_after` when the policy honours it (capped
/// by max_delay), otherwise backoff_delay().
[[nodiscard]] Milliseconds retry_delay(const RetryPolicy& policy, int failed_attempts,
                                       std::optional<Milliseconds> retry_after,
                                       double unit_random) noexcept;

}  // namespace sandbench::backends::http
