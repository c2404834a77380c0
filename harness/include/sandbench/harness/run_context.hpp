// SPDX-License-Identifier: Apache-2.0
//
// The context block of a run: where and how the numbers were measured (host, CPUs, OS,
// compiler, git revision, the plan, every backend's configuration without secrets). Results
// without it cannot be compared honestly, so every summary carries it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"

namespace sandbench::harness {

struct RunContext {
    std::string run_id;
    std::string started_at;  ///< ISO 8601 UTC
    std::string host;
    unsigned cpus = 0;
    std::string cpu_model;  ///< /proc/cpuinfo "model name"; "" when unknown
    double cpu_mhz = 0;     ///< /proc/cpuinfo "cpu MHz" of the first CPU; 0 when unknown
    std::string os;         ///< uname: sysname release machine
    std::string compiler;
    std::string build_type;
    std::string sandbench_version;
    std::string git_revision;  ///< "abc1234", "abc1234-dirty", or "unknown"
    /// The machine's load average (1, 5, 15 min) when the run started; empty when unknown. A
    /// busy machine slows every phase, so comparisons show it beside the numbers.
    std::vector<double> load_average;
    std::vector<backends::BackendInfo> backends;
    nlohmann::json plan = nlohmann::json::object();
};

/// What /proc/cpuinfo says of the first CPU.
struct CpuInfo {
    std::string model;
    double mhz = 0;
};

/// Reads the first "model name" and "cpu MHz" of a /proc/cpuinfo text; missing fields stay empty.
[[nodiscard]] CpuInfo parse_cpuinfo(std::string_view cpuinfo);

/// A run id that sorts by time and is unique per process: 20261123T101500Z-1a2b.
[[nodiscard]] std::string make_run_id();

/// Fills in everything about this machine and build; backends and plan are the caller's.
[[nodiscard]] RunContext capture_run_context(std::string run_id);

[[nodiscard]] nlohmann::json to_json(const RunContext& context);
[[nodiscard]] nlohmann::json to_json(const backends::BackendInfo& info);

}  // namespace sandbench::harness
