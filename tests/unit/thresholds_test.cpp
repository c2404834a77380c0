// SPDX-License-Identifier: Apache-2.0
//
// Thresholds: the expression parser on valid and malformed input (each error one line that
// says where and what was expected), scopes and globs, the TOML file, and the evaluation on a
// comparison (fail closed on missing rows and values, an error for thresholds matching nothing).
#include "sandbench/harness/thresholds.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sandbench/common/error.hpp"

namespace {

using sandbench::backends::Milliseconds;
using sandbench::harness::ComparedRun;
using sandbench::harness::parse_threshold;
using sandbench::harness::parse_thresholds_file;
using sandbench::harness::RowKey;
using sandbench::harness::Sample;
using sandbench::harness::Scenario;
using sandbench::harness::Threshold;
using sandbench::harness::ThresholdMetric;
using sandbench::harness::ThresholdOperator;

std::string parse_error(const std::string& text) {
    try {
        (void)parse_threshold(text);
    } catch (const sandbench::UsageError& error) {
        return error.what();
    }
    return "(no error)";
}

std::string file_error(const std::string& text) {
    try {
        (void)parse_thresholds_file(text, "t.toml");
    } catch (const sandbench::ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

Sample sample(std::string phase, double wall_ms, bool ok = true, std::string backend = "local") {
    Sample s;
    s.backend = std::move(backend);
    s.workload = "hello";
    s.scenario = Scenario::kCold;
    s.phase = std::move(phase);
    s.wall = Milliseconds{wall_ms};
    s.ok = ok;
    if (!ok) {
        s.error_kind = "timeout";
    }
    return s;
}

}  // namespace

TEST_CASE("valid thresholds parse", "[unit][thresholds]") {
    const Threshold simple = parse_threshold("p95<800");
    CHECK(simple.metric == ThresholdMetric::kP95);
    CHECK(simple.op == ThresholdOperator::kLess);
    CHECK(simple.bound == 800.0);
    CHECK(simple.scope.empty());
    CHECK(simple.text == "p95<800");

    const Threshold spaced = parse_threshold("  median_ratio <= 1.5 ");
    CHECK(spaced.metric == ThresholdMetric::kMedianRatio);
    CHECK(spaced.op == ThresholdOperator::kLessEqual);
    CHECK(spaced.bound == 1.5);
    CHECK(spaced.text == "median_ratio <= 1.5");

    struct Case {
        std::string text;
        ThresholdMetric metric;
        ThresholdOperator op;
        double bound;
    };
    const std::vector<Case> cases{
        {"median<10", ThresholdMetric::kMedian, ThresholdOperator::kLess, 10},
        {"mean>.5", ThresholdMetric::kMean, ThresholdOperator::kGreater, 0.5},
        {"min>=0", ThresholdMetric::kMin, ThresholdOperator::kGreaterEqual, 0},
        {"max<1e3", ThresholdMetric::kMax, ThresholdOperator::kLess, 1000},
        {"p90<1", ThresholdMetric::kP90, ThresholdOperator::kLess, 1},
        {"p99<2", ThresholdMetric::kP99, ThresholdOperator::kLess, 2},
        {"p999<3", ThresholdMetric::kP999, ThresholdOperator::kLess, 3},
        {"p95_ratio<1.2", ThresholdMetric::kP95Ratio, ThresholdOperator::kLess, 1.2},
        {"success_rate==1", ThresholdMetric::kSuccessRate, ThresholdOperator::kEqual, 1},
        {"cv<0.25", ThresholdMetric::kCv, ThresholdOperator::kLess, 0.25},
        {"min_ratio<1.5", ThresholdMetric::kMinRatio, ThresholdOperator::kLess, 1.5},
        {"min_delta<=0.5", ThresholdMetric::kMinDelta, ThresholdOperator::kLessEqual, 0.5},
        {"hl_ratio<1.5", ThresholdMetric::kHlRatio, ThresholdOperator::kLess, 1.5},
        {"median_ratio>-1", ThresholdMetric::kMedianRatio, ThresholdOperator::kGreater, -1},
        // k6's spellings.
        {"med<10", ThresholdMetric::kMedian, ThresholdOperator::kLess, 10},
        {"avg<10", ThresholdMetric::kMean, ThresholdOperator::kLess, 10},
        {"p(90)<10", ThresholdMetric::kP90, ThresholdOperator::kLess, 10},
        {"p(95)<500", ThresholdMetric::kP95, ThresholdOperator::kLess, 500},
        {"p(99)<10", ThresholdMetric::kP99, ThresholdOperator::kLess, 10},
        {"p(99.9)<10", ThresholdMetric::kP999, ThresholdOperator::kLess, 10},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const Threshold threshold = parse_threshold(c.text);
        CHECK(threshold.metric == c.metric);
        CHECK(threshold.op == c.op);
        CHECK(threshold.bound == c.bound);
    }
}

TEST_CASE("scopes select rows by phase, backend, workload and scenario", "[unit][thresholds]") {
    const Threshold scoped = parse_threshold("phase=first_result,backend=local: p95<800");
    CHECK(scoped.scope.phase == "first_result");
    CHECK(scoped.scope.backend == "local");
    CHECK(scoped.scope.workload.empty());
    CHECK(scoped.metric == ThresholdMetric::kP95);

    // The scope ends at the last ':', so cell phases need no quoting.
    const Threshold cell = parse_threshold("phase=cell:2: p95<5");
    CHECK(cell.scope.phase == "cell:2");
    CHECK(cell.bound == 5.0);

    const Threshold spaced =
        parse_threshold(" backend = local-* , scenario = cold , workload=h*o : cv < 0.5");
    CHECK(spaced.scope.backend == "local-*");
    CHECK(spaced.scope.scenario == "cold");
    CHECK(spaced.scope.workload == "h*o");

    const auto row = [](RowKey key) {
        sandbench::harness::RowComparison comparison;
        comparison.key = std::move(key);
        return comparison;
    };
    const auto local = row({"local", "hello", Scenario::kCold, "first_result"});
    const auto bwrap = row({"local-bwrap", "hello", Scenario::kCold, "first_result"});
    const auto reused = row({"local-bwrap", "hello", Scenario::kReused, "execute"});
    CHECK(scoped.scope.matches(local));
    CHECK_FALSE(scoped.scope.matches(bwrap));
    CHECK_FALSE(spaced.scope.matches(local));  // "local" does not match "local-*"
    CHECK(spaced.scope.matches(bwrap));
    CHECK_FALSE(spaced.scope.matches(reused));
    CHECK(parse_threshold("p95<1").scope.matches(reused));
    CHECK(parse_threshold("phase=cell:*: p95<1")
              .scope.matches(row({"local", "hello", Scenario::kCold, "cell:12"})));

    // A leading '!' negates a pattern.
    const Threshold negated = parse_threshold("scenario=!cold, phase=!cell:*: p95<1");
    CHECK(negated.scope.scenario == "!cold");
    CHECK(negated.scope.matches(reused));
    CHECK_FALSE(negated.scope.matches(local));
    CHECK_FALSE(negated.scope.matches(row({"local", "hello", Scenario::kReused, "cell:1"})));

    using sandbench::harness::glob_match;
    CHECK(glob_match("*", ""));
    CHECK(glob_match("local*", "local-bwrap"));
    CHECK(glob_match("*bwrap", "local-bwrap"));
    CHECK(glob_match("l*l-*p", "local-bwrap"));
    CHECK(glob_match("cell:*", "cell:1"));
    CHECK_FALSE(glob_match("cell:*", "cell"));
    CHECK_FALSE(glob_match("local", "local-bwrap"));
    CHECK_FALSE(glob_match("*x*", "local"));
    CHECK(glob_match("a*b*c", "aXbYbZc"));
}

TEST_CASE("size bounds select rows by BASE's median", "[unit][thresholds]") {
    const Threshold sized = parse_threshold("min_base_ms=1, max_base_ms=10.5: min_ratio<1.5");
    REQUIRE(sized.scope.min_base_ms.has_value());
    REQUIRE(sized.scope.max_base_ms.has_value());
    CHECK(*sized.scope.min_base_ms == 1.0);
    CHECK(*sized.scope.max_base_ms == 10.5);
    CHECK_FALSE(sized.scope.empty());

    const auto row_with_median = [](std::optional<double> base_median) {
        sandbench::harness::RowComparison row;
        row.key = RowKey{"local", "hello", Scenario::kCold, "create"};
        if (base_median) {
            row.base = sandbench::harness::SummaryRow{};
            row.base->wall.n = 1;
            row.base->wall.median = *base_median;
        }
        return row;
    };
    CHECK_FALSE(sized.scope.matches(row_with_median(0.99)));
    CHECK(sized.scope.matches(row_with_median(1.0)));  // at least min_base_ms
    CHECK(sized.scope.matches(row_with_median(10.49)));
    CHECK_FALSE(sized.scope.matches(row_with_median(10.5)));  // below max_base_ms
    // A row without a BASE median (only in NEW, or no successful sample) has no size.
    CHECK_FALSE(sized.scope.matches(row_with_median(std::nullopt)));
    // Without bounds, size does not matter.
    CHECK(parse_threshold("p95<1").scope.matches(row_with_median(std::nullopt)));
}

TEST_CASE("operators compare as written", "[unit][thresholds]") {
    CHECK(parse_threshold("median<2").holds(1.9));
    CHECK_FALSE(parse_threshold("median<2").holds(2.0));
    CHECK(parse_threshold("median<=2").holds(2.0));
    CHECK_FALSE(parse_threshold("median<=2").holds(2.1));
    CHECK(parse_threshold("median>2").holds(2.1));
    CHECK_FALSE(parse_threshold("median>2").holds(2.0));
    CHECK(parse_threshold("median>=2").holds(2.0));
    CHECK_FALSE(parse_threshold("median>=2").holds(1.9));
    CHECK(parse_threshold("success_rate==1").holds(1.0));
    CHECK_FALSE(parse_threshold("success_rate==1").holds(0.999));
}

TEST_CASE("malformed thresholds fail with one line naming the column", "[unit][thresholds]") {
    struct Case {
        std::string text;
        std::string expected;
    };
    const std::vector<Case> cases{
        {"", "empty threshold: expected [scope:] metric operator number"},
        {"   ", "empty threshold"},
        {"p95<<800", "invalid threshold 'p95<<800': column 5: expected a number"},
        {"p95<", "column 5: expected a number"},
        {"p95<inf", "column 5: expected a number"},
        {"p95<nan", "column 5: expected a number"},
        {"p95<-", "column 5: expected a number"},
        {"p95", "column 4: expected an operator (<, <=, >, >=, ==) after 'p95'"},
        {"p95 800", "column 5: expected an operator"},
        {"p95!=800", "column 4: expected an operator"},
        {"p95=800", "column 4: '=' is not an operator"},
        {"p96<800", "column 1: unknown metric 'p96' (known: median, mean, min, max"},
        {"P95<800", "column 1: unknown metric 'P95'"},
        {"p(97)<800", "column 1: unknown metric 'p(97)'"},
        {"<800", "column 1: expected a metric"},
        {"p95<800ms", "column 8: unexpected 'ms' after the number"},
        {"p95 < 800 900", "column 11: unexpected '900' after the number"},
        {"phas=create: p95<800", "column 1: unknown scope key 'phas' (known: phase, backend"},
        {"phase create: p95<800", "column 7: expected '=' after 'phase'"},
        {"phase=: p95<800", "column 7: expected a value after 'phase='"},
        {"phase=a b: p95<800", "column 7: unexpected space or ',' in the value of 'phase'"},
        {"phase=a,phase=b: p95<1", "column 9: 'phase' appears twice in the scope"},
        {"phase=a,: p95<1", "column 9: expected a scope key"},
        {"scenario=warm: p95<1", "column 10: unknown scenario 'warm' (known: cold, reused)"},
        {"scenario=!warm: p95<1", "column 10: unknown scenario 'warm'"},
        {"phase=!: p95<1", "column 7: expected a pattern after 'phase=!'"},
        {": p95<1", "column 1: expected a scope such as phase=first_result before ':'"},
        {"min_base_ms=abc: p95<1",
         "column 13: expected a number of milliseconds after 'min_base_ms='"},
        {"max_base_ms=-1: p95<1", "column 13: expected a number of milliseconds"},
        {"max_base_ms=1ms: p95<1", "column 13: expected a number of milliseconds"},
        {"min_base_ms=1,min_base_ms=2: p95<1", "column 15: 'min_base_ms' appears twice"},
        {"significant=yes: p95<1", "column 13: expected true after 'significant='"},
        {"significant=true,significant=true: p95<1", "column 18: 'significant' appears twice"},
        {"phase=create p95<800", "column 1: a scope ends with ':' before the condition"},
        {"phase=create: ", "column 14: expected a metric"},
    };
    for (const auto& c : cases) {
        INFO("threshold: '" << c.text << "'");
        const std::string message = parse_error(c.text);
        CHECK_THAT(message, Catch::Contains(c.expected));
        CHECK(message.find('\n') == std::string::npos);
    }
}

TEST_CASE("thresholds files: strings, tables, and errors with their place", "[unit][thresholds]") {
    const auto thresholds = parse_thresholds_file(R"(# CI gate
thresholds = [
  "success_rate >= 1",
  { expr = "median_ratio < 1.5" },
  { expr = "p95 < 800", phase = "first_result", backend = "local" },
  { expr = "scenario=reused: cv < 0.5", workload = "hello" },
  { expr = "min_ratio < 1.5", min_base_ms = 1, max_base_ms = 2.5 },
  { expr = "min_delta < 1", max_base_ms = "1" },
  { expr = "hl_ratio < 1.5", min_base_ms = 1, significant = true },
]
)",
                                                  "t.toml");
    REQUIRE(thresholds.size() == 7);
    CHECK(thresholds[0].metric == ThresholdMetric::kSuccessRate);
    CHECK(thresholds[0].text == "success_rate >= 1");
    CHECK(thresholds[1].text == "median_ratio<1.5");
    CHECK(thresholds[2].scope.phase == "first_result");
    CHECK(thresholds[2].scope.backend == "local");
    CHECK(thresholds[2].text == "phase=first_result,backend=local: p95<800");
    CHECK(thresholds[3].scope.workload == "hello");
    CHECK(thresholds[3].scope.scenario == "reused");
    CHECK(thresholds[4].scope.min_base_ms == 1.0);
    CHECK(thresholds[4].scope.max_base_ms == 2.5);
    CHECK(thresholds[4].text == "min_base_ms=1,max_base_ms=2.5: min_ratio<1.5");
    CHECK(thresholds[5].scope.max_base_ms == 1.0);
    CHECK(thresholds[6].scope.significant);
    CHECK(thresholds[6].text == "min_base_ms=1,significant=true: hl_ratio<1.5");

    const auto tables = parse_thresholds_file(R"(
[[thresholds]]
expr = "median_ratio < 1.5"
phase = "create"

[[thresholds]]
expr = "success_rate >= 0.99"
)",
                                              "t.toml");
    REQUIRE(tables.size() == 2);
    CHECK(tables[0].scope.phase == "create");
    CHECK(tables[1].bound == 0.99);

    CHECK(parse_thresholds_file("thresholds = []\n", "t.toml").empty());
    CHECK(parse_thresholds_file("", "t.toml").empty());

    struct Case {
        std::string text;
        std::string expected;
    };
    const std::vector<Case> cases{
        {"thresholds = [\n  \"p95<1\",\n  \"p95<<1\",\n]\n",
         "t.toml:3:3: invalid threshold 'p95<<1': column 5: expected a number"},
        {"threshold = [\"p95<1\"]\n", "t.toml:1:1: unknown key 'threshold' (known: thresholds)"},
        {"thresholds = \"p95<1\"\n", "t.toml:1:14: thresholds must be a list"},
        {"thresholds = [1]\n", "t.toml:1:15: expected an expression string"},
        {"thresholds = [{ phase = \"create\" }]\n", "t.toml:1:15: a threshold table needs expr"},
        {"thresholds = [{ expr = \"p95<1\", phaze = \"create\" }]\n",
         "unknown key 'phaze' (known: expr, phase, backend, workload, scenario, min_base_ms, "
         "max_base_ms, significant)"},
        {"thresholds = [{ expr = \"p95<1\", phase = 3 }]\n", "phase must be a string"},
        {"thresholds = [{ expr = \"p95<1\", min_base_ms = true }]\n",
         "min_base_ms must be a number of milliseconds"},
        {"thresholds = [{ expr = \"p95<1\", significant = \"x\" }]\n",
         "expected true after 'significant='"},
        {"thresholds = [{ expr = \"p95<1\", significant = 1 }]\n", "significant must be true"},
        {"thresholds = [{ expr = \"p95<1\", min_base_ms = -2 }]\n",
         "expected a number of milliseconds after 'min_base_ms='"},
        {"thresholds = [{ expr = \"min_base_ms=1: p95<1\", min_base_ms = 2 }]\n",
         "min_base_ms is given both here and in expr"},
        {"thresholds = [{ expr = \"p95<1\", scenario = \"warm\" }]\n", "unknown scenario 'warm'"},
        {"thresholds = [{ expr = \"phase=a: p95<1\", phase = \"b\" }]\n",
         "phase is given both here and in expr"},
        {"thresholds = [\"p95<1\"\n", "t.toml:"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const std::string message = file_error(c.text);
        CHECK_THAT(message, Catch::Contains(c.expected));
        CHECK(message.find('\n') == std::string::npos);
    }
    CHECK_THROWS_AS(sandbench::harness::load_thresholds_file("/nonexistent/t.toml"),
                    sandbench::IoError);
}

TEST_CASE("thresholds are checked on every row they match, failing closed", "[unit][thresholds]") {
    ComparedRun base;
    ComparedRun next;
    for (int i = 0; i < 15; ++i) {
        const double jitter = 0.01 * i;
        base.samples.push_back(sample("create", 10.0 + jitter));
        next.samples.push_back(sample("create", 20.0 + jitter));  // twice as slow
        base.samples.push_back(sample("execute", 5.0 + jitter));
        next.samples.push_back(sample("execute", 5.0 + jitter));
        base.samples.push_back(sample("first_result", 12.0 + jitter));
        next.samples.push_back(sample("first_result", 12.0 + jitter, i != 0));  // 1 failure
        base.samples.push_back(sample("upload", 0.2 + jitter));                 // gone from NEW
        next.samples.push_back(sample("fresh_check", 0.3 + jitter));            // new in NEW
        base.samples.push_back(sample("download", 0.5 + jitter));
        next.samples.push_back(sample("download", 0.5, false));  // never works in NEW
    }
    const auto comparison = sandbench::harness::compare_runs(base, next);
    const auto evaluate = [&comparison](const std::vector<std::string>& texts) {
        std::vector<Threshold> thresholds;
        thresholds.reserve(texts.size());
        for (const auto& text : texts) {
            thresholds.push_back(parse_threshold(text));
        }
        return std::pair(thresholds,
                         sandbench::harness::evaluate_thresholds(thresholds, comparison));
    };

    SECTION("a ratio threshold names the doubled phase") {
        const auto [thresholds, evaluation] =
            evaluate({"phase=create: median_ratio<1.5", "phase=execute: median_ratio<1.5"});
        REQUIRE(evaluation.checks.size() == 2);
        CHECK(evaluation.breaches() == 1);
        const auto& breach = evaluation.checks[0];
        CHECK_FALSE(breach.passed);
        CHECK(breach.row.phase == "create");
        REQUIRE(breach.value.has_value());
        CHECK(*breach.value == Approx(20.07 / 10.07));
        CHECK(evaluation.checks[1].passed);
        const auto line = sandbench::harness::describe_check(breach, thresholds, comparison);
        CHECK(line ==
              "local/hello/cold/create: phase=create: median_ratio<1.5 breached: median_ratio "
              "= 1.993 (median 20.1 ms in NEW vs 10.1 ms in BASE)");
    }
    SECTION("an unscoped ratio threshold: rows only in BASE fail, rows only in NEW are skipped") {
        const auto [thresholds, evaluation] = evaluate({"median_ratio<1.5"});
        // create (breach), execute, first_result, upload (missing from NEW: breach), download
        // (no successful sample in NEW: breach); fresh_check is not judged.
        REQUIRE(evaluation.checks.size() == 5);
        CHECK(evaluation.breaches() == 3);
        for (const auto& check : evaluation.checks) {
            CHECK(check.row.phase != "fresh_check");
            if (check.row.phase == "upload") {
                CHECK_FALSE(check.passed);
                CHECK(check.note == "the row is missing from NEW");
            }
            if (check.row.phase == "download") {
                CHECK_FALSE(check.passed);
                CHECK(check.note == "NEW has no successful sample of this row");
            }
        }
    }
    SECTION("absolute thresholds judge NEW's own numbers, new rows included") {
        const auto [thresholds, evaluation] = evaluate({"median<15", "success_rate>=1"});
        std::size_t fresh_checks = 0;
        for (const auto& check : evaluation.checks) {
            if (check.row.phase == "fresh_check") {
                ++fresh_checks;
                CHECK(check.passed);
            }
            if (check.row.phase == "first_result" && check.threshold == 1) {
                CHECK_FALSE(check.passed);
                CHECK(*check.value == Approx(14.0 / 15.0));
                CHECK_THAT(sandbench::harness::describe_check(check, thresholds, comparison),
                           Catch::Contains("success_rate>=1 breached: success_rate = 0.9333 "
                                           "(14 of 15 samples ok)"));
            }
            if (check.row.phase == "create" && check.threshold == 0) {
                CHECK_FALSE(check.passed);  // 20.07 ms
            }
        }
        CHECK(fresh_checks == 2);
    }
    SECTION("the fastest samples: min_ratio above a size, min_delta below it") {
        const auto [thresholds, evaluation] =
            evaluate({"min_base_ms=1: min_ratio<1.5", "max_base_ms=1: min_delta<0.1"});
        // min_ratio: create (20 / 10 = 2: breach), execute, first_result; the sub-millisecond
        // rows (upload, download) and fresh_check (only in NEW, no size) do not match.
        // min_delta: upload (missing from NEW) and download (no successful sample in NEW).
        REQUIRE(evaluation.checks.size() == 5);
        CHECK(evaluation.breaches() == 3);
        for (const auto& check : evaluation.checks) {
            if (check.threshold == 0) {
                CHECK(check.passed == (check.row.phase != "create"));
            } else {
                CHECK((check.row.phase == "upload" || check.row.phase == "download"));
                CHECK_FALSE(check.passed);
            }
            if (check.row.phase == "create") {
                CHECK(*check.value == 2.0);
                CHECK(sandbench::harness::describe_check(check, thresholds, comparison) ==
                      "local/hello/cold/create: min_base_ms=1: min_ratio<1.5 breached: "
                      "min_ratio = 2 (min 20.0 ms in NEW vs 10.0 ms in BASE)");
            }
        }
        // min_delta on the rows both runs have: 20 - 10 for create, 0 for execute.
        const auto [all, deltas] =
            evaluate({"phase=create: min_delta<5", "phase=execute: min_delta<=0"});
        REQUIRE(deltas.checks.size() == 2);
        CHECK(*deltas.checks[0].value == 10.0);
        CHECK_FALSE(deltas.checks[0].passed);
        CHECK(*deltas.checks[1].value == 0.0);
        CHECK(deltas.checks[1].passed);
        CHECK_THAT(sandbench::harness::describe_check(deltas.checks[0], all, comparison),
                   Catch::EndsWith("min_delta = 10.0 ms (min 20.0 ms in NEW vs 10.0 ms in BASE)"));
    }
    SECTION("significant=true judges only the rows where the test finds a change") {
        // create (p < 0.001, HL ratio about 2) and first_result (NEW holds 14 of BASE's 15
        // values: p near 1) match by name; only create is significant. upload, missing from
        // NEW, has no test and stays in: a gate fails closed.
        const auto [thresholds, evaluation] =
            evaluate({"phase=create,significant=true: hl_ratio<1.5",
                      "phase=first_result,significant=true: hl_ratio<1.5",
                      "phase=upload,significant=true: hl_ratio<1.5"});
        REQUIRE(evaluation.checks.size() == 2);
        CHECK(evaluation.checks[0].row.phase == "create");
        CHECK_FALSE(evaluation.checks[0].passed);
        CHECK(*evaluation.checks[0].value == Approx(20.07 / 10.07).epsilon(0.01));
        CHECK_THAT(sandbench::harness::describe_check(evaluation.checks[0], thresholds, comparison),
                   Catch::Contains("hl_ratio = ") &&
                       Catch::Contains("(median of the 225 ratios NEW / BASE; Mann-Whitney p = "));
        CHECK(evaluation.checks[1].row.phase == "upload");
        CHECK(evaluation.checks[1].note == "the row is missing from NEW");
        // The same first_result row without the filter is checked (and holds).
        const auto [all, unfiltered] = evaluate({"phase=first_result: hl_ratio<1.5"});
        REQUIRE(unfiltered.checks.size() == 1);
        CHECK(unfiltered.checks[0].passed);
    }
    SECTION("a percentile the sample cannot support is used, with a note") {
        const auto [thresholds, evaluation] = evaluate({"phase=execute: p95<100"});
        REQUIRE(evaluation.checks.size() == 1);
        CHECK(evaluation.checks[0].passed);
        CHECK(evaluation.checks[0].note ==
              "p95 of 15 values in NEW is only an estimate (needs 20)");
    }
    SECTION("a size bound may leave a threshold nothing to check; that is no error") {
        const auto [thresholds, evaluation] = evaluate({"min_base_ms=1000: min_ratio<1.5"});
        CHECK(evaluation.checks.empty());
        CHECK(evaluation.passed());
    }
    SECTION("a threshold that matches no row is a usage error") {
        CHECK_THROWS_WITH(evaluate({"phase=first_reslt: p95<800"}),
                          "threshold 'phase=first_reslt: p95<800' matches no row of either run "
                          "(check its scope)");
        CHECK_THROWS_AS(evaluate({"backend=e2b: p95<800"}), sandbench::UsageError);
    }
    SECTION("no thresholds: nothing to breach") {
        const auto [thresholds, evaluation] = evaluate({});
        CHECK(evaluation.checks.empty());
        CHECK(evaluation.passed());
    }
}
