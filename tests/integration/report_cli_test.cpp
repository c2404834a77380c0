// SPDX-License-Identifier: Apache-2.0
// `sandbench report` and the reports `run` writes, with the real binary on fake-backend runs:
// the files, the formats and --out, pricing from the config and from --pricing, the workload
// mix, a run directory without summary.json, and the usage errors (exit code 2).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

namespace fs = std::filesystem;

namespace {

using sandbench_test::slurp;
using sandbench_test::TempDir;
using Result = sandbench_test::CliResult;

Result sandbench(const std::vector<std::string>& args) {
    return sandbench_test::run_sandbench(args);
}

const fs::path kFixtures = fs::path(SANDBENCH_SOURCE_DIR) / "tests" / "fixtures";

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return slurp(in);
}

nlohmann::json read_json(const fs::path& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

/// A small run of three fake backends (one emulated, failing now and then) on two workloads.
fs::path fake_run(const TempDir& dir, const std::vector<std::string>& extra = {}) {
    auto out = dir.path / "run";
    std::vector<std::string> args{"--config",
                                  (kFixtures / "report_backends.toml").string(),
                                  "-q",
                                  "run",
                                  "--backend",
                                  "fake,fake-slow,fake-emulated",
                                  "--workload",
                                  (kFixtures / "workloads" / "fake_greeting.py").string() + "," +
                                      (kFixtures / "workloads" / "fake_compute.py").string(),
                                  "--iterations",
                                  "4",
                                  "--warmup",
                                  "1",
                                  "--out",
                                  out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = sandbench(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return out;
}

}  // namespace

TEST_CASE("run writes every report into its run directory", "[integration][report]") {
    TempDir dir;
    const auto out = dir.path / "run";
    const auto result = sandbench({"--config", (kFixtures / "report_backends.toml").string(), "run",
                                   "--backend", "fake,fake-emulated", "--workload",
                                   (kFixtures / "workloads" / "fake_greeting.py").string(),
                                   "--iterations", "3", "--warmup", "1", "--out", out.string()});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    for (const auto* name : {"samples.jsonl", "summary.json", "report.md", "samples.csv",
                             "summary.csv", "report.html", "gbench.json"}) {
        INFO(name);
        CHECK(fs::exists(out / name));
    }
    // The cost table sits beside the latency tables in the terminal, and in summary.json.
    CHECK_THAT(result.out, Catch::Contains("Cost (USD") && Catch::Contains("exact"));
    CHECK_THAT(result.out, Catch::Contains("Reports: report.md"));
    const auto summary = read_json(out / "summary.json");
    CHECK(summary["schema_version"] == 1);
    REQUIRE(summary.contains("cost"));
    CHECK(summary["cost"]["estimates"].size() == 2);
    CHECK(summary["cost"]["estimates"][0]["cold_per_1000_executions_usd"] == 0.0);
    CHECK(summary["cost"]["estimates"][1]["emulated"] == true);
    CHECK_THAT(slurp(out / "report.html"), Catch::Contains("badge emulated"));
}

TEST_CASE("report rewrites the reports of a run, in the formats asked for",
          "[integration][report]") {
    TempDir dir;
    const auto run = fake_run(dir);

    SECTION("default: every format, files in the run directory, console on stdout") {
        for (const auto* name : {"report.md", "report.html", "gbench.json"}) {
            fs::remove(run / name);
        }
        const auto result = sandbench({"report", run.string()});
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        CHECK_THAT(result.out, Catch::Contains("Cold sessions") && Catch::Contains("Cost (USD") &&
                                   Catch::Contains("fake-emulated (emulated)"));
        for (const auto* name : {"report.md", "samples.csv", "summary.csv", "summary.json",
                                 "report.html", "gbench.json"}) {
            INFO(name);
            CHECK(fs::exists(run / name));
        }
    }
    SECTION("--format and --out") {
        const auto out = dir.path / "reports";
        const auto result = sandbench(
            {"report", run.string(), "--format", "md,gbench-json", "--out", out.string()});
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        CHECK(fs::exists(out / "report.md"));
        CHECK(fs::exists(out / "gbench.json"));
        CHECK_FALSE(fs::exists(out / "report.html"));
        CHECK_THAT(result.out, !Catch::Contains("Cold sessions"));  // no console format asked
        const auto gbench = read_json(out / "gbench.json");
        CHECK(gbench["context"]["json_schema_version"] == 1);
        bool saw = false;
        for (const auto& benchmark : gbench["benchmarks"]) {
            saw = saw || benchmark["name"] == "fake-slow/fake_compute/cold/create_median";
        }
        CHECK(saw);
    }
    SECTION("summary.json keeps fields a newer sandbench wrote") {
        auto summary = read_json(run / "summary.json");
        summary["from_the_future"] = 7;
        std::ofstream(run / "summary.json") << summary.dump();
        REQUIRE(sandbench({"report", run.string(), "--format", "json"}).exit_code == 0);
        const auto rewritten = read_json(run / "summary.json");
        CHECK(rewritten["from_the_future"] == 7);
        CHECK(rewritten.contains("cost"));
        CHECK(rewritten["rows"].size() == summary["rows"].size());
    }
    SECTION("a run that crashed before summary.json still reports from its samples") {
        fs::remove(run / "summary.json");
        const auto result = sandbench({"report", run.string(), "--format", "md"});
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        CHECK_THAT(slurp(run / "report.md"), Catch::Contains("interrupted"));
    }
}

TEST_CASE("report prices from the config, --pricing and --mix", "[integration][report]") {
    TempDir dir;
    const auto run = fake_run(dir);
    // Price the fake backend like a service billed per started hour, $36 an hour.
    const auto pricing = dir.path / "pricing.toml";
    std::ofstream(pricing) << "[pricing.fake]\nbilling = \"session_time\"\ngranularity_s = "
                              "3600\nusd_per_session_hour = 36\nconfidence = \"estimated\"\n";
    const auto result =
        sandbench({"report", run.string(), "--format", "json", "--pricing", pricing.string(),
                   "--mix", "executions_per_session=10,sessions_per_day=100"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto cost = read_json(run / "summary.json")["cost"];
    CHECK(cost["mix"]["executions_per_session"] == 10);
    CHECK(cost["mix"]["sessions_per_day"] == 100);
    bool checked = false;
    for (const auto& estimate : cost["estimates"]) {
        if (estimate["backend"] == "fake") {
            // Each cold session is one started hour: $36, so $36,000 per 1000; a reused
            // session of 10 executions is still one hour: $3,600 per 1000, $3,600 a day.
            CHECK(estimate["cold_per_1000_executions_usd"] == Approx(36000.0));
            CHECK(estimate["reused_per_1000_executions_usd"] == Approx(3600.0));
            CHECK(estimate["per_day_usd"] == Approx(3600.0));
            CHECK(estimate["confidence"] == "estimated");
            checked = true;
        } else if (estimate["backend"] == "fake-slow") {
            // fake-slow has type fake, and no entry of its own: it is priced as its type.
            CHECK(estimate["cold_per_1000_executions_usd"] == Approx(36000.0));
        }
    }
    CHECK(checked);
    CHECK(cost["pricing_sources"].back() == pricing.string());

    // The config file's [pricing] tables apply too, and --pricing wins over them.
    const auto config = dir.path / "sandbench.toml";
    std::ofstream(config) << "[pricing.fake]\nbilling = \"session_time\"\ngranularity_s = "
                             "3600\nusd_per_session_hour = 1\n";
    auto first_cold_per_1000 = [&] {
        return read_json(run /
                         "summary.json")["cost"]["estimates"][0]["cold_per_1000_executions_usd"]
            .get<double>();
    };
    REQUIRE(sandbench({"--config", config.string(), "report", run.string(), "--format", "json"})
                .exit_code == 0);
    CHECK(first_cold_per_1000() == Approx(1000.0));
    REQUIRE(sandbench({"--config", config.string(), "report", run.string(), "--format", "json",
                       "--pricing", pricing.string()})
                .exit_code == 0);
    CHECK(first_cold_per_1000() == Approx(36000.0));
}

TEST_CASE("report usage errors print one line and exit 2", "[integration][report]") {
    TempDir dir;
    const auto run = fake_run(dir);
    const auto bad_pricing = dir.path / "bad.toml";
    std::ofstream(bad_pricing) << "[pricing.fake]\nusd_per_session_hour = \"cheap\"\n";
    const auto empty = dir.path / "empty";
    fs::create_directories(empty);

    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::vector<Case> cases{
        {{"report", run.string(), "--format", "pdf"}, "unknown report format 'pdf'"},
        {{"report", run.string(), "--mix", "sessions=3"}, "unknown key 'sessions'"},
        {{"report", run.string(), "--mix", "executions_per_session=0"}, "at least 1"},
        {{"report", run.string(), "--pricing", bad_pricing.string()},
         "pricing.fake.usd_per_session_hour"},
        {{"report", (dir.path / "missing").string()}, "missing"},
        {{"report", empty.string()}, "holds no run"},
        {{"report"}, "run_dir"},
    };
    for (const auto& c : cases) {
        INFO(c.expected);
        const auto result = sandbench(c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains(c.expected));
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}
