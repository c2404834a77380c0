// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/compare.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::harness {
namespace {

namespace fs = std::filesystem;

/// Samples of this size or more (in either group) get the normal approximation under kAuto:
/// R's wilcox.test default ("an exact p-value is computed if the samples contain less than 50
/// finite values and there are no ties").
constexpr std::size_t kExactLimit = 50;

/// Pairs the Hodges–Lehmann estimate forms before it thins the samples (32 MB of ratios), and
/// the size it thins each sample to.
constexpr std::size_t kHodgesLehmannMaxPairs = 4'000'000;
constexpr std::size_t kHodgesLehmannThinTo = 2000;

std::vector<double> finite_values(std::span<const double> values) {
    std::vector<double> finite;
    finite.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(finite),
                 [](double value) { return std::isfinite(value); });
    return finite;
}

/// P(U >= u) under the null hypothesis for samples of sizes m and n without ties, from the
/// recurrence of Mann & Whitney (1947), "On a Test of Whether one of Two Random Variables is
/// Stochastically Larger than the Other", Ann. Math. Statist. 18(1): with the largest
/// of the m + n values in the first sample it exceeds all n of the second, so
///   c(m, n, u) = c(m - 1, n, u - n) + c(m, n - 1, u),
/// where c counts the orderings with statistic u among the C(m + n, m) equally likely ones.
/// Only additions of non-negative counts, so the tail keeps full relative precision even where
/// it is tiny. Counts are doubles: C(98, 49) ~ 2.5e28 is far beyond 64-bit integers.
double exact_upper_tail(std::size_t m, std::size_t n, std::size_t u) {
    // The distribution depends only on the unordered sizes; iterate the larger one.
    const std::size_t small = std::min(m, n);
    const std::size_t large = std::max(m, n);
    const std::size_t max_u = small * large;
    if (u > max_u) {
        return 0.0;
    }
    // counts[i][k]: orderings of i values of the small sample among j of the large one with
    // statistic k, for the j of the current pass (j = 0 before the first).
    std::vector<std::vector<double>> counts(small + 1, std::vector<double>(max_u + 1, 0.0));
    for (auto& row : counts) {
        row[0] = 1.0;
    }
    for (std::size_t j = 1; j <= large; ++j) {
        // Ascending i: counts[i - 1] already holds pass j, counts[i] still holds pass j - 1.
        for (std::size_t i = 1; i <= small; ++i) {
            for (std::size_t k = i * j; k >= j; --k) {
                counts[i][k] += counts[i - 1][k - j];
            }
        }
    }
    const auto& final_counts = counts[small];
    double tail = 0.0;
    double total = 0.0;
    // Sum from the largest statistic down, small terms first.
    for (std::size_t k = max_u + 1; k-- > 0;) {
        total += final_counts[k];
        if (k >= u) {
            tail += final_counts[k];
        }
    }
    return tail / total;
}

/// Measured, successful wall times per row, in sample order.
std::map<RowKey, std::vector<double>> ok_times(const std::vector<Sample>& samples) {
    std::map<RowKey, std::vector<double>> times;
    for (const auto& sample : samples) {
        if (sample.warmup || !sample.ok || !std::isfinite(sample.wall.count())) {
            continue;
        }
        times[RowKey{sample.backend, sample.workload, sample.scenario, sample.phase}].push_back(
            sample.wall.count());
    }
    return times;
}

RowKey key_of(const SummaryRow& row) {
    return RowKey{row.backend, row.workload, row.scenario, row.phase};
}

/// Workload and backend order from a context block, for sort_rows().
RunContext ordering_context(const nlohmann::json& context) {
    RunContext ordering;
    if (!context.is_object()) {
        return ordering;
    }
    if (const auto it = context.find("plan"); it != context.end() && it->is_object()) {
        if (const auto workloads = it->find("workloads");
            workloads != it->end() && workloads->is_array()) {
            nlohmann::json plan{{"workloads", nlohmann::json::array()}};
            for (const auto& name : *workloads) {
                if (name.is_string()) {
                    plan["workloads"].push_back(name);
                }
            }
            ordering.plan = std::move(plan);
        }
    }
    if (const auto it = context.find("backends"); it != context.end() && it->is_array()) {
        for (const auto& backend : *it) {
            if (backend.is_object() && backend.contains("name") && backend["name"].is_string()) {
                backends::BackendInfo info;
                info.name = backend["name"].get<std::string>();
                ordering.backends.push_back(std::move(info));
            }
        }
    }
    return ordering;
}

std::optional<double> ratio(const std::optional<double>& numerator,
                            const std::optional<double>& denominator) {
    if (!numerator || !denominator || *denominator <= 0.0) {
        return std::nullopt;
    }
    return *numerator / *denominator;
}

std::optional<double> p95_of(const SummaryRow& row) {
    return row.wall.p95 ? std::optional<double>(row.wall.p95->value) : std::nullopt;
}

}  // namespace

std::string to_string(const RowKey& key) {
    return fmt::format("{}/{}/{}/{}", key.backend, key.workload, to_string(key.scenario),
                       key.phase);
}

std::optional<MannWhitneyResult> mann_whitney_u(std::span<const double> x,
                                                std::span<const double> y,
                                                MannWhitneyMethod method) {
    const auto first = finite_values(x);
    const auto second = finite_values(y);
    if (first.empty() || second.empty()) {
        return std::nullopt;
    }
    const std::size_t m = first.size();
    const std::size_t n = second.size();

    // Rank the pooled values, giving tied values the mean of the ranks they span.
    std::vector<std::pair<double, bool>> pooled;  // value, from x
    pooled.reserve(m + n);
    for (const double value : first) {
        pooled.emplace_back(value, true);
    }
    for (const double value : second) {
        pooled.emplace_back(value, false);
    }
    std::sort(pooled.begin(), pooled.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    double rank_sum_x = 0.0;
    double tie_term = 0.0;  // sum of t^3 - t over groups of t tied values
    for (std::size_t start = 0; start < pooled.size();) {
        std::size_t end = start + 1;
        while (end < pooled.size() && pooled[end].first == pooled[start].first) {
            ++end;
        }
        // Ranks start + 1 .. end (1-based) share their mean.
        const double mean_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
        for (std::size_t i = start; i < end; ++i) {
            if (pooled[i].second) {
                rank_sum_x += mean_rank;
            }
        }
        const auto t = static_cast<double>(end - start);
        tie_term += t * t * t - t;
        start = end;
    }
    const auto dm = static_cast<double>(m);
    const auto dn = static_cast<double>(n);
    MannWhitneyResult result;
    // Mann & Whitney (1947): U = R1 - m (m + 1) / 2, and U1 + U2 = m n.
    result.u = rank_sum_x - dm * (dm + 1.0) / 2.0;
    // Two-sided: twice the upper tail of the larger of U1 and U2 (by symmetry of the null
    // distribution about m n / 2, the same as twice the smaller tail), capped at 1.
    const double u_max = std::max(result.u, dm * dn - result.u);
    const bool ties = tie_term > 0.0;
    result.exact =
        !ties && (method == MannWhitneyMethod::kExact ||
                  (method == MannWhitneyMethod::kAuto && m < kExactLimit && n < kExactLimit));
    if (result.exact) {
        // Without ties U is an integer.
        const auto u = static_cast<std::size_t>(std::llround(u_max));
        result.p_value = std::min(1.0, 2.0 * exact_upper_tail(m, n, u));
        return result;
    }
    // Normal approximation. Mean m n / 2; variance m n (N + 1) / 12 without ties, reduced for
    // ties to m n / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))): Lehmann (1975),
    // "Nonparametrics: Statistical Methods Based on Ranks", ch. 1 sec. 4 (the variance of the
    // rank sum with midranks). The continuity correction subtracts 1/2 from U - m n / 2 because
    // a discrete statistic is compared with a continuous distribution (as scipy does).
    const double big_n = dm + dn;
    const double variance = dm * dn / 12.0 * ((big_n + 1.0) - tie_term / (big_n * (big_n - 1.0)));
    if (!(variance > 0.0)) {
        // Every value is the same: nothing tells the samples apart.
        result.p_value = 1.0;
        return result;
    }
    const double z = (u_max - dm * dn / 2.0 - 0.5) / std::sqrt(variance);
    // Two-sided p = 2 * P(Z > z) = erfc(z / sqrt 2).
    result.p_value = std::min(1.0, std::erfc(z / std::numbers::sqrt2));
    return result;
}

// Efron & Tibshirani (1993), "An Introduction to the Bootstrap": the two-sample bootstrap (ch. 8,
// each sample resampled from its own empirical distribution) and the percentile interval
// (ch. 13), as for the median's interval in statistics.cpp.
std::optional<ConfidenceInterval> bootstrap_median_ratio_ci(std::span<const double> base,
                                                            std::span<const double> current,
                                                            const StatisticsOptions& options) {
    const auto old_values = finite_values(base);
    const auto new_values = finite_values(current);
    const double level = options.confidence_level;
    if (old_values.size() < 2 || new_values.size() < 2 || options.bootstrap_resamples == 0 ||
        !(level > 0.0 && level < 1.0)) {
        return std::nullopt;
    }
    std::mt19937_64 rng(options.seed);
    std::vector<double> old_resample(old_values.size());
    std::vector<double> new_resample(new_values.size());
    std::vector<double> ratios;
    ratios.reserve(options.bootstrap_resamples);
    for (std::size_t b = 0; b < options.bootstrap_resamples; ++b) {
        for (double& value : old_resample) {
            value = old_values[uniform_index(rng, old_values.size())];
        }
        for (double& value : new_resample) {
            value = new_values[uniform_index(rng, new_values.size())];
        }
        const double old_median = median_in_place(old_resample);
        if (!(old_median > 0.0)) {
            return std::nullopt;
        }
        ratios.push_back(median_in_place(new_resample) / old_median);
    }
    std::sort(ratios.begin(), ratios.end());
    const double alpha = 1.0 - level;
    return ConfidenceInterval{.low = percentile_of_sorted(ratios, alpha / 2.0),
                              .high = percentile_of_sorted(ratios, 1.0 - alpha / 2.0),
                              .level = level};
}

std::optional<double> hodges_lehmann_ratio(std::span<const double> base,
                                           std::span<const double> current) {
    auto old_values = finite_values(base);
    auto new_values = finite_values(current);
    if (old_values.empty() || new_values.empty() ||
        *std::min_element(old_values.begin(), old_values.end()) <= 0.0) {
        return std::nullopt;
    }
    // Evenly spaced order statistics (both ends included) stand in for a sample too large to
    // pair with the other in memory.
    const auto thin = [](std::vector<double>& values) {
        if (values.size() <= kHodgesLehmannThinTo) {
            return;
        }
        std::sort(values.begin(), values.end());
        std::vector<double> kept;
        kept.reserve(kHodgesLehmannThinTo);
        const double step =
            static_cast<double>(values.size() - 1) / static_cast<double>(kHodgesLehmannThinTo - 1);
        for (std::size_t i = 0; i < kHodgesLehmannThinTo; ++i) {
            kept.push_back(
                values[static_cast<std::size_t>(std::llround(step * static_cast<double>(i)))]);
        }
        values = std::move(kept);
    };
    if (old_values.size() * new_values.size() > kHodgesLehmannMaxPairs) {
        thin(old_values);
        thin(new_values);
    }
    std::vector<double> ratios;
    ratios.reserve(old_values.size() * new_values.size());
    for (const double old_value : old_values) {
        for (const double new_value : new_values) {
            ratios.push_back(new_value / old_value);
        }
    }
    return median_in_place(ratios);
}

std::string_view to_string(Verdict verdict) noexcept {
    switch (verdict) {
        case Verdict::kRegressed:
            return "regressed";
        case Verdict::kImproved:
            return "improved";
        case Verdict::kNoChange:
            return "no change";
        case Verdict::kWithinNoise:
            return "within noise";
        case Verdict::kNoData:
            return "no data";
        case Verdict::kOnlyInBase:
            return "only in BASE";
        case Verdict::kOnlyInNew:
            return "only in NEW";
    }
    return "?";
}

// criterion.rs's rule (src/analysis/compare.rs and the book's "Analysis Process"): a change
// counts only when the test rejects "no difference" at alpha, and then only when the whole
// confidence interval of the change lies outside the noise band; a significant change whose
// interval reaches into the band is reported as within noise.
Verdict decide_verdict(double p_value, const std::optional<ConfidenceInterval>& ratio_ci,
                       double median_ratio, const CompareOptions& options) {
    if (!(p_value < options.alpha)) {
        return Verdict::kNoChange;
    }
    const double noise = options.noise_threshold;
    // Without an interval (fewer than 2 values on a side) the point estimate stands in for it.
    const double low = ratio_ci ? ratio_ci->low : median_ratio;
    const double high = ratio_ci ? ratio_ci->high : median_ratio;
    if (low - 1.0 > noise) {
        return Verdict::kRegressed;
    }
    if (high - 1.0 < -noise) {
        return Verdict::kImproved;
    }
    return Verdict::kWithinNoise;
}

std::optional<double> RowComparison::relative_change() const {
    return median_ratio ? std::optional<double>(*median_ratio - 1.0) : std::nullopt;
}

std::optional<double> RowComparison::success_rate_change() const {
    if (!base || !current) {
        return std::nullopt;
    }
    return current->success_rate() - base->success_rate();
}

std::size_t Comparison::count(Verdict verdict) const {
    return static_cast<std::size_t>(std::count_if(
        rows.begin(), rows.end(), [verdict](const auto& row) { return row.verdict == verdict; }));
}

ComparedRun load_compared_run(const fs::path& path) {
    ComparedRun run;
    fs::path samples_file;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        run.directory = path;
        samples_file = path / "samples.jsonl";
    } else {
        run.directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
        samples_file = path;
    }
    if (!fs::is_regular_file(samples_file, error)) {
        throw IoError(fmt::format("{} is not a run: {} does not exist", path.string(),
                                  samples_file.string()));
    }
    run.samples = read_samples(samples_file);
    if (std::none_of(run.samples.begin(), run.samples.end(),
                     [](const Sample& sample) { return !sample.warmup; })) {
        throw IoError(fmt::format("{} holds no measured samples", samples_file.string()));
    }
    // The context is only shown, so a missing or damaged summary.json costs nothing but that.
    std::ifstream summary(run.directory / "summary.json");
    if (summary) {
        const auto json = nlohmann::json::parse(summary, nullptr, /*allow_exceptions=*/false);
        if (json.is_object() && json.contains("context") && json["context"].is_object()) {
            run.context = json["context"];
        }
    }
    return run;
}

Comparison compare_runs(const ComparedRun& base, const ComparedRun& current,
                        const CompareOptions& options) {
    Comparison comparison;
    comparison.options = options;

    const auto base_rows = summarize(base.samples, options.statistics);
    const auto new_rows = summarize(current.samples, options.statistics);
    const auto base_times = ok_times(base.samples);
    const auto new_times = ok_times(current.samples);

    std::map<RowKey, const SummaryRow*> base_by_key;
    std::map<RowKey, const SummaryRow*> new_by_key;
    for (const auto& row : base_rows) {
        base_by_key.emplace(key_of(row), &row);
    }
    for (const auto& row : new_rows) {
        new_by_key.emplace(key_of(row), &row);
    }

    // Order the union of keys with sort_rows(), BASE's context first, then NEW's for rows
    // that only NEW has (a workload or backend added since the baseline).
    Summary ordering;
    ordering.context = ordering_context(base.context.is_null() ? current.context : base.context);
    for (const auto& row : base_rows) {
        ordering.rows.push_back(row);
    }
    for (const auto& row : new_rows) {
        if (!base_by_key.contains(key_of(row))) {
            ordering.rows.push_back(row);
        }
    }
    sort_rows(ordering);

    static const std::vector<double> kNone;
    for (const auto& ordered : ordering.rows) {
        RowComparison row;
        row.key = key_of(ordered);
        row.emulated = ordered.emulated;
        if (const auto it = base_by_key.find(row.key); it != base_by_key.end()) {
            row.base = *it->second;
        }
        if (const auto it = new_by_key.find(row.key); it != new_by_key.end()) {
            row.current = *it->second;
            row.emulated = row.emulated || it->second->emulated;
        }
        if (!row.current) {
            row.verdict = Verdict::kOnlyInBase;
        } else if (!row.base) {
            row.verdict = Verdict::kOnlyInNew;
        } else if (row.base->wall.n == 0 || row.current->wall.n == 0) {
            row.verdict = Verdict::kNoData;
        } else {
            const auto old_it = base_times.find(row.key);
            const auto new_it = new_times.find(row.key);
            const auto& old_values = old_it == base_times.end() ? kNone : old_it->second;
            const auto& new_values = new_it == new_times.end() ? kNone : new_it->second;
            row.median_ratio = ratio(row.current->wall.median, row.base->wall.median);
            row.p95_ratio = ratio(p95_of(*row.current), p95_of(*row.base));
            row.min_ratio = ratio(row.current->wall.min, row.base->wall.min);
            row.hl_ratio = hodges_lehmann_ratio(old_values, new_values);
            row.median_ratio_ci =
                bootstrap_median_ratio_ci(old_values, new_values, options.statistics);
            row.mann_whitney = mann_whitney_u(old_values, new_values);
            row.verdict = row.mann_whitney && row.median_ratio
                              ? decide_verdict(row.mann_whitney->p_value, row.median_ratio_ci,
                                               *row.median_ratio, options)
                              : Verdict::kNoData;
        }
        comparison.rows.push_back(std::move(row));
    }
    return comparison;
}

}  // namespace sandbench::harness
