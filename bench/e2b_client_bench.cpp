// SPDX-License-Identifier: Apache-2.0
//
// The E2B client's own overhead, against the E2B emulator on loopback:
//   BM_E2bReusedPass     Session::execute("pass") on one warm sandbox: request, NDJSON stream
//                        parsed into an Execution, outcome with the HTTP breakdown;
//   BM_E2bRawHttpPass    the floor: the same POST /execute over the same kind of kept-alive
//                        libcurl connection, body read and thrown away, nothing parsed;
//   BM_E2bColdSandbox    create_session + execute("pass") + close (a sandbox from nothing).
// The emulator is the one E2B_API_URL / E2B_SANDBOX_URL / E2B_API_KEY name when they are set (so
// that the official JS SDK can be measured against the same server in the same run:
// tests/conformance/e2b/compare_clients.mjs), else one started in this process with kernels
// without isolation. Reported times are real (wall) time per execution.
// Run: e2b_client_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "e2b/e2b_backend.hpp"
#include "e2b_emulator.hpp"
#include "http/http_client.hpp"

namespace {

using sandbench::backends::Backend;
using sandbench::backends::Milliseconds;
using sandbench::backends::Session;

const Milliseconds kTimeout{30'000};

struct Target {
    std::unique_ptr<sandbench::emulators::Emulator> emulator;  ///< when started here
    std::string api_url;
    std::string sandbox_url;
    std::unique_ptr<Backend> backend;
};

Target& target() {
    static Target made = [] {
        Target t;
        const char* api = std::getenv("E2B_API_URL");
        if (api != nullptr && *api != '\0') {
            t.api_url = api;
            const char* sandbox = std::getenv("E2B_SANDBOX_URL");
            t.sandbox_url = sandbox != nullptr ? sandbox : api;
        } else {
            sandbench::emulators::EmulatorOptions options;
            options.kernel["isolation"] = "none";
            t.emulator = sandbench::emulators::start_e2b_emulator(options);
            for (const auto& [name, value] : t.emulator->environment()) {
                ::setenv(name.c_str(), value.c_str(), 1);
            }
            t.api_url = t.emulator->endpoint();
            t.sandbox_url = t.api_url;
        }
        t.backend = sandbench::backends::e2b::make_e2b_backend(
            {"bench",
             "e2b",
             {{"api_url", t.api_url}, {"sandbox_url", t.sandbox_url}, {"emulated", true}}});
        return t;
    }();
    return made;
}

/// Per-call statistics as counters (microseconds), so that medians compare with the JS SDK's
/// per-call median rather than with a mean over batches.
class CallTimes {
public:
    void add(std::chrono::steady_clock::duration elapsed) {
        micros_.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
    }
    void report(benchmark::State& state) {
        if (micros_.empty()) {
            return;
        }
        std::sort(micros_.begin(), micros_.end());
        const auto at = [&](double quantile) {
            return micros_[static_cast<std::size_t>(quantile *
                                                    static_cast<double>(micros_.size() - 1))];
        };
        state.counters["median_us"] = at(0.5);
        state.counters["p10_us"] = at(0.1);
        state.counters["p90_us"] = at(0.9);
    }

private:
    std::vector<double> micros_;
};

std::unique_ptr<Session> open_session() {
    auto start = target().backend->create_session();
    if (!start.ok()) {
        throw std::runtime_error("cannot create a sandbox: " + start.message);
    }
    return std::move(start.session);
}

void BM_E2bReusedPass(benchmark::State& state) {
    const auto session = open_session();
    for (int i = 0; i < 20; ++i) {  // warm: connection open, kernel's first execution done
        (void)session->execute("pass", kTimeout);
    }
    CallTimes times;
    for ([[maybe_unused]] auto _ : state) {
        const auto begin = std::chrono::steady_clock::now();
        const auto execution = session->execute("pass", kTimeout);
        times.add(std::chrono::steady_clock::now() - begin);
        if (!execution.ok()) {
            state.SkipWithError(execution.message.c_str());
            break;
        }
        benchmark::DoNotOptimize(execution.extra);
    }
    times.report(state);
    (void)session->close();
}
BENCHMARK(BM_E2bReusedPass)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_E2bRawHttpPass(benchmark::State& state) {
    const auto session = open_session();
    sandbench::backends::http::ClientOptions options;
    options.proxy = "";
    options.http_version = sandbench::backends::http::HttpVersion::kHttp11;
    sandbench::backends::http::HttpClient client(options);
    auto request = sandbench::backends::http::Request::post(
        target().sandbox_url + "/execute", R"({"code": "pass"})", "application/json");
    request.headers.add("E2b-Sandbox-Id", session->id());
    request.headers.add("E2b-Sandbox-Port", "49999");
    const auto discard = [](std::string_view chunk) {
        benchmark::DoNotOptimize(chunk.data());
        return true;
    };
    for (int i = 0; i < 20; ++i) {
        (void)client.send(request, discard);
    }
    CallTimes times;
    for ([[maybe_unused]] auto _ : state) {
        const auto begin = std::chrono::steady_clock::now();
        const auto response = client.send(request, discard);
        times.add(std::chrono::steady_clock::now() - begin);
        if (!response.ok()) {
            state.SkipWithError("the raw request failed");
            break;
        }
    }
    times.report(state);
    (void)session->close();
}
BENCHMARK(BM_E2bRawHttpPass)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_E2bColdSandbox(benchmark::State& state) {
    for ([[maybe_unused]] auto _ : state) {
        const auto session = open_session();
        const auto execution = session->execute("pass", kTimeout);
        const auto closed = session->close();
        if (!execution.ok() || !closed.ok()) {
            state.SkipWithError("a cold sandbox failed");
            break;
        }
    }
}
BENCHMARK(BM_E2bColdSandbox)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
