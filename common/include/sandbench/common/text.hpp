// SPDX-License-Identifier: Apache-2.0
//
// Small text helpers shared by the parsers (workload notebooks, /proc/cpuinfo).
#pragma once

#include <cctype>
#include <string_view>

namespace sandbench {

/// `text` without leading and trailing white space (std::isspace in the C locale).
[[nodiscard]] inline std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    return text;
}

}  // namespace sandbench
