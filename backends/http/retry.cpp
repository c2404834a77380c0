// SPDX-License-Identifier: Apache-2.0
#include "http/retry.hpp"

#include <algorithm>
#include <cmath>

namespace sandbench::backends::http {

std::optional<std::string> validate(const RetryPolicy& policy) {
    if (policy.max_attempts < 1) {
        return "retry max_attempts must be at least 1";
    }
    if (!(policy.base_delay.count() >= 0.0) || !(policy.max_delay.count() >= 0.0)) {
        return "retry delays must not be negative";
    }
    if (!(policy.jitter >= 0.0 && policy.jitter <= 1.0)) {
        return "retry jitter must be between 0 and 1";
    }
    return std::nullopt;
}

Milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempts,
                           double unit_random) noexcept {
    // Beyond 2^62 the product is far past any sensible max_delay; clamping the exponent keeps
    // ldexp finite for absurd attempt counts.
    const int exponent = std::clamp(failed_attempts - 1, 0, 62);
    const double uncapped = std::ldexp(policy.base_delay.count(), exponent);
    const double capped = std::min(uncapped, policy.max_delay.count());
    const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
    const double random = std::clamp(unit_random, 0.0, 1.0);
    return Milliseconds{capped * (1.0 - jitter * random)};
}

Milliseconds retry_delay(const RetryPolicy& policy, int failed_attempts,
                         std::optional<Milliseconds> retry_after, double unit_random) noexcept {
    if (policy.honour_retry_after && retry_after) {
        return std::clamp(*retry_after, Milliseconds{0.0}, policy.max_delay);
    }
    return backoff_delay(policy, failed_attempts, unit_random);
}

}  // namespace sandbench::backends::http
