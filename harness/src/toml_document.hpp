// SPDX-License-Identifier: Apache-2.0
//
// TOML parse-and-wrap shared by the config file and the thresholds file: a syntax error becomes
// a ConfigError that names file, line and column, as every later complaint about the file does.
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace sandbench::harness {

/// "file:line:column" of where `region` begins.
[[nodiscard]] std::string toml_location(const std::string& source_name,
                                        const toml::source_region& region);

/// Parses `text`; throws ConfigError("file:line:column: what") when it is not TOML.
[[nodiscard]] toml::table parse_toml(std::string_view text, const std::string& source_name);

}  // namespace sandbench::harness
