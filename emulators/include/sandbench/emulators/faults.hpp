// SPDX-License-Identifier: Apache-2.0
//
// Latency profiles and fault injection shared by every emulator, so that the harness's handling
// of slow, throttled and broken services can be tested deterministically.
//
// A fault rule fires by rate (a seeded random draw per matching request) or by schedule (the
// Nth matching requests, 1-based), optionally only for requests whose path contains a filter.
// Rules are tried in order; the first that fires decides the request's fate.
//
// Text form (the --fault flag of `sandbench emulate`, and emulator settings):
//   KIND[@RATE][#N,M,...][:key=value,...]
//   429@0.1:retry_after=2      10% of requests answered 429 with Retry-After: 2
//   503#3,4                    the 3rd and 4th requests answered 503 (with Retry-After: 1)
//   500@0.05:path=/executions  5% of execution requests answered 500
//   drop@0.02                  2% of connections closed before a response is complete
//   slow@0.1:delay_ms=3000     10% of requests delayed by 3 s before being handled
//   malformed#1                the first response body is cut short / not valid JSON
// Latency text form (--latency): allocation_ms=300,request_ms=20,jitter_ms=5
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace sandbench::emulators {

using Milliseconds = std::chrono::duration<double, std::milli>;

/// Artificial delays, added on top of the real work.
struct LatencyProfile {
    Milliseconds allocation{0};   ///< once, when a new session/sandbox is allocated
    Milliseconds per_request{0};  ///< before every request is handled
    Milliseconds jitter{0};       ///< uniform in [0, jitter), added to each of the above
};

enum class FaultKind {
    kRateLimit,    ///< 429 with Retry-After
    kServerError,  ///< 500
    kUnavailable,  ///< 503 with Retry-After
    kDrop,         ///< the connection is closed before the response is complete
    kSlow,         ///< the request is delayed, then handled normally
    kMalformed,    ///< 200 with a JSON body cut off in the middle
};

struct FaultRule {
    FaultKind kind = FaultKind::kServerError;
    double rate = 0.0;              ///< probability per matching request, 0..1
    std::vector<std::uint64_t> at;  ///< 1-based positions among matching requests
    std::string path_contains;      ///< empty: every request
    Milliseconds retry_after{1000};
    Milliseconds delay{2000};  ///< for kSlow
};

/// Parses the text form above. Throws sandbench::UsageError naming the problem.
[[nodiscard]] FaultRule parse_fault_rule(std::string_view text);
/// Parses "allocation_ms=300,request_ms=20,jitter_ms=5". Throws sandbench::UsageError.
[[nodiscard]] LatencyProfile parse_latency_profile(std::string_view text);

// Pieces of the fault texts, shared with the E2B emulator's stream faults (e2b/wire.hpp).
/// The parts of `text` between separators ("a,b" -> a, b); none for an empty text.
[[nodiscard]] std::vector<std::string_view> split_spec(std::string_view text, char separator);
/// The whole of `number` as a non-negative decimal, or nullopt.
[[nodiscard]] std::optional<double> parse_non_negative(std::string_view number);

/// Decides, per request, whether a fault fires. Thread-safe.
class FaultInjector {
public:
    FaultInjector(std::vector<FaultRule> rules, LatencyProfile latency, std::uint64_t seed);

    /// The rule that fires for a request to `path`, if any (counts the request).
    [[nodiscard]] std::optional<FaultRule> decide(std::string_view path);
    /// A delay drawn from the profile: base plus uniform jitter.
    [[nodiscard]] Milliseconds draw(Milliseconds base);
    [[nodiscard]] const LatencyProfile& latency() const noexcept { return latency_; }

    /// For cpp-httplib servers: sleeps the per-request latency, then applies a firing fault to
    /// `response`. Returns true when the fault answered the request (the handler must not run);
    /// kSlow and no fault return false. Install it in the server's pre-routing handler.
    /// Protocol-specific corruptions (a broken NDJSON stream, say) are the emulator's own.
    bool apply(const httplib::Request& request, httplib::Response& response);

private:
    std::vector<FaultRule> rules_;
    std::vector<std::uint64_t> matched_;  ///< matching requests seen, per rule
    LatencyProfile latency_;
    std::mutex mutex_;
    std::mt19937_64 random_;
};

}  // namespace sandbench::emulators
