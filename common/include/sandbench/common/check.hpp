// SPDX-License-Identifier: Apache-2.0
//
// SANDBENCH_CHECK(cond, message): tier-1 errors. A broken invariant is a bug in sandbench; it
// prints file, line and message to stderr and aborts, in release builds too (as google/benchmark's
// BM_CHECK does), because continuing would produce numbers nobody should trust.
#pragma once

#include <string_view>

namespace sandbench::detail {
[[noreturn]] void check_failed(std::string_view condition, std::string_view message,
                               const char* file, int line) noexcept;
}  // namespace sandbench::detail

// A macro, not a function: it quotes the condition's text and its call site.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define SANDBENCH_CHECK(condition, message)                                               \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            ::sandbench::detail::check_failed(#condition, (message), __FILE__, __LINE__); \
        }                                                                                 \
    } while (false)
