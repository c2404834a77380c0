// SPDX-License-Identifier: Apache-2.0
// `sandbench compare BASE NEW`: pair the rows of two runs, report the changes, and gate on
// thresholds (exit code 3 when any is breached).
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/harness/compare.hpp"
#include "sandbench/harness/compare_report.hpp"
#include "sandbench/harness/thresholds.hpp"

namespace sandbench::cli {
namespace {

/// k6 exits with 99 when thresholds fail; sandbench keeps its codes small and distinct from
/// 1 (runtime failure) and 2 (usage error), so a CI script can tell "slower" from "broken".
constexpr int kExitThresholdBreached = 3;

constexpr std::string_view kExitCodesHelp =
    "Exit codes:\n"
    "  0  every threshold holds, or none was given (compare only reports)\n"
    "  3  a threshold is breached (each breach is printed on stderr, naming the row and the\n"
    "     threshold)\n"
    "  2  usage error: malformed threshold or thresholds file, unreadable run directory\n"
    "  1  any other error\n"
    "\n"
    "Thresholds: [scope:] metric operator number, e.g. 'p95<800', 'median_ratio<1.5',\n"
    "'phase=first_result,backend=local: p95<800', 'min_base_ms=1: min_ratio<1.5'.\n"
    "  metrics    median mean min max p90 p95 p99 p999 (ms, of NEW); median_ratio p95_ratio\n"
    "             min_ratio hl_ratio (NEW / BASE; hl: Hodges-Lehmann, the median of all\n"
    "             ratios); min_delta (fastest NEW - fastest BASE, ms); success_rate (0..1); cv\n"
    "  operators  < <= > >= ==\n"
    "  scope      phase backend workload scenario: patterns, '*' wildcard, leading '!' negates;\n"
    "             min_base_ms max_base_ms: rows whose BASE median is at least / below, in ms;\n"
    "             significant=true: rows where the Mann-Whitney test finds a change at --alpha";

struct CompareCliOptions {
    std::string base;
    std::string current;
    std::vector<std::string> thresholds;
    std::string thresholds_file;
    double noise = 0.05;
    double alpha = 0.05;
    std::string format = "console";
    std::string out;
    std::uint64_t seed = harness::StatisticsOptions{}.seed;
    std::size_t resamples = harness::StatisticsOptions{}.bootstrap_resamples;
};

void write_report(const std::string& report, const std::string& out) {
    if (out.empty()) {
        fmt::print("{}", report);
        return;
    }
    std::ofstream file(out);
    file << report;
    file.close();
    if (!file) {
        throw IoError(fmt::format("cannot write {}", out));
    }
}

int command_compare(const CompareCliOptions& options) {
    const auto format = harness::compare_format_from_string(options.format);
    if (!format) {
        throw UsageError(fmt::format("unknown format '{}' (known: console, md)", options.format));
    }
    // Thresholds first: a malformed one should fail before any file is read.
    std::vector<harness::Threshold> thresholds;
    if (!options.thresholds_file.empty()) {
        thresholds = harness::load_thresholds_file(options.thresholds_file);
    }
    for (const auto& text : options.thresholds) {
        thresholds.push_back(harness::parse_threshold(text));
    }

    const auto base = harness::load_compared_run(options.base);
    const auto current = harness::load_compared_run(options.current);
    harness::CompareOptions compare_options;
    compare_options.noise_threshold = options.noise;
    compare_options.alpha = options.alpha;
    compare_options.statistics.seed = options.seed;
    compare_options.statistics.bootstrap_resamples = options.resamples;
    const auto comparison = harness::compare_runs(base, current, compare_options);
    const auto evaluation = harness::evaluate_thresholds(thresholds, comparison);

    write_report(harness::render_comparison({.base = base,
                                             .current = current,
                                             .comparison = comparison,
                                             .thresholds = thresholds,
                                             .evaluation = evaluation},
                                            *format),
                 options.out);

    if (evaluation.passed()) {
        return 0;
    }
    // Also on stderr, so a CI log names the breaches even when the report went to --out.
    for (const auto& check : evaluation.checks) {
        if (!check.passed) {
            fmt::print(stderr, "sandbench: threshold breached: {}\n",
                       harness::describe_check(check, thresholds, comparison));
        }
    }
    return kExitThresholdBreached;
}

}  // namespace

void add_compare_command(CLI::App& app, const GlobalOptions& /*global*/, CommandAction& action) {
    auto options = std::make_shared<CompareCliOptions>();
    auto* command = app.add_subcommand(
        "compare",
        "Compare two runs row by row (median, p95, bootstrap CI of the median ratio, "
        "Mann-Whitney U, verdict) and check thresholds");
    command->footer(std::string(kExitCodesHelp));
    command
        ->add_option("base", options->base,
                     "Baseline run directory (or its samples.jsonl), e.g. "
                     "results/baselines/local-ci")
        ->required();
    command->add_option("new", options->current, "Run directory to judge (or its samples.jsonl)")
        ->required();
    command->add_option("-t,--threshold", options->thresholds,
                        "A threshold such as 'p95<800' or 'phase=create: median_ratio<1.5' "
                        "(repeatable)");
    command->add_option("--thresholds", options->thresholds_file,
                        "TOML file of thresholds: thresholds = [\"p95<800\", {expr = "
                        "\"median_ratio<1.5\", phase = \"create\"}]");
    command
        ->add_option("--noise", options->noise,
                     "Relative change of the median below which a significant change is "
                     "'within noise' (default 0.05 = 5%)")
        ->check(CLI::Range(0.0, 10.0));
    command
        ->add_option("--alpha", options->alpha,
                     "Significance level of the Mann-Whitney U test (default 0.05)")
        ->check(CLI::Range(0.0, 1.0));
    command->add_option("-f,--format", options->format,
                        "console (default) or md (Markdown, for a CI job summary)");
    command->add_option("-o,--out", options->out, "Write the report to this file, not stdout");
    command->add_option("--seed", options->seed, "Seed of the bootstrap (default: fixed)");
    command
        ->add_option("--resamples", options->resamples,
                     "Bootstrap resamples for the ratio intervals (default 2000)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));

    command->callback(
        [&action, options] { action = [options] { return command_compare(*options); }; });
}

}  // namespace sandbench::cli
