// SPDX-License-Identifier: Apache-2.0
//
// The ACA client's overhead per reused execution, against the ACA emulator on loopback:
//   BM_AcaClientPass  Session::execute("pass") on one warm session of the ACA backend (legacy
//                     API): building the request, the token lookup, the HTTP exchange over the
//                     session's kept connection, parsing the answer, filling the Execution;
//   BM_BareCurlPost   the floor: a bare libcurl easy handle POSTing the same body with the same
//                     headers to the same route of another warm session, keeping its connection,
//                     and reading the answer without looking at it.
// Both hit the same emulator in one run (kernels as plain subprocesses, so that isolation adds
// nothing to either). Each repetition is one call (Iterations(1)) and the repetitions of both are
// randomly interleaved, so the "median" aggregate is the median of single calls taken side by
// side: a mean over many iterations would be ruled by the multi-millisecond stalls of a shared
// machine, which hit whichever benchmark happens to be running. The program ends with the ratio
// of the medians. Real time: the work is in other threads and processes.
// Run: aca_client_bench [--benchmark_repetitions=N] (defaults: 2000 repetitions, interleaved,
// aggregates only).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "aca/aca_backend.hpp"
#include "aca/aca_protocol.hpp"
#include "aca_emulator.hpp"
#include "sandbench/backends/backend.hpp"

namespace {

using namespace std::chrono_literals;
namespace aca = sandbench::backends::aca;
using sandbench::backends::Backend;
using sandbench::backends::Session;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

/// A bare libcurl easy handle set up once to POST the request the backend sends for
/// execute("pass", 30 s), to a session of its own, keeping its connection.
class BarePost {
public:
    BarePost(const std::string& endpoint, const std::string& token)
        : url_(aca::build_url(aca::normalize_endpoint(endpoint), "code/execute",
                              aca::kLegacyApiVersion, aca::generate_identifier())),
          body_(aca::legacy_execute_body("pass", 30).dump()),
          authorization_("Authorization: Bearer " + token),
          handle_(curl_easy_init()),
          headers_(curl_slist_append(nullptr, authorization_.c_str())) {
        headers_ = curl_slist_append(headers_, "Content-Type: application/json");
        curl_easy_setopt(handle_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(handle_, CURLOPT_PROXY, "");
        curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body_.c_str());
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_.size()));
        curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &response_);
    }
    BarePost(const BarePost&) = delete;
    BarePost& operator=(const BarePost&) = delete;
    BarePost(BarePost&&) = delete;
    BarePost& operator=(BarePost&&) = delete;
    ~BarePost() {
        curl_easy_cleanup(handle_);
        curl_slist_free_all(headers_);
    }

    /// One POST; true for a 200.
    bool perform() {
        response_.clear();
        long status = 0;
        return curl_easy_perform(handle_) == CURLE_OK &&
               curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
               status == 200;
    }
    [[nodiscard]] const std::string& response() const noexcept { return response_; }

private:
    std::string url_;
    std::string body_;
    std::string authorization_;
    std::string response_;
    CURL* handle_;
    curl_slist* headers_ = nullptr;
};

/// The emulator, one warm session of the backend and one warm bare client, made once for the
/// whole run (their first requests allocate their sessions, which is not what is measured).
struct Fixture {
    std::unique_ptr<sandbench::emulators::Emulator> emulator;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Session> session;
    std::unique_ptr<BarePost> bare;
    std::string problem;
};

Fixture& fixture() {
    static Fixture made = [] {
        Fixture f;
        try {
            sandbench::emulators::EmulatorOptions options;
            options.kernel = {{"isolation", "none"}};
            f.emulator = sandbench::emulators::start_aca_emulator(options);
            f.backend = aca::make_aca_backend({"aca-bench", "aca", f.emulator->backend_settings()});
            auto start = f.backend->create_session();
            f.session = std::move(start.session);
            if (!f.session || !f.session->execute("pass", 30s).ok()) {
                f.problem = "the warm-up execution failed";
            }
            const char* token =
                std::getenv(std::string(sandbench::emulators::kAcaEmulatorTokenVariable).c_str());
            f.bare =
                std::make_unique<BarePost>(f.emulator->endpoint(), token != nullptr ? token : "");
            if (!f.bare->perform()) {
                f.problem = "the bare POST's warm-up failed";
            }
        } catch (const std::exception& error) {
            f.problem = error.what();
        }
        return f;
    }();
    return made;
}

void BM_AcaClientPass(benchmark::State& state) {
    auto& f = fixture();
    if (!f.problem.empty()) {
        state.SkipWithError(f.problem.c_str());
        return;
    }
    for ([[maybe_unused]] auto _ : state) {
        const auto execution = f.session->execute("pass", 30s);
        if (!execution.ok()) {
            state.SkipWithError(execution.message.c_str());
            break;
        }
    }
}
BENCHMARK(BM_AcaClientPass)->UseRealTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

void BM_BareCurlPost(benchmark::State& state) {
    auto& f = fixture();
    if (!f.problem.empty()) {
        state.SkipWithError(f.problem.c_str());
        return;
    }
    for ([[maybe_unused]] auto _ : state) {
        if (!f.bare->perform()) {
            state.SkipWithError("the bare POST failed");
            break;
        }
        benchmark::DoNotOptimize(f.bare->response().data());
    }
}
BENCHMARK(BM_BareCurlPost)->UseRealTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

/// Keeps each benchmark's median (real time, in the benchmarks' unit) as it is reported.
class MedianReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& run : runs) {
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median" &&
                !run.error_occurred) {
                medians_[run.run_name.function_name] = run.GetAdjustedRealTime();
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
    [[nodiscard]] const std::map<std::string, double>& medians() const { return medians_; }

private:
    std::map<std::string, double> medians_;
};

bool has_flag(const std::vector<char*>& args, const char* prefix) {
    return std::ranges::any_of(
        args, [&](const char* arg) { return std::strncmp(arg, prefix, std::strlen(prefix)) == 0; });
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    std::string repetitions = "--benchmark_repetitions=2000";
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    std::string aggregates = "--benchmark_report_aggregates_only=true";
    if (!has_flag(args, "--benchmark_repetitions")) {
        args.push_back(repetitions.data());
    }
    if (!has_flag(args, "--benchmark_enable_random_interleaving")) {
        args.push_back(interleave.data());
    }
    if (!has_flag(args, "--benchmark_report_aggregates_only")) {
        args.push_back(aggregates.data());
    }
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
        return 1;
    }
    MedianReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    const auto& medians = reporter.medians();
    const auto client = medians.find("BM_AcaClientPass");
    const auto floor = medians.find("BM_BareCurlPost");
    if (client != medians.end() && floor != medians.end() && floor->second > 0) {
        std::printf("median ratio, ACA client / bare libcurl POST: %.3fx (%.1f us vs %.1f us)\n",
                    client->second / floor->second, client->second, floor->second);
    }
    benchmark::Shutdown();
    return 0;
}
