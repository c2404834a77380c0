// SPDX-License-Identifier: Apache-2.0
//
// The charts of report.html, each an inline <svg> (svg.hpp's primitives) or "" when the run
// has nothing to draw. Each is computed in two steps: the chart's data and statistics from the
// Page, then the drawing of that data alone.
#pragma once

#include <string>
#include <string_view>

#include "report/html_common.hpp"

namespace sandbench::harness::html {

/// One row per (workload, backend) of a phase: a box (quartiles, median, Tukey whiskers) over
/// every measured sample, drawn as a jittered point.
[[nodiscard]] std::string distribution_chart(const Page& page, Scenario scenario,
                                             std::string_view phase_name);

/// The empirical cumulative distribution of each backend in a phase, one panel per workload.
[[nodiscard]] std::string ecdf_chart(const Page& page, Scenario scenario,
                                     std::string_view phase_name);

/// Per workload: the median time to all results on a new session against a reused one, with
/// the bootstrap 95% confidence interval of each median as a whisker.
[[nodiscard]] std::string cold_reused_chart(const Page& page);

/// Per workload and backend: the medians of a cold start's phases, stacked.
[[nodiscard]] std::string breakdown_chart(const Page& page);

/// Failed iterations per backend and scenario, stacked by the kind of their first failure.
[[nodiscard]] std::string failures_chart(const Page& page);

}  // namespace sandbench::harness::html
