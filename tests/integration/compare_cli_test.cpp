// SPDX-License-Identifier: Apache-2.0
//
// `sandbench compare` as CI runs it, with the real binary: runs on the fake backend whose
// create_ms is then doubled (a phase made 2x slower, as an emulator's latency profile would),
// compared under the committed CI thresholds. A run against itself passes (exit 0); the slower
// run fails with exit code 3 and names the breached row and threshold; malformed thresholds and
// unreadable runs are usage errors (exit 2, one line).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

const fs::path kSource = fs::path(SANDBENCH_SOURCE_DIR);
const fs::path kWorkload = kSource / "tests" / "fixtures" / "workloads" / "fake_greeting.py";
const fs::path kCiThresholds = kSource / "results" / "baselines" / "ci-thresholds.toml";
constexpr int kExitBreached = 3;

std::string read_text(const fs::path& file) {
    std::ifstream in(file);
    return slurp(in);
}

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// Runs made once for the whole file: they take a second each, and every test reads them.
class Runs {
public:
    static const Runs& get() {
        static const Runs kRuns;
        return kRuns;
    }

    fs::path base;  ///< create_ms = 10
    fs::path slow;  ///< create_ms = 20: the create phase twice as slow

private:
    Runs() {
        base = run("base", 10);
        slow = run("slow", 20);
    }

    /// One run of the fixture workload on a fake backend named "fake-ci" (the same name in
    /// both runs, so their rows pair), with the given create delay.
    fs::path run(const std::string& name, int create_ms) const {
        const fs::path config = scratch_.path / (name + ".toml");
        std::ofstream(config) << "[backends.fake-ci]\ntype = \"fake\"\ncreate_ms = " << create_ms
                              << "\nclose_ms = 5\n";
        fs::path out = scratch_.path / name;
        const auto result = sandbench({"--config", config.string(), "-q", "run", "--backend",
                                       "fake-ci", "--workload", kWorkload.string(), "--iterations",
                                       "15", "--warmup", "1", "--out", out.string()});
        if (result.exit_code != 0) {
            throw std::runtime_error("sandbench run failed: " + result.err);
        }
        return out;
    }

    TempDir scratch_;  // the runs' directories and configs, removed after the last test
};

}  // namespace

TEST_CASE("compare --help documents the thresholds and the exit codes", "[integration][compare]") {
    const auto help = sandbench({"compare", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--threshold") && Catch::Contains("--thresholds") &&
                             Catch::Contains("--format") && Catch::Contains("--noise") &&
                             Catch::Contains("3  a threshold is breached") &&
                             Catch::Contains("2  usage error") && Catch::Contains("min_ratio"));
}

TEST_CASE("a run compared with itself passes the CI thresholds", "[integration][compare]") {
    const auto& runs = Runs::get();
    const auto result = sandbench({"compare", runs.base.string(), runs.base.string(),
                                   "--thresholds", kCiThresholds.string()});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK_THAT(result.out, Catch::Contains("fake-ci") && Catch::Contains("create") &&
                               Catch::Contains("no change") && Catch::Contains("0 breached"));
    CHECK_THAT(result.out, !Catch::Contains("regressed  "));
}

TEST_CASE("a run with a phase twice as slow fails the gate, naming the breach",
          "[integration][compare]") {
    const auto& runs = Runs::get();
    const auto result = sandbench({"compare", runs.base.string(), runs.slow.string(),
                                   "--thresholds", kCiThresholds.string()});
    INFO(result.out << result.err);
    CHECK(result.exit_code == kExitBreached);
    // The breach names the row and the threshold, on stderr for the CI log and in the report.
    const std::string breach =
        "fake-ci/fake_greeting/cold/create: min_base_ms=1,significant=true: hl_ratio<1.5 "
        "breached: hl_ratio = ";
    CHECK_THAT(result.err, Catch::Contains("sandbench: threshold breached: " + breach));
    CHECK_THAT(result.out, Catch::Contains("BREACH " + breach));
    // The create phase is judged a regression; close (unchanged) is not breached.
    CHECK_THAT(result.out, Catch::Contains("regressed"));
    CHECK_THAT(result.err, !Catch::Contains("cold/close:"));

    // The same as Markdown for a CI job summary, written to a file.
    const fs::path report = runs.slow.parent_path() / "compare.md";
    const auto markdown =
        sandbench({"compare", runs.base.string(), runs.slow.string(), "--thresholds",
                   kCiThresholds.string(), "--format", "md", "--out", report.string()});
    CHECK(markdown.exit_code == kExitBreached);
    CHECK(markdown.out.empty());
    const auto text = read_text(report);
    CHECK_THAT(text,
               Catch::Contains("## sandbench compare") && Catch::Contains("**Gate: FAILED.**") &&
                   Catch::Contains(
                       "- `fake-ci/fake_greeting/cold/create`: `min_base_ms=1,significant=true: "
                       "hl_ratio<1.5` breached: hl\\_ratio = ") &&
                   Catch::Contains("| verdict |") && Catch::Contains("**regressed**") &&
                   Catch::Contains("<details>"));
}

TEST_CASE("an emulator whose latency profile slows allocation fails the gate at create",
          "[integration][compare]") {
    // The E2B emulator, started by `run` itself, with kernels as plain subprocesses for speed;
    // the second run's profile adds 60 ms to every sandbox allocation on top of the first's 20.
    TempDir dir;
    const auto run = [&](const std::string& name, int allocation_ms) {
        const fs::path config = dir.path / (name + ".toml");
        std::ofstream(config) << "[backends.e2b-what-if]\ntype = \"e2b\"\n"
                              << "emulator_kernel = { isolation = \"none\" }\n"
                              << "emulator_latency = \"allocation_ms=" << allocation_ms << "\"\n";
        fs::path out = dir.path / name;
        const auto result =
            sandbench({"--config", config.string(), "-q", "run", "--backend", "e2b-what-if",
                       "--workload", "hello", "--scenario", "cold", "--iterations", "10",
                       "--warmup", "1", "--out", out.string()});
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        return out;
    };
    const auto base = run("base", 20);
    const auto slow = run("slow", 80);
    const auto result = sandbench(
        {"compare", base.string(), slow.string(), "--thresholds", kCiThresholds.string()});
    INFO(result.out << result.err);
    CHECK(result.exit_code == kExitBreached);
    CHECK_THAT(result.err, Catch::Contains("sandbench: threshold breached: "
                                           "e2b-what-if/hello/cold/create: min_base_ms=1,"
                                           "significant=true: hl_ratio<1.5 breached"));

    // A malformed profile is a configuration error naming the backend and the setting.
    const fs::path bad = dir.path / "bad.toml";
    std::ofstream(bad) << "[backends.e2b-what-if]\ntype = \"e2b\"\n"
                       << "emulator_latency = \"allocation_ms=soon\"\n";
    const auto refused = sandbench({"--config", bad.string(), "run", "--backend", "e2b-what-if",
                                    "--workload", "hello", "--iterations", "1"});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("backend 'e2b-what-if': setting 'emulator_latency'"));
    CHECK(count_lines(refused.err) == 1);
}

TEST_CASE("without thresholds compare only reports and exits 0", "[integration][compare]") {
    const auto& runs = Runs::get();
    const auto result = sandbench({"compare", runs.base.string(), runs.slow.string()});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("regressed") && Catch::Contains("Thresholds: none given"));
    // Flags and a file combine; an absolute threshold on NEW also gates.
    const auto flags = sandbench({"compare", runs.base.string(), runs.slow.string(), "--threshold",
                                  "phase=create: median<15", "-t", "success_rate>=1"});
    CHECK(flags.exit_code == kExitBreached);
    CHECK_THAT(flags.err, Catch::Contains("cold/create: phase=create: median<15 breached"));
    CHECK(count_lines(flags.err) == 1);
}

TEST_CASE("compare usage errors print one line and exit 2", "[integration][compare]") {
    const auto& runs = Runs::get();
    const fs::path bad_file = runs.base.parent_path() / "bad-thresholds.toml";
    std::ofstream(bad_file) << "thresholds = [\n  \"p95<<800\",\n]\n";
    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::vector<Case> cases{
        {{"compare", runs.base.string(), runs.base.string(), "--threshold", "p95<<800"},
         "invalid threshold 'p95<<800': column 5: expected a number"},
        {{"compare", runs.base.string(), runs.base.string(), "--threshold", "p96<800"},
         "unknown metric 'p96'"},
        {{"compare", runs.base.string(), runs.base.string(), "--thresholds", bad_file.string()},
         "bad-thresholds.toml:2:3: invalid threshold 'p95<<800'"},
        {{"compare", runs.base.string(), runs.base.string(), "--thresholds", "/nonexistent.toml"},
         "cannot read thresholds file /nonexistent.toml"},
        {{"compare", runs.base.string(), runs.base.string(), "-t", "backend=e2b: p95<800"},
         "matches no row of either run"},
        {{"compare", "/nonexistent/run", runs.base.string()}, "/nonexistent/run is not a run"},
        {{"compare", runs.base.string(), runs.base.parent_path().string()}, "is not a run"},
        {{"compare", runs.base.string(), runs.base.string(), "--format", "html"},
         "unknown format 'html'"},
        {{"compare", runs.base.string()}, "new is required"},
    };
    for (const auto& c : cases) {
        std::string joined;
        for (const auto& arg : c.args) {
            joined += " " + arg;
        }
        INFO("sandbench" << joined);
        const auto result = sandbench(c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err,
                   Catch::StartsWith("sandbench: error:") && Catch::Contains(c.expected));
        CHECK(count_lines(result.err) == 1);
    }
}
