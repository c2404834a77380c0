// SPDX-License-Identifier: Apache-2.0
// `sandbench emulate aca|e2b`: serve a service's wire protocol on loopback until Ctrl-C, so that
// any client (sandbench itself, the public SDKs, an agent framework) can be pointed at it.
#include <csignal>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "aca_emulator.hpp"
#include "commands.hpp"
#include "e2b_emulator.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/emulators/emulator.hpp"
#include "sandbench/emulators/faults.hpp"

namespace sandbench::cli {
namespace {

struct EmulateOptions {
    std::string service;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string isolation = "bwrap";
    std::string latency;
    std::vector<std::string> faults;
    std::vector<std::string> settings;
    std::uint64_t seed = 1;
};

/// key=value, the value read as JSON when it parses (numbers, booleans) and as text otherwise.
void add_setting(nlohmann::json& settings, const std::string& assignment) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
        throw UsageError(fmt::format("--set '{}': expected key=value", assignment));
    }
    const auto value = assignment.substr(equals + 1);
    auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    settings[assignment.substr(0, equals)] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
}

int command_emulate(const EmulateOptions& options) {
    emulators::EmulatorOptions emulator_options;
    emulator_options.host = options.host;
    emulator_options.port = options.port;
    emulator_options.kernel["isolation"] = options.isolation;
    emulator_options.seed = options.seed;
    if (!options.latency.empty()) {
        emulator_options.latency = emulators::parse_latency_profile(options.latency);
    }
    for (const auto& fault : options.faults) {
        emulator_options.faults.push_back(emulators::parse_fault_rule(fault));
    }
    for (const auto& setting : options.settings) {
        add_setting(emulator_options.settings, setting);
    }

    // Block the stop signals before the server's threads start, so that they inherit the mask
    // and this thread alone receives them in sigwait().
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    const auto emulator = options.service == "aca"
                              ? emulators::start_aca_emulator(emulator_options)
                              : emulators::start_e2b_emulator(emulator_options);
    if (options.service == "aca") {
        fmt::print("{}\n", emulator->endpoint());  // the first line: the pool endpoint
    }
    for (const auto& [name, value] : emulator->environment()) {
        fmt::print("export {}='{}'\n", name, value);
    }
    std::fflush(stdout);
    fmt::print(stderr, "sandbench: emulating {} at {} (kernels: {}); Ctrl-C stops\n",
               options.service, emulator->endpoint(), options.isolation);

    int received = 0;
    sigwait(&stop_signals, &received);
    emulator->stop();
    return 0;
}

}  // namespace

void add_emulate_command(CLI::App& app, const GlobalOptions& /*global*/, CommandAction& action) {
    auto options = std::make_shared<EmulateOptions>();
    auto* command = app.add_subcommand(
        "emulate",
        "Serve the ACA or E2B wire protocol on loopback, running code in local kernels. Prints "
        "the endpoint (aca) or the environment to export (e2b), then runs until Ctrl-C.");
    command->add_option("service", options->service, "aca | e2b")
        ->required()
        ->check(CLI::IsMember({"aca", "e2b"}));
    command->add_option("--host", options->host, "Loopback address to listen on")
        ->check(CLI::IsMember({"127.0.0.1", "::1", "localhost"}));
    command->add_option("-p,--port", options->port, "Port (0: any free port)")
        ->check(CLI::Range(0, 65535));
    command->add_option("--isolation", options->isolation, "Kernel isolation: bwrap or none")
        ->check(CLI::IsMember({"bwrap", "none"}));
    command->add_option("--latency", options->latency,
                        "Latency profile: allocation_ms=300,request_ms=20,jitter_ms=5");
    command->add_option(
        "--fault", options->faults,
        "Fault rule KIND[@RATE][#N,...][:key=value,...], e.g. 429@0.1:retry_after=2 "
        "(repeatable; kinds 429, 500, 503, drop, slow, malformed)");
    command->add_option("--set", options->settings,
                        "Emulator setting key=value, e.g. cooldown_s=60 (repeatable)");
    command->add_option("--seed", options->seed, "Seed for jitter and fault rates");
    command->callback(
        [&action, options] { action = [options] { return command_emulate(*options); }; });
}

}  // namespace sandbench::cli
