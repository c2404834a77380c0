// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/runner.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sandbench/common/error.hpp"

namespace sandbench::harness {

using backends::Backend;
using backends::Execution;
using backends::Milliseconds;
using backends::Outcome;
using backends::Session;
using backends::Status;
using Clock = std::chrono::steady_clock;

namespace {

// The first line is how the fake backend recognises the probe; the rest is ordinary Python.
constexpr std::string_view kFreshnessProbe = R"(# sandbench: freshness probe
import os as _sandbench_os
_sandbench_fresh = not _sandbench_os.path.exists(".sandbench_marker") and "_sandbench_marker" not in globals()
open(".sandbench_marker", "w").close()
_sandbench_marker = True
_sandbench_fresh)";

Milliseconds since(Clock::time_point start) { return Clock::now() - start; }

/// Everything the runner keeps about one (backend, workload, scenario) unit.
struct Unit {
    Backend* backend = nullptr;
    const Workload* workload = nullptr;
    Scenario scenario = Scenario::kCold;
    int rounds = 0;  ///< warmup + measured iterations
    int warmups = 0;
    int done = 0;
    std::unique_ptr<Session> reused_session;  ///< the reused scenario's session
};

std::string join_messages(const std::vector<std::string>& messages) {
    std::string joined;
    for (const auto& message : messages) {
        joined += joined.empty() ? message : "; " + message;
    }
    return joined;
}

/// Runs units and records samples; one instance per run.
class RunSession {
public:
    RunSession(const RunPlan& plan, SampleWriter& writer, RunObserver& observer,
               const std::atomic<bool>& stop, std::string run_id,
               std::map<std::string, std::string> uploads)
        : plan_(plan),
          writer_(writer),
          observer_(observer),
          stop_(stop),
          run_id_(std::move(run_id)),
          uploads_(std::move(uploads)),
          run_start_(Clock::now()) {}

    [[nodiscard]] bool stopping() const { return stop_.load(); }
    [[nodiscard]] std::vector<Sample>& samples() { return samples_; }

    void run_step(Unit& unit) {
        const bool warmup = unit.done < unit.warmups;
        const int iteration = warmup ? unit.done : unit.done - unit.warmups;
        ++unit.done;
        if (unit.scenario == Scenario::kCold) {
            run_cold(unit, iteration, warmup);
        } else {
            run_reused(unit, iteration, warmup);
        }
    }

    /// Closes the reused session of a unit, recording the close as a measured sample.
    void finish(Unit& unit) {
        if (!unit.reused_session) {
            return;
        }
        Context context{unit, 0, false, unit.reused_session->id()};
        const auto start = Clock::now();
        const auto outcome = unit.reused_session->close();
        record_outcome(context, phase::kClose, since(start), outcome, plan_.close_timeout);
        unit.reused_session.reset();
    }

private:
    struct Context {
        Unit& unit;
        int iteration;
        bool warmup;
        std::string session_id;
    };

    Sample make_sample(const Context& context, std::string_view phase_name, Milliseconds wall,
                       Clock::time_point started) const {
        Sample sample;
        sample.run_id = run_id_;
        sample.backend = context.unit.backend->info().name;
        sample.workload = context.unit.workload->name;
        sample.scenario = context.unit.scenario;
        sample.iteration = context.iteration;
        sample.warmup = context.warmup;
        sample.phase = std::string(phase_name);
        sample.session_id = context.session_id;
        sample.wall = wall;
        sample.emulated = context.unit.backend->info().emulated;
        sample.started_at = started - run_start_;
        return sample;
    }

    void emit(Sample sample) {
        writer_.append(sample);
        observer_.on_sample(sample);
        samples_.push_back(std::move(sample));
    }

    /// Records a phase from a backend Outcome; a late success becomes a failure.
    bool record_outcome(const Context& context, std::string_view phase_name, Milliseconds wall,
                        const Outcome& outcome, Milliseconds limit) {
        const auto started = Clock::now() - std::chrono::duration_cast<Clock::duration>(wall);
        auto sample = make_sample(context, phase_name, wall, started);
        sample.backend_time = outcome.backend_time;
        sample.transport = outcome.transport;
        sample.status = outcome.status;
        sample.extra = outcome.extra;
        sample.ok = outcome.ok();
        if (!sample.ok) {
            sample.error_kind = std::string(backends::to_string(outcome.status));
            sample.message = outcome.message;
        } else if (wall > limit) {
            sample.ok = false;
            sample.error_kind = std::string(failure::kLate);
            sample.message =
                fmt::format("took {:.0f} ms, limit {:.0f} ms", wall.count(), limit.count());
        }
        const bool ok = sample.ok;
        emit(std::move(sample));
        return ok;
    }

    /// Records a failure that has no backend outcome (a check of the harness).
    void record_failure(const Context& context, std::string_view phase_name, Milliseconds wall,
                        Status status, std::string_view kind, std::string message) {
        auto sample = make_sample(context, phase_name, wall, Clock::now());
        sample.ok = false;
        sample.status = status;
        sample.error_kind = std::string(kind);
        sample.message = std::move(message);
        emit(std::move(sample));
    }

    void record_success(const Context& context, std::string_view phase_name, Milliseconds wall,
                        std::optional<Milliseconds> backend_time = std::nullopt) {
        auto sample = make_sample(context, phase_name, wall, Clock::now());
        sample.backend_time = backend_time;
        emit(std::move(sample));
    }

    bool upload_files(const Context& context, Session& session) {
        if (context.unit.workload->uploads.empty()) {
            return true;
        }
        const auto start = Clock::now();
        Outcome total;
        for (const auto& name : context.unit.workload->uploads) {
            total = session.upload(name, uploads_.at(name));
            if (!total.ok()) {
                total.message = fmt::format("upload of {}: {}", name, total.message);
                break;
            }
        }
        return record_outcome(context, phase::kUpload, since(start), total, plan_.transfer_timeout);
    }

    /// Executes every cell, recording one sample per cell and the execute total. Returns the
    /// time to the first cell's result (from `first_result_origin`) when asked for.
    bool run_cells(const Context& context, Session& session,
                   std::optional<Clock::time_point> first_result_origin) {
        const auto& workload = *context.unit.workload;
        const auto timeout = workload.cell_timeout.value_or(plan_.cell_timeout);
        Milliseconds total{0};
        Milliseconds total_backend{0};
        bool all_backend_times = true;
        for (const auto& cell : workload.cells) {
            const auto start = Clock::now();
            const Execution execution = session.execute(cell.code, timeout);
            const auto wall = since(start);
            total += wall;
            if (execution.backend_time) {
                total_backend += *execution.backend_time;
            } else {
                all_backend_times = false;
            }
            auto sample = make_sample(context, cell_phase(cell.index), wall, start);
            sample.backend_time = execution.backend_time;
            sample.transport = execution.transport;
            sample.status = execution.status;
            sample.extra = execution.extra;
            if (execution.output_truncated) {
                sample.extra["output_truncated"] = true;
            }
            const auto failures = check_cell(cell, execution);
            sample.ok = failures.empty();
            if (!sample.ok) {
                const bool answered =
                    execution.status == Status::kOk || execution.status == Status::kUserError;
                sample.error_kind = answered ? std::string(failure::kExpectation)
                                             : std::string(backends::to_string(execution.status));
                sample.message = fmt::format("cell {}: {}", cell.index, join_messages(failures));
            }
            const bool ok = sample.ok;
            const std::string message = sample.message;
            const std::string kind = sample.error_kind;
            emit(std::move(sample));
            if (cell.index == workload.cells.front().index && first_result_origin) {
                if (ok) {
                    record_success(context, phase::kFirstResult, since(*first_result_origin));
                } else {
                    record_failure(context, phase::kFirstResult, since(*first_result_origin),
                                   execution.status, kind, message);
                }
            }
            if (!ok) {
                record_failure(context, phase::kExecute, total, execution.status, kind, message);
                if (first_result_origin) {
                    record_failure(context, phase::kLastResult, since(*first_result_origin),
                                   execution.status, kind, message);
                }
                return false;
            }
            if (stopping()) {
                return false;
            }
        }
        record_success(context, phase::kExecute, total,
                       all_backend_times ? std::optional(total_backend) : std::nullopt);
        if (first_result_origin) {
            record_success(context, phase::kLastResult, since(*first_result_origin));
        }
        return true;
    }

    bool download_files(const Context& context, Session& session) {
        const auto& downloads = context.unit.workload->downloads;
        if (downloads.empty()) {
            return true;
        }
        const auto start = Clock::now();
        for (const auto& check : downloads) {
            const auto download = session.download(check.name);
            if (!download.ok()) {
                Outcome failed = static_cast<const Outcome&>(download);  // without the bytes
                failed.message = fmt::format("download of {}: {}", check.name, download.message);
                return record_outcome(context, phase::kDownload, since(start), failed,
                                      plan_.transfer_timeout);
            }
            if (check.contains && download.bytes.find(*check.contains) == std::string::npos) {
                record_failure(context, phase::kDownload, since(start), Status::kOk,
                               failure::kExpectation,
                               fmt::format("downloaded {} does not contain \"{}\"", check.name,
                                           *check.contains));
                return false;
            }
        }
        return record_outcome(context, phase::kDownload, since(start), Outcome{},
                              plan_.transfer_timeout);
    }

    void check_fresh(const Context& context, Session& session) {
        const auto start = Clock::now();
        const auto execution = session.execute(kFreshnessProbe, plan_.cell_timeout);
        const auto wall = since(start);
        if (!execution.ok()) {
            record_outcome(context, phase::kFreshCheck, wall, execution, plan_.cell_timeout);
        } else if (execution.result != true) {
            record_failure(context, phase::kFreshCheck, wall, Status::kOk, failure::kNotFresh,
                           "a marker left by an earlier session is visible: the backend handed "
                           "out a used sandbox as new");
        } else {
            record_success(context, phase::kFreshCheck, wall, execution.backend_time);
        }
    }

    void run_cold(Unit& unit, int iteration, bool warmup) {
        const auto session_start = Clock::now();
        auto start = unit.backend->create_session();
        Context context{unit, iteration, warmup, start.session ? start.session->id() : ""};
        const auto create_wall = since(session_start);
        if (!record_outcome(context, phase::kCreate, create_wall, start, plan_.create_timeout)) {
            if (!start.ok()) {
                // No result ever came: the time-to-result phases count this iteration as failed.
                for (const auto phase_name : {phase::kFirstResult, phase::kLastResult}) {
                    record_failure(context, phase_name, create_wall, start.status,
                                   backends::to_string(start.status), "session was not created");
                }
            }
            if (start.session) {
                static_cast<void>(start.session->close());
            }
            return;
        }
        auto& session = *start.session;
        const bool worked = !stopping() && upload_files(context, session) && !stopping() &&
                            run_cells(context, session, session_start) && !stopping() &&
                            download_files(context, session);
        if (worked && plan_.verify_fresh && !stopping()) {
            check_fresh(context, session);
        }
        const auto close_start = Clock::now();
        const auto closed = session.close();
        record_outcome(context, phase::kClose, since(close_start), closed, plan_.close_timeout);
        if (worked && closed.ok()) {
            record_success(context, phase::kSession, since(session_start));
        }
    }

    /// Creates the reused session, uploads its files and runs the workload once (a warmup:
    /// the first execution of a session is the cold one).
    bool prime_reused(Unit& unit) {
        const auto create_start = Clock::now();
        auto start = unit.backend->create_session();
        Context context{unit, 0, true, start.session ? start.session->id() : ""};
        record_outcome(context, phase::kCreate, since(create_start), start, plan_.create_timeout);
        if (!start.ok() || !start.session) {
            return false;
        }
        unit.reused_session = std::move(start.session);
        if (!upload_files(context, *unit.reused_session)) {
            // Without its files every later execution would fail for a reason its sample would
            // not show (FileNotFoundError): the session is given up and created anew next round.
            static_cast<void>(unit.reused_session->close());
            unit.reused_session.reset();
            return false;
        }
        return run_cells(context, *unit.reused_session, std::nullopt);
    }

    void run_reused(Unit& unit, int iteration, bool warmup) {
        // A session that died (killed after a timeout) is replaced; its replacement's first
        // execution is a warmup again, not a reused measurement.
        if (unit.reused_session && !unit.reused_session->alive()) {
            static_cast<void>(unit.reused_session->close());
            unit.reused_session.reset();
        }
        if (!unit.reused_session) {
            const bool primed = prime_reused(unit);
            if (!warmup) {
                Context context{unit, iteration, false,
                                unit.reused_session ? unit.reused_session->id() : ""};
                if (!primed) {
                    record_failure(context, phase::kExecute, Milliseconds{0}, Status::kBackendError,
                                   "session_lost",
                                   "the reused session could not be (re)created and primed");
                    return;
                }
            } else {
                return;
            }
        }
        auto& session = *unit.reused_session;
        Context context{unit, iteration, warmup, session.id()};
        if (run_cells(context, session, std::nullopt) && !stopping()) {
            download_files(context, session);
        }
    }

    const RunPlan& plan_;
    SampleWriter& writer_;
    RunObserver& observer_;
    const std::atomic<bool>& stop_;
    std::string run_id_;
    std::map<std::string, std::string> uploads_;
    Clock::time_point run_start_;
    std::vector<Sample> samples_;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw IoError(fmt::format("cannot read workload file {}", path.string()));
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

/// Asks a backend which of `modules` its sessions cannot import. Empty when all are there or
/// when the backend cannot answer (then the workloads run and fail visibly instead).
std::set<std::string> missing_modules(Backend& backend, const std::set<std::string>& modules) {
    if (modules.empty()) {
        return {};
    }
    std::string list;
    for (const auto& module : modules) {
        list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", module);
    }
    auto start = backend.create_session();
    if (!start.ok() || !start.session) {
        return {};
    }
    const auto execution = start.session->execute(
        fmt::format(
            "import importlib.util\n[m for m in [{}] if importlib.util.find_spec(m) is None]",
            list),
        Milliseconds{60'000});
    static_cast<void>(start.session->close());
    std::set<std::string> missing;
    if (execution.ok() && execution.result.is_array()) {
        for (const auto& module : execution.result) {
            if (module.is_string()) {
                missing.insert(module.get<std::string>());
            }
        }
    }
    return missing;
}

}  // namespace

std::string_view freshness_probe_code() noexcept { return kFreshnessProbe; }

nlohmann::json to_json(const RunPlan& plan) {
    nlohmann::json workloads = nlohmann::json::array();
    for (const auto& workload : plan.workloads) {
        workloads.push_back(workload.name);
    }
    nlohmann::json scenarios = nlohmann::json::array();
    for (const auto scenario : plan.scenarios) {
        scenarios.push_back(to_string(scenario));
    }
    return {{"workloads", workloads},
            {"scenarios", scenarios},
            {"iterations", plan.iterations},
            {"warmup", plan.warmup},
            {"interleave", plan.interleave},
            {"seed", plan.seed},
            {"cell_timeout_ms", plan.cell_timeout.count()},
            {"create_timeout_ms", plan.create_timeout.count()},
            {"transfer_timeout_ms", plan.transfer_timeout.count()},
            {"close_timeout_ms", plan.close_timeout.count()},
            {"verify_fresh", plan.verify_fresh}};
}

Runner::Runner(RunPlan plan, const std::vector<std::unique_ptr<Backend>>& backends,
               SampleWriter& writer, RunObserver& observer, const std::atomic<bool>& stop_requested)
    : plan_(std::move(plan)),
      backends_(backends),
      writer_(writer),
      observer_(observer),
      stop_requested_(stop_requested) {}

RunResult Runner::run(const RunContext& context) {
    const auto run_start = Clock::now();
    RunResult result;

    // Everything that can fail for set-up reasons happens before the first measurement.
    std::map<std::string, std::string> uploads;
    std::set<std::string> modules;
    for (const auto& workload : plan_.workloads) {
        for (const auto& name : workload.uploads) {
            if (!uploads.contains(name)) {
                uploads[name] = read_file(plan_.data_directory / name);
            }
        }
        modules.insert(workload.required_modules.begin(), workload.required_modules.end());
    }

    std::vector<Unit> units;
    for (const auto& backend : backends_) {
        const auto& info = backend->info();
        const auto missing = missing_modules(*backend, modules);
        for (const auto& workload : plan_.workloads) {
            std::string reason;
            if (workload.requires_isolation && info.capabilities.isolation == "none") {
                reason = "needs an isolated sandbox; this backend runs without isolation";
            } else if ((!workload.uploads.empty() || !workload.downloads.empty()) &&
                       !info.capabilities.files) {
                reason = "needs file transfer, which this backend does not offer";
            } else {
                std::vector<std::string> absent;
                for (const auto& module : workload.required_modules) {
                    if (missing.contains(module)) {
                        absent.push_back(module);
                    }
                }
                if (!absent.empty()) {
                    reason = fmt::format("missing Python packages: {}", fmt::join(absent, ", "));
                }
            }
            if (!reason.empty()) {
                result.skipped.push_back({info.name, workload.name, reason});
                observer_.on_skip(result.skipped.back());
                continue;
            }
            for (const auto scenario : plan_.scenarios) {
                Unit unit;
                unit.backend = backend.get();
                unit.workload = &workload;
                unit.scenario = scenario;
                // The first execution of a reused session is always a warmup.
                unit.warmups =
                    scenario == Scenario::kReused ? std::max(plan_.warmup, 1) : plan_.warmup;
                unit.rounds = unit.warmups + plan_.iterations;
                units.push_back(std::move(unit));
            }
        }
    }

    std::size_t total_steps = 0;
    int max_rounds = 0;
    for (const auto& unit : units) {
        total_steps += static_cast<std::size_t>(unit.rounds);
        max_rounds = std::max(max_rounds, unit.rounds);
    }
    observer_.on_run_start(context, total_steps);

    RunSession session(plan_, writer_, observer_, stop_requested_, context.run_id,
                       std::move(uploads));
    std::size_t step_index = 0;
    auto run_one = [&](Unit& unit) {
        observer_.on_step_start({unit.backend->info().name, unit.workload->name, unit.scenario,
                                 unit.done < unit.warmups ? unit.done : unit.done - unit.warmups,
                                 unit.done < unit.warmups, step_index++, total_steps});
        session.run_step(unit);
    };

    if (plan_.interleave) {
        std::mt19937_64 shuffle(plan_.seed);
        for (int round = 0; round < max_rounds && !session.stopping(); ++round) {
            std::vector<Unit*> order;
            for (auto& unit : units) {
                if (round < unit.rounds) {
                    order.push_back(&unit);
                }
            }
            std::shuffle(order.begin(), order.end(), shuffle);
            for (auto* unit : order) {
                if (session.stopping()) {
                    break;
                }
                run_one(*unit);
            }
        }
    } else {
        for (auto& unit : units) {
            while (unit.done < unit.rounds && !session.stopping()) {
                run_one(unit);
            }
            session.finish(unit);
        }
    }
    for (auto& unit : units) {
        session.finish(unit);
    }

    result.samples = std::move(session.samples());
    result.interrupted = stop_requested_.load();
    result.duration_s = std::chrono::duration<double>(Clock::now() - run_start).count();
    return result;
}

}  // namespace sandbench::harness
