// SPDX-License-Identifier: Apache-2.0
// `sandbench report RUN_DIR`: every report of a finished run, computed again from its samples
// with today's statistics and prices; and the reports `run` writes when it ends.
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/harness/console_report.hpp"
#include "sandbench/harness/cost.hpp"
#include "sandbench/harness/report.hpp"
#include "sandbench/harness/summary_io.hpp"

namespace sandbench::cli {
namespace {

namespace fs = std::filesystem;

struct ReportOptions {
    std::string run_directory;
    std::vector<std::string> formats;
    std::string out;
    std::string pricing_file;
    std::string mix;
};

/// Built-in prices, then the config file's [pricing.*] tables, then --pricing FILE.
harness::PricingTable pricing_for(const harness::Config& config, const std::string& config_path,
                                  const std::string& pricing_file) {
    auto pricing = harness::builtin_pricing();
    harness::apply_pricing(pricing, config.pricing, config_path.empty() ? "config" : config_path);
    if (!pricing_file.empty()) {
        harness::apply_pricing_file(pricing, pricing_file);
    }
    return pricing;
}

void print_written(const std::vector<fs::path>& files) {
    std::vector<std::string> names;
    names.reserve(files.size());
    for (const auto& file : files) {
        names.push_back(file.filename().string());
    }
    if (!files.empty()) {
        fmt::print("\nReports: {} in {}\n", fmt::join(names, ", "),
                   files.front().parent_path().string());
    }
}

int command_report(const GlobalOptions& global, const ReportOptions& options) {
    const auto config = load_config_if_any(global);
    const auto pricing = pricing_for(config, global.config_path, options.pricing_file);
    const auto mix = options.mix.empty() ? harness::WorkloadMix{} : harness::parse_mix(options.mix);
    const auto formats = options.formats.empty() ? harness::all_report_formats()
                                                 : harness::parse_report_formats(options.formats);

    const auto run = harness::load_run(options.run_directory);
    const auto cost = harness::estimate_costs(run.summary, pricing, mix);
    const harness::ReportData data{run.summary, run.samples, cost};

    const fs::path directory =
        options.out.empty() ? fs::path(options.run_directory) : fs::path(options.out);
    const auto written = harness::write_reports(data, formats, directory, run.summary_json);
    const bool console =
        std::find(formats.begin(), formats.end(), harness::ReportFormat::kConsole) != formats.end();
    if (console) {
        fmt::print("{}", harness::render_console_report(run.summary));
        fmt::print("{}", harness::render_cost_console(cost));
    }
    if (!global.quiet || !console) {
        print_written(written);
    }
    return 0;
}

}  // namespace

void write_run_reports(const harness::Config& config, const harness::Summary& summary,
                       const std::vector<harness::Sample>& samples, const fs::path& directory) {
    // The run's results are already safe in samples.jsonl and summary.json; a report that
    // cannot be written is reported, and the run keeps its own exit code.
    try {
        const auto pricing = pricing_for(config, "config", "");
        const auto cost = harness::estimate_costs(summary, pricing);
        const harness::ReportData data{summary, samples, cost};
        fmt::print("{}", harness::render_cost_console(cost));
        const std::vector<harness::ReportFormat> formats{
            harness::ReportFormat::kMarkdown, harness::ReportFormat::kCsv,
            harness::ReportFormat::kJson, harness::ReportFormat::kHtml,
            harness::ReportFormat::kGbenchJson};
        print_written(harness::write_reports(data, formats, directory));
    } catch (const std::exception& error) {
        fmt::print(stderr, "sandbench: warning: reports not written: {}\n", redact(error.what()));
    }
}

void add_report_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
    auto options = std::make_shared<ReportOptions>();
    auto* command = app.add_subcommand(
        "report",
        "Write the reports of a run directory again (from its samples, with the current "
        "statistics and prices)");
    command->add_option("run_dir", options->run_directory, "Run directory (results/<run-id>)")
        ->required()
        ->check(CLI::ExistingDirectory);
    command
        ->add_option("-f,--format", options->formats,
                     "console, md, csv, json, html, gbench-json (default: all; files go to the "
                     "run directory or --out)")
        ->delimiter(',');
    command->add_option("-o,--out", options->out,
                        "Directory for the report files (default: the run directory)");
    command
        ->add_option("--pricing", options->pricing_file,
                     "TOML file of [pricing.<type>] tables over the built-in prices")
        ->check(CLI::ExistingFile);
    command->add_option(
        "--mix", options->mix,
        "Workload mix for costs: executions_per_session=20,sessions_per_day=500,think_time_s=0");
    command->callback([&global, &action, options] {
        action = [&global, options] { return command_report(global, *options); };
    });
}

}  // namespace sandbench::cli
