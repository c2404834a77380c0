// SPDX-License-Identifier: Apache-2.0
//
// Statistics on inputs small enough to check by hand; every expected value is worked out in a
// comment next to it rather than recomputed with the formula under test.
#include "sandbench/harness/statistics.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using sandbench::harness::describe;
using sandbench::harness::Distribution;
using sandbench::harness::median_of;
using sandbench::harness::percentile_of_sorted;
using sandbench::harness::StatisticsOptions;

/// 1, 2, ..., n.
std::vector<double> one_to(std::size_t n) {
    std::vector<double> values;
    values.reserve(n);
    for (std::size_t i = 1; i <= n; ++i) {
        values.push_back(static_cast<double>(i));
    }
    return values;
}

}  // namespace

TEST_CASE("describe of no values reports n = 0 and nothing else", "[unit][statistics]") {
    const Distribution d = describe(std::vector<double>{});
    CHECK(d.n == 0);
    CHECK_FALSE(d.min.has_value());
    CHECK_FALSE(d.max.has_value());
    CHECK_FALSE(d.mean.has_value());
    CHECK_FALSE(d.stddev.has_value());
    CHECK_FALSE(d.cv.has_value());
    CHECK_FALSE(d.median.has_value());
    CHECK_FALSE(d.mad.has_value());
    CHECK_FALSE(d.p90.has_value());
    CHECK_FALSE(d.p95.has_value());
    CHECK_FALSE(d.p99.has_value());
    CHECK_FALSE(d.p999.has_value());
    CHECK(d.outliers == 0);
    CHECK_FALSE(d.median_ci.has_value());
}

TEST_CASE("describe of one value: location only, no spread, no supported percentile",
          "[unit][statistics]") {
    const Distribution d = describe(std::vector<double>{7.5});
    CHECK(d.n == 1);
    REQUIRE(d.min.has_value());
    REQUIRE(d.max.has_value());
    REQUIRE(d.mean.has_value());
    REQUIRE(d.median.has_value());
    REQUIRE(d.mad.has_value());
    CHECK(*d.min == 7.5);
    CHECK(*d.max == 7.5);
    CHECK(*d.mean == 7.5);
    CHECK(*d.median == 7.5);
    CHECK(*d.mad == 0.0);  // |7.5 - 7.5|
    CHECK_FALSE(d.stddev.has_value());
    CHECK_FALSE(d.cv.has_value());
    CHECK_FALSE(d.median_ci.has_value());
    CHECK(d.outliers == 0);
    // Every percentile of one value is that value, and 1 < 10 (the smallest threshold).
    for (const auto& p : {d.p90, d.p95, d.p99, d.p999}) {
        REQUIRE(p.has_value());
        CHECK(p->value == 7.5);
        CHECK_FALSE(p->supported);
    }
}

TEST_CASE("describe of 1..5 matches hand-computed values", "[unit][statistics]") {
    // Unsorted on purpose: describe must not assume order.
    const Distribution d = describe(std::vector<double>{4, 1, 5, 2, 3});
    CHECK(d.n == 5);
    CHECK(*d.min == 1.0);
    CHECK(*d.max == 5.0);
    CHECK(*d.mean == Approx(3.0));  // 15 / 5
    // Deviations -2 -1 0 1 2, squares sum to 4 + 1 + 0 + 1 + 4 = 10; 10 / (5 - 1) = 2.5.
    REQUIRE(d.stddev.has_value());
    CHECK(*d.stddev == Approx(std::sqrt(2.5)));
    // cv = sqrt(2.5) / 3 = 1.5811 / 3 = 0.52705.
    REQUIRE(d.cv.has_value());
    CHECK(*d.cv == Approx(0.52705).epsilon(1e-4));
    CHECK(*d.median == 3.0);
    // |x - 3| = 1 2 2 1 0 -> sorted 0 1 1 2 2 -> median 1.
    CHECK(*d.mad == 1.0);
    // Linear percentile at index p * (5 - 1) between sorted neighbours:
    // p90: 3.6 -> 4 + 0.6 * (5 - 4) = 4.6; p95: 3.8 -> 4.8; p99: 3.96 -> 4.96; p99.9: 4.996.
    CHECK(d.p90->value == Approx(4.6));
    CHECK(d.p95->value == Approx(4.8));
    CHECK(d.p99->value == Approx(4.96));
    CHECK(d.p999->value == Approx(4.996));
    // 5 samples support none of them (thresholds 10, 20, 100, 1000).
    CHECK_FALSE(d.p90->supported);
    CHECK_FALSE(d.p95->supported);
    CHECK_FALSE(d.p99->supported);
    CHECK_FALSE(d.p999->supported);
    // Largest modified z-score: 0.6745 * 2 / 1 = 1.349 <= 3.5.
    CHECK(d.outliers == 0);
    REQUIRE(d.median_ci.has_value());
}

TEST_CASE("median of even and odd counts", "[unit][statistics]") {
    CHECK(median_of({9, 1, 5}) == 5.0);     // 1 5 9
    CHECK(median_of({3, 1, 4, 2}) == 2.5);  // 1 2 | 3 4 -> (2 + 3) / 2
    CHECK(median_of({42}) == 42.0);
    CHECK(*describe(std::vector<double>{10, 1, 3, 2}).median == 2.5);  // 1 2 | 3 10
}

TEST_CASE("MAD of 0 counts every value off the median as an outlier", "[unit][statistics]") {
    // Median 5; |x - 5| = 0 0 0 0 4 -> median 0; only the 9 differs from 5.
    const Distribution d = describe(std::vector<double>{5, 5, 5, 5, 9});
    CHECK(*d.median == 5.0);
    CHECK(*d.mad == 0.0);
    CHECK(d.outliers == 1);
}

TEST_CASE("a far value is an outlier by modified z-score", "[unit][statistics]") {
    // Sorted 10 10 11 11 | 11 12 12 100 -> median 11. |x - 11| sorted 0 0 0 1 | 1 1 1 89 ->
    // MAD 1. z(100) = 0.6745 * 89 = 60.0; z(10) = z(12) = 0.6745.
    const Distribution d = describe(std::vector<double>{10, 11, 12, 11, 10, 12, 11, 100});
    CHECK(*d.median == 11.0);
    CHECK(*d.mad == 1.0);
    CHECK(d.outliers == 1);
}

TEST_CASE("the outlier cut-off is a modified z-score of 3.5", "[unit][statistics]") {
    // Sorted 10 10 11 11 11 12 12 16 17 -> median 11. |x - 11| sorted 0 0 0 1 1 1 1 5 6 -> MAD 1.
    // z(16) = 0.6745 * 5 = 3.37 (kept); z(17) = 0.6745 * 6 = 4.05 (outlier).
    const Distribution d = describe(std::vector<double>{10, 10, 11, 11, 11, 12, 12, 16, 17});
    CHECK(*d.mad == 1.0);
    CHECK(d.outliers == 1);
}

TEST_CASE("percentiles are supported from n >= 1 / (1 - p)", "[unit][statistics]") {
    SECTION("p90 needs 10") {
        CHECK_FALSE(describe(one_to(9)).p90->supported);
        const Distribution d = describe(one_to(10));
        CHECK(d.p90->supported);
        CHECK_FALSE(d.p95->supported);
        // Index 0.9 * (10 - 1) = 8.1 -> 9 + 0.1 * (10 - 9) = 9.1.
        CHECK(d.p90->value == Approx(9.1));
    }
    SECTION("p95 needs 20") {
        CHECK_FALSE(describe(one_to(19)).p95->supported);
        CHECK(describe(one_to(20)).p95->supported);
    }
    SECTION("p99 needs 100") {
        const Distribution d99 = describe(one_to(99));
        CHECK(d99.p90->supported);
        CHECK(d99.p95->supported);
        CHECK_FALSE(d99.p99->supported);
        const Distribution d100 = describe(one_to(100));
        CHECK(d100.p99->supported);
        CHECK_FALSE(d100.p999->supported);
        // Index 0.99 * 99 = 98.01 -> 99 + 0.01 * (100 - 99) = 99.01.
        CHECK(d100.p99->value == Approx(99.01));
    }
    SECTION("p99.9 needs 1000") {
        StatisticsOptions options;
        options.bootstrap_resamples = 10;  // the interval is not under test here
        CHECK_FALSE(describe(one_to(999), options).p999->supported);
        CHECK(describe(one_to(1000), options).p999->supported);
    }
}

TEST_CASE("percentile_of_sorted interpolates linearly like numpy", "[unit][statistics]") {
    const std::vector<double> sorted{2, 4, 8};
    CHECK(percentile_of_sorted(sorted, 0.0) == 2.0);   // the minimum
    CHECK(percentile_of_sorted(sorted, 1.0) == 8.0);   // the maximum
    CHECK(percentile_of_sorted(sorted, 0.5) == 4.0);   // index 1
    CHECK(percentile_of_sorted(sorted, 0.25) == 3.0);  // index 0.5: halfway from 2 to 4
    CHECK(percentile_of_sorted(sorted, 0.75) == 6.0);  // index 1.5: halfway from 4 to 8
    CHECK(percentile_of_sorted(std::vector<double>{7}, 0.0) == 7.0);
    CHECK(percentile_of_sorted(std::vector<double>{7}, 0.99) == 7.0);
    CHECK(percentile_of_sorted(std::vector<double>{7}, 1.0) == 7.0);
}

TEST_CASE("spread: cv absent at mean 0, stddev stable far from 0", "[unit][statistics]") {
    SECTION("mean 0") {
        // Mean 0; squares 1 + 1 = 2, 2 / (2 - 1) = 2 -> stddev sqrt(2); cv would divide by 0.
        const Distribution d = describe(std::vector<double>{-1, 1});
        CHECK(*d.mean == 0.0);
        CHECK(*d.stddev == Approx(std::sqrt(2.0)));
        CHECK_FALSE(d.cv.has_value());
    }
    SECTION("large offset") {
        // 1e9 + {4, 7, 13, 16}: mean 1e9 + 10, deviations -6 -3 3 6, squares 36 + 9 + 9 + 36 = 90,
        // 90 / 3 = 30. sum(x^2) - n mean^2 would lose this to cancellation at 1e18.
        const Distribution d = describe(std::vector<double>{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16});
        CHECK(*d.mean == Approx(1e9 + 10).epsilon(1e-15));
        CHECK(*d.stddev == Approx(std::sqrt(30.0)).epsilon(1e-9));
    }
}

TEST_CASE("constant data has zero spread and a degenerate interval", "[unit][statistics]") {
    const Distribution d = describe(std::vector<double>{4, 4, 4, 4});
    CHECK(*d.mean == 4.0);
    CHECK(*d.stddev == 0.0);
    CHECK(*d.cv == 0.0);
    CHECK(*d.mad == 0.0);
    CHECK(d.outliers == 0);
    // Every resample is 4 4 4 4, so every resampled median is 4.
    REQUIRE(d.median_ci.has_value());
    CHECK(d.median_ci->low == 4.0);
    CHECK(d.median_ci->high == 4.0);
}

TEST_CASE("bootstrap interval of the median", "[unit][statistics]") {
    const std::vector<double> values = one_to(101);  // median 51

    SECTION("contains the median, is ordered, and reports its level") {
        const Distribution d = describe(values);
        REQUIRE(d.median_ci.has_value());
        CHECK(d.median_ci->low <= d.median_ci->high);
        CHECK(d.median_ci->low <= 51.0);
        CHECK(d.median_ci->high >= 51.0);
        CHECK(d.median_ci->low >= 1.0);  // medians of resamples of 1..101 stay in [1, 101]
        CHECK(d.median_ci->high <= 101.0);
        CHECK(d.median_ci->level == 0.95);
    }
    SECTION("is reproducible with the same seed") {
        StatisticsOptions options;
        options.seed = 12345;
        const Distribution a = describe(values, options);
        const Distribution b = describe(values, options);
        REQUIRE(a.median_ci.has_value());
        REQUIRE(b.median_ci.has_value());
        CHECK(a.median_ci->low == b.median_ci->low);
        CHECK(a.median_ci->high == b.median_ci->high);
    }
    SECTION("a lower level gives a nested interval") {
        // Same seed -> the same resampled medians; their 25th-75th percentiles lie inside
        // their 0.5th-99.5th.
        StatisticsOptions narrow;
        narrow.confidence_level = 0.5;
        StatisticsOptions wide;
        wide.confidence_level = 0.99;
        const auto narrow_ci = describe(values, narrow).median_ci;
        const auto wide_ci = describe(values, wide).median_ci;
        REQUIRE(narrow_ci.has_value());
        REQUIRE(wide_ci.has_value());
        CHECK(narrow_ci->level == 0.5);
        CHECK(wide_ci->level == 0.99);
        CHECK(wide_ci->low <= narrow_ci->low);
        CHECK(narrow_ci->high <= wide_ci->high);
    }
    SECTION("uses the requested number of resamples") {
        // One resample has one median: both ends of the interval are that median.
        StatisticsOptions options;
        options.bootstrap_resamples = 1;
        const auto ci = describe(values, options).median_ci;
        REQUIRE(ci.has_value());
        CHECK(ci->low == ci->high);
    }
    SECTION("is absent without resamples or with n < 2") {
        StatisticsOptions options;
        options.bootstrap_resamples = 0;
        CHECK_FALSE(describe(values, options).median_ci.has_value());
        CHECK_FALSE(describe(std::vector<double>{3}).median_ci.has_value());
    }
    SECTION("exists for two values and stays between them") {
        const auto ci = describe(std::vector<double>{1, 3}).median_ci;
        REQUIRE(ci.has_value());
        CHECK(ci->low >= 1.0);
        CHECK(ci->high <= 3.0);
    }
}

TEST_CASE("non-finite values are ignored and not counted", "[unit][statistics]") {
    constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
    constexpr double kInf = std::numeric_limits<double>::infinity();
    // The finite values are 1 2 3: n 3, mean 2, median 2.
    const Distribution d = describe(std::vector<double>{1, kNan, 2, kInf, 3, -kInf});
    CHECK(d.n == 3);
    CHECK(*d.min == 1.0);
    CHECK(*d.max == 3.0);
    CHECK(*d.mean == Approx(2.0));
    CHECK(*d.median == 2.0);
    CHECK(*d.stddev == Approx(1.0));  // (1 + 0 + 1) / (3 - 1) = 1

    const Distribution only_nan = describe(std::vector<double>{kNan, kNan});
    CHECK(only_nan.n == 0);
    CHECK_FALSE(only_nan.mean.has_value());
}
