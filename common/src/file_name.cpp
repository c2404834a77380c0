// SPDX-License-Identifier: Apache-2.0
#include "sandbench/common/file_name.hpp"

#include <fmt/format.h>

namespace sandbench {
namespace {

/// NAME_MAX on Linux: the longest name a directory entry can hold.
constexpr std::size_t kMaxFileNameBytes = 255;

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20U || byte == 0x7FU;
}

}  // namespace

std::optional<std::string> invalid_file_name(std::string_view name) {
    if (name.empty()) {
        return "a file name must not be empty";
    }
    if (name == "." || name == "..") {
        return fmt::format("'{}' is not a file name", name);
    }
    if (name.find_first_of("/\\") != std::string_view::npos) {
        return fmt::format("file name '{}' must not contain a path separator", name);
    }
    for (const char c : name) {
        if (is_control(c)) {
            return "a file name must not contain NUL or other control characters";
        }
    }
    if (name.size() > kMaxFileNameBytes) {
        return fmt::format("a file name must not exceed {} bytes", kMaxFileNameBytes);
    }
    return std::nullopt;
}

PathComponents split_relative_path(std::string_view path) {
    PathComponents components;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty()) {
            continue;
        }
        if (auto problem = invalid_file_name(part)) {
            components.names.clear();
            components.problem = std::move(problem);
            return components;
        }
        components.names.emplace_back(part);
    }
    return components;
}

}  // namespace sandbench
