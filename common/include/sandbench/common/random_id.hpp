// SPDX-License-Identifier: Apache-2.0
//
// Random identifiers: run ids, session identifiers, sandbox ids and access tokens. One generator
// per thread, seeded from std::random_device, so that concurrent callers never share state and
// no caller seeds its own. Not for secrets that must resist an attacker: tokens made here guard
// emulators on loopback, and the services' real tokens come from the services.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sandbench {

/// 64 random bits from this thread's generator.
[[nodiscard]] std::uint64_t random_u64();

/// A random RFC 4122 version-4 UUID in its canonical form: 8-4-4-4-12 lower-case hex digits.
[[nodiscard]] std::string random_uuid();

/// `length` random lower-case hex digits.
[[nodiscard]] std::string random_hex(std::size_t length);

/// `length` characters drawn uniformly from `alphabet` (which must not be empty).
[[nodiscard]] std::string random_string(std::size_t length, std::string_view alphabet);

}  // namespace sandbench
