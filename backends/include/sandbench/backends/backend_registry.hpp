// SPDX-License-Identifier: Apache-2.0
//
// The backend registry: maps an implementation type ("local", "aca", "e2b", "fake") to a factory.
// A BackendSpec is one configured instance the user names: several instances of one type can run
// side by side ("local" and "local-bwrap"). The registry itself knows no backend: the built-ins
// are wired in registry.hpp (library sandbench::backends), which only the CLI links, so that the
// harness and its tests link the backends they use and no more.
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
    /// Adds a type. A duplicate is a bug in sandbench: SANDBENCH_CHECK aborts.
    void add(BackendType type);
    /// Creates a backend. Throws UsageError for an unknown type (naming the known ones).
    [[nodiscard]] std::unique_ptr<Backend> create(const BackendSpec& spec) const;
    [[nodiscard]] const std::vector<BackendType>& types() const noexcept { return types_; }

private:
    std::vector<BackendType> types_{};
};

}  // namespace sandbench::backends
