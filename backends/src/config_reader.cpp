// SPDX-License-Identifier: Apache-2.0
#include "sandbench/backends/config_reader.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::backends {

ConfigReader::ConfigReader(std::string owner, const nlohmann::json& config)
    : owner_(std::move(owner)), config_(config) {
    if (!config_.is_object()) {
        throw ConfigError(fmt::format("{}: settings must be a table/object", owner_));
    }
}

const nlohmann::json* ConfigReader::find(const std::string& key) {
    known_.insert(key);
    const auto it = config_.find(key);
    return it == config_.end() ? nullptr : &*it;
}

void ConfigReader::fail(const std::string& key, const std::string& expectation) const {
    const auto it = config_.find(key);
    const std::string got = it == config_.end() ? "nothing" : it->dump();
    throw ConfigError(
        fmt::format("{}: setting '{}' must be {} (got {})", owner_, key, expectation, got));
}

std::string ConfigReader::get_string(const std::string& key, std::string fallback) {
    auto value = get_optional_string(key);
    return value ? std::move(*value) : std::move(fallback);
}

std::optional<std::string> ConfigReader::get_optional_string(const std::string& key) {
    const auto* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        fail(key, "a string");
    }
    return value->get<std::string>();
}

bool ConfigReader::get_bool(const std::string& key, bool fallback) {
    const auto* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_boolean()) {
        fail(key, "true or false");
    }
    return value->get<bool>();
}

std::int64_t ConfigReader::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
    const auto* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_number_integer() || value->get<std::int64_t>() < min ||
        value->get<std::int64_t>() > max) {
        fail(key, fmt::format("an integer from {} to {}", min, max));
    }
    return value->get<std::int64_t>();
}

double ConfigReader::get_double(const std::string& key, double fallback, double min, double max) {
    const auto* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_number() || value->get<double>() < min || value->get<double>() > max) {
        fail(key, fmt::format("a number from {} to {}", min, max));
    }
    return value->get<double>();
}

std::string ConfigReader::get_choice(const std::string& key, std::string fallback,
                                     const std::vector<std::string>& allowed) {
    auto value = get_string(key, std::move(fallback));
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        fail(key, fmt::format("one of: {}", fmt::join(allowed, ", ")));
    }
    return value;
}

void ConfigReader::reject_unknown_keys() const {
    for (const auto& [key, value] : config_.items()) {
        if (!known_.contains(key)) {
            throw ConfigError(fmt::format("{}: unknown setting '{}' (known: {})", owner_, key,
                                          fmt::join(known_, ", ")));
        }
    }
}

}  // namespace sandbench::backends
