// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <cstdlib>

#include "sandbench/common/check.hpp"

namespace sandbench::detail {

void check_failed(std::string_view condition, std::string_view message, const char* file,
                  int line) noexcept {
    std::fprintf(stderr, "sandbench: internal error at %s:%d: check `%.*s` failed: %.*s\n", file,
                 line, static_cast<int>(condition.size()), condition.data(),
                 static_cast<int>(message.size()), message.data());
    std::abort();
}

}  // namespace sandbench::detail
