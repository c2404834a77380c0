// SPDX-License-Identifier: Apache-2.0
#include "sandbench/backends/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "aca/aca_backend.hpp"
#include "e2b/e2b_backend.hpp"
#include "fake/fake_backend.hpp"
#include "local/local_backend.hpp"
#include "sandbench/common/error.hpp"

namespace sandbench::backends {

void BackendRegistry::add(BackendType type) {
    const bool duplicate = std::any_of(types_.begin(), types_.end(),
                                       [&](const auto& known) { return known.type == type.type; });
    if (duplicate) {
        throw std::logic_error(fmt::format("backend type '{}' registered twice", type.type));
    }
    types_.push_back(std::move(type));
}

std::unique_ptr<Backend> BackendRegistry::create(const BackendSpec& spec) const {
    const auto it = std::find_if(types_.begin(), types_.end(),
                                 [&](const auto& known) { return known.type == spec.type; });
    if (it == types_.end()) {
        std::vector<std::string> names;
        for (const auto& known : types_) {
            names.push_back(known.type);
        }
        throw UsageError(fmt::format("backend '{}' has unknown type '{}' (known types: {})",
                                     spec.name, spec.type, fmt::join(names, ", ")));
    }
    return it->factory(spec);
}

const BackendRegistry& builtin_registry() {
    static const BackendRegistry kRegistry = [] {
        BackendRegistry built;
        built.add({"local", "Persistent Python kernel in a subprocess, optionally under bubblewrap",
                   local::make_local_backend});
        built.add({"fake", "Deterministic fake that runs test directives instead of Python",
                   fake::make_fake_backend});
        built.add({"aca", "Azure Container Apps dynamic sessions (Hyper-V), legacy or new API",
                   aca::make_aca_backend});
        built.add({"e2b", "E2B sandboxes (Firecracker) through E2B's API and Code Interpreter",
                   e2b::make_e2b_backend});
        return built;
    }();
    return kRegistry;
}

std::vector<BackendSpec> builtin_backend_specs() {
    return {
        {"local", "local", {{"isolation", "none"}}},
        {"local-bwrap", "local", {{"isolation", "bwrap"}}},
        // Without an endpoint or credentials, the harness points these at its emulators.
        {"aca", "aca", nlohmann::json::object()},
        {"e2b", "e2b", nlohmann::json::object()},
        {"fake", "fake", nlohmann::json::object()},
    };
}

}  // namespace sandbench::backends
