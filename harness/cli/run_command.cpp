// SPDX-License-Identifier: Apache-2.0
// `sandbench run`: plan from flags and config, run, write samples and summary, print the report.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "emulated_backends.hpp"
#include "sandbench/backends/registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/harness/console_report.hpp"
#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/runner.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::cli {
namespace {

namespace fs = std::filesystem;
using backends::Milliseconds;

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
    fs::path directory = requested.empty() ? fs::path("results") / run_id : fs::path(requested);
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
                         : config.run.backends
                             ? *config.run.backends
                             : std::vector<std::string>{"local", "local-bwrap", "aca", "e2b"};
    auto specs = harness::resolve_backends(backend_names, config, builtin_catalog());

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

    // Declared before the backends, so that they outlive every session: destruction runs in
    // reverse order.
    const auto emulators = start_emulators_for(specs);
    std::vector<std::unique_ptr<backends::Backend>> instances;
    instances.reserve(specs.size());
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
    write_run_reports(config, summary, result.samples, directory);
    fmt::print("\nSamples and summary: {} ({} samples, {:.1f} s)\n", directory.string(),
               result.samples.size(), result.duration_s);
    return result.interrupted ? kExitInterrupted : 0;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
    auto options = std::make_shared<RunOptions>();
    auto* command = app.add_subcommand("run", "Run workloads on backends and report the timings");
    command
        ->add_option(
            "-b,--backend", options->backends,
            "Backends to compare (default: local,local-bwrap,aca,e2b; aca and e2b run against "
            "their emulators unless configured for the real service)")
        ->delimiter(',');
    command
        ->add_option("-w,--workload", options->workloads,
                     "Workload names or notebook paths (default: every shipped workload)")
        ->delimiter(',');
    command->add_option("-s,--scenario", options->scenarios, "cold, reused (default: both)")
        ->delimiter(',');
    command
        ->add_option("-n,--iterations", options->iterations,
                     "Measured iterations per backend, workload and scenario (default 10)")
        ->check(CLI::Range(1, 1'000'000));
    command->add_option("--warmup", options->warmup, "Discarded iterations first (default 1)")
        ->check(CLI::Range(0, 1'000'000));
    command->add_option("--seed", options->seed, "Seed of the interleaving order (default 1)");
    command
        ->add_option("--cell-timeout", options->cell_timeout_s,
                     "Seconds one cell may run unless the workload says otherwise (default 60)")
        ->check(CLI::PositiveNumber);
    command->add_flag("--no-interleave", options->no_interleave,
                      "Run each unit's iterations back to back instead of interleaved");
    command->add_flag("--no-fresh-check", options->no_fresh_check,
                      "Skip the check that each cold session is really new");
    command->add_option(
        "-o,--out", options->out,
        "Run directory for samples.jsonl and summary.json (default results/<run-id>)");

    command->callback([&global, &action, options] {
        action = [&global, options] { return command_run(global, *options); };
    });
}

}  // namespace sandbench::cli
