// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sandbench/common/error.hpp"
#include "sandbench/harness/cost.hpp"
#include "toml_document.hpp"

namespace sandbench::harness {
namespace {

/// TOML values become JSON so that backend factories see one settings type.
nlohmann::json to_json_value(const toml::node& node) {
    if (const auto* table = node.as_table()) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& [key, value] : *table) {
            object[std::string(key.str())] = to_json_value(value);
        }
        return object;
    }
    if (const auto* array = node.as_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& value : *array) {
            list.push_back(to_json_value(value));
        }
        return list;
    }
    if (const auto* text = node.as_string()) {
        return text->get();
    }
    if (const auto* integer = node.as_integer()) {
        return integer->get();
    }
    if (const auto* number = node.as_floating_point()) {
        return number->get();
    }
    if (const auto* boolean = node.as_boolean()) {
        return boolean->get();
    }
    // Dates and times have no meaning in sandbench settings; keep them readable.
    std::ostringstream text;
    node.visit([&text](const auto& value) { text << value; });
    return text.str();
}

std::vector<std::string> string_list(const toml::node& node, const std::string& context) {
    const auto* array = node.as_array();
    std::vector<std::string> values;
    if (array != nullptr) {
        for (const auto& value : *array) {
            if (const auto* text = value.as_string()) {
                values.push_back(text->get());
                continue;
            }
            throw ConfigError(fmt::format("{}: expected a list of strings", context));
        }
        return values;
    }
    // A single string is accepted where a list is expected: `backends = "local"`.
    if (const auto* text = node.as_string()) {
        return {text->get()};
    }
    throw ConfigError(fmt::format("{}: expected a list of strings", context));
}

template <typename T>
T number(const toml::node& node, const std::string& context, T min, T max) {
    std::optional<double> value;
    if (const auto* integer = node.as_integer()) {
        value = static_cast<double>(integer->get());
    } else if (const auto* real = node.as_floating_point(); real && !std::is_integral_v<T>) {
        value = real->get();
    }
    if (!value || *value < static_cast<double>(min) || *value > static_cast<double>(max)) {
        throw ConfigError(fmt::format("{}: expected a number from {} to {}", context, min, max));
    }
    return static_cast<T>(*value);
}

}  // namespace

Config parse_config(std::string_view text, const std::string& source_name) {
    const toml::table root = parse_toml(text, source_name);
    Config config;
    for (const auto& [key, node] : root) {
        const std::string context = toml_location(source_name, node.source());
        if (key == "run") {
            const auto* table = node.as_table();
            if (table == nullptr) {
                throw ConfigError(fmt::format("{}: [run] must be a table", context));
            }
            for (const auto& [run_key, value] : *table) {
                const std::string at = fmt::format(
                    "{}: run.{}", toml_location(source_name, value.source()), run_key.str());
                if (run_key == "backends") {
                    config.run.backends = string_list(value, at);
                } else if (run_key == "workloads") {
                    config.run.workloads = string_list(value, at);
                } else if (run_key == "scenarios") {
                    config.run.scenarios = string_list(value, at);
                } else if (run_key == "iterations") {
                    config.run.iterations = number<int>(value, at, 1, 1'000'000);
                } else if (run_key == "warmup") {
                    config.run.warmup = number<int>(value, at, 0, 1'000'000);
                } else if (run_key == "seed") {
                    config.run.seed = number<std::uint64_t>(value, at, 0, UINT32_MAX);
                } else if (run_key == "cell_timeout_s") {
                    config.run.cell_timeout_s = number<double>(value, at, 0.001, 86'400);
                } else if (run_key == "interleave") {
                    if (!value.is_boolean()) {
                        throw ConfigError(fmt::format("{}: expected true or false", at));
                    }
                    config.run.interleave = value.as_boolean()->get();
                } else {
                    throw ConfigError(fmt::format(
                        "{}: unknown key (known: backends, workloads, scenarios, iterations, "
                        "warmup, seed, interleave, cell_timeout_s)",
                        at));
                }
            }
        } else if (key == "backends") {
            const auto* table = node.as_table();
            if (table == nullptr) {
                throw ConfigError(fmt::format("{}: [backends] must be a table", context));
            }
            for (const auto& [name, settings] : *table) {
                const auto at = toml_location(source_name, settings.source());
                const auto* backend = settings.as_table();
                if (backend == nullptr) {
                    throw ConfigError(
                        fmt::format("{}: [backends.{}] must be a table", at, name.str()));
                }
                nlohmann::json json = to_json_value(*backend);
                if (!json.contains("type") || !json["type"].is_string()) {
                    throw ConfigError(fmt::format(
                        "{}: [backends.{}] needs type = \"local\" (or another backend type)", at,
                        name.str()));
                }
                std::string type = json["type"].get<std::string>();
                json.erase("type");
                config.backends.push_back({std::string(name.str()), std::move(type), json});
            }
        } else if (key == "pricing") {
            const auto* table = node.as_table();
            if (table == nullptr) {
                throw ConfigError(fmt::format("{}: [pricing] must be a table", context));
            }
            for (const auto& [name, settings] : *table) {
                const auto at = toml_location(source_name, settings.source());
                if (!settings.is_table()) {
                    throw ConfigError(
                        fmt::format("{}: [pricing.{}] must be a table", at, name.str()));
                }
                nlohmann::json json = to_json_value(settings);
                validate_pricing_entry(json, fmt::format("{}: pricing.{}", at, name.str()));
                config.pricing[std::string(name.str())] = std::move(json);
            }
        } else {
            throw ConfigError(fmt::format("{}: unknown table '{}' (known: run, backends, pricing)",
                                          context, key.str()));
        }
    }
    return config;
}

Config load_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw ConfigError(fmt::format("cannot read config file {}", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), file.string());
}

std::filesystem::path default_workloads_directory() {
    if (const char* directory = std::getenv("SANDBENCH_WORKLOADS")) {
        return directory;
    }
    // An installed sandbench: <prefix>/bin/sandbench and <prefix>/share/sandbench/workloads.
    std::error_code error;
    const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        auto installed =
            executable.parent_path().parent_path() / "share" / "sandbench" / "workloads";
        if (std::filesystem::is_directory(installed, error)) {
            return installed;
        }
    }
    return std::filesystem::path(SANDBENCH_SOURCE_DIR) / "workloads";
}

std::vector<backends::BackendSpec> known_backends(const Config& config,
                                                  const BackendCatalog& catalog) {
    std::vector<backends::BackendSpec> known = config.backends;
    auto add = [&](backends::BackendSpec spec) {
        const bool present = std::any_of(known.begin(), known.end(),
                                         [&](const auto& k) { return k.name == spec.name; });
        if (!present) {
            known.push_back(std::move(spec));
        }
    };
    for (const auto& spec : catalog.builtin_instances) {
        add(spec);
    }
    for (const auto& type : catalog.registry.types()) {
        add({type.type, type.type, nlohmann::json::object()});
    }
    return known;
}

std::vector<backends::BackendSpec> resolve_backends(const std::vector<std::string>& names,
                                                    const Config& config,
                                                    const BackendCatalog& catalog) {
    const auto known = known_backends(config, catalog);
    std::vector<backends::BackendSpec> specs;
    for (const auto& name : names) {
        const auto it = std::find_if(known.begin(), known.end(),
                                     [&](const auto& spec) { return spec.name == name; });
        if (it == known.end()) {
            std::vector<std::string> names_known;
            names_known.reserve(known.size());
            for (const auto& spec : known) {
                names_known.push_back(spec.name);
            }
            throw UsageError(fmt::format("unknown backend '{}' (known: {})", name,
                                         fmt::join(names_known, ", ")));
        }
        const bool repeated = std::any_of(specs.begin(), specs.end(),
                                          [&](const auto& spec) { return spec.name == name; });
        if (repeated) {
            throw UsageError(fmt::format("backend '{}' is listed twice", name));
        }
        specs.push_back(*it);
    }
    return specs;
}

}  // namespace sandbench::harness
