// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "sandbench/backends/registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/common/version.hpp"

namespace sandbench::cli {
namespace {

namespace fs = std::filesystem;

void configure_logging(const GlobalOptions& global) {
    auto logger = spdlog::stderr_color_mt("sandbench");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%^%l%$: %v");
    spdlog::set_level(global.verbosity >= 2   ? spdlog::level::debug
                      : global.verbosity == 1 ? spdlog::level::info
                                              : spdlog::level::warn);
}

}  // namespace

harness::BackendCatalog builtin_catalog() {
    return {backends::builtin_registry(), backends::builtin_backend_specs()};
}

harness::Config load_config_if_any(const GlobalOptions& global) {
    return global.config_path.empty() ? harness::Config{}
                                      : harness::load_config(global.config_path);
}

harness::WorkloadCatalog catalog_for(const GlobalOptions& global) {
    const fs::path directory = global.workloads_dir.empty() ? harness::default_workloads_directory()
                                                            : fs::path(global.workloads_dir);
    if (!fs::is_directory(directory)) {
        throw UsageError(fmt::format("workloads directory {} does not exist (set --workloads-dir)",
                                     directory.string()));
    }
    return harness::WorkloadCatalog(directory);
}

int run_cli(int argc, char** argv) {
    CLI::App app{
        "sandbench: compare code-execution sandboxes for AI agents, cold and reused, by "
        "latency, reliability and cost.",
        "sandbench"};
    app.set_version_flag("--version", std::string(kVersion));
    app.require_subcommand(1);
    app.fallthrough();

    GlobalOptions global;
    app.add_option("--config", global.config_path, "TOML config file (backends, run defaults)")
        ->check(CLI::ExistingFile);
    app.add_option("--workloads-dir", global.workloads_dir,
                   "Directory of workload notebooks (default: $SANDBENCH_WORKLOADS or the "
                   "source tree's workloads/)");
    app.add_flag("-v,--verbose", global.verbosity, "More log output (-vv for debug)");
    app.add_flag("-q,--quiet", global.quiet, "No progress output");

    CommandAction action;
    add_run_command(app, global, action);
    add_list_command(app, global, action);
    add_exec_command(app, global, action);
    add_emulate_command(app, global, action);
    add_report_command(app, global, action);
    add_compare_command(app, global, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) {
            return app.exit(error);  // --help, --version
        }
        fmt::print(stderr, "sandbench: error: {} (see sandbench --help)\n", error.what());
        return kExitUsage;
    }

    try {
        configure_logging(global);
        return action();
    } catch (const Error& error) {
        fmt::print(stderr, "sandbench: error: {}\n", redact(error.what()));
        return error.exit_code();
    } catch (const std::exception& error) {
        fmt::print(stderr, "sandbench: internal error: {}\n", redact(error.what()));
        return 1;
    }
}

}  // namespace sandbench::cli
