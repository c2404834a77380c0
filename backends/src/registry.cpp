// SPDX-License-Identifier: Apache-2.0
#include "sandbench/backends/registry.hpp"

#include "aca/aca_backend.hpp"
#include "e2b/e2b_backend.hpp"
#include "fake/fake_backend.hpp"
#include "local/local_backend.hpp"

namespace sandbench::backends {

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
