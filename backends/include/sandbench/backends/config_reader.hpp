// SPDX-License-Identifier: Apache-2.0
//
// ConfigReader: typed, validated access to one backend's JSON settings, so that every factory
// reports a bad setting the same way: one line naming the backend, the key and what it expects.
// Unknown keys are errors too (a typo must not silently fall back to a default).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sandbench::backends {

class ConfigReader {
public:
    /// `owner` names the backend in messages, e.g. "backend 'local-bwrap'".
    ConfigReader(std::string owner, const nlohmann::json& config);

    [[nodiscard]] std::string get_string(const std::string& key, std::string fallback);
    [[nodiscard]] std::optional<std::string> get_optional_string(const std::string& key);
    [[nodiscard]] bool get_bool(const std::string& key, bool fallback);
    [[nodiscard]] std::int64_t get_int(const std::string& key, std::int64_t fallback,
                                       std::int64_t min, std::int64_t max);
    [[nodiscard]] double get_double(const std::string& key, double fallback, double min,
                                    double max);
    /// A string that must be one of `allowed`.
    [[nodiscard]] std::string get_choice(const std::string& key, std::string fallback,
                                         const std::vector<std::string>& allowed);
    /// Throws ConfigError for a key that no getter asked about. Call after the last getter.
    void reject_unknown_keys() const;

private:
    [[nodiscard]] const nlohmann::json* find(const std::string& key);
    [[noreturn]] void fail(const std::string& key, const std::string& expectation) const;

    std::string owner_;
    const nlohmann::json& config_;
    std::set<std::string> known_;
};

}  // namespace sandbench::backends
