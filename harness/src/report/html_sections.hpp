// SPDX-License-Identifier: Apache-2.0
//
// The sections of report.html's body, in the order the page shows them: what matters most
// (latency beside cost), then why (cold vs reused, where a cold start's time goes, each
// phase's distribution), then what went wrong, what it costs and how, and where it was
// measured. Each returns a whole <section>, or "" when the run has nothing for it.
#pragma once

#include <string>

#include "report/html_common.hpp"

namespace sandbench::harness::html {

/// Medians, success rates and the cost of 1000 executions per (workload, backend).
[[nodiscard]] std::string headline_section(const Page& page);
[[nodiscard]] std::string cold_reused_section(const Page& page);
[[nodiscard]] std::string breakdown_section(const Page& page);
/// Per charted phase: the distribution and ECDF charts and a statistics table.
[[nodiscard]] std::string distributions_section(const Page& page);
/// The failures chart and table, or a note that nothing failed; skipped workloads.
[[nodiscard]] std::string failures_section(const Page& page);
/// The cost table and the prices behind it.
[[nodiscard]] std::string cost_section(const Page& page);
/// Host, build, plan and backends.
[[nodiscard]] std::string context_section(const Page& page);

}  // namespace sandbench::harness::html
