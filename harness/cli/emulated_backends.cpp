// SPDX-License-Identifier: Apache-2.0
#include "emulated_backends.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "aca/aca_backend.hpp"
#include "aca_emulator.hpp"
#include "e2b_emulator.hpp"
#include "sandbench/common/error.hpp"

namespace sandbench::cli {
namespace {

// Set once this process exported E2B_API_KEY for an emulator of its own.
bool g_exported_e2b_key = false;

bool has_env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
}

/// Whether the user pointed this backend at a real service.
bool configured_for_service(const backends::BackendSpec& spec) {
    if (spec.type == "aca") {
        // Every variable the backend would read its endpoint from, besides its own setting.
        return spec.config.contains("endpoint") ||
               std::any_of(backends::aca::kEndpointVariables.begin(),
                           backends::aca::kEndpointVariables.end(), [](std::string_view name) {
                               return has_env(std::string(name).c_str());
                           });
    }
    // E2B: the real service needs an API key; a self-hosted one also sets its URL. A key this
    // process exported for an emulator it started does not count.
    const char* key = std::getenv("E2B_API_KEY");
    const bool user_key = key != nullptr && *key != '\0' && !g_exported_e2b_key;
    return user_key || spec.config.contains("api_url");
}

/// The emulator's latency profile and fault rules from the backend's `emulator_latency`
/// ("allocation_ms=300,request_ms=20") and `emulator_faults` (["429@0.1:retry_after=2"]):
/// what-if runs of a slower or flakier service, in the text forms of `sandbench emulate`.
void read_what_if(const backends::BackendSpec& spec, emulators::EmulatorOptions& options) {
    // The parsers throw UsageError for a flag's text; here the text is a backend setting.
    const auto parse = [&](std::string_view key, const nlohmann::json& value, auto&& parser) {
        if (!value.is_string()) {
            throw ConfigError(fmt::format(
                "backend '{}': setting '{}' must be {}", spec.name, key,
                key == "emulator_faults" ? "a string or a list of strings" : "a string"));
        }
        try {
            return parser(value.get<std::string>());
        } catch (const UsageError& error) {
            throw ConfigError(
                fmt::format("backend '{}': setting '{}': {}", spec.name, key, error.what()));
        }
    };
    if (const auto it = spec.config.find("emulator_latency"); it != spec.config.end()) {
        options.latency = parse("emulator_latency", *it, [](const std::string& text) {
            return emulators::parse_latency_profile(text);
        });
    }
    if (const auto it = spec.config.find("emulator_faults"); it != spec.config.end()) {
        const auto rules = it->is_array() ? *it : nlohmann::json::array({*it});
        for (const auto& rule : rules) {
            options.faults.push_back(parse("emulator_faults", rule, [](const std::string& text) {
                return emulators::parse_fault_rule(text);
            }));
        }
    }
}

}  // namespace

std::vector<std::unique_ptr<emulators::Emulator>> start_emulators_for(
    std::vector<backends::BackendSpec>& specs) {
    std::vector<std::unique_ptr<emulators::Emulator>> started;
    for (auto& spec : specs) {
        if (spec.type != "aca" && spec.type != "e2b") {
            continue;
        }
        const std::string mode = spec.config.value("emulator", "auto");
        nlohmann::json kernel = spec.config.value("emulator_kernel", nlohmann::json::object());
        emulators::EmulatorOptions options;
        read_what_if(spec, options);
        for (const auto* key :
             {"emulator", "emulator_kernel", "emulator_latency", "emulator_faults"}) {
            spec.config.erase(key);
        }
        if (mode != "auto" && mode != "always" && mode != "never") {
            throw UsageError(fmt::format(
                "backend '{}': setting 'emulator' must be one of: auto, always, never (got '{}')",
                spec.name, mode));
        }
        if (mode == "never" || (mode == "auto" && configured_for_service(spec))) {
            continue;
        }
        options.kernel = std::move(kernel);
        if (!options.kernel.contains("isolation")) {
            // The services isolate every sandbox and disable egress by default; so do we.
            options.kernel["isolation"] = "bwrap";
        }
        auto emulator = spec.type == "aca" ? emulators::start_aca_emulator(options)
                                           : emulators::start_e2b_emulator(options);
        // Kept in a variable: items() of a temporary would dangle.
        const auto settings = emulator->backend_settings();
        for (const auto& [key, value] : settings.items()) {
            spec.config[key] = value;
        }
        // Credentials the emulator accepts, for backends of this process (E2B reads its key from
        // E2B_API_KEY only). Never overwrites what the user set.
        for (const auto& [name, value] : emulator->environment()) {
            if (name == "E2B_API_KEY" && !has_env("E2B_API_KEY")) {
                setenv(name.c_str(), value.c_str(), 1);
                g_exported_e2b_key = true;
            }
        }
        started.push_back(std::move(emulator));
    }
    return started;
}

}  // namespace sandbench::cli
