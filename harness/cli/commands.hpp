// SPDX-License-Identifier: Apache-2.0
//
// The sandbench command line. run_cli() builds the CLI11 app from one add_*_command function per
// subcommand (one file each), parses, and runs the chosen command inside the one place where
// set-up errors (sandbench::Error) are caught and turned into one line and an exit code:
// 0 success, 1 runtime failure, 2 usage error, 130 interrupted (commands may add their own,
// documented in their help).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sandbench/harness/config.hpp"
#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/summary.hpp"
#include "sandbench/harness/workload.hpp"

namespace sandbench::cli {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

/// Options that apply to every command.
struct GlobalOptions {
    std::string config_path;
    std::string workloads_dir;
    int verbosity = 0;
    bool quiet = false;
};

/// What the chosen subcommand does once parsing succeeded; returns the exit code.
using CommandAction = std::function<int()>;

/// Each adds one subcommand to `app`; when the user picks it, `action` is set to run it.
/// `global` is filled by the parse and read when the action runs.
void add_run_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_list_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_exec_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_report_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_compare_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_emulate_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);

/// The reports `run` writes into its run directory when it ends (report.md, samples.csv,
/// summary.csv, report.html, gbench.json, and summary.json again with its cost block), after
/// printing the cost table. Never throws: a report that cannot be written is a warning.
void write_run_reports(const harness::Config& config, const harness::Summary& summary,
                       const std::vector<harness::Sample>& samples,
                       const std::filesystem::path& directory);

/// The backends sandbench ships (sandbench/backends/registry.hpp), as the harness sees them.
[[nodiscard]] harness::BackendCatalog builtin_catalog();

/// The --config file, or an empty config when none was given.
[[nodiscard]] harness::Config load_config_if_any(const GlobalOptions& global);
/// The workload directory from --workloads-dir or the default. Throws UsageError if missing.
[[nodiscard]] harness::WorkloadCatalog catalog_for(const GlobalOptions& global);

[[nodiscard]] int run_cli(int argc, char** argv);

}  // namespace sandbench::cli
