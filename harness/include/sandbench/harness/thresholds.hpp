// SPDX-License-Identifier: Apache-2.0
//
// Thresholds in the style of k6's: pass/fail conditions on the numbers of a comparison, which
// turn `sandbench compare` into a CI gate (exit code 3 when any is breached). A threshold is one
// line of text, from `--threshold` or a TOML file:
//
//   threshold = [ scope ":" ] metric operator number
//   scope     = key "=" value { "," key "=" value }
//   key       = phase | backend | workload | scenario   a pattern (see below)
//             | min_base_ms | max_base_ms               a number: BASE's median, ms
//             | significant                             true: rows where the test finds a change
//   metric    = median | mean | min | max | p90 | p95 | p99 | p999    ms, of NEW
//             | median_ratio | p95_ratio | min_ratio                 NEW / BASE
//             | hl_ratio                        Hodges-Lehmann estimate of NEW / BASE
//             | min_delta                       min(NEW) - min(BASE), ms
//             | success_rate                    of NEW, 0..1
//             | cv                              of NEW, stddev / mean
//   operator  = "<" | "<=" | ">" | ">=" | "=="
//
// k6's spellings are accepted too: med, avg, p(90), p(95), p(99), p(99.9). A pattern matches
// the whole value; '*' in it matches any run of characters (phase=cell:* for every cell) and a
// leading '!' negates it (phase=!close for every phase but close). min_base_ms / max_base_ms
// select rows by size, BASE's median at least / below that many milliseconds, because a ratio
// of two sub-millisecond times measures the scheduler more than the code. significant=true keeps
// the rows where the Mann-Whitney U test rejects "no difference" at the comparison's alpha, so
// that a large but unproven change in a noisy phase is not a breach. The scope ends at the
// last ':' of the text, so phases such as cell:2 need no quoting: `phase=cell:2: p95<5`. A
// threshold without scope applies to every row. Each threshold is checked on every row it
// matches and fails closed: a row of BASE missing from NEW, or a metric NEW cannot supply (no
// successful sample), is a breach, so a gate never passes by losing data. A threshold whose
// names match no row at all is a usage error, so a typo in a scope cannot silently disable it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbench/harness/compare.hpp"

namespace sandbench::harness {

enum class ThresholdMetric {
    kMedian,
    kMean,
    kMin,
    kMax,
    kP90,
    kP95,
    kP99,
    kP999,
    kMedianRatio,
    kP95Ratio,
    kMinRatio,
    kHlRatio,
    kMinDelta,
    kSuccessRate,
    kCv,
};

enum class ThresholdOperator { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };

[[nodiscard]] std::string_view to_string(ThresholdMetric metric) noexcept;
[[nodiscard]] std::string_view to_string(ThresholdOperator op) noexcept;

/// Which rows a threshold applies to; an empty pattern or an absent bound matches every row.
struct ThresholdScope {
    std::string phase;
    std::string backend;
    std::string workload;
    std::string scenario;
    std::optional<double> min_base_ms;  ///< BASE's median at least this
    std::optional<double> max_base_ms;  ///< BASE's median below this
    /// Only rows whose Mann-Whitney U p-value is below alpha (rows without a test, such as
    /// rows missing from NEW, still match: a gate fails closed).
    bool significant = false;

    /// By the name patterns only.
    [[nodiscard]] bool matches_name(const RowKey& key) const;
    /// By name, by BASE's median when a size bound is set (a row without one in BASE, or
    /// only in NEW, then does not match), and by the test at `alpha` when `significant`.
    [[nodiscard]] bool matches(const RowComparison& row,
                               double alpha = CompareOptions{}.alpha) const;
    [[nodiscard]] bool empty() const noexcept {
        return phase.empty() && backend.empty() && workload.empty() && scenario.empty() &&
               !min_base_ms && !max_base_ms && !significant;
    }
};

struct Threshold {
    std::string text;  ///< as the user wrote it (with a TOML table's scope keys folded in)
    ThresholdScope scope;
    ThresholdMetric metric = ThresholdMetric::kMedian;
    ThresholdOperator op = ThresholdOperator::kLess;
    double bound = 0.0;

    /// Whether `value` satisfies the condition.
    [[nodiscard]] bool holds(double value) const noexcept;
};

/// Whole-string glob match where '*' matches any run of characters (also none).
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text) noexcept;

/// Parses one threshold. Throws UsageError with a one-line message that quotes the text and
/// says at which column what was expected.
[[nodiscard]] Threshold parse_threshold(std::string_view text);

/// Parses a thresholds file (TOML):
///
///   thresholds = [
///     "success_rate >= 1",
///     { expr = "p95 < 800", phase = "first_result", backend = "local" },
///   ]
///
/// `[[thresholds]]` tables work too. Throws ConfigError naming file, line and column.
[[nodiscard]] std::vector<Threshold> parse_thresholds_file(std::string_view text,
                                                           const std::string& source_name);
/// Reads and parses a thresholds file. Throws IoError when it cannot be read.
[[nodiscard]] std::vector<Threshold> load_thresholds_file(const std::filesystem::path& file);

/// One threshold on one row.
struct ThresholdCheck {
    std::size_t threshold = 0;  ///< index into the thresholds evaluated
    RowKey row;
    std::optional<double> value;  ///< the metric on this row; absent when it cannot be computed
    bool passed = false;
    /// Why the value is missing, or a caveat about it ("p95 needs n >= 20, has 15").
    std::string note;
};

struct ThresholdEvaluation {
    std::vector<ThresholdCheck> checks;

    [[nodiscard]] std::size_t breaches() const;
    [[nodiscard]] bool passed() const { return breaches() == 0; }
};

/// The value of `metric` on a row of the comparison; nullopt with `why_missing` set when the
/// row cannot supply it.
[[nodiscard]] std::optional<double> metric_value(ThresholdMetric metric, const RowComparison& row,
                                                 std::string& why_missing);

/// Checks every threshold on every row it matches. Ratio metrics skip rows only in NEW (there
/// is nothing to divide by); every metric fails on rows only in BASE. Throws UsageError when a
/// threshold's name patterns match no row of either run (a size bound may leave it no row).
[[nodiscard]] ThresholdEvaluation evaluate_thresholds(const std::vector<Threshold>& thresholds,
                                                      const Comparison& comparison);

/// "local/hello/cold/create: median_ratio<1.5 breached: median_ratio = 2.03 (...)", one line.
[[nodiscard]] std::string describe_check(const ThresholdCheck& check,
                                         const std::vector<Threshold>& thresholds,
                                         const Comparison& comparison);

}  // namespace sandbench::harness
