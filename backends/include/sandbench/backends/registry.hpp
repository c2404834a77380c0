// SPDX-License-Identifier: Apache-2.0
//
// The backends sandbench ships, listed explicitly (no self-registering statics: a static library
// silently drops them). Library sandbench::backends, linked by the CLI only.
#pragma once

#include <vector>

#include "sandbench/backends/backend_registry.hpp"

namespace sandbench::backends {

/// The registry of every backend type sandbench ships.
[[nodiscard]] const BackendRegistry& builtin_registry();

/// The backend instances available without a config file, in the default comparison's order.
[[nodiscard]] std::vector<BackendSpec> builtin_backend_specs();

}  // namespace sandbench::backends
