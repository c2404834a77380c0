// SPDX-License-Identifier: Apache-2.0
//
// A deterministic run for the exporter tests: three backends (local; e2b-emu and aca-emu, both
// emulated), two workloads (hello with one cell, numpy_fft with two cells, an upload and a
// download), cold and reused, twelve measured iterations after one warmup, and failures of
// several kinds: a create timeout, a wrong answer, user code raising, and a download that never
// works (a row without one ok sample). Times come from a fixed generator, rounded to the
// microsecond, so every exporter's output is the same on every run and machine.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbench/harness/cost.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::test {

struct ReportFixture {
    harness::Summary summary;
    std::vector<harness::Sample> samples;
    harness::PricingTable pricing;
    harness::CostReport cost;
};

/// A reproducible stream of numbers in [0, 1).
class Noise {
public:
    double next() {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state_ >> 11) / 9007199254740992.0;
    }

private:
    std::uint64_t state_ = 42;
};

inline backends::BackendInfo fixture_backend(std::string name, std::string type, bool emulated,
                                             std::string isolation, std::string description) {
    backends::BackendInfo info;
    info.name = std::move(name);
    info.type = std::move(type);
    info.emulated = emulated;
    info.capabilities.isolation = std::move(isolation);
    info.capabilities.server_timing = true;
    info.description = std::move(description);
    info.config = {{"fixture", true}};
    return info;
}

/// Milliseconds of each phase per backend: create, upload, first cell, second cell, close,
/// and the reused first and second cell.
struct Profile {
    std::string backend;
    double create;
    double upload;
    double cell1;
    double cell2;
    double close;
    double reused_cell1;
    double reused_cell2;
    bool http;
};

inline ReportFixture make_report_fixture() {
    using backends::Status;
    using harness::Sample;
    using harness::Scenario;
    ReportFixture f;
    auto& c = f.summary.context;
    c.run_id = "20260101T000000Z-f1x7";
    c.started_at = "2026-01-01T00:00:00Z";
    c.host = "fixture-host";
    c.cpus = 4;
    c.cpu_model = "Fixture CPU @ 2.60GHz";
    c.cpu_mhz = 2600.4;
    c.os = "Linux 6.1.0 x86_64";
    c.compiler = "g++ 12.2.0";
    c.build_type = "release";
    c.sandbench_version = "0.1.0";
    c.git_revision = "abc1234";
    c.load_average = {0.5, 0.25, 1.0};
    c.backends = {
        fixture_backend("local", "local", false, "none", "Python kernel in a plain subprocess"),
        fixture_backend("e2b-emu", "e2b", true, "firecracker", "E2B, against the local emulator"),
        fixture_backend("aca-emu", "aca", true, "hyper-v",
                        "ACA dynamic sessions, against the local emulator")};
    c.plan = {{"workloads", {"hello", "numpy_fft"}},
              {"scenarios", {"cold", "reused"}},
              {"iterations", 12},
              {"warmup", 1},
              {"interleave", true},
              {"seed", 1}};

    const std::vector<Profile> profiles{
        {"local", 180.0, 2.0, 3.0, 45.0, 15.0, 1.5, 40.0, false},
        {"e2b-emu", 420.0, 25.0, 30.0, 95.0, 40.0, 22.0, 80.0, true},
        {"aca-emu", 90.0, 30.0, 60.0, 140.0, 5.0, 45.0, 120.0, true},
    };
    Noise noise;
    double clock = 0.0;
    auto jitter = [&](double base) {
        const double r = noise.next();
        // A slow outlier now and then, as on a real machine.
        const double factor = r > 0.95 ? 1.8 : 0.9 + 0.25 * noise.next();
        return std::round(base * factor * 1000.0) / 1000.0;
    };
    auto add = [&](const Profile& p, const std::string& workload, Scenario scenario, int iteration,
                   bool warmup, std::string phase_name, double wall,
                   std::optional<double> backend_ms = std::nullopt) -> Sample& {
        Sample s;
        s.run_id = c.run_id;
        s.backend = p.backend;
        s.workload = workload;
        s.scenario = scenario;
        s.iteration = iteration;
        s.warmup = warmup;
        s.phase = std::move(phase_name);
        s.session_id =
            p.backend + "-" + std::string(to_string(scenario)) + "-" + std::to_string(iteration);
        s.wall = backends::Milliseconds{wall};
        if (backend_ms) {
            s.backend_time = backends::Milliseconds{std::round(*backend_ms * 1000.0) / 1000.0};
        }
        s.emulated = p.backend != "local";
        s.started_at = backends::Milliseconds{std::round(clock * 1000.0) / 1000.0};
        if (p.http) {
            s.transport =
                backends::TransportTiming{backends::Milliseconds{0.5},
                                          backends::Milliseconds{1.25},
                                          backends::Milliseconds{3.5},
                                          backends::Milliseconds{std::round(wall * 900) / 1000},
                                          backends::Milliseconds{wall},
                                          512,
                                          2048};
        }
        clock += wall;
        f.samples.push_back(std::move(s));
        return f.samples.back();
    };
    auto fail = [](Sample& s, Status status, std::string kind, std::string message) {
        s.ok = false;
        s.status = status;
        s.error_kind = std::move(kind);
        s.message = std::move(message);
    };

    for (int round = 0; round < 13; ++round) {
        const bool warmup = round == 0;
        const int iteration = warmup ? 0 : round - 1;
        for (const auto& p : profiles) {
            for (const std::string workload : {"hello", "numpy_fft"}) {
                const bool heavy = workload == "numpy_fft";
                // Cold: a new session.
                {
                    const double create = jitter(p.create);
                    auto& created =
                        add(p, workload, Scenario::kCold, iteration, warmup, "create", create);
                    if (p.backend == "e2b-emu" && workload == "hello" && iteration == 3 &&
                        !warmup) {
                        fail(created, Status::kTimeout, "timeout",
                             "create timed out after 60000 ms");
                        for (const auto* derived : {"first_result", "last_result"}) {
                            fail(add(p, workload, Scenario::kCold, iteration, warmup, derived,
                                     create),
                                 Status::kTimeout, "timeout", "session was not created");
                        }
                    } else {
                        double elapsed = create;
                        if (heavy) {
                            elapsed += add(p, workload, Scenario::kCold, iteration, warmup,
                                           "upload", jitter(p.upload))
                                           .wall.count();
                        }
                        const double cell1 = jitter(heavy ? p.cell2 : p.cell1);
                        add(p, workload, Scenario::kCold, iteration, warmup, "cell:1", cell1,
                            cell1 * 0.8);
                        add(p, workload, Scenario::kCold, iteration, warmup, "first_result",
                            elapsed + cell1);
                        double execute = cell1;
                        bool ok = true;
                        if (heavy) {
                            const double cell2 = jitter(p.cell1);
                            auto& second = add(p, workload, Scenario::kCold, iteration, warmup,
                                               "cell:2", cell2, cell2 * 0.8);
                            execute += cell2;
                            if (p.backend == "local" && iteration == 7 && !warmup) {
                                fail(second, Status::kUserError, "user_error",
                                     "ValueError: bad input\nline 2 of the traceback");
                                ok = false;
                            }
                        }
                        auto& execute_sample = add(p, workload, Scenario::kCold, iteration, warmup,
                                                   "execute", execute, execute * 0.8);
                        if (!ok) {
                            fail(execute_sample, Status::kUserError, "user_error",
                                 "ValueError: bad input\nline 2 of the traceback");
                            fail(add(p, workload, Scenario::kCold, iteration, warmup, "last_result",
                                     elapsed + execute),
                                 Status::kUserError, "user_error", "ValueError: bad input");
                        } else {
                            add(p, workload, Scenario::kCold, iteration, warmup, "last_result",
                                elapsed + execute);
                            elapsed += execute;
                            if (heavy) {
                                elapsed += add(p, workload, Scenario::kCold, iteration, warmup,
                                               "download", jitter(8.0))
                                               .wall.count();
                            }
                            elapsed += add(p, workload, Scenario::kCold, iteration, warmup,
                                           "fresh_check", jitter(4.0), 1.0)
                                           .wall.count();
                        }
                        const double close = jitter(p.close);
                        add(p, workload, Scenario::kCold, iteration, warmup, "close", close);
                        if (ok) {
                            add(p, workload, Scenario::kCold, iteration, warmup, "session",
                                elapsed + close);
                        }
                    }
                }
                // Reused: the workload again on a session that already ran it.
                {
                    const double cell1 = jitter(heavy ? p.reused_cell2 : p.reused_cell1);
                    auto& first = add(p, workload, Scenario::kReused, iteration, warmup, "cell:1",
                                      cell1, cell1 * 0.8);
                    if (p.backend == "local" && workload == "hello" && iteration == 2) {
                        first.extra = {{"output_truncated", true}};
                    }
                    double execute = cell1;
                    if (heavy) {
                        const double cell2 = jitter(p.reused_cell1);
                        add(p, workload, Scenario::kReused, iteration, warmup, "cell:2", cell2,
                            cell2 * 0.8);
                        execute += cell2;
                    }
                    auto& execute_sample = add(p, workload, Scenario::kReused, iteration, warmup,
                                               "execute", execute, execute * 0.8);
                    if (p.backend == "aca-emu" && workload == "hello" && iteration == 5 &&
                        !warmup) {
                        fail(first, Status::kOk, "expectation",
                             "expected stdout \"hello\", got \"hel,lo\"");
                        fail(execute_sample, Status::kOk, "expectation",
                             "expected stdout \"hello\", got \"hel,lo\"");
                    }
                    if (heavy) {
                        auto& download = add(p, workload, Scenario::kReused, iteration, warmup,
                                             "download", jitter(8.0));
                        if (p.backend == "aca-emu") {
                            fail(download, Status::kTransportError, "transport_error",
                                 "connection reset by peer");
                        }
                    }
                }
            }
        }
    }

    f.summary.rows = harness::summarize(f.samples);
    f.summary.skipped = {{"local", "network_egress",
                          "needs an isolated sandbox; this backend runs without isolation"}};
    f.summary.interrupted = false;
    f.summary.duration_s = std::round(clock) / 1000.0;
    harness::sort_rows(f.summary);

    // Fixed prices, so the golden files do not move when results/pricing.toml does.
    harness::apply_pricing(f.pricing,
                           {{"local",
                             {{"billing", "free"},
                              {"confidence", "exact"},
                              {"source", "fixture"},
                              {"as_of", "2026-01-01"},
                              {"note", "runs on your own machine"}}},
                            {"e2b",
                             {{"billing", "resource_time"},
                              {"granularity_s", 1},
                              {"vcpus", 2},
                              {"memory_gib", 2},
                              {"usd_per_vcpu_second", 0.000014},
                              {"usd_per_gib_second", 0.0000045},
                              {"confidence", "estimated"},
                              {"source", "fixture: E2B's published rates"},
                              {"as_of", "2026-01-01"}}},
                            {"aca",
                             {{"billing", "session_time"},
                              {"granularity_s", 3600},
                              {"minimum_s", 3600},
                              {"usd_per_session_hour", 0.1},
                              {"confidence", "estimated"},
                              {"source", "fixture: an illustrative price, not Azure's"},
                              {"as_of", "2026-01-01"}}}},
                           "fixture");
    f.cost = harness::estimate_costs(f.summary, f.pricing);
    return f;
}

}  // namespace sandbench::test
