// SPDX-License-Identifier: Apache-2.0
//
// The backend registry: maps an implementation type ("local", "fake", later "aca", "e2b") to a
// factory. Built-ins are listed explicitly in builtin_registry() (no self-registering statics:
// a static library silently drops them). A BackendSpec is one configured instance the user
// names: several instances of one type can run side by side ("local" and "local-bwrap").
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"

namespace sandbench::backends {

/// One configured backend instance.
struct BackendSpec {
    std::string name;  ///< label shown in reports, unique within a run
    std::string type;  ///< registry key
    nlohmann::json config = nlohmann::json::object();  ///< type-specific settings
};

/// Builds a backend from its spec. Throws ConfigError (bad settings) or BackendUnavailable.
using BackendFactory = std::function<std::unique_ptr<Backend>(const BackendSpec&)>;

struct BackendType {
    std::string type;
    std::string description;
    BackendFactory factory;
};

class BackendRegistry {
public:
    /// Adds a type. Throws std::logic_error on a duplicate (a programming error).
    void add(BackendType type);
    /// Creates a backend. Throws UsageError for an unknown type (naming the known ones).
    [[nodiscard]] std::unique_ptr<Backend> create(const BackendSpec& spec) const;
    [[nodiscard]] const std::vector<BackendType>& types() const noexcept { return types_; }

private:
    std::vector<BackendType> types_{};
};

/// The registry of every backend type sandbench ships.
[[nodiscard]] const BackendRegistry& builtin_registry();

/// The backend instances available without a config file, in the default comparison's order.
[[nodiscard]] std::vector<BackendSpec> builtin_backend_specs();

}  // namespace sandbench::backends
