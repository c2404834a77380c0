// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include "sandbench/backends/registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/common/version.hpp"
#include "sandbench/harness/config.hpp"
#include "sandbench/harness/console_report.hpp"
#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/runner.hpp"
#include "sandbench/harness/summary.hpp"
#include "sandbench/harness/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

namespace sandbench::cli {
namespace {

namespace fs = std::filesystem;
using backends::Milliseconds;

constexpr int kExitInterrupted = 130;

// Set by SIGINT/SIGTERM; the runner polls it between phases. A second signal kills at once.
std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int signal_number) {
    if (g_stop_requested.exchange(true)) {
        std::signal(signal_number, SIG_DFL);
        std::raise(signal_number);
    }
}

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

struct GlobalOptions {
    std::string config_path;
    std::string workloads_dir;
    int verbosity = 0;
    bool quiet = false;
};

struct RunOptions {
    std::vector<std::string> backends;
    std::vector<std::string> workloads;
    std::vector<std::string> scenarios;
    std::optional<int> iterations;
    std::optional<int> warmup;
    std::optional<std::uint64_t> seed;
    std::optional<double> cell_timeout_s;
    bool no_interleave = false;
    bool no_fresh_check = false;
    std::string out;
};

struct ExecOptions {
    std::string backend = "local";
    std::string code;
    std::string file;
    std::vector<std::string> uploads;
    std::vector<std::string> downloads;
    double timeout_s = 60.0;
    bool json = false;
    bool timings = false;
};

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

std::vector<harness::Scenario> parse_scenarios(const std::vector<std::string>& names) {
    std::vector<harness::Scenario> scenarios;
    for (const auto& name : names) {
        const auto scenario = harness::scenario_from_string(name);
        if (!scenario) {
            throw UsageError(fmt::format("unknown scenario '{}' (known: cold, reused)", name));
        }
        scenarios.push_back(*scenario);
    }
    return scenarios;
}

/// Creates the run directory; refuses one that already holds a run.
fs::path prepare_output(const std::string& requested, const std::string& run_id) {
    const fs::path directory =
        requested.empty() ? fs::path("results") / run_id : fs::path(requested);
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
        throw IoError(fmt::format("cannot create output directory {}: {}", directory.string(),
                                  error.message()));
    }
    if (fs::exists(directory / "samples.jsonl")) {
        throw IoError(
            fmt::format("{} already holds a run; choose another --out", directory.string()));
    }
    return directory;
}

int command_run(const GlobalOptions& global, const RunOptions& options) {
    const auto config = load_config_if_any(global);
    const auto catalog = catalog_for(global);

    auto backend_names = !options.backends.empty() ? options.backends
                         : config.run.backends     ? *config.run.backends
                                               : std::vector<std::string>{"local", "local-bwrap"};
    const auto specs = harness::resolve_backends(backend_names, config);

    harness::RunPlan plan;
    const auto workload_names = !options.workloads.empty() ? options.workloads
                                : config.run.workloads     ? *config.run.workloads
                                                           : catalog.names();
    for (const auto& name : workload_names) {
        plan.workloads.push_back(catalog.load(name));
    }
    plan.data_directory = catalog.data_directory();
    if (!options.scenarios.empty()) {
        plan.scenarios = parse_scenarios(options.scenarios);
    } else if (config.run.scenarios) {
        plan.scenarios = parse_scenarios(*config.run.scenarios);
    }
    plan.iterations = options.iterations.value_or(config.run.iterations.value_or(10));
    plan.warmup = options.warmup.value_or(config.run.warmup.value_or(1));
    plan.seed = options.seed.value_or(config.run.seed.value_or(1));
    plan.interleave = !options.no_interleave && config.run.interleave.value_or(true);
    plan.verify_fresh = !options.no_fresh_check;
    if (const auto timeout =
            options.cell_timeout_s ? options.cell_timeout_s : config.run.cell_timeout_s) {
        plan.cell_timeout = Milliseconds{*timeout * 1000.0};
    }

    std::vector<std::unique_ptr<backends::Backend>> instances;
    for (const auto& spec : specs) {
        instances.push_back(backends::builtin_registry().create(spec));
    }

    const auto run_id = harness::make_run_id();
    const auto directory = prepare_output(options.out, run_id);
    auto context = harness::capture_run_context(run_id);
    for (const auto& backend : instances) {
        context.backends.push_back(backend->info());
    }
    context.plan = harness::to_json(plan);

    harness::SampleWriter writer(directory / "samples.jsonl");
    harness::ConsoleProgress progress(stderr, global.quiet);
    install_stop_handlers();
    harness::Runner runner(plan, instances, writer, progress, g_stop_requested);
    const auto result = runner.run(context);
    progress.finish();

    harness::Summary summary;
    summary.context = context;
    summary.rows = harness::summarize(result.samples);
    summary.skipped = result.skipped;
    summary.interrupted = result.interrupted;
    summary.duration_s = result.duration_s;
    harness::sort_rows(summary);
    harness::write_summary(summary, directory / "summary.json");

    fmt::print("{}", harness::render_console_report(summary));
    fmt::print("\nSamples and summary: {} ({} samples, {:.1f} s)\n", directory.string(),
               result.samples.size(), result.duration_s);
    return result.interrupted ? kExitInterrupted : 0;
}

int command_list(const GlobalOptions& global, const std::string& what) {
    if (what == "backends") {
        const auto config = load_config_if_any(global);
        fmt::print("{:<16} {:<8} {}\n", "name", "type", "description / settings");
        for (const auto& spec : harness::known_backends(config)) {
            std::string description;
            for (const auto& type : backends::builtin_registry().types()) {
                if (type.type == spec.type) {
                    description = type.description;
                }
            }
            const auto settings = spec.config.empty() ? std::string() : " " + spec.config.dump();
            fmt::print("{:<16} {:<8} {}{}\n", spec.name, spec.type, description, settings);
        }
        return 0;
    }
    const auto catalog = catalog_for(global);
    fmt::print("{:<20} {:<22} {}\n", "name", "tags", "description");
    for (const auto& name : catalog.names()) {
        const auto workload = catalog.load(name);
        fmt::print("{:<20} {:<22} {}\n", workload.name,
                   fmt::format("{}", fmt::join(workload.tags, ",")), workload.description);
    }
    return 0;
}

std::string read_all(std::istream& in) {
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int command_exec(const GlobalOptions& global, const ExecOptions& options) {
    std::string code = options.code;
    if (!options.file.empty()) {
        std::ifstream in(options.file);
        if (!in) {
            throw UsageError(fmt::format("cannot read code file {}", options.file));
        }
        code = read_all(in);
    } else if (code.empty()) {
        code = read_all(std::cin);
    }
    const auto config = load_config_if_any(global);
    const auto specs = harness::resolve_backends({options.backend}, config);
    const auto backend = backends::builtin_registry().create(specs.front());

    using Clock = std::chrono::steady_clock;
    auto started = Clock::now();
    auto start = backend->create_session();
    const Milliseconds create_wall = Clock::now() - started;
    if (!start.ok() || !start.session) {
        fmt::print(stderr, "sandbench: error: could not create a session on '{}': {}\n",
                   options.backend, start.message);
        return 1;
    }
    auto& session = *start.session;
    for (const auto& path : options.uploads) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            throw UsageError(fmt::format("cannot read upload file {}", path));
        }
        const auto uploaded = session.upload(fs::path(path).filename().string(), read_all(in));
        if (!uploaded.ok()) {
            fmt::print(stderr, "sandbench: error: upload of {} failed: {}\n", path,
                       uploaded.message);
            return 1;
        }
    }
    started = Clock::now();
    const auto execution = session.execute(code, Milliseconds{options.timeout_s * 1000.0});
    const Milliseconds execute_wall = Clock::now() - started;
    int exit_code = execution.ok() ? 0 : 1;
    for (const auto& name : options.downloads) {
        const auto download = session.download(name);
        if (!download.ok()) {
            fmt::print(stderr, "sandbench: error: download of {} failed: {}\n", name,
                       download.message);
            exit_code = 1;
            continue;
        }
        std::ofstream(fs::path(name).filename(), std::ios::binary) << download.bytes;
    }
    started = Clock::now();
    const auto closed = session.close();
    const Milliseconds close_wall = Clock::now() - started;

    if (options.json) {
        nlohmann::json images = nlohmann::json::array();
        for (const auto& image : execution.images) {
            images.push_back({{"format", image.format}, {"base64", image.base64}});
        }
        nlohmann::json json{{"status", backends::to_string(execution.status)},
                            {"stdout", execution.stdout_text},
                            {"stderr", execution.stderr_text},
                            {"result", execution.result},
                            {"images", images},
                            {"error_name", execution.error_name},
                            {"error_value", execution.error_value},
                            {"traceback", execution.traceback},
                            {"message", execution.message},
                            {"timings_ms",
                             {{"create", create_wall.count()},
                              {"execute", execute_wall.count()},
                              {"close", close_wall.count()}}}};
        if (execution.backend_time) {
            json["timings_ms"]["backend"] = execution.backend_time->count();
        }
        fmt::print("{}\n", json.dump(2));
        return exit_code;
    }
    fmt::print("{}", execution.stdout_text);
    fmt::print(stderr, "{}", execution.stderr_text);
    if (!execution.result.is_null()) {
        fmt::print("Out: {}\n", execution.result.dump());
    }
    for (const auto& image : execution.images) {
        fmt::print("[image/{}: {} bytes of base64; use --json to get it]\n", image.format,
                   image.base64.size());
    }
    if (execution.status == backends::Status::kUserError) {
        fmt::print(stderr, "{}\n",
                   execution.traceback.empty() ? execution.error_name + ": " + execution.error_value
                                               : execution.traceback);
    } else if (!execution.ok()) {
        fmt::print(stderr, "sandbench: {}: {}\n", backends::to_string(execution.status),
                   execution.message);
    }
    if (options.timings) {
        fmt::print(stderr, "timings: create {} ms, execute {} ms{}, close {} ms\n",
                   harness::format_ms(create_wall.count()),
                   harness::format_ms(execute_wall.count()),
                   execution.backend_time
                       ? fmt::format(" (in sandbox {} ms)",
                                     harness::format_ms(execution.backend_time->count()))
                       : "",
                   harness::format_ms(close_wall.count()));
    }
    if (!closed.ok()) {
        fmt::print(stderr, "sandbench: warning: close failed: {}\n", closed.message);
    }
    return exit_code;
}

void configure_logging(const GlobalOptions& global) {
    auto logger = spdlog::stderr_color_mt("sandbench");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%^%l%$: %v");
    spdlog::set_level(global.verbosity >= 2   ? spdlog::level::debug
                      : global.verbosity == 1 ? spdlog::level::info
                                              : spdlog::level::warn);
}

}  // namespace

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

    RunOptions run_options;
    auto* run = app.add_subcommand("run", "Run workloads on backends and report the timings");
    run->add_option("-b,--backend", run_options.backends,
                    "Backends to compare (default: local,local-bwrap)")
        ->delimiter(',');
    run->add_option("-w,--workload", run_options.workloads,
                    "Workload names or notebook paths (default: every shipped workload)")
        ->delimiter(',');
    run->add_option("-s,--scenario", run_options.scenarios, "cold, reused (default: both)")
        ->delimiter(',');
    run->add_option("-n,--iterations", run_options.iterations,
                    "Measured iterations per backend, workload and scenario (default 10)")
        ->check(CLI::Range(1, 1'000'000));
    run->add_option("--warmup", run_options.warmup, "Discarded iterations first (default 1)")
        ->check(CLI::Range(0, 1'000'000));
    run->add_option("--seed", run_options.seed, "Seed of the interleaving order (default 1)");
    run->add_option("--cell-timeout", run_options.cell_timeout_s,
                    "Seconds one cell may run unless the workload says otherwise (default 60)")
        ->check(CLI::PositiveNumber);
    run->add_flag("--no-interleave", run_options.no_interleave,
                  "Run each unit's iterations back to back instead of interleaved");
    run->add_flag("--no-fresh-check", run_options.no_fresh_check,
                  "Skip the check that each cold session is really new");
    run->add_option("-o,--out", run_options.out,
                    "Run directory for samples.jsonl and summary.json (default results/<run-id>)");

    std::string list_what;
    auto* list = app.add_subcommand("list", "List backends or workloads");
    list->add_option("what", list_what, "backends | workloads")
        ->required()
        ->check(CLI::IsMember({"backends", "workloads"}));

    ExecOptions exec_options;
    auto* exec = app.add_subcommand(
        "exec", "Run code in one new session of a backend and print stdout, stderr and result");
    exec->add_option("-b,--backend", exec_options.backend, "Backend (default local)");
    exec->add_option("-c,--code", exec_options.code, "Code to run (default: read stdin)");
    exec->add_option("-f,--file", exec_options.file, "File with the code to run")
        ->check(CLI::ExistingFile);
    exec->add_option("--upload", exec_options.uploads, "Upload a file first (repeatable)")
        ->check(CLI::ExistingFile);
    exec->add_option("--download", exec_options.downloads,
                     "Download a file from the session afterwards into the current directory");
    exec->add_option("--timeout", exec_options.timeout_s, "Seconds the code may run (default 60)")
        ->check(CLI::PositiveNumber);
    exec->add_flag("--json", exec_options.json, "Print the whole execution as JSON");
    exec->add_flag("--time", exec_options.timings, "Print phase timings to stderr");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return app.exit(CLI::CallForHelp());
    } catch (const CLI::CallForAllHelp&) {
        return app.exit(CLI::CallForAllHelp());
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        fmt::print(stderr, "sandbench: error: {} (see sandbench --help)\n", error.what());
        return 2;
    }

    try {
        configure_logging(global);
        if (run->parsed()) {
            return command_run(global, run_options);
        }
        if (list->parsed()) {
            return command_list(global, list_what);
        }
        return command_exec(global, exec_options);
    } catch (const Error& error) {
        fmt::print(stderr, "sandbench: error: {}\n", redact(error.what()));
        return error.exit_code();
    } catch (const std::exception& error) {
        fmt::print(stderr, "sandbench: internal error: {}\n", redact(error.what()));
        return 1;
    }
}

}  // namespace sandbench::cli
