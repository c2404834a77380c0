// SPDX-License-Identifier: Apache-2.0
//
// The comparison engine: the Mann–Whitney U test against scipy and against the published table
// of critical values, the bootstrap interval of the median ratio on data small enough to work
// out by hand, the verdict rule, and the pairing of two runs' rows.
//
// Reference p-values come from Debian 12's python3-scipy 1.10.1 (/usr/bin/python3), e.g.
//   from scipy.stats import mannwhitneyu
//   mannwhitneyu([1.1, 2.3, 3.7, 4.2, 5.9], [3.0, 6.1, 7.4, 8.8, 9.5, 10.2],
//                alternative="two-sided", method="exact")   # U=3.0, p=0.030303030303030304
// and are hard-coded next to the inputs that produced them.
#include "sandbench/harness/compare.hpp"

#include <cstddef>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "sandbench/harness/compare_report.hpp"

namespace {

using sandbench::backends::Milliseconds;
using sandbench::harness::bootstrap_median_ratio_ci;
using sandbench::harness::ComparedRun;
using sandbench::harness::CompareOptions;
using sandbench::harness::ConfidenceInterval;
using sandbench::harness::decide_verdict;
using sandbench::harness::mann_whitney_u;
using sandbench::harness::MannWhitneyMethod;
using sandbench::harness::RowKey;
using sandbench::harness::Sample;
using sandbench::harness::Scenario;
using sandbench::harness::StatisticsOptions;
using sandbench::harness::Verdict;

/// Distinct samples of sizes m and n whose U (of x) is exactly `u`: y = 1..n, and each x lies
/// just above as many y as the remaining budget allows (at most n), with tiny offsets so that
/// no two values tie.
std::pair<std::vector<double>, std::vector<double>> samples_with_u(std::size_t m, std::size_t n,
                                                                   std::size_t u) {
    std::vector<double> y;
    for (std::size_t j = 1; j <= n; ++j) {
        y.push_back(static_cast<double>(j));
    }
    std::vector<double> x;
    std::size_t remaining = u;
    for (std::size_t i = 0; i < m; ++i) {
        const std::size_t above = std::min(n, remaining);
        remaining -= above;
        x.push_back(static_cast<double>(above) + 0.5 + 0.001 * static_cast<double>(i + 1));
    }
    return {x, y};
}

Sample sample(std::string backend, std::string phase, double wall_ms, bool ok = true,
              Scenario scenario = Scenario::kCold, std::string workload = "hello") {
    Sample s;
    s.run_id = "test";
    s.backend = std::move(backend);
    s.workload = std::move(workload);
    s.scenario = scenario;
    s.phase = std::move(phase);
    s.wall = Milliseconds{wall_ms};
    s.ok = ok;
    if (!ok) {
        s.status = sandbench::backends::Status::kTimeout;
        s.error_kind = "timeout";
    }
    return s;
}

const sandbench::harness::RowComparison& find(const sandbench::harness::Comparison& comparison,
                                              const RowKey& key) {
    for (const auto& row : comparison.rows) {
        if (row.key == key) {
            return row;
        }
    }
    FAIL("no row " << sandbench::harness::to_string(key));
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("Mann-Whitney U, exact, matches scipy", "[unit][compare]") {
    SECTION("5 against 6, no ties") {
        // scipy: U=3.0, p=0.030303030303030304 (exact); 0.03576376659097789 (asymptotic).
        const std::vector<double> x{1.1, 2.3, 3.7, 4.2, 5.9};
        const std::vector<double> y{3.0, 6.1, 7.4, 8.8, 9.5, 10.2};
        const auto exact = mann_whitney_u(x, y);
        REQUIRE(exact.has_value());
        CHECK(exact->exact);
        CHECK(exact->u == 3.0);
        CHECK(exact->p_value == Approx(0.030303030303030304).epsilon(1e-12));
        const auto normal = mann_whitney_u(x, y, MannWhitneyMethod::kAsymptotic);
        REQUIRE(normal.has_value());
        CHECK_FALSE(normal->exact);
        CHECK(normal->p_value == Approx(0.03576376659097789).epsilon(1e-12));
    }
    SECTION("complete separation of 8 and 8: 2 / C(16, 8)") {
        // scipy: U=0.0 (x first) or 64.0 (y first), p=0.0001554001554001554 = 2 / 12870.
        std::vector<double> low;
        std::vector<double> high;
        for (int i = 1; i <= 8; ++i) {
            low.push_back(i);
            high.push_back(i + 8);
        }
        const auto forward = mann_whitney_u(low, high);
        const auto backward = mann_whitney_u(high, low);
        REQUIRE(forward.has_value());
        REQUIRE(backward.has_value());
        CHECK(forward->u == 0.0);
        CHECK(backward->u == 64.0);
        CHECK(forward->p_value == Approx(2.0 / 12870.0).epsilon(1e-12));
        CHECK(backward->p_value == Approx(0.0001554001554001554).epsilon(1e-12));
    }
    SECTION("20 against 25, no ties") {
        // scipy: U=130.0, p=0.005508723009797182 (exact), 0.006341653177880137 (asymptotic).
        const std::vector<double> x{10.0,  10.59, 11.18, 11.22, 11.81, 11.85, 12.44,
                                    13.03, 13.07, 13.66, 13.7,  14.29, 14.88, 14.92,
                                    15.51, 15.55, 16.14, 16.73, 16.77, 17.36};
        const std::vector<double> y{11.0,  11.8,  12.6,  12.49, 13.29, 13.18, 13.98, 13.87, 14.67,
                                    15.47, 15.36, 16.16, 16.05, 16.85, 16.74, 17.54, 18.34, 18.23,
                                    19.03, 18.92, 19.72, 19.61, 20.41, 21.21, 21.1};
        const auto exact = mann_whitney_u(x, y);
        REQUIRE(exact.has_value());
        CHECK(exact->exact);  // both below 50, no ties
        CHECK(exact->u == 130.0);
        CHECK(exact->p_value == Approx(0.005508723009797182).epsilon(1e-10));
        const auto normal = mann_whitney_u(x, y, MannWhitneyMethod::kAsymptotic);
        REQUIRE(normal.has_value());
        CHECK(normal->p_value == Approx(0.006341653177880137).epsilon(1e-10));
    }
    SECTION("one value each can never be significant") {
        // scipy: U=0.0, p=1.0.
        const auto result = mann_whitney_u(std::vector<double>{1.0}, std::vector<double>{2.0});
        REQUIRE(result.has_value());
        CHECK(result->p_value == 1.0);
    }
}

TEST_CASE("Mann-Whitney U, exact, reproduces the table of critical values", "[unit][compare]") {
    // Two-sided critical values of U at alpha = 0.05 as tabulated (e.g. Siegel (1956),
    // "Nonparametric Statistics for the Behavioral Sciences", table K): U <= critical is
    // significant, U = critical + 1 is not. The p-values beside them are scipy's exact ones.
    struct Row {
        std::size_t m;
        std::size_t n;
        std::size_t critical;
        double p_at;
        double p_above;
    };
    const std::vector<Row> table{
        {5, 5, 2, 0.031746031746031744, 0.05555555555555555},
        {6, 9, 10, 0.04955044955044956, 0.06633366633366634},
        {8, 8, 13, 0.04988344988344988, 0.06495726495726495},
        {10, 10, 23, 0.04325705254497823, 0.0524259022711035},
        {20, 20, 127, 0.04909032518937244, 0.05239952187284972},
    };
    for (const auto& row : table) {
        INFO("m = " << row.m << ", n = " << row.n);
        const auto [x_at, y_at] = samples_with_u(row.m, row.n, row.critical);
        const auto at = mann_whitney_u(x_at, y_at);
        REQUIRE(at.has_value());
        CHECK(at->exact);
        CHECK(at->u == static_cast<double>(row.critical));
        CHECK(at->p_value == Approx(row.p_at).epsilon(1e-10));
        CHECK(at->p_value <= 0.05);
        const auto [x_above, y_above] = samples_with_u(row.m, row.n, row.critical + 1);
        const auto above = mann_whitney_u(x_above, y_above);
        REQUIRE(above.has_value());
        CHECK(above->p_value == Approx(row.p_above).epsilon(1e-10));
        CHECK(above->p_value > 0.05);
    }
    // By hand for 5 and 5: of the C(10, 5) = 252 orderings, U = 0, 1, 2 occur 1, 1, 2 times,
    // so P(U <= 2) = 4 / 252 and the two-sided p is 8 / 252.
    const auto [x, y] = samples_with_u(5, 5, 2);
    CHECK(mann_whitney_u(x, y)->p_value == Approx(8.0 / 252.0).epsilon(1e-14));
}

TEST_CASE("Mann-Whitney U, normal approximation with ties, matches scipy", "[unit][compare]") {
    SECTION("small samples with ties use the approximation even under kAuto") {
        // scipy (method="asymptotic"): U=8.5, p=0.025279736885893914.
        const std::vector<double> x{1, 2, 2, 3, 3, 3, 4};
        const std::vector<double> y{2, 3, 4, 4, 5, 5, 6, 7};
        const auto result = mann_whitney_u(x, y);
        REQUIRE(result.has_value());
        CHECK_FALSE(result->exact);
        CHECK(result->u == 8.5);
        CHECK(result->p_value == Approx(0.025279736885893914).epsilon(1e-12));
        // kExact cannot honour ties and falls back.
        CHECK_FALSE(mann_whitney_u(x, y, MannWhitneyMethod::kExact)->exact);
    }
    SECTION("60 against 60: 50 or more values use the approximation") {
        // x_i = 100 + ((37 i) mod 61) / 2, y_i = 103 + ((41 i) mod 67) / 2, i = 0..59 (exact in
        // binary; 72 distinct values among 120). scipy: U=1364.0, p=0.022255854492629627.
        std::vector<double> x;
        std::vector<double> y;
        for (int i = 0; i < 60; ++i) {
            x.push_back(100.0 + ((i * 37) % 61) * 0.5);
            y.push_back(103.0 + ((i * 41) % 67) * 0.5);
        }
        const auto result = mann_whitney_u(x, y);
        REQUIRE(result.has_value());
        CHECK_FALSE(result->exact);
        CHECK(result->u == 1364.0);
        CHECK(result->p_value == Approx(0.022255854492629627).epsilon(1e-10));
    }
    SECTION("all values equal: nothing to tell apart") {
        // scipy: U=4.5, p=1.0.
        const auto result =
            mann_whitney_u(std::vector<double>{5, 5, 5}, std::vector<double>{5, 5, 5});
        REQUIRE(result.has_value());
        CHECK(result->u == 4.5);
        CHECK(result->p_value == 1.0);
    }
    SECTION("empty or non-finite samples") {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        CHECK_FALSE(mann_whitney_u(std::vector<double>{}, std::vector<double>{1.0}).has_value());
        CHECK_FALSE(mann_whitney_u(std::vector<double>{nan}, std::vector<double>{1.0}));
        // Non-finite values are dropped: the same result as without them.
        const auto with_nan = mann_whitney_u(std::vector<double>{1.1, 2.3, nan, 3.7, 4.2, 5.9},
                                             std::vector<double>{3.0, 6.1, 7.4, 8.8, 9.5, 10.2});
        CHECK(with_nan->p_value == Approx(0.030303030303030304).epsilon(1e-12));
    }
}

TEST_CASE("bootstrap interval of the median ratio on hand-checkable data", "[unit][compare]") {
    const StatisticsOptions options;  // 2000 resamples, 95%, fixed seed
    SECTION("constant samples: every resample gives the same ratio") {
        const auto ci = bootstrap_median_ratio_ci(std::vector<double>{10, 10, 10},
                                                  std::vector<double>{20, 20, 20}, options);
        REQUIRE(ci.has_value());
        CHECK(ci->low == 2.0);
        CHECK(ci->high == 2.0);
        CHECK(ci->level == 0.95);
    }
    SECTION("base {10, 10}, new {15, 25}") {
        // A resample of {15, 25} has median 15 (p = 1/4), 20 (1/2) or 25 (1/4); base's is
        // always 10. The ratios 1.5 and 2.5 each hold about 500 of the 2000 sorted ratios, far
        // more than the 2.5% (50) at either end, so the interval is exactly [1.5, 2.5].
        const auto ci = bootstrap_median_ratio_ci(std::vector<double>{10, 10},
                                                  std::vector<double>{15, 25}, options);
        REQUIRE(ci.has_value());
        CHECK(ci->low == 1.5);
        CHECK(ci->high == 2.5);
    }
    SECTION("base {10, 20}, new {10, 20}") {
        // Each median is 10, 15, 20 with p = 1/4, 1/2, 1/4. The smallest ratio, 10 / 20 = 0.5,
        // has p = 1/16 = 6.25% > 2.5%, the largest, 20 / 10 = 2, too: [0.5, 2].
        const auto ci = bootstrap_median_ratio_ci(std::vector<double>{10, 20},
                                                  std::vector<double>{10, 20}, options);
        REQUIRE(ci.has_value());
        CHECK(ci->low == 0.5);
        CHECK(ci->high == 2.0);
    }
    SECTION("90% interval of the same data is narrower or equal, and inside the 95% one") {
        const std::vector<double> base{9.8, 10.1, 10.4, 9.9, 10.0, 10.6, 9.7};
        const std::vector<double> next{12.1, 11.8, 12.6, 12.0, 11.9, 12.4, 13.0};
        StatisticsOptions narrow = options;
        narrow.confidence_level = 0.90;
        const auto wide_ci = bootstrap_median_ratio_ci(base, next, options);
        const auto narrow_ci = bootstrap_median_ratio_ci(base, next, narrow);
        REQUIRE(wide_ci.has_value());
        REQUIRE(narrow_ci.has_value());
        CHECK(wide_ci->low <= narrow_ci->low);
        CHECK(narrow_ci->high <= wide_ci->high);
        // Every resampled ratio lies between min(new) / max(base) and max(new) / min(base).
        CHECK(wide_ci->low >= 11.8 / 10.6);
        CHECK(wide_ci->high <= 13.0 / 9.7);
        // The point estimate, 12.1 / 10.0, is inside.
        CHECK(wide_ci->low <= 1.21);
        CHECK(wide_ci->high >= 1.21);
    }
    SECTION("seeded: the same seed gives the same interval") {
        const std::vector<double> base{9.8, 10.1, 10.4, 9.9, 10.0, 10.6, 9.7, 11.2};
        const std::vector<double> next{12.1, 11.8, 12.6, 12.0, 11.9, 12.4, 13.0, 10.2};
        const auto first = bootstrap_median_ratio_ci(base, next, options);
        const auto second = bootstrap_median_ratio_ci(base, next, options);
        REQUIRE(first.has_value());
        REQUIRE(second.has_value());
        CHECK(first->low == second->low);
        CHECK(first->high == second->high);
    }
    SECTION("no interval without data, resamples, a valid level or a positive base") {
        CHECK_FALSE(bootstrap_median_ratio_ci(std::vector<double>{10}, std::vector<double>{10, 11},
                                              options));
        StatisticsOptions none = options;
        none.bootstrap_resamples = 0;
        CHECK_FALSE(bootstrap_median_ratio_ci(std::vector<double>{10, 11},
                                              std::vector<double>{10, 11}, none));
        StatisticsOptions bad_level = options;
        bad_level.confidence_level = 1.0;
        CHECK_FALSE(bootstrap_median_ratio_ci(std::vector<double>{10, 11},
                                              std::vector<double>{10, 11}, bad_level));
        CHECK_FALSE(bootstrap_median_ratio_ci(std::vector<double>{0, 0, 1},
                                              std::vector<double>{1, 2, 3}, options));
    }
}

TEST_CASE("Hodges-Lehmann ratio: the median of all pairwise ratios", "[unit][compare]") {
    using sandbench::harness::hodges_lehmann_ratio;
    // {1, 2} against {2, 4}: ratios 2/1, 4/1, 2/2, 4/2 = 2, 4, 1, 2; median (2 + 2) / 2 = 2.
    CHECK(hodges_lehmann_ratio(std::vector<double>{1, 2}, std::vector<double>{2, 4}) == 2.0);
    // {10} against {10, 20, 30}: ratios 1, 2, 3; median 2.
    CHECK(hodges_lehmann_ratio(std::vector<double>{10}, std::vector<double>{10, 20, 30}) == 2.0);
    // One slow value in NEW, {10, 10, 10} against {10, 10, 30}: six ratios of 1 and three of
    // 3, median 1.
    CHECK(hodges_lehmann_ratio(std::vector<double>{10, 10, 10}, std::vector<double>{10, 10, 30}) ==
          1.0);
    // Every value doubled: exactly 2, whatever the spread.
    const std::vector<double> base{1.0, 1.5, 4.0, 4.2, 9.0, 12.5, 30.0};
    std::vector<double> doubled;
    doubled.reserve(base.size());
    for (const double value : base) {
        doubled.push_back(2.0 * value);
    }
    CHECK(hodges_lehmann_ratio(base, base) == 1.0);
    CHECK(hodges_lehmann_ratio(base, doubled) == 2.0);
    CHECK_FALSE(hodges_lehmann_ratio(std::vector<double>{}, std::vector<double>{1}));
    CHECK_FALSE(hodges_lehmann_ratio(std::vector<double>{0, 1}, std::vector<double>{1}));
    // Large samples are thinned to 2000 order statistics each: still exactly 2 when doubled.
    std::vector<double> many;
    std::vector<double> many_doubled;
    for (int i = 1; i <= 3000; ++i) {
        many.push_back(static_cast<double>(i));
        many_doubled.push_back(2.0 * static_cast<double>(i));
    }
    CHECK(hodges_lehmann_ratio(many, many_doubled) == Approx(2.0).epsilon(1e-12));
}

TEST_CASE("verdicts follow criterion's rule", "[unit][compare]") {
    const CompareOptions options;  // alpha 0.05, noise 5%
    const auto ci = [](double low, double high) {
        return std::optional<ConfidenceInterval>(ConfidenceInterval{low, high, 0.95});
    };
    // Not significant: no change, whatever the size of the estimate.
    CHECK(decide_verdict(0.20, ci(1.5, 2.5), 2.0, options) == Verdict::kNoChange);
    CHECK(decide_verdict(0.05, ci(1.5, 2.5), 2.0, options) == Verdict::kNoChange);
    // Significant, and the whole interval beyond the 5% band: regressed or improved.
    CHECK(decide_verdict(0.01, ci(1.06, 1.30), 1.2, options) == Verdict::kRegressed);
    CHECK(decide_verdict(0.01, ci(0.70, 0.94), 0.8, options) == Verdict::kImproved);
    // Significant, but the interval reaches into the band: within noise.
    CHECK(decide_verdict(0.01, ci(1.04, 1.30), 1.2, options) == Verdict::kWithinNoise);
    CHECK(decide_verdict(0.01, ci(0.90, 0.96), 0.93, options) == Verdict::kWithinNoise);
    CHECK(decide_verdict(0.01, ci(0.99, 1.02), 1.0, options) == Verdict::kWithinNoise);
    // Without an interval the point estimate decides.
    CHECK(decide_verdict(0.01, std::nullopt, 1.2, options) == Verdict::kRegressed);
    CHECK(decide_verdict(0.01, std::nullopt, 1.01, options) == Verdict::kWithinNoise);
    // A wider noise band or a stricter alpha changes the answer.
    CompareOptions lenient = options;
    lenient.noise_threshold = 0.10;
    CHECK(decide_verdict(0.01, ci(1.06, 1.30), 1.2, lenient) == Verdict::kWithinNoise);
    CompareOptions strict = options;
    strict.alpha = 0.001;
    CHECK(decide_verdict(0.01, ci(1.06, 1.30), 1.2, strict) == Verdict::kNoChange);
}

TEST_CASE("compare_runs pairs rows and judges each", "[unit][compare]") {
    ComparedRun base;
    ComparedRun next;
    for (int i = 0; i < 15; ++i) {
        const double jitter = 0.01 * i;
        // create: twice as slow in NEW; execute: unchanged; close: the same values.
        base.samples.push_back(sample("local", "create", 10.0 + jitter));
        next.samples.push_back(sample("local", "create", 20.0 + jitter));
        base.samples.push_back(sample("local", "execute", 5.0 + jitter));
        next.samples.push_back(sample("local", "execute", 5.0 + 0.0105 * i));
        base.samples.push_back(sample("local", "close", 1.0 + jitter));
        next.samples.push_back(sample("local", "close", 1.0 + jitter));
        // first_result fails a third of the time in NEW.
        base.samples.push_back(sample("local", "first_result", 12.0 + jitter));
        next.samples.push_back(sample("local", "first_result", 12.0 + jitter, i % 3 != 0));
        // download never works in NEW; upload exists only in BASE, fresh_check only in NEW.
        base.samples.push_back(sample("local", "download", 0.5 + jitter));
        next.samples.push_back(sample("local", "download", 0.5, false));
        base.samples.push_back(sample("local", "upload", 0.2 + jitter));
        next.samples.push_back(sample("local", "fresh_check", 0.3 + jitter));
    }
    // A warmup must not count.
    Sample warmup = sample("local", "create", 1000.0);
    warmup.warmup = true;
    next.samples.push_back(warmup);

    const auto comparison = sandbench::harness::compare_runs(base, next);
    const auto key = [](std::string phase) {
        return RowKey{"local", "hello", Scenario::kCold, std::move(phase)};
    };

    const auto& create = find(comparison, key("create"));
    CHECK(create.verdict == Verdict::kRegressed);
    REQUIRE(create.median_ratio.has_value());
    CHECK(*create.median_ratio == Approx(20.07 / 10.07));
    REQUIRE(create.relative_change().has_value());
    CHECK(*create.relative_change() == Approx(20.07 / 10.07 - 1.0));
    REQUIRE(create.mann_whitney.has_value());
    CHECK(create.mann_whitney->exact);
    CHECK(create.mann_whitney->p_value < 1e-6);
    REQUIRE(create.median_ratio_ci.has_value());
    CHECK(create.median_ratio_ci->low > 1.9);
    REQUIRE(create.hl_ratio.has_value());
    CHECK(*create.hl_ratio == Approx(2.0).epsilon(0.01));
    REQUIRE(create.min_ratio.has_value());
    CHECK(*create.min_ratio == 2.0);
    CHECK(create.base->wall.n == 15);
    CHECK(create.current->wall.n == 15);  // the warmup is not among them

    const auto& close = find(comparison, key("close"));
    CHECK(close.verdict == Verdict::kNoChange);
    CHECK(close.mann_whitney->p_value == 1.0);
    CHECK(*close.median_ratio == 1.0);

    const auto& execute = find(comparison, key("execute"));
    CHECK(execute.verdict == Verdict::kNoChange);

    const auto& first_result = find(comparison, key("first_result"));
    REQUIRE(first_result.success_rate_change().has_value());
    CHECK(*first_result.success_rate_change() == Approx(-5.0 / 15.0));

    CHECK(find(comparison, key("download")).verdict == Verdict::kNoData);
    CHECK(find(comparison, key("upload")).verdict == Verdict::kOnlyInBase);
    CHECK_FALSE(find(comparison, key("upload")).current.has_value());
    CHECK(find(comparison, key("fresh_check")).verdict == Verdict::kOnlyInNew);
    CHECK(comparison.count(Verdict::kRegressed) == 1);

    // Rows in lifecycle order: create, upload, first_result, execute, download, fresh_check,
    // close.
    std::vector<std::string> phases;
    for (const auto& row : comparison.rows) {
        phases.push_back(row.key.phase);
    }
    CHECK(phases == std::vector<std::string>{"create", "upload", "first_result", "execute",
                                             "download", "fresh_check", "close"});
}

TEST_CASE("a run compared with itself has no change anywhere", "[unit][compare]") {
    ComparedRun run;
    for (int i = 0; i < 12; ++i) {
        run.samples.push_back(sample("local", "create", 10.0 + 0.37 * i));
        run.samples.push_back(sample("local-bwrap", "create", 14.0 + 0.21 * (i % 5)));
        run.samples.push_back(
            sample("local", "execute", 0.4 + 0.01 * i, true, Scenario::kReused, "arithmetic"));
    }
    const auto comparison = sandbench::harness::compare_runs(run, run);
    REQUIRE(comparison.rows.size() == 3);
    for (const auto& row : comparison.rows) {
        INFO(sandbench::harness::to_string(row.key));
        CHECK(row.verdict == Verdict::kNoChange);
        CHECK(*row.median_ratio == 1.0);
        CHECK(row.mann_whitney->p_value == 1.0);
        CHECK(row.median_ratio_ci->low <= 1.0);
        CHECK(row.median_ratio_ci->high >= 1.0);
    }
}

TEST_CASE("row keys name rows as backend/workload/scenario/phase", "[unit][compare]") {
    CHECK(sandbench::harness::to_string(RowKey{"local", "hello", Scenario::kReused, "cell:2"}) ==
          "local/hello/reused/cell:2");
    CHECK(sandbench::harness::to_string(Verdict::kWithinNoise) == "within noise");
}

TEST_CASE("a comparison warns when the runs started at different loads", "[unit][compare]") {
    const auto run_at = [](nlohmann::json load, int cpus = 2) {
        ComparedRun run;
        run.context = {{"run_id", "r"}, {"cpus", cpus}, {"load_average", std::move(load)}};
        return run;
    };
    const auto idle = run_at({0.4, 0.3, 0.2});
    // Within half a CPU's worth per CPU (1.0 on 2 CPUs): no warning.
    CHECK_FALSE(sandbench::harness::load_warning(idle, run_at({1.3, 1.0, 1.0})));
    const auto busy = sandbench::harness::load_warning(idle, run_at({3.25, 2.0, 1.0}));
    REQUIRE(busy);
    CHECK_THAT(*busy, Catch::Contains("BASE started at 0.40, NEW at 3.25"));
    CHECK(sandbench::harness::load_warning(run_at({3.25, 2.0, 1.0}), idle));  // either way
    CHECK_FALSE(sandbench::harness::load_warning(idle, run_at({3.25, 2.0, 1.0}, 8)));
    // Unknown on either side (older summaries, or no summary.json): nothing to say.
    CHECK_FALSE(sandbench::harness::load_warning(idle, run_at(nlohmann::json::array())));
    CHECK_FALSE(sandbench::harness::load_warning(idle, ComparedRun{}));
}

TEST_CASE("a comparison warns when the runs come from different machines or builds",
          "[unit][compare]") {
    const auto run_on = [](nlohmann::json context) {
        ComparedRun run;
        run.context = std::move(context);
        return run;
    };
    const auto base = run_on({{"cpus", 2}, {"cpu_model", "Xeon"}, {"build_type", "release"}});
    CHECK_FALSE(sandbench::harness::machine_warning(base, base));
    const auto other = sandbench::harness::machine_warning(
        base, run_on({{"cpus", 8}, {"cpu_model", "EPYC"}, {"build_type", "debug"}}));
    REQUIRE(other);
    CHECK_THAT(*other, Catch::Contains("cpu_model Xeon vs EPYC") &&
                           Catch::Contains("cpus 2 vs 8") &&
                           Catch::Contains("build_type release vs debug"));
    const auto debug = sandbench::harness::machine_warning(
        base, run_on({{"cpus", 2}, {"cpu_model", "Xeon"}, {"build_type", "debug"}}));
    REQUIRE(debug);
    CHECK_THAT(*debug, !Catch::Contains("cpu_model") && Catch::Contains("build_type"));
    // Fields a run did not record (older summaries, an unreadable /proc/cpuinfo) are not compared.
    CHECK_FALSE(sandbench::harness::machine_warning(
        base, run_on({{"cpus", 2}, {"cpu_model", ""}, {"build_type", "release"}})));
    CHECK_FALSE(sandbench::harness::machine_warning(base, run_on({{"run_id", "old"}})));
    CHECK_FALSE(sandbench::harness::machine_warning(base, ComparedRun{}));
}
