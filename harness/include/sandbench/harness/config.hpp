// SPDX-License-Identifier: Apache-2.0
//
// The configuration file (sandbench.toml, docs/configuration.md): named backend instances and
// defaults for `run`. Command-line flags override the file; the file overrides built-ins.
//
//   [run]
//   backends = ["local", "local-bwrap"]
//   workloads = ["hello", "numpy_fft"]
//   scenarios = ["cold", "reused"]
//   iterations = 20
//   warmup = 2
//
//   [backends.local-bwrap-small]
//   type = "local"
//   isolation = "bwrap"
//   memory_limit_mb = 512
//
//   [pricing.aca]                 # overrides results/pricing.toml field by field (cost.hpp)
//   usd_per_session_hour = 0.03
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend_registry.hpp"

namespace sandbench::harness {

struct RunDefaults {
    std::optional<std::vector<std::string>> backends{};
    std::optional<std::vector<std::string>> workloads{};
    std::optional<std::vector<std::string>> scenarios{};
    std::optional<int> iterations;
    std::optional<int> warmup;
    std::optional<std::uint64_t> seed;
    std::optional<bool> interleave;
    std::optional<double> cell_timeout_s;
};

struct Config {
    /// From the file, in name order (toml++ keeps a table's keys sorted, not in file order).
    std::vector<backends::BackendSpec> backends;
    RunDefaults run;
    /// [pricing.<type or backend name>] tables as JSON, checked but not yet applied: the cost
    /// model applies them over the built-in pricing table (apply_pricing in cost.hpp).
    nlohmann::json pricing = nlohmann::json::object();
};

/// Parses a TOML config. Throws ConfigError ("file:line:column: what") on malformed input,
/// unknown tables or keys, or values of the wrong type.
[[nodiscard]] Config load_config(const std::filesystem::path& file);
[[nodiscard]] Config parse_config(std::string_view text, const std::string& source_name);

/// The backends a run can name: the registry of types and the instances that exist without a
/// config file. The CLI passes the built-ins (sandbench/backends/registry.hpp); tests pass their
/// own, so the harness never links a concrete backend.
struct BackendCatalog {
    const backends::BackendRegistry& registry;
    std::vector<backends::BackendSpec> builtin_instances;
};

/// Resolves backend names: instances from the config first, then the catalog's instances, then
/// a bare type name with default settings. Throws UsageError naming the known backends.
[[nodiscard]] std::vector<backends::BackendSpec> resolve_backends(
    const std::vector<std::string>& names, const Config& config, const BackendCatalog& catalog);

/// Where the shipped workloads live: $SANDBENCH_WORKLOADS, else share/sandbench/workloads beside
/// the installed binary (`<prefix>/bin/../share/...`), else the source tree's workloads/.
[[nodiscard]] std::filesystem::path default_workloads_directory();

/// Every backend name `resolve_backends` accepts, for listings and messages.
[[nodiscard]] std::vector<backends::BackendSpec> known_backends(const Config& config,
                                                                const BackendCatalog& catalog);

}  // namespace sandbench::harness
