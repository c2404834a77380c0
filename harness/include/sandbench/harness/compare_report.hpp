// SPDX-License-Identifier: Apache-2.0
//
// The comparison as people read it: which runs were compared (from each run's context block),
// one line per paired row with medians, p95, the change and its interval, the p-value and the
// verdict, then the verdict counts and every threshold breach by row and threshold. Two formats
// of the same content: an aligned console table, and Markdown for a CI job summary or a pull
// request comment (gate result and changed rows first, the full table folded in <details>).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbench/harness/compare.hpp"
#include "sandbench/harness/thresholds.hpp"

namespace sandbench::harness {

enum class CompareFormat { kConsole, kMarkdown };

/// Parses "console" / "md" / "markdown"; nullopt for anything else.
[[nodiscard]] std::optional<CompareFormat> compare_format_from_string(
    std::string_view text) noexcept;

struct CompareReportInput {
    const ComparedRun& base;
    const ComparedRun& current;
    const Comparison& comparison;
    const std::vector<Threshold>& thresholds;
    const ThresholdEvaluation& evaluation;
};

[[nodiscard]] std::string render_comparison(const CompareReportInput& input, CompareFormat format);

/// A warning when the two runs started at load averages (summary.json's context) that differ by
/// half a CPU's worth of work per CPU or more; nullopt when they are alike or either is unknown.
[[nodiscard]] std::optional<std::string> load_warning(const ComparedRun& base,
                                                      const ComparedRun& current);

/// A warning when the two runs were measured on different machines or builds: CPU model, CPU
/// count or build type (debug vs release) differ. A field either run did not record is not
/// compared; nullopt when nothing differs.
[[nodiscard]] std::optional<std::string> machine_warning(const ComparedRun& base,
                                                         const ComparedRun& current);

}  // namespace sandbench::harness
