// SPDX-License-Identifier: Apache-2.0
// The cost model on the worked examples of docs/cost-model.md, each checked by hand: per-second
// billing (E2B), hour increments (ACA), the free local backend, unknown prices that stay
// unknown, the workload mix, and the pricing table's parsing and overrides.
#include "sandbench/harness/cost.hpp"

#include <catch2/catch.hpp>

#include "sandbench/common/error.hpp"
#include "sandbench/harness/config.hpp"

using namespace sandbench::harness;
using Catch::Matchers::Contains;

namespace {

Price e2b_price() {
    Price price;
    price.key = "e2b";
    price.billing = Billing::kResourceTime;
    price.granularity_s = 1;
    price.vcpus = 2;
    price.memory_gib = 2;
    price.usd_per_vcpu_second = 0.000014;
    price.usd_per_gib_second = 0.0000045;
    price.confidence = Confidence::kEstimated;
    return price;
}

Price aca_price(std::optional<double> per_hour) {
    Price price;
    price.key = "aca";
    price.billing = Billing::kSessionTime;
    price.granularity_s = 3600;
    price.minimum_s = 3600;
    price.usd_per_session_hour = per_hour;
    price.confidence = per_hour ? Confidence::kEstimated : Confidence::kUnknown;
    return price;
}

SummaryRow row_with_median(const std::string& backend, const std::string& workload,
                           Scenario scenario, const std::string& phase_name, double median) {
    SummaryRow row;
    row.backend = backend;
    row.workload = workload;
    row.scenario = scenario;
    row.phase = phase_name;
    row.attempts = 10;
    row.wall.n = 10;
    row.wall.median = median;
    return row;
}

/// A run of one workload ("hello") on one backend with the medians of the worked examples.
Summary worked_summary(const std::string& backend, const std::string& type, double session_ms,
                       double cold_execute_ms, std::optional<double> reused_execute_ms,
                       std::optional<double> reused_download_ms, bool emulated = false) {
    Summary summary;
    sandbench::backends::BackendInfo info;
    info.name = backend;
    info.type = type;
    info.emulated = emulated;
    summary.context.backends.push_back(info);
    summary.rows.push_back(
        row_with_median(backend, "hello", Scenario::kCold, "execute", cold_execute_ms));
    summary.rows.push_back(
        row_with_median(backend, "hello", Scenario::kCold, "session", session_ms));
    if (reused_execute_ms) {
        summary.rows.push_back(
            row_with_median(backend, "hello", Scenario::kReused, "execute", *reused_execute_ms));
    }
    if (reused_download_ms) {
        summary.rows.push_back(
            row_with_median(backend, "hello", Scenario::kReused, "download", *reused_download_ms));
    }
    for (auto& row : summary.rows) {
        row.emulated = emulated;
    }
    return summary;
}

PricingTable table_of(std::initializer_list<Price> prices) {
    PricingTable table;
    for (const auto& price : prices) {
        table.prices[price.key] = price;
    }
    return table;
}

}  // namespace

TEST_CASE("hour increments: any part of an hour is billed as an hour", "[unit][cost]") {
    const auto price = aca_price(0.10);
    CHECK(billed_seconds(price, 0.0) == 3600.0);
    CHECK(billed_seconds(price, 1.2) == 3600.0);
    CHECK(billed_seconds(price, 3600.0) == 3600.0);  // exactly one hour is one hour
    CHECK(billed_seconds(price, 3600.5) == 7200.0);
    CHECK(billed_seconds(price, 3 * 3600.0 + 1) == 4 * 3600.0);
    CHECK(session_cost_usd(price, 1.2).value() == Approx(0.10));
    CHECK(session_cost_usd(price, 3600.5).value() == Approx(0.20));

    auto with_cooldown = price;
    with_cooldown.after_close_s = 300;  // a session not deleted lives until its cooldown ends
    CHECK(billed_seconds(with_cooldown, 1.2) == 3600.0);
    CHECK(billed_seconds(with_cooldown, 3599.0) == 7200.0);  // 3599 + 300 s is past the hour
}

TEST_CASE("per-second billing: vCPU and memory seconds, rounded up to the second", "[unit][cost]") {
    const auto price = e2b_price();
    // 2 vCPU x $0.000014 + 2 GiB x $0.0000045 = $0.000037 per second.
    CHECK(price.usd_per_second().value() == Approx(0.000037));
    CHECK(billed_seconds(price, 0.4) == 1.0);
    CHECK(billed_seconds(price, 1.0) == 1.0);
    CHECK(billed_seconds(price, 12.3) == 13.0);
    CHECK(session_cost_usd(price, 0.4).value() == Approx(0.000037));
    CHECK(session_cost_usd(price, 12.3).value() == Approx(13 * 0.000037));

    auto continuous = price;
    continuous.granularity_s = 0;
    CHECK(billed_seconds(continuous, 0.4) == Approx(0.4));
    auto with_minimum = price;
    with_minimum.minimum_s = 60;
    CHECK(billed_seconds(with_minimum, 12.3) == 60.0);
}

TEST_CASE("worked example: E2B, cold and reused, with and without think time", "[unit][cost]") {
    // Medians: session 850 ms, cold execute 120 ms, reused execute 40 ms, reused download 10 ms.
    const auto summary = worked_summary("e2b", "e2b", 850, 120, 40, 10);
    const auto report = estimate_costs(summary, table_of({e2b_price()}));
    REQUIRE(report.estimates.size() == 1);
    const auto& e = report.estimates.front();
    CHECK(e.confidence == Confidence::kEstimated);

    // Cold: 850 ms lives, 1 s is billed: $0.000037 a session, $0.037 per 1000.
    REQUIRE(e.cold);
    CHECK(e.cold->lifetime_ms == 850);
    CHECK(e.cold->billed_s == 1);
    CHECK(e.cold->usd.value() == Approx(0.000037));
    CHECK(e.cold_per_1000_usd.value() == Approx(0.037));

    // Reused, 20 executions per session: 850 + 19 x (40 + 10) = 1800 ms, 2 s billed,
    // $0.000074 a session, $0.0037 per 1000 executions; 500 sessions a day: $0.037 a day,
    // $1.11 a 30-day month.
    REQUIRE(e.reused);
    CHECK(e.reused->lifetime_ms == Approx(1800));
    CHECK(e.reused->billed_s == 2);
    CHECK(e.reused->usd.value() == Approx(0.000074));
    CHECK(e.reused_per_1000_usd.value() == Approx(0.0037));
    CHECK(e.per_day_usd.value() == Approx(0.037));
    CHECK(e.per_month_usd.value() == Approx(1.11));

    // An agent thinking 5 s between executions keeps the sandbox alive: 1800 + 19 x 5000 =
    // 96 800 ms, 97 s billed, $0.003589 a session, $0.17945 per 1000 executions.
    WorkloadMix thinking;
    thinking.think_time_s = 5;
    const auto slow = estimate_costs(summary, table_of({e2b_price()}), thinking);
    const auto& t = slow.estimates.front();
    CHECK(t.reused->lifetime_ms == Approx(96800));
    CHECK(t.reused->billed_s == 97);
    CHECK(t.reused->usd.value() == Approx(0.003589));
    CHECK(t.reused_per_1000_usd.value() == Approx(0.17945));
    CHECK(t.per_month_usd.value() == Approx(0.003589 * 500 * 30));
}

TEST_CASE("worked example: ACA at an illustrative $0.10 per session-hour", "[unit][cost]") {
    const auto summary = worked_summary("aca", "aca", 1200, 150, 60, std::nullopt);
    const auto report = estimate_costs(summary, table_of({aca_price(0.10)}));
    const auto& e = report.estimates.front();
    // Every cold session, however short, is a session-hour: $100 per 1000 executions.
    CHECK(e.cold->billed_s == 3600);
    CHECK(e.cold->usd.value() == Approx(0.10));
    CHECK(e.cold_per_1000_usd.value() == Approx(100.0));
    // Reused: 1200 + 19 x 60 = 2340 ms, still one hour: $0.10 per 20 executions, $5 per 1000,
    // $50 a day at 500 sessions, $1500 a month.
    CHECK(e.reused->lifetime_ms == Approx(2340));
    CHECK(e.reused->billed_s == 3600);
    CHECK(e.reused_per_1000_usd.value() == Approx(5.0));
    CHECK(e.per_day_usd.value() == Approx(50.0));
    CHECK(e.per_month_usd.value() == Approx(1500.0));
}

TEST_CASE("the local backend costs zero, with a note", "[unit][cost]") {
    Price local;
    local.key = "local";
    local.billing = Billing::kFree;
    local.confidence = Confidence::kExact;
    local.note = "runs on your own machine";
    const auto summary = worked_summary("local-bwrap", "local", 300, 20, 5, std::nullopt);
    const auto report = estimate_costs(summary, table_of({local}));
    const auto& e = report.estimates.front();
    CHECK(e.confidence == Confidence::kExact);
    CHECK(e.cold->billed_s == 0);
    CHECK(e.cold->usd.value() == 0.0);
    CHECK(e.cold_per_1000_usd.value() == 0.0);
    CHECK(e.reused_per_1000_usd.value() == 0.0);
    CHECK(e.per_month_usd.value() == 0.0);
    CHECK(std::find(e.notes.begin(), e.notes.end(), "runs on your own machine") != e.notes.end());
    CHECK(format_usd(*e.cold_per_1000_usd) == "$0");
}

TEST_CASE("an unknown price stays unknown all the way through", "[unit][cost]") {
    CHECK(weakest(Confidence::kExact, Confidence::kEstimated) == Confidence::kEstimated);
    CHECK(weakest(Confidence::kUnknown, Confidence::kExact) == Confidence::kUnknown);
    CHECK(weakest(Confidence::kExact, Confidence::kExact) == Confidence::kExact);

    // ACA without its per-session-hour price: billed hours are still known, money is not.
    auto unknown = aca_price(std::nullopt);
    unknown.confidence = Confidence::kEstimated;  // even a mislabelled entry ends up unknown
    const auto summary = worked_summary("aca", "aca", 1200, 150, 60, std::nullopt);
    const auto e = estimate_costs(summary, table_of({unknown})).estimates.front();
    CHECK(e.confidence == Confidence::kUnknown);
    CHECK(e.cold->billed_s == 3600);
    CHECK_FALSE(e.cold->usd);
    CHECK_FALSE(e.cold_per_1000_usd);
    CHECK_FALSE(e.reused_per_1000_usd);
    CHECK_FALSE(e.per_day_usd);
    CHECK_FALSE(e.per_month_usd);
    const auto json = to_json(estimate_costs(summary, table_of({unknown})));
    CHECK(json["estimates"][0]["confidence"] == "unknown");
    CHECK(json["estimates"][0]["cold_per_1000_executions_usd"].is_null());

    // A backend type without a pricing entry.
    const auto other = worked_summary("modal", "modal", 500, 50, 10, std::nullopt);
    const auto missing = estimate_costs(other, table_of({e2b_price()})).estimates.front();
    CHECK(missing.confidence == Confidence::kUnknown);
    CHECK_FALSE(missing.price);
    CHECK_FALSE(missing.cold);
    REQUIRE_FALSE(missing.notes.empty());
    CHECK_THAT(missing.notes.front(), Contains("[pricing.modal]"));
}

TEST_CASE("emulated backends are priced as the real service and say so", "[unit][cost]") {
    const auto summary = worked_summary("e2b-emu", "e2b", 850, 120, 40, 10, true);
    const auto e = estimate_costs(summary, table_of({e2b_price()})).estimates.front();
    CHECK(e.emulated);
    CHECK(e.cold_per_1000_usd.value() == Approx(0.037));
    CHECK_THAT(e.notes.front(), Contains("emulated"));
}

TEST_CASE("an instance's own pricing entry wins over its type's", "[unit][cost]") {
    auto large = e2b_price();
    large.key = "e2b-large";
    large.vcpus = 8;
    large.memory_gib = 8;
    const auto table = table_of({e2b_price(), large});
    CHECK(table.find("e2b-large", "e2b")->vcpus == 8);
    CHECK(table.find("e2b-small", "e2b")->vcpus == 2);
    CHECK(table.find("x", "y") == nullptr);
}

TEST_CASE("missing scenarios fall back, and say how", "[unit][cost]") {
    // No reused scenario: later executions are assumed as slow as the cold one.
    const auto cold_only = worked_summary("e2b", "e2b", 850, 120, std::nullopt, std::nullopt);
    const auto a = estimate_costs(cold_only, table_of({e2b_price()})).estimates.front();
    CHECK(a.reused->lifetime_ms == Approx(850 + 19 * 120));
    CHECK_THAT(a.notes.front(), Contains("no reused scenario"));

    // No cold session: the reused lifetime leaves out create and close.
    Summary reused_only = worked_summary("e2b", "e2b", 0, 0, 40, 10);
    std::erase_if(reused_only.rows,
                  [](const auto& row) { return row.scenario == Scenario::kCold; });
    const auto b = estimate_costs(reused_only, table_of({e2b_price()})).estimates.front();
    CHECK_FALSE(b.cold);
    CHECK(b.reused->lifetime_ms == Approx(20 * 50));
    CHECK_THAT(b.notes.front(), Contains("lower bound"));
}

TEST_CASE("the workload mix parses key=value lists", "[unit][cost]") {
    const auto mix = parse_mix("executions_per_session=20,sessions_per_day=500");
    CHECK(mix.executions_per_session == 20);
    CHECK(mix.sessions_per_day == 500);
    CHECK(mix.think_time_s == 0);
    CHECK(mix.days_per_month == 30);
    CHECK(parse_mix("think_time_s=2.5").think_time_s == 2.5);
    CHECK(parse_mix("").executions_per_session == 20);
    for (const auto* bad : {"foo=1", "executions_per_session=abc", "executions_per_session=0",
                            "sessions_per_day=-1", "executions_per_session", "think_time_s=1x"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_mix(bad), sandbench::UsageError);
    }
}

TEST_CASE("the built-in pricing table has every backend type, with sources", "[unit][cost]") {
    const auto table = builtin_pricing();
    for (const auto* type : {"local", "fake", "e2b", "aca"}) {
        INFO(type);
        REQUIRE(table.prices.contains(type));
        const auto& price = table.prices.at(type);
        CHECK_FALSE(price.source.empty());
        CHECK_FALSE(price.as_of.empty());
    }
    CHECK(table.prices.at("local").billing == Billing::kFree);
    CHECK(table.prices.at("local").usd_per_second().value() == 0.0);
    const auto& e2b = table.prices.at("e2b");
    CHECK(e2b.billing == Billing::kResourceTime);
    CHECK(e2b.usd_per_vcpu_second.value() == Approx(0.000014));
    CHECK(e2b.usd_per_gib_second.value() == Approx(0.0000045));
    CHECK(e2b.granularity_s == 1);
    const auto& aca = table.prices.at("aca");
    CHECK(aca.billing == Billing::kSessionTime);
    CHECK(aca.granularity_s == 3600);
    CHECK(aca.confidence == Confidence::kUnknown);
    CHECK_FALSE(aca.usd_per_session_hour);
}

TEST_CASE("[pricing] tables in the config override field by field", "[unit][cost][config]") {
    const auto config = parse_config(
        "[pricing.aca]\nusd_per_session_hour = 0.05\nconfidence = \"estimated\"\n"
        "[pricing.e2b-large]\nbilling = \"resource_time\"\ngranularity_s = 1\nvcpus = 8\n"
        "memory_gib = 8\nusd_per_vcpu_second = 0.000014\nusd_per_gib_second = 0.0000045\n",
        "test.toml");
    auto table = builtin_pricing();
    apply_pricing(table, config.pricing, "test.toml");
    const auto& aca = table.prices.at("aca");
    CHECK(aca.usd_per_session_hour.value() == 0.05);
    CHECK(aca.confidence == Confidence::kEstimated);
    CHECK(aca.granularity_s == 3600);  // kept from the built-in entry
    CHECK(table.prices.at("e2b-large").usd_per_second().value() == Approx(8 * 0.0000185));
    CHECK(table.origins.back() == "test.toml");

    struct Bad {
        const char* toml;
        const char* message;
    };
    for (const auto& bad : {Bad{"[pricing.aca]\nusd_per_session_hour = \"cheap\"\n",
                                "pricing.aca.usd_per_session_hour: expected a number"},
                            Bad{"[pricing.aca]\nprice = 1\n", "unknown key"},
                            Bad{"[pricing.aca]\ngranularity_s = -1\n", "expected a number >= 0"},
                            Bad{"[pricing.aca]\nbilling = \"per_call\"\n", "billing: expected"},
                            Bad{"[pricing.aca]\nconfidence = \"sure\"\n", "confidence: expected"},
                            Bad{"[pricing]\naca = 1\n", "[pricing.aca] must be a table"}}) {
        INFO(bad.toml);
        try {
            static_cast<void>(parse_config(bad.toml, "bad.toml"));
            FAIL("no ConfigError");
        } catch (const sandbench::ConfigError& error) {
            CHECK_THAT(error.what(), Contains(bad.message) && Contains("bad.toml:"));
        }
    }
    // A new entry must say how it bills.
    auto fresh = builtin_pricing();
    CHECK_THROWS_AS(apply_pricing(fresh, {{"modal", {{"usd_per_vcpu_second", 0.00001}}}}, "x"),
                    sandbench::ConfigError);
}
