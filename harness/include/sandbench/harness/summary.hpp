// SPDX-License-Identifier: Apache-2.0
//
// The summary of a run: statistics per (backend, workload, scenario, phase) over the measured
// (non-warmup) samples, failures counted by kind, skipped workloads with the reason, and the
// context block. Written as results/<run>/summary.json (schema documented in results/README.md,
// versioned by kSummarySchemaVersion).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/statistics.hpp"

namespace sandbench::harness {

inline constexpr int kSummarySchemaVersion = 1;

struct SummaryRow {
    std::string backend;
    std::string workload;
    Scenario scenario = Scenario::kCold;
    std::string phase;
    bool emulated = false;
    std::size_t attempts = 0;  ///< measured samples, ok or not
    std::size_t failures = 0;
    std::map<std::string, std::size_t> failure_kinds;
    std::string first_failure;  ///< message of the first failed sample, for the report
    Distribution wall;          ///< over ok samples, milliseconds
    std::optional<Distribution> backend_time;   ///< when the backend reported its own time
    std::optional<double> median_transport_ms;  ///< median(wall - backend_time) when known

    [[nodiscard]] double success_rate() const noexcept {
        return attempts == 0
                   ? 0.0
                   : static_cast<double>(attempts - failures) / static_cast<double>(attempts);
    }
};

struct SkippedWorkload {
    std::string backend;
    std::string workload;
    std::string reason;
};

struct Summary {
    RunContext context;
    std::vector<SummaryRow> rows;
    std::vector<SkippedWorkload> skipped;
    bool interrupted = false;
    double duration_s = 0.0;
};

/// The row of (backend, workload, scenario, phase), or nullptr when the run has none.
[[nodiscard]] const SummaryRow* find_row(const Summary& summary, std::string_view backend,
                                         std::string_view workload, Scenario scenario,
                                         std::string_view phase_name);

/// What a new sandbox costs against keeping one, for one (backend, workload): the cold last
/// result (with a median), the cold first result (may be absent) and the reused execute (with
/// a positive median).
struct ColdVsReused {
    const SummaryRow* cold_first = nullptr;
    const SummaryRow* cold_last = nullptr;
    const SummaryRow* reused = nullptr;
};
/// Every such triple, in row order: what the cold-vs-reused tables show.
[[nodiscard]] std::vector<ColdVsReused> cold_vs_reused_rows(const Summary& summary);

/// Groups the measured samples and computes every statistic. Rows keep the order in which
/// their (backend, workload, scenario) first appears, phases in lifecycle order.
[[nodiscard]] std::vector<SummaryRow> summarize(const std::vector<Sample>& samples,
                                                const StatisticsOptions& options = {});

/// Orders rows for reading: by workload (plan order), then backend (context order), scenario,
/// and phase, so that the backends compared on one workload stand next to each other.
void sort_rows(Summary& summary);

[[nodiscard]] nlohmann::json to_json(const Summary& summary);
[[nodiscard]] nlohmann::json to_json(const Distribution& distribution);

/// Writes summary.json atomically (temporary file, then rename). Throws IoError.
void write_summary(const Summary& summary, const std::filesystem::path& file);

}  // namespace sandbench::harness
