// SPDX-License-Identifier: Apache-2.0
//
// What the exporters share: finding rows, the orders in which backends and workloads are shown,
// which phases headline a table, the measured sample values behind a row, and number
// formatting, so that every format shows the same numbers under the same names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbench/harness/report.hpp"

namespace sandbench::harness::report_detail {

/// Workloads in plan order (then any others in row order).
[[nodiscard]] std::vector<std::string> workload_order(const Summary& summary);
/// Backends in the context's order (then any others in row order).
[[nodiscard]] std::vector<std::string> backend_order(const Summary& summary);
/// Scenarios that have rows, cold first.
[[nodiscard]] std::vector<Scenario> scenarios_present(const Summary& summary);

[[nodiscard]] const backends::BackendInfo* backend_info(const Summary& summary,
                                                        std::string_view backend);
[[nodiscard]] bool is_emulated(const Summary& summary, std::string_view backend);
[[nodiscard]] bool any_emulated(const Summary& summary);

/// Phases of the headline tables (the console report's): per-cell rows stay in the CSV.
[[nodiscard]] bool headline_phase(Scenario scenario, std::string_view phase_name);
/// Phases charted in the HTML report, in lifecycle order.
[[nodiscard]] std::vector<std::string_view> charted_phases(Scenario scenario);
/// One line on what a phase measures, for captions.
[[nodiscard]] std::string_view phase_description(Scenario scenario, std::string_view phase_name);

/// The measured (non-warmup) ok wall times of one row, in sample order.
[[nodiscard]] std::vector<double> measured_values(const std::vector<Sample>& samples,
                                                  std::string_view backend,
                                                  std::string_view workload, Scenario scenario,
                                                  std::string_view phase_name);

/// "12.3", or "-" when absent.
[[nodiscard]] std::string ms_or_dash(const std::optional<double>& value);
/// A percentile, suffixed "?" when the sample is too small to support it.
[[nodiscard]] std::string percentile_text(const std::optional<Percentile>& value);
/// "4.2%", or "-".
[[nodiscard]] std::string percent_text(const std::optional<double>& fraction);
/// "11.8..12.9", or "-".
[[nodiscard]] std::string ci_text(const Distribution& distribution);
/// "2 timeout, 1 expectation".
[[nodiscard]] std::string failure_kinds_text(const SummaryRow& row);
/// A USD amount, or "unknown".
[[nodiscard]] std::string usd_or_unknown(const std::optional<double>& usd);
/// "1 s", "3600 s (1 h)".
[[nodiscard]] std::string billed_text(double seconds);
/// Billing unit and rate in words: "per vCPU-second and GiB-second (2 vCPU, 2 GiB)".
[[nodiscard]] std::string billing_text(const Price& price);

}  // namespace sandbench::harness::report_detail
