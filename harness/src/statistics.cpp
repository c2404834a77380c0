// SPDX-License-Identifier: Apache-2.0
//
// Descriptive statistics of one phase's successful sample times. Non-finite inputs (NaN, +-inf)
// should never reach here (callers pass the times of successful samples only); describe()
// nevertheless drops them, and Distribution::n counts only the finite values it used, so one
// bad value cannot turn every statistic into NaN.
#include "sandbench/harness/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "sandbench/common/check.hpp"

namespace sandbench::harness {
namespace {

/// Modified z-score cut-off and constant: Iglewicz & Hoaglin (1993), "How to Detect and Handle
/// Outliers", ASQC Basic References in Quality Control 16. 0.6745 is the 0.75 quantile of the
/// standard normal, which makes MAD / 0.6745 estimate sigma for normal data.
constexpr double kOutlierZScore = 3.5;
constexpr double kMadToSigma = 0.6745;

/// Slack for the percentile support threshold: 1 / (1 - 0.9) is 10.000000000000002 in binary
/// floating point, and its ceiling must still be 10, not 11.
constexpr double kSupportTolerance = 1e-9;

/// Median of an ascending, non-empty range; the mean of the two middle values for even sizes
/// (numpy.median's convention, which matches the "linear" percentile at 0.5).
double median_of_sorted(std::span<const double> sorted) {
    SANDBENCH_CHECK(!sorted.empty(), "the median of no values");
    const std::size_t half = sorted.size() / 2;
    if (sorted.size() % 2 == 1) {
        return sorted[half];
    }
    return std::midpoint(sorted[half - 1], sorted[half]);
}

/// Smallest sample size that supports the p-th percentile, n >= 1 / (1 - p): below it, fewer
/// than one observation is expected above the percentile, so the estimate is just the maximum
/// (or an interpolation towards it) rather than a measurement of the tail.
std::size_t min_samples_for(double fraction) {
    return static_cast<std::size_t>(std::ceil(1.0 / (1.0 - fraction) - kSupportTolerance));
}

Percentile percentile(std::span<const double> sorted, double fraction) {
    return Percentile{.value = percentile_of_sorted(sorted, fraction),
                      .supported = sorted.size() >= min_samples_for(fraction)};
}

/// Percentile bootstrap interval of the median: Efron & Tibshirani (1993), "An Introduction to
/// the Bootstrap", ch. 13. Resample n values with replacement, take each resample's median, and
/// report the (alpha/2, 1 - alpha/2) percentiles of those medians.
std::optional<ConfidenceInterval> bootstrap_median_ci(std::span<const double> sorted,
                                                      const StatisticsOptions& options) {
    const double level = options.confidence_level;
    // A level outside (0, 1) or no resamples cannot produce an interval; say nothing rather
    // than something wrong.
    if (sorted.size() < 2 || options.bootstrap_resamples == 0 || !(level > 0.0 && level < 1.0)) {
        return std::nullopt;
    }
    std::mt19937_64 rng(options.seed);
    std::vector<double> resample(sorted.size());
    std::vector<double> medians;
    medians.reserve(options.bootstrap_resamples);
    for (std::size_t b = 0; b < options.bootstrap_resamples; ++b) {
        for (double& value : resample) {
            value = sorted[uniform_index(rng, sorted.size())];
        }
        medians.push_back(median_in_place(resample));
    }
    std::sort(medians.begin(), medians.end());
    const double alpha = 1.0 - level;
    return ConfidenceInterval{.low = percentile_of_sorted(medians, alpha / 2.0),
                              .high = percentile_of_sorted(medians, 1.0 - alpha / 2.0),
                              .level = level};
}

}  // namespace

/// Median of `values` in O(n) with std::nth_element; reorders `values`, which must be
/// non-empty. The lower middle of an even-sized range is the largest element left of the upper
/// middle once nth_element has partitioned around it.
double median_in_place(std::vector<double>& values) {
    SANDBENCH_CHECK(!values.empty(), "a statistic of no values");
    const auto half = static_cast<std::ptrdiff_t>(values.size() / 2);
    const auto upper = values.begin() + half;
    std::nth_element(values.begin(), upper, values.end());
    if (values.size() % 2 == 1) {
        return *upper;
    }
    const double lower = *std::max_element(values.begin(), upper);
    return std::midpoint(lower, *upper);
}

/// Unbiased uniform integer in [0, bound) by rejection (as OpenBSD's arc4random_uniform does).
/// std::uniform_int_distribution would do, but its algorithm is implementation-defined, while
/// std::mt19937_64's output is fixed by the standard: this keeps the bootstrap reproducible
/// across standard libraries, not only run to run.
std::size_t uniform_index(std::mt19937_64& rng, std::size_t bound) {
    SANDBENCH_CHECK(bound > 0, "a random index below 0");
    const std::uint64_t range = bound;
    // `limit` is a multiple of `range`, so draws below it hit every residue equally often;
    // draws at or above it would favour small indices and are redrawn (chance < range / 2^64).
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                (std::numeric_limits<std::uint64_t>::max() % range);
    std::uint64_t draw = rng();
    while (draw >= limit) {
        draw = rng();
    }
    return static_cast<std::size_t>(draw % range);
}

// Hyndman & Fan (1996), "Sample Quantiles in Statistical Packages", definition 7: the value at
// virtual index fraction * (n - 1), interpolated linearly between its neighbours.
double percentile_of_sorted(std::span<const double> sorted, double fraction) {
    SANDBENCH_CHECK(!sorted.empty(), "a percentile of no values");
    SANDBENCH_CHECK(fraction >= 0.0 && fraction <= 1.0, "a percentile outside 0 to 1");
    if (sorted.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double index = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
    const double floor_index = std::floor(index);
    const auto lower = static_cast<std::size_t>(floor_index);
    const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
    // std::lerp is exact at both ends and returns a when a == b, as numpy's _lerp does.
    return std::lerp(sorted[lower], sorted[upper], index - floor_index);
}

double median_of(std::vector<double> values) { return median_in_place(values); }

Distribution describe(std::span<const double> values, const StatisticsOptions& options) {
    std::vector<double> sorted;
    sorted.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(sorted),
                 [](double value) { return std::isfinite(value); });
    std::sort(sorted.begin(), sorted.end());

    Distribution result;
    result.n = sorted.size();
    if (sorted.empty()) {
        return result;
    }
    result.min = sorted.front();
    result.max = sorted.back();

    // Welford (1962), "Note on a Method for Calculating Corrected Sums of Squares and Products",
    // Technometrics 4(3): one pass without the cancellation of sum(x^2) - n * mean^2, and the
    // mean of constant data is exactly that constant, so its stddev is exactly 0.
    double mean = 0.0;
    double squared_deviations = 0.0;
    std::size_t count = 0;
    for (const double value : sorted) {
        ++count;
        const double delta = value - mean;
        mean += delta / static_cast<double>(count);
        squared_deviations += delta * (value - mean);
    }
    result.mean = mean;
    if (sorted.size() >= 2) {
        const double stddev =
            std::sqrt(squared_deviations / static_cast<double>(sorted.size() - 1));
        result.stddev = stddev;
        if (mean != 0.0) {
            result.cv = stddev / mean;
        }
    }

    const double median = median_of_sorted(sorted);
    result.median = median;
    std::vector<double> deviations;
    deviations.reserve(sorted.size());
    for (const double value : sorted) {
        deviations.push_back(std::abs(value - median));
    }
    // Hampel (1974), "The Influence Curve and Its Role in Robust Estimation", JASA 69(346);
    // left unscaled (no 1.4826 factor), as the header documents.
    const double mad = median_in_place(deviations);
    result.mad = mad;

    result.p90 = percentile(sorted, 0.90);
    result.p95 = percentile(sorted, 0.95);
    result.p99 = percentile(sorted, 0.99);
    result.p999 = percentile(sorted, 0.999);

    // With MAD == 0 (more than half the values equal the median) the z-score is undefined;
    // any value off the median is then as extreme as the data can show.
    result.outliers = static_cast<std::size_t>(
        std::count_if(sorted.begin(), sorted.end(), [median, mad](double value) {
            if (mad == 0.0) {
                return value != median;
            }
            return std::abs(kMadToSigma * (value - median) / mad) > kOutlierZScore;
        }));

    result.median_ci = bootstrap_median_ci(sorted, options);
    return result;
}

}  // namespace sandbench::harness
