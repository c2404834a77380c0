// SPDX-License-Identifier: Apache-2.0
#include "toml_document.hpp"

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::harness {

std::string toml_location(const std::string& source_name, const toml::source_region& region) {
    return fmt::format("{}:{}:{}", source_name, region.begin.line, region.begin.column);
}

toml::table parse_toml(std::string_view text, const std::string& source_name) {
    try {
        return toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        throw ConfigError(
            fmt::format("{}: {}", toml_location(source_name, error.source()), error.description()));
    }
}

}  // namespace sandbench::harness
