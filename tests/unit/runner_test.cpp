// SPDX-License-Identifier: Apache-2.0
// The runner and the summary, driven by the deterministic fake backend: which samples exist,
// how failures are kept, warmups, interleaving, freshness checks, skips and stop requests.
#include "sandbench/harness/runner.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "fake/fake_backend.hpp"
#include "sandbench/backends/backend_registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/summary.hpp"
#include "sandbench/harness/summary_io.hpp"
#include "support/temp_dir.hpp"

using namespace sandbench::harness;
using sandbench::backends::BackendSpec;
using sandbench::backends::Milliseconds;

namespace {

/// A scratch directory removed at the end of the test.
using sandbench_test::TempDir;

Cell make_cell(int index, std::string code, std::vector<Expectation> expectations = {}) {
    Cell cell;
    cell.index = index;
    cell.code = std::move(code);
    cell.expectations = std::move(expectations);
    return cell;
}

Workload make_workload(std::string name, std::vector<Cell> cells) {
    Workload workload;
    workload.name = std::move(name);
    workload.cells = std::move(cells);
    return workload;
}

Workload greeting_workload() {
    return make_workload(
        "greeting", {make_cell(1, "print hello", {{ExpectationKind::kStdoutContains, "hello", {}}}),
                     make_cell(2, "result 2", {{ExpectationKind::kResultEquals, "", 2}})});
}

/// Records the order of steps and can request a stop after a number of samples.
class RecordingObserver final : public RunObserver {
public:
    std::vector<StepInfo> steps;
    std::vector<SkippedWorkload> skips;
    std::size_t total = 0;
    std::size_t stop_after_samples = 0;
    std::size_t seen = 0;
    std::atomic<bool>* stop = nullptr;

    void on_run_start(const RunContext& /*context*/, std::size_t total_steps) override {
        total = total_steps;
    }
    void on_skip(const SkippedWorkload& skip) override { skips.push_back(skip); }
    void on_step_start(const StepInfo& step) override { steps.push_back(step); }
    void on_sample(const Sample& /*sample*/) override {
        if (stop != nullptr && ++seen == stop_after_samples) {
            stop->store(true);
        }
    }
};

struct Harness {
    TempDir dir;
    std::vector<std::unique_ptr<sandbench::backends::Backend>> backends;
    RecordingObserver observer;
    std::atomic<bool> stop{false};

    void add_fake(std::string name, nlohmann::json config = nlohmann::json::object()) {
        backends.push_back(sandbench::backends::fake::make_fake_backend(
            BackendSpec{std::move(name), "fake", std::move(config)}));
    }

    RunResult run(RunPlan plan) {
        SampleWriter writer(dir.path / "samples.jsonl");
        Runner runner(std::move(plan), backends, writer, observer, stop);
        RunContext context;
        context.run_id = "test-run";
        return runner.run(context);
    }
};

std::map<std::string, int> count_measured(const std::vector<Sample>& samples, Scenario scenario) {
    std::map<std::string, int> counts;
    for (const auto& sample : samples) {
        if (!sample.warmup && sample.scenario == scenario) {
            ++counts[sample.phase];
        }
    }
    return counts;
}

}  // namespace

TEST_CASE("cold and reused runs record every phase of every iteration", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.iterations = 3;
    plan.warmup = 1;
    const auto result = h.run(plan);

    const auto cold = count_measured(result.samples, Scenario::kCold);
    for (const auto* phase_name : {"create", "first_result", "cell:1", "cell:2", "execute",
                                   "fresh_check", "close", "session"}) {
        CHECK(cold.at(phase_name) == 3);
    }
    CHECK_FALSE(cold.contains("upload"));  // the workload has no files

    const auto reused = count_measured(result.samples, Scenario::kReused);
    CHECK(reused.at("cell:1") == 3);
    CHECK(reused.at("execute") == 3);
    CHECK(reused.at("close") == 1);          // the reused session is closed once, at the end
    CHECK_FALSE(reused.contains("create"));  // its creation is part of the warmup

    // One warmup per unit, 3 measured: 8 steps, and nothing failed.
    CHECK(h.observer.total == 8);
    CHECK(h.observer.steps.size() == 8);
    for (const auto& sample : result.samples) {
        CHECK(sample.ok);
        CHECK(sample.run_id == "test-run");
    }

    // Everything in memory is also on disk, in the same order.
    const auto on_disk = read_samples(h.dir.path / "samples.jsonl");
    REQUIRE(on_disk.size() == result.samples.size());
    CHECK(to_json(on_disk.back()) == to_json(result.samples.back()));
}

TEST_CASE("reused iterations run in one session, cold ones each in a new one", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.iterations = 4;
    const auto result = h.run(plan);
    std::set<std::string> cold_sessions;
    std::set<std::string> reused_sessions;
    for (const auto& sample : result.samples) {
        if (sample.phase == "execute" && !sample.warmup) {
            (sample.scenario == Scenario::kCold ? cold_sessions : reused_sessions)
                .insert(sample.session_id);
        }
    }
    CHECK(cold_sessions.size() == 4);
    CHECK(reused_sessions.size() == 1);
}

TEST_CASE("a wrong answer fails the sample and the statistics exclude it", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    RunPlan plan;
    plan.workloads = {make_workload(
        "wrong", {make_cell(1, "print hallo", {{ExpectationKind::kStdoutContains, "hello", {}}}),
                  make_cell(2, "result 1")})};
    plan.scenarios = {Scenario::kCold};
    plan.iterations = 2;
    plan.warmup = 0;
    const auto result = h.run(plan);

    const auto rows = summarize(result.samples);
    bool saw_cell = false;
    for (const auto& row : rows) {
        if (row.phase == "cell:1") {
            saw_cell = true;
            CHECK(row.attempts == 2);
            CHECK(row.failures == 2);
            CHECK(row.failure_kinds.at("expectation") == 2);
            CHECK(row.wall.n == 0);
            CHECK_THAT(row.first_failure, Catch::Contains("does not contain"));
        }
        CHECK(row.phase != "cell:2");   // the cell after a failure does not run
        CHECK(row.phase != "session");  // a failed iteration has no session total
    }
    CHECK(saw_cell);
}

TEST_CASE("a failed create is recorded, never dropped", "[unit][runner]") {
    Harness h;
    h.add_fake("flaky", {{"fail_create_every", 2}});
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.scenarios = {Scenario::kCold};
    plan.iterations = 4;
    plan.warmup = 0;
    const auto result = h.run(plan);
    const auto rows = summarize(result.samples);
    for (const auto& row : rows) {
        if (row.phase == "create" || row.phase == "first_result") {
            CHECK(row.attempts == 4);
            CHECK(row.failures == 2);
            CHECK(row.success_rate() == Approx(0.5));
        }
    }
}

TEST_CASE("a backend that hands out used sandboxes fails the freshness check", "[unit][runner]") {
    Harness h;
    h.add_fake("leaky", {{"leak_state", true}});
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.scenarios = {Scenario::kCold};
    plan.iterations = 3;
    plan.warmup = 0;
    const auto result = h.run(plan);
    int not_fresh = 0;
    for (const auto& sample : result.samples) {
        if (sample.phase == "fresh_check") {
            not_fresh += sample.error_kind == "not_fresh" ? 1 : 0;
        }
    }
    CHECK(not_fresh == 2);  // the first session is new, the two after it are not
}

TEST_CASE("a phase that returns after its limit is failed as late", "[unit][runner]") {
    Harness h;
    h.add_fake("slow", {{"create_ms", 20}});
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.scenarios = {Scenario::kCold};
    plan.iterations = 1;
    plan.warmup = 0;
    plan.create_timeout = Milliseconds{1};
    const auto result = h.run(plan);
    REQUIRE_FALSE(result.samples.empty());
    CHECK(result.samples.front().phase == "create");
    CHECK(result.samples.front().error_kind == "late");
    CHECK_FALSE(result.samples.front().ok);
}

TEST_CASE("a reused session killed by a timeout is replaced", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    RunPlan plan;
    plan.workloads = {make_workload("slow", {make_cell(1, "sleep 30")})};
    plan.scenarios = {Scenario::kReused};
    plan.iterations = 2;
    plan.warmup = 0;
    plan.cell_timeout = Milliseconds{5};
    const auto result = h.run(plan);
    std::set<std::string> sessions;
    int timeouts = 0;
    for (const auto& sample : result.samples) {
        if (sample.phase == "cell:1") {
            sessions.insert(sample.session_id);
            timeouts += sample.error_kind == "timeout" ? 1 : 0;
        }
    }
    CHECK(timeouts >= 2);
    CHECK(sessions.size() >= 2);
}

TEST_CASE("a reused session whose files could not be uploaded is replaced", "[unit][runner]") {
    Harness h;
    h.add_fake("fake", {{"fail_first_uploads", 2}});
    auto workload = make_workload("files", {make_cell(1, "print ok")});
    workload.uploads = {"input.csv"};
    RunPlan plan;
    plan.workloads = {workload};
    plan.data_directory = h.dir.path;
    std::ofstream(h.dir.path / "input.csv") << "a,b\n1,2\n";
    plan.scenarios = {Scenario::kReused};
    plan.iterations = 3;
    plan.warmup = 0;
    const auto result = h.run(plan);

    std::vector<const Sample*> uploads;
    std::set<std::string> measured_sessions;
    int measured_ok = 0;
    for (const auto& sample : result.samples) {
        if (sample.phase == "upload") {
            uploads.push_back(&sample);
        } else if (sample.phase == "cell:1" && !sample.warmup) {
            measured_sessions.insert(sample.session_id);
            measured_ok += sample.status == sandbench::backends::Status::kOk ? 1 : 0;
        }
    }
    // The warmup's session and the first measured iteration's could not be primed: each was
    // closed and replaced, and the third session runs the remaining iterations.
    REQUIRE(uploads.size() == 3);
    CHECK(uploads[0]->status == sandbench::backends::Status::kBackendError);
    CHECK(uploads[1]->status == sandbench::backends::Status::kBackendError);
    CHECK(uploads[2]->status == sandbench::backends::Status::kOk);
    CHECK(std::set<std::string>{uploads[0]->session_id, uploads[1]->session_id,
                                uploads[2]->session_id}
              .size() == 3);
    CHECK(measured_ok == 2);
    CHECK(measured_sessions == std::set<std::string>{uploads[2]->session_id});
}

TEST_CASE("workloads that need isolation are skipped on unisolated backends", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    auto workload = greeting_workload();
    workload.requires_isolation = true;
    RunPlan plan;
    plan.workloads = {workload};
    const auto result = h.run(plan);
    CHECK(result.samples.empty());
    REQUIRE(result.skipped.size() == 1);
    CHECK(result.skipped[0].backend == "fake");
    CHECK_THAT(result.skipped[0].reason, Catch::Contains("isolat"));
}

TEST_CASE("interleaving mixes units and follows the seed", "[unit][runner]") {
    auto order_for = [](std::uint64_t seed, bool interleave) {
        Harness h;
        h.add_fake("a");
        h.add_fake("b");
        RunPlan plan;
        plan.workloads = {greeting_workload()};
        plan.scenarios = {Scenario::kCold};
        plan.iterations = 6;
        plan.warmup = 0;
        plan.seed = seed;
        plan.interleave = interleave;
        static_cast<void>(h.run(plan));
        std::string order;
        for (const auto& step : h.observer.steps) {
            order += step.backend;
        }
        return order;
    };
    CHECK(order_for(7, false) == "aaaaaabbbbbb");
    const auto interleaved = order_for(7, true);
    CHECK(interleaved != "aaaaaabbbbbb");
    CHECK(interleaved == order_for(7, true));
    // Every round runs each unit once, so the counts stay equal at every round boundary.
    for (std::size_t round = 0; round < 6; ++round) {
        const auto pair = interleaved.substr(round * 2, 2);
        CHECK((pair == "ab" || pair == "ba"));
    }
}

TEST_CASE("a stop request ends the run and keeps what was measured", "[unit][runner]") {
    Harness h;
    h.add_fake("fake");
    h.observer.stop = &h.stop;
    h.observer.stop_after_samples = 5;
    RunPlan plan;
    plan.workloads = {greeting_workload()};
    plan.iterations = 50;
    const auto result = h.run(plan);
    CHECK(result.interrupted);
    CHECK(h.observer.steps.size() < 10);
    const auto on_disk = read_samples(h.dir.path / "samples.jsonl");
    CHECK(on_disk.size() == result.samples.size());
}

TEST_CASE("summaries exclude warmups and order phases by lifecycle", "[unit][summary]") {
    auto sample = [](std::string phase_name, double ms, bool warmup = false, bool ok = true) {
        Sample s;
        s.backend = "b";
        s.workload = "w";
        s.phase = std::move(phase_name);
        s.wall = Milliseconds{ms};
        s.warmup = warmup;
        s.ok = ok;
        if (!ok) {
            s.error_kind = "timeout";
            s.message = "too slow";
        }
        return s;
    };
    const std::vector<Sample> samples{sample("close", 1),
                                      sample("cell:10", 2),
                                      sample("cell:2", 3),
                                      sample("create", 100, true),
                                      sample("create", 10),
                                      sample("create", 20),
                                      sample("create", 0, false, false)};
    const auto rows = summarize(samples);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].phase == "create");
    CHECK(rows[1].phase == "cell:2");
    CHECK(rows[2].phase == "cell:10");
    CHECK(rows[3].phase == "close");
    CHECK(rows[0].attempts == 3);
    CHECK(rows[0].failures == 1);
    CHECK(rows[0].wall.n == 2);
    CHECK(*rows[0].wall.median == Approx(15));  // the 100 ms warmup is not in it
    CHECK(rows[0].first_failure == "too slow");
}

TEST_CASE("samples survive a JSON round trip and a cut-off last line", "[unit][sample]") {
    TempDir dir;
    Sample sample;
    sample.run_id = "r";
    sample.backend = "b";
    sample.workload = "w";
    sample.scenario = Scenario::kReused;
    sample.phase = "cell:1";
    sample.wall = Milliseconds{1.5};
    sample.backend_time = Milliseconds{0.5};
    sample.transport = sandbench::backends::TransportTiming{
        Milliseconds{1}, Milliseconds{2}, Milliseconds{3}, Milliseconds{4}, Milliseconds{5}, 6, 7};
    sample.status = sandbench::backends::Status::kTimeout;
    sample.ok = false;
    sample.error_kind = "timeout";
    sample.extra = {{"k", "v"}};
    CHECK(to_json(sample_from_json(to_json(sample))) == to_json(sample));

    const auto file = dir.path / "samples.jsonl";
    {
        SampleWriter writer(file);
        writer.append(sample);
        writer.append(sample);
        CHECK_THROWS_AS(SampleWriter(file), sandbench::IoError);  // never appends to a run
    }
    {
        std::ofstream out(file, std::ios::app);
        out << R"({"run_id": "r", "backe)";  // a crash mid-write
    }
    CHECK(read_samples(file).size() == 2);
}

TEST_CASE("the run context names the CPU from /proc/cpuinfo", "[unit][context]") {
    using sandbench::harness::parse_cpuinfo;
    const auto cpu = parse_cpuinfo(
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n"
        "cpu MHz\t\t: 2600.000\n\nprocessor\t: 1\nmodel name\t: Other\ncpu MHz\t\t: 1.0\n");
    CHECK(cpu.model == "Intel(R) Xeon(R) Processor");
    CHECK(cpu.mhz == 2600.0);
    // Architectures without these fields (arm64 has no "model name") leave them unknown.
    const auto bare = parse_cpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\ncpu MHz\t: fast\n");
    CHECK(bare.model.empty());
    CHECK(bare.mhz == 0.0);
    CHECK(parse_cpuinfo("").model.empty());

    auto context = sandbench::harness::capture_run_context("r");
    context.cpu_model = "Intel(R) Xeon(R) Processor";
    context.cpu_mhz = 2600.5;
    const auto restored = sandbench::harness::run_context_from_json(to_json(context));
    CHECK(restored.cpu_model == context.cpu_model);
    CHECK(restored.cpu_mhz == context.cpu_mhz);
}
