// SPDX-License-Identifier: Apache-2.0
// gbench.json: the run in Google Benchmark's JSON schema (src/json_reporter.cc, schema 1), so
// Google Benchmark's tools/compare.py and github-action-benchmark's googlecpp parser read it
// as-is. Each (backend, workload, scenario, phase) is one benchmark family named
// "backend/workload/scenario/phase". Each measured ok sample is a repetition (an "iteration"
// row with one iteration), timed like UseManualTime(): real_time is the client's wall time of
// the phase in ms; cpu_time repeats it because the harness measures no CPU time. Aggregates
// follow Google Benchmark's names and units: mean, median, stddev, cv (a fraction, unit
// "percentage", no time_unit), and the custom p95 and p99. A row without one ok sample is an
// error row (error_occurred, error_message), as SkipWithError() would write it.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/common.hpp"

namespace sandbench::harness {
namespace {

using namespace report_detail;

constexpr std::string_view kTimeUnit = "ms";

std::string benchmark_name(const SummaryRow& row) {
    return fmt::format("{}/{}/{}/{}", row.backend, row.workload, to_string(row.scenario),
                       row.phase);
}

nlohmann::json context_block(const ReportData& data) {
    const auto& c = data.summary.context;
    std::vector<std::string> backends;
    for (const auto& info : c.backends) {
        backends.push_back(info.emulated ? info.name + " (emulated)" : info.name);
    }
    const auto& mix = data.cost.mix;
    nlohmann::json context{
        {"date", c.started_at},
        {"host_name", c.host},
        {"executable", "sandbench"},
        {"num_cpus", c.cpus},
        {"mhz_per_cpu", static_cast<long>(std::lround(c.cpu_mhz))},  // 0 when unknown
        {"cpu_scaling_enabled", false},
        {"caches", nlohmann::json::array()},
        {"load_avg", c.load_average},
        {"library_version", fmt::format("sandbench {}", c.sandbench_version)},
        {"library_build_type", c.build_type == "release" ? "release" : "debug"},
        {"json_schema_version", 1},
        // Custom context, strings only (AddCustomContext).
        {"sandbench_run_id", c.run_id},
        {"sandbench_version", c.sandbench_version},
        {"sandbench_git_revision", c.git_revision},
        {"sandbench_os", c.os},
        {"sandbench_cpu_model", c.cpu_model},
        {"sandbench_compiler", c.compiler},
        {"sandbench_backends", fmt::format("{}", fmt::join(backends, ", "))},
        {"sandbench_interrupted", data.summary.interrupted ? "true" : "false"},
        {"sandbench_time",
         "manual time: real_time is the client's wall time of the phase in ms; cpu_time repeats "
         "it"},
        {"sandbench_cost_mix",
         fmt::format("executions_per_session={},sessions_per_day={},think_time_s={}",
                     mix.executions_per_session, mix.sessions_per_day, mix.think_time_s)},
    };
    return context;
}

/// The fields every row of a family shares.
/// Aggregates are named run_name + "_" + aggregate_name; compare.py pairs rows by name.
nlohmann::json row_head(const std::string& name, const std::string& run_name,
                        std::size_t family_index, std::string_view run_type,
                        std::size_t repetitions) {
    nlohmann::json row;
    row["name"] = name;
    row["family_index"] = family_index;
    row["per_family_instance_index"] = 0;
    row["run_name"] = run_name;
    row["run_type"] = run_type;
    row["repetitions"] = repetitions;
    return row;
}

void add_counters(nlohmann::json& row, const SummaryRow& summary_row,
                  const std::optional<double>& cost_per_1000, bool emulated) {
    row["success_rate"] = summary_row.success_rate();
    if (cost_per_1000) {
        row["cost_per_1000_executions"] = *cost_per_1000;
    }
    if (emulated) {
        row["label"] = "emulated";
    }
}

}  // namespace

nlohmann::json render_gbench_json(const ReportData& data) {
    nlohmann::json benchmarks = nlohmann::json::array();
    std::size_t family_index = 0;
    for (const auto& row : data.summary.rows) {
        const std::string name = benchmark_name(row);
        const bool emulated = row.emulated || is_emulated(data.summary, row.backend);
        const auto* estimate = data.cost.find(row.backend, row.workload);
        const auto cost_per_1000 =
            estimate != nullptr ? cost_per_1000_for(*estimate, row.scenario) : std::nullopt;
        const auto values =
            measured_values(data.samples, row.backend, row.workload, row.scenario, row.phase);

        // Without samples (a run directory that kept only summary.json) the row's own
        // statistics stand in for the repetitions.
        const std::size_t n = values.empty() ? row.wall.n : values.size();
        if (n == 0) {
            auto error = row_head(name, name, family_index, "iteration", row.attempts);
            error["repetition_index"] = 0;
            error["threads"] = 1;
            error["error_occurred"] = true;
            error["error_message"] = fmt::format(
                "no successful sample: {} of {} failed ({}){}", row.failures, row.attempts,
                failure_kinds_text(row), row.first_failure.empty() ? "" : ": " + row.first_failure);
            error["iterations"] = 0;
            error["real_time"] = 0.0;
            error["cpu_time"] = 0.0;
            error["time_unit"] = kTimeUnit;
            add_counters(error, row, cost_per_1000, emulated);
            benchmarks.push_back(std::move(error));
            ++family_index;
            continue;
        }

        for (std::size_t i = 0; i < values.size(); ++i) {
            auto iteration = row_head(name, name, family_index, "iteration", n);
            iteration["repetition_index"] = i;
            iteration["threads"] = 1;
            iteration["iterations"] = 1;
            iteration["real_time"] = values[i];
            iteration["cpu_time"] = values[i];
            iteration["time_unit"] = kTimeUnit;
            add_counters(iteration, row, cost_per_1000, emulated);
            benchmarks.push_back(std::move(iteration));
        }

        // Google Benchmark computes aggregates only over two or more repetitions.
        if (n >= 2) {
            auto sorted = values;
            std::sort(sorted.begin(), sorted.end());
            auto percentile = [&](double fraction, const std::optional<Percentile>& stored) {
                if (!sorted.empty()) {
                    return std::optional<double>(percentile_of_sorted(sorted, fraction));
                }
                return stored ? std::optional<double>(stored->value) : std::nullopt;
            };
            auto aggregate = [&](std::string_view aggregate_name, std::optional<double> value,
                                 bool time_unit) {
                if (!value) {
                    return;
                }
                auto out = row_head(fmt::format("{}_{}", name, aggregate_name), name, family_index,
                                    "aggregate", n);
                out["threads"] = 1;
                out["aggregate_name"] = aggregate_name;
                out["aggregate_unit"] = time_unit ? "time" : "percentage";
                out["iterations"] = n;
                out["real_time"] = *value;
                out["cpu_time"] = *value;
                if (time_unit) {
                    out["time_unit"] = kTimeUnit;
                    add_counters(out, row, cost_per_1000, emulated);
                } else if (emulated) {
                    out["label"] = "emulated";
                }
                benchmarks.push_back(std::move(out));
            };
            const auto& d = row.wall;
            aggregate("mean", d.mean, true);
            aggregate("median", d.median, true);
            aggregate("stddev", d.stddev, true);
            // Google Benchmark writes cv as a fraction (0.05 = 5%) under aggregate_unit
            // "percentage" and without a time_unit; with a zero mean it is undefined.
            aggregate("cv", d.cv, false);
            aggregate("p95", percentile(0.95, d.p95), true);
            aggregate("p99", percentile(0.99, d.p99), true);
        }
        ++family_index;
    }
    return {{"context", context_block(data)}, {"benchmarks", benchmarks}};
}

}  // namespace sandbench::harness
