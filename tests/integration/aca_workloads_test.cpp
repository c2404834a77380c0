// SPDX-License-Identifier: Apache-2.0
// The acceptance check of the ACA backend: the standard workloads (workloads/*.py), run by the
// real runner cold and reused, give the same verdict on the ACA backend against its emulator as
// on the local backend (both with bubblewrap kernels), and the ACA samples carry the HTTP
// breakdown, the time the service reported, its X-Ms-* headers and the emulated label.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aca/aca_backend.hpp"
#include "aca_emulator.hpp"
#include "local/local_backend.hpp"
#include "sandbench/emulators/faults.hpp"
#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/runner.hpp"
#include "sandbench/harness/workload.hpp"

using namespace sandbench;
using namespace sandbench::harness;
using nlohmann::json;

namespace {

using Key = std::tuple<std::string, Scenario, std::string>;  // workload, scenario, phase

std::map<Key, bool> verdicts(const std::vector<Sample>& samples, const std::string& backend) {
    std::map<Key, bool> out;
    for (const auto& sample : samples) {
        if (sample.backend == backend && !sample.warmup) {
            auto [it, inserted] =
                out.emplace(Key{sample.workload, sample.scenario, sample.phase}, sample.ok);
            if (!inserted) {
                it->second = it->second && sample.ok;
            }
        }
    }
    return out;
}

}  // namespace

TEST_CASE("the standard workloads give the same results on ACA (emulated) as on local",
          "[integration][aca]") {
    const std::string version = GENERATE("2024-02-02-preview", "2025-02-02-preview");
    CAPTURE(version);
    const WorkloadCatalog catalog{std::filesystem::path(SANDBENCH_SOURCE_DIR) / "workloads"};
    RunPlan plan;
    for (const auto& name : catalog.names()) {
        plan.workloads.push_back(catalog.load(name));
    }
    REQUIRE(plan.workloads.size() >= 10);
    plan.iterations = 1;
    plan.warmup = 1;
    plan.data_directory = catalog.data_directory();

    emulators::EmulatorOptions options;  // bwrap kernels: the emulator's default
    const auto emulator = emulators::start_aca_emulator(options);
    json aca_config = emulator->backend_settings();
    aca_config["api_version"] = version;
    std::vector<std::unique_ptr<backends::Backend>> backends;
    backends.push_back(
        backends::local::make_local_backend({"local-bwrap", "local", {{"isolation", "bwrap"}}}));
    backends.push_back(backends::aca::make_aca_backend({"aca", "aca", aca_config}));

    const auto samples_file =
        std::filesystem::temp_directory_path() /
        ("aca-workloads-" + std::to_string(::getpid()) + "-" + version + ".jsonl");
    std::filesystem::remove(samples_file);
    RunResult result;
    {
        SampleWriter writer{samples_file};
        RunObserver observer;
        std::atomic<bool> stop{false};
        Runner runner{plan, backends, writer, observer, stop};
        auto context = capture_run_context(make_run_id());
        for (const auto& backend : backends) {
            context.backends.push_back(backend->info());
        }
        result = runner.run(context);
    }
    std::filesystem::remove(samples_file);

    const auto local = verdicts(result.samples, "local-bwrap");
    const auto aca = verdicts(result.samples, "aca");
    REQUIRE_FALSE(aca.empty());
    for (const auto& [key, ok] : local) {
        const auto& [workload, scenario, phase] = key;
        CAPTURE(workload, to_string(scenario), phase);
        const auto it = aca.find(key);
        REQUIRE(it != aca.end());
        CHECK(it->second == ok);
    }
    std::size_t skipped_local = 0;
    std::size_t skipped_aca = 0;
    for (const auto& skip : result.skipped) {
        (skip.backend == "aca" ? skipped_aca : skipped_local) += 1;
    }
    CHECK(skipped_aca == skipped_local);

    bool saw_cell = false;
    for (const auto& sample : result.samples) {
        if (sample.backend != "aca") {
            continue;
        }
        CAPTURE(sample.workload, sample.phase, sample.message);
        CHECK(sample.emulated);
        if (sample.phase.starts_with("cell:") && sample.ok) {
            saw_cell = true;
            CHECK(sample.transport.has_value());
            CHECK(sample.backend_time.has_value());
            CHECK(sample.extra.contains("x_ms"));
            CHECK(sample.extra.contains("http_status"));
        }
        if (sample.phase == "close" && sample.scenario == Scenario::kCold) {
            CHECK(sample.extra.value("close", "") ==
                  (version == "2024-02-02-preview" ? "expire_by_cooldown" : "deleted"));
        }
    }
    CHECK(saw_cell);
}

TEST_CASE("faults during a run become failed samples of the right kind, and none is lost",
          "[integration][aca]") {
    const WorkloadCatalog catalog{std::filesystem::path(SANDBENCH_SOURCE_DIR) / "workloads"};
    RunPlan plan;
    for (const auto* name : {"hello", "state_across_cells", "file_roundtrip"}) {
        plan.workloads.push_back(catalog.load(name));
    }
    plan.iterations = 6;
    plan.warmup = 1;
    plan.data_directory = catalog.data_directory();

    emulators::EmulatorOptions options;
    options.kernel = {{"isolation", "none"}};
    options.seed = 7;
    for (const auto* rule : {"429@0.05:retry_after=0", "503@0.05:retry_after=0", "500@0.05",
                             "drop@0.05", "malformed@0.05:path=execute"}) {
        options.faults.push_back(emulators::parse_fault_rule(rule));
    }
    const auto emulator = emulators::start_aca_emulator(options);
    std::vector<std::unique_ptr<backends::Backend>> backends;
    backends.push_back(
        backends::aca::make_aca_backend({"aca", "aca", emulator->backend_settings()}));

    const auto samples_file = std::filesystem::temp_directory_path() /
                              ("aca-faults-" + std::to_string(::getpid()) + ".jsonl");
    std::filesystem::remove(samples_file);
    RunResult result;
    {
        SampleWriter writer{samples_file};
        RunObserver observer;
        std::atomic<bool> stop{false};
        Runner runner{plan, backends, writer, observer, stop};
        result = runner.run(capture_run_context(make_run_id()));
    }
    std::filesystem::remove(samples_file);

    std::map<std::string, int> kinds;
    std::map<std::tuple<std::string, Scenario, int>, std::set<std::string>> phases;
    for (const auto& sample : result.samples) {
        if (!sample.ok) {
            ++kinds[sample.error_kind];
        }
        if (!sample.warmup) {
            phases[{sample.workload, sample.scenario, sample.iteration}].insert(sample.phase);
        }
    }
    // Faults fired, and each shows as what it is: throttling, a broken connection, an error.
    // "expectation" appears too: when a fault hits the upload that primes a reused session, the
    // runner keeps that session, and its later iterations miss the file (reported to the lead).
    CHECK(kinds.size() >= 3);
    for (const auto& [kind, count] : kinds) {
        CAPTURE(kind, count);
        CHECK((kind == "rate_limited" || kind == "transport_error" || kind == "backend_error" ||
               kind == "expectation" || kind == "session_lost"));
    }
    // Every measured iteration is on record: a cold one from create to close, failed or not.
    for (const auto& workload : plan.workloads) {
        for (int iteration = 0; iteration < plan.iterations; ++iteration) {
            CAPTURE(workload.name, iteration);
            const auto& cold = phases[{workload.name, Scenario::kCold, iteration}];
            CHECK(cold.contains("create"));
            CHECK(cold.contains("close"));
            CHECK_FALSE(phases[{workload.name, Scenario::kReused, iteration}].empty());
        }
    }
}
