// SPDX-License-Identifier: Apache-2.0
//
// The runner: drives backends through workloads in the cold and reused scenarios and turns
// every timed phase into a Sample.
//
//   cold    a new session per iteration: create, upload, each cell (first_result is measured
//           from before create to the first cell's result), execute (all cells), download,
//           fresh_check (a marker left by an earlier session must not be visible), close, and
//           session (create start to close end).
//   reused  one session per (backend, workload); its first execution is a warmup, every later
//           execution of the whole workload is measured (each cell, execute, download).
//
// Iterations of every (backend, workload, scenario) unit are interleaved round by round in a
// seeded random order, so drift on the machine spreads over all backends instead of biasing
// whichever ran last. Failures are samples too; a stop request (Ctrl-C) ends the run at the
// next phase boundary with every sample so far already on disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"
#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/summary.hpp"
#include "sandbench/harness/workload.hpp"

namespace sandbench::harness {

struct RunPlan {
    std::vector<Workload> workloads;
    std::vector<Scenario> scenarios{Scenario::kCold, Scenario::kReused};
    int iterations = 10;  ///< measured iterations per unit
    int warmup = 1;       ///< discarded iterations per unit (at least 1 for reused)
    bool interleave = true;
    std::uint64_t seed = 1;
    /// Per-phase limits. Execution timeouts are enforced by the backend (it kills the
    /// sandbox); a create, transfer or close that returns after its limit is failed as "late".
    backends::Milliseconds cell_timeout{60'000};  ///< unless the workload sets its own
    backends::Milliseconds create_timeout{60'000};
    backends::Milliseconds transfer_timeout{60'000};
    backends::Milliseconds close_timeout{30'000};
    std::filesystem::path data_directory;  ///< where workload uploads are read from
    bool verify_fresh = true;
};

[[nodiscard]] nlohmann::json to_json(const RunPlan& plan);

/// One step of the run: one iteration of one unit.
struct StepInfo {
    std::string backend;
    std::string workload;
    Scenario scenario = Scenario::kCold;
    int iteration = 0;
    bool warmup = false;
    std::size_t index = 0;  ///< 0-based position in the run
    std::size_t total = 0;
};

/// Live events of a run (console progress, logs). Every hook defaults to doing nothing.
/// Hooks are called from the runner's thread.
class RunObserver {
public:
    RunObserver() = default;
    RunObserver(const RunObserver&) = default;
    RunObserver& operator=(const RunObserver&) = default;
    RunObserver(RunObserver&&) = default;
    RunObserver& operator=(RunObserver&&) = default;
    virtual ~RunObserver() = default;

    /// Before the first step; `total_steps` counts every iteration of every unit.
    virtual void on_run_start(const RunContext& context, std::size_t total_steps) {
        static_cast<void>(context);
        static_cast<void>(total_steps);
    }
    /// A (backend, workload) pair will not run, and why.
    virtual void on_skip(const SkippedWorkload& skip) { static_cast<void>(skip); }
    virtual void on_step_start(const StepInfo& step) { static_cast<void>(step); }
    /// After the sample was written to disk.
    virtual void on_sample(const Sample& sample) { static_cast<void>(sample); }
};

struct RunResult {
    std::vector<Sample> samples;
    std::vector<SkippedWorkload> skipped;
    bool interrupted = false;
    double duration_s = 0.0;
};

class Runner {
public:
    /// `backends` must outlive the runner. `writer` receives every sample as it happens.
    /// `stop_requested` is polled between phases (set it from a signal handler).
    Runner(RunPlan plan, const std::vector<std::unique_ptr<backends::Backend>>& backends,
           SampleWriter& writer, RunObserver& observer, const std::atomic<bool>& stop_requested);

    /// Runs the whole plan. Throws only for set-up errors found before measuring (unreadable
    /// upload files) or when the samples file cannot be written.
    [[nodiscard]] RunResult run(const RunContext& context);

private:
    RunPlan plan_;
    const std::vector<std::unique_ptr<backends::Backend>>& backends_;
    SampleWriter& writer_;
    RunObserver& observer_;
    const std::atomic<bool>& stop_requested_;
};

/// The Python snippet that verifies a cold session is new; its value is true when no marker of
/// an earlier session is visible (neither the file nor the global).
[[nodiscard]] std::string_view freshness_probe_code() noexcept;

}  // namespace sandbench::harness
