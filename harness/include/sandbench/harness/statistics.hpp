// SPDX-License-Identifier: Apache-2.0
//
// Descriptive statistics over one phase's successful sample times (milliseconds). Pure
// functions: no I/O, no clocks; the bootstrap uses a seeded generator so results are
// reproducible run to run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace sandbench::harness {

/// A percentile and whether the sample is large enough to support it: estimating the p-th
/// percentile needs at least 1 / (1 - p) samples (10 for p90, 100 for p99, 1000 for p99.9).
struct Percentile {
    double value = 0.0;
    bool supported = false;
};

struct ConfidenceInterval {
    double low = 0.0;
    double high = 0.0;
    double level = 0.95;
};

struct Distribution {
    std::size_t n = 0;  ///< number of finite values (non-finite inputs are ignored)
    // Everything below is absent when n == 0; stddev and cv also when n < 2.
    std::optional<double> min;
    std::optional<double> max;
    std::optional<double> mean;
    std::optional<double> stddev;  ///< sample standard deviation (n - 1)
    std::optional<double> cv;      ///< stddev / mean (absent when mean is 0)
    std::optional<double> median;
    std::optional<double> mad;  ///< median absolute deviation, unscaled
    std::optional<Percentile> p90;
    std::optional<Percentile> p95;
    std::optional<Percentile> p99;
    std::optional<Percentile> p999;
    /// Samples whose modified z-score |0.6745 (x - median) / MAD| exceeds 3.5 (Iglewicz and
    /// Hoaglin). When MAD is 0, every sample that differs from the median counts.
    std::size_t outliers = 0;
    /// Percentile-bootstrap confidence interval of the median; absent when n < 2, or when
    /// bootstrap_resamples is 0 or confidence_level is not in (0, 1).
    std::optional<ConfidenceInterval> median_ci;
};

struct StatisticsOptions {
    std::size_t bootstrap_resamples = 2000;
    double confidence_level = 0.95;
    std::uint64_t seed = 0x5eedba5e;
};

/// Linear-interpolation percentile of sorted values (numpy's default "linear" method);
/// `fraction` in [0, 1]. Precondition: `sorted` is non-empty and ascending.
[[nodiscard]] double percentile_of_sorted(std::span<const double> sorted, double fraction);

/// Median of unsorted values. Precondition: non-empty.
[[nodiscard]] double median_of(std::vector<double> values);
/// The same in O(n) on a scratch vector, which it reorders (std::nth_element).
[[nodiscard]] double median_in_place(std::vector<double>& values);

/// Unbiased uniform index in [0, bound) from `rng`, by rejection. The bootstraps draw with it
/// rather than std::uniform_int_distribution, whose algorithm is implementation-defined, so
/// that their intervals are the same with every standard library. Precondition: bound > 0.
[[nodiscard]] std::size_t uniform_index(std::mt19937_64& rng, std::size_t bound);

/// Every statistic of the sample.
[[nodiscard]] Distribution describe(std::span<const double> values,
                                    const StatisticsOptions& options = {});

}  // namespace sandbench::harness
