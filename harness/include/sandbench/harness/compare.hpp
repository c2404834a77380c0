// SPDX-License-Identifier: Apache-2.0
//
// Comparing two runs, the engine of `sandbench compare BASE NEW`. Both runs are read from their
// samples.jsonl and summarised again with summarize(), so a comparison rests on the raw samples
// and never on a summary another version of sandbench wrote; summary.json is read only for the
// context shown beside the numbers. Rows are paired by (backend, workload, scenario, phase). Per
// pair: the median and p95 of BASE and NEW, the ratio of medians with a seeded bootstrap
// confidence interval, a two-sided Mann–Whitney U test, the change of the success rate, and a
// verdict in criterion.rs's four words (regressed, improved, no change, within noise). Rows that
// exist in one run only are kept and labelled, never dropped. Thresholds that turn a comparison
// into a CI gate live in thresholds.hpp; the tables people read, in compare_report.hpp.
#pragma once

#include <compare>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/statistics.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::harness {

/// What pairs a row of BASE with a row of NEW.
struct RowKey {
    std::string backend;
    std::string workload;
    Scenario scenario = Scenario::kCold;
    std::string phase;

    // clang-tidy 14 reads the defaulted <=>'s comparison with 0 as a null pointer constant.
    auto operator<=>(const RowKey&) const = default;  // NOLINT(modernize-use-nullptr)
};

/// "backend/workload/scenario/phase", the name a breach message gives a row.
[[nodiscard]] std::string to_string(const RowKey& key);

enum class MannWhitneyMethod {
    /// Exact when neither sample has 50 or more values and there are no ties, else the normal
    /// approximation: the rule of R's wilcox.test, whose exact branch is cheap below that size.
    kAuto,
    /// The exact null distribution whatever the sizes (cost grows as m^2 n^2). With ties it
    /// falls back to the normal approximation, because the exact distribution assumes none.
    kExact,
    /// The normal approximation with tie and continuity corrections.
    kAsymptotic,
};

struct MannWhitneyResult {
    /// U of the first sample: the pairs (x, y) with x > y, plus half the pairs with x == y
    /// (scipy.stats.mannwhitneyu's `statistic`).
    double u = 0.0;
    double p_value = 1.0;  ///< two-sided, in [0, 1]
    bool exact = false;    ///< from the exact distribution rather than the normal approximation
};

/// Two-sided Mann–Whitney U test of x against y (non-finite values are ignored); nullopt when
/// either sample is empty. Matches scipy.stats.mannwhitneyu(x, y, alternative="two-sided") with
/// method="exact" or "asymptotic" (use_continuity=True).
[[nodiscard]] std::optional<MannWhitneyResult> mann_whitney_u(
    std::span<const double> x, std::span<const double> y,
    MannWhitneyMethod method = MannWhitneyMethod::kAuto);

/// Percentile-bootstrap confidence interval of median(current) / median(base): each resample
/// draws both samples again with replacement, each from itself. Seeded by options.seed, so the
/// same data gives the same interval on every machine. nullopt when either sample has fewer
/// than 2 values, when options ask for no resamples or a level outside (0, 1), or when a
/// resampled median of `base` is not positive (the ratio is then undefined).
[[nodiscard]] std::optional<ConfidenceInterval> bootstrap_median_ratio_ci(
    std::span<const double> base, std::span<const double> current,
    const StatisticsOptions& options = {});

/// Hodges–Lehmann estimate of how many times slower `current` is than `base`: the median of the
/// m n ratios current_j / base_i. The shift estimator that goes with the Mann–Whitney U test
/// (Hodges & Lehmann (1963), "Estimates of Location Based on Rank Tests", Ann. Math. Statist.
/// 34(2)), taken on the log scale, where a slowdown by a factor is a shift. It uses every sample,
/// so it is steadier than a ratio of medians when a busy machine makes times bimodal, and a
/// single outlier cannot move it. Above 4 million pairs each sample is first thinned to evenly
/// spaced order statistics (2000 at most), which keeps its quantiles. nullopt when a sample is
/// empty or `base` holds a value that is not positive. Non-finite values are ignored.
[[nodiscard]] std::optional<double> hodges_lehmann_ratio(std::span<const double> base,
                                                         std::span<const double> current);

enum class Verdict {
    kRegressed,    ///< significant, and the whole ratio interval is above 1 + noise
    kImproved,     ///< significant, and the whole ratio interval is below 1 - noise
    kNoChange,     ///< the test finds no difference at alpha
    kWithinNoise,  ///< significant, but the interval reaches into the noise band
    kNoData,       ///< one side has no successful sample, so there is nothing to compare
    kOnlyInBase,   ///< the row exists in BASE only
    kOnlyInNew,    ///< the row exists in NEW only
};

[[nodiscard]] std::string_view to_string(Verdict verdict) noexcept;

struct CompareOptions {
    /// Relative change of the median below which a significant change is only "within noise"
    /// (criterion.rs calls it noise_threshold). 0.05 = 5%.
    double noise_threshold = 0.05;
    /// Significance level of the Mann–Whitney U test.
    double alpha = 0.05;
    /// Resamples, level and seed of the bootstrap intervals (the ratio's and the summaries').
    StatisticsOptions statistics;
};

/// The verdict for a pair, given the test's p-value, the interval of the median ratio (when
/// there is one) and the point estimate of the ratio. See the Verdict values.
[[nodiscard]] Verdict decide_verdict(double p_value,
                                     const std::optional<ConfidenceInterval>& ratio_ci,
                                     double median_ratio, const CompareOptions& options);

struct RowComparison {
    RowKey key;
    bool emulated = false;
    std::optional<SummaryRow> base;      ///< absent when the row is only in NEW
    std::optional<SummaryRow> current;   ///< NEW's row; absent when the row is only in BASE
    std::optional<double> median_ratio;  ///< median(NEW) / median(BASE)
    std::optional<double> p95_ratio;     ///< p95(NEW) / p95(BASE)
    /// min(NEW) / min(BASE). Interference from other processes only ever adds time, so the
    /// fastest sample is the estimate least moved by a busy machine: Chen & Revels (2016),
    /// "Robust benchmarking in noisy environments", arXiv:1608.04295 (the method of Julia's
    /// BenchmarkTools). One lucky sample moves it, though, so with few samples hl_ratio is the
    /// steadier gate (results/baselines/README.md has the figures).
    std::optional<double> min_ratio;
    std::optional<double> hl_ratio;  ///< hodges_lehmann_ratio(BASE, NEW)
    std::optional<ConfidenceInterval> median_ratio_ci;
    std::optional<MannWhitneyResult> mann_whitney;
    Verdict verdict = Verdict::kNoData;

    /// median_ratio - 1 (0.10 = 10% slower).
    [[nodiscard]] std::optional<double> relative_change() const;
    /// NEW's success rate minus BASE's, as a fraction (-0.1 = ten points worse).
    [[nodiscard]] std::optional<double> success_rate_change() const;
};

struct Comparison {
    CompareOptions options;
    /// Ordered for reading: by workload (BASE's plan order), backend, scenario, then phase in
    /// lifecycle order; rows of one run only are sorted in among the others.
    std::vector<RowComparison> rows;

    [[nodiscard]] std::size_t count(Verdict verdict) const;
};

/// One run as the comparison sees it.
struct ComparedRun {
    std::filesystem::path directory;
    std::vector<Sample> samples;
    /// summary.json's "context" object, for display only; null when there is no readable
    /// summary.json (a run killed before its end still has its samples).
    nlohmann::json context;
};

/// Reads a run directory (or the path of its samples.jsonl) and its summary.json's context.
/// Throws IoError when there are no samples to read or none of them is a measured sample.
[[nodiscard]] ComparedRun load_compared_run(const std::filesystem::path& path);

/// Pairs and compares. The context of `base` (plan order of workloads, order of backends)
/// orders the rows when it is there.
[[nodiscard]] Comparison compare_runs(const ComparedRun& base, const ComparedRun& current,
                                      const CompareOptions& options = {});

}  // namespace sandbench::harness
