// SPDX-License-Identifier: Apache-2.0
// The real sandbench binary, run as a user would: help, listings, error paths (one line, exit
// code 2), a run on the fake backend with its files, Ctrl-C during a run, and `exec` on the
// local backend.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <boost/process.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

namespace bp = boost::process;
namespace fs = std::filesystem;

namespace {

using sandbench_test::TempDir;
using Result = sandbench_test::CliResult;

Result sandbench(const std::vector<std::string>& args) {
    return sandbench_test::run_sandbench(args);
}

const fs::path kFixtures = fs::path(SANDBENCH_SOURCE_DIR) / "tests" / "fixtures";

std::string fmt_args(const std::vector<std::string>& args) {
    std::string joined = "sandbench";
    for (const auto& arg : args) {
        joined += " " + arg;
    }
    return joined;
}

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

nlohmann::json read_json(const fs::path& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("help describes every command", "[integration][cli]") {
    const auto result = sandbench({"--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("run") && Catch::Contains("list") && Catch::Contains("exec"));
    const auto run_help = sandbench({"run", "--help"});
    CHECK(run_help.exit_code == 0);
    CHECK_THAT(run_help.out, Catch::Contains("--iterations") && Catch::Contains("--warmup") &&
                                 Catch::Contains("--scenario") && Catch::Contains("--out"));
}

TEST_CASE("usage errors print one line and exit 2", "[integration][cli]") {
    TempDir dir;
    const auto config = dir.path / "bad.toml";
    std::ofstream(config) << "[run]\niterations = \"many\"\n";
    const auto unknown_table = dir.path / "unknown.toml";
    std::ofstream(unknown_table) << "[runn]\n";

    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::vector<Case> cases{
        {{"run", "--bogus"}, "--bogus"},
        {{"run", "--iterations", "0"}, "iterations"},
        {{"run", "--backend", "nope"}, "unknown backend 'nope'"},
        {{"run", "--backend", "fake", "--workload", "nope"}, "unknown workload 'nope'"},
        {{"run", "--backend", "fake", "--scenario", "warm"}, "unknown scenario 'warm'"},
        {{"run", "--backend", "fake", "--workload",
          (kFixtures / "workloads" / "malformed_metadata.py").string()},
         "malformed_metadata.py:5:"},
        {{"--config", config.string(), "run"}, "bad.toml:2"},
        {{"--config", unknown_table.string(), "run"}, "unknown table 'runn'"},
        {{"run", "--backend", "fake", "--workload",
          (kFixtures / "workloads" / "fake_greeting.py").string(), "--out", "/proc/sandbench"},
         "cannot create output directory"},
        {{"list", "things"}, "things"},
        {{"exec", "--backend", "local", "--file", "/nonexistent/code.py"}, "code.py"},
    };
    for (const auto& c : cases) {
        INFO(fmt_args(c.args));
        const auto result = sandbench(c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err,
                   Catch::StartsWith("sandbench: error:") && Catch::Contains(c.expected));
        CHECK(count_lines(result.err) == 1);
    }
}

TEST_CASE("list shows the built-in backends and the shipped workloads", "[integration][cli]") {
    const auto backends = sandbench({"list", "backends"});
    CHECK(backends.exit_code == 0);
    CHECK_THAT(backends.out, Catch::Contains("local-bwrap") && Catch::Contains("fake"));
    const auto workloads = sandbench({"list", "workloads"});
    CHECK(workloads.exit_code == 0);
    CHECK_THAT(workloads.out, Catch::Contains("hello") && Catch::Contains("pandas_csv"));
}

TEST_CASE("a run writes samples, a versioned summary and a report", "[integration][cli]") {
    TempDir dir;
    const auto out = dir.path / "run";
    const auto result = sandbench({"run", "--backend", "fake", "--workload",
                                   (kFixtures / "workloads" / "fake_greeting.py").string(),
                                   "--iterations", "3", "--warmup", "1", "--out", out.string()});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Cold sessions") && Catch::Contains("Reused sessions") &&
                               Catch::Contains("Cold vs reused"));

    std::ifstream samples(out / "samples.jsonl");
    std::string line;
    std::size_t measured = 0;
    while (std::getline(samples, line)) {
        const auto sample = nlohmann::json::parse(line);
        measured += sample["warmup"].get<bool>() ? 0U : 1U;
        CHECK(sample["backend"] == "fake");
    }
    CHECK(measured > 0);

    const auto summary = read_json(out / "summary.json");
    CHECK(summary["schema_version"] == 1);
    CHECK(summary["interrupted"] == false);
    CHECK(summary["context"]["plan"]["iterations"] == 3);
    CHECK(summary["context"]["backends"][0]["type"] == "fake");
    CHECK_FALSE(summary["context"]["git_revision"].get<std::string>().empty());
    bool saw_first_result = false;
    for (const auto& row : summary["rows"]) {
        if (row["scenario"] == "cold" && row["phase"] == "first_result") {
            saw_first_result = true;
            CHECK(row["wall_ms"]["n"] == 3);
            CHECK(row["failures"] == 0);
        }
    }
    CHECK(saw_first_result);

    // A second run into the same directory is refused instead of mixing two runs.
    const auto again =
        sandbench({"run", "--backend", "fake", "--workload",
                   (kFixtures / "workloads" / "fake_greeting.py").string(), "--out", out.string()});
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Catch::Contains("already holds a run"));
}

TEST_CASE("Ctrl-C stops a run and keeps what was measured", "[integration][cli]") {
    TempDir dir;
    const auto out = dir.path / "run";
    bp::child child(SANDBENCH_BINARY,
                    bp::args({"run", "--backend", "fake", "--workload",
                              (kFixtures / "workloads" / "fake_slow.py").string(), "--iterations",
                              "1000", "--out", out.string()}),
                    bp::std_out > bp::null, bp::std_err > bp::null, bp::std_in < bp::null);
    // Wait until samples are being written, then interrupt as a terminal would.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline &&
           (!fs::exists(out / "samples.jsonl") || fs::file_size(out / "samples.jsonl") < 2000)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(::kill(child.id(), SIGINT) == 0);
    child.wait();
    CHECK(child.exit_code() == 130);
    const auto summary = read_json(out / "summary.json");
    CHECK(summary["interrupted"] == true);
    CHECK_FALSE(summary["rows"].empty());
}

TEST_CASE("exec runs code in a local session and prints its output", "[integration][cli]") {
    const auto result = sandbench({"exec", "--backend", "local", "-c", "print(6 * 7)\n1 + 1"});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "42\nOut: 2\n");

    const auto failing = sandbench({"exec", "--backend", "local", "-c", "1 / 0"});
    CHECK(failing.exit_code == 1);
    CHECK_THAT(failing.err, Catch::Contains("ZeroDivisionError"));

    const auto json = sandbench({"exec", "--backend", "local", "--json", "-c", "{'a': [1, 2]}"});
    REQUIRE(json.exit_code == 0);
    const auto parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["status"] == "ok");
    CHECK(parsed["result"] == nlohmann::json{{"a", {1, 2}}});
}

TEST_CASE("an ACA endpoint in any variable the backend reads means the service, not the emulator",
          "[integration][cli]") {
    // Port 9 (discard) on loopback refuses connections: a run that reaches for it fails fast.
    const char* unreachable = "http://127.0.0.1:9/subscriptions/s/sessionPools/p";
    ::setenv("ACA_ACCESS_TOKEN", "cli-test-token", 1);
    for (const char* variable :
         {"ACA_POOL_MANAGEMENT_ENDPOINT", "AZURE_CONTAINER_APP_SESSION_POOL_MANAGEMENT_ENDPOINT",
          "AZURE_POOL_MANAGEMENT_ENDPOINT", "POOL_MANAGEMENT_ENDPOINT"}) {
        INFO(variable);
        ::setenv(variable, unreachable, 1);
        const auto result = sandbench({"exec", "--backend", "aca", "-c", "1 + 1"});
        ::unsetenv(variable);
        CHECK(result.exit_code != 0);
        CHECK_THAT(result.err, Catch::Contains("127.0.0.1"));
    }
    ::unsetenv("ACA_ACCESS_TOKEN");
    // With none of them set, the same command runs in the emulator.
    const auto emulated = sandbench({"exec", "--backend", "aca", "-c", "1 + 1"});
    INFO(emulated.err);
    CHECK(emulated.exit_code == 0);
    CHECK_THAT(emulated.out, Catch::Contains("Out: 2"));
}
