// SPDX-License-Identifier: Apache-2.0
//
// Emulators: loopback servers that speak a sandbox service's wire protocol (ACA dynamic
// sessions, E2B) and run the code for real in the local backend's kernels. They exist because
// the real services cannot be reached from CI; they are honest because the code really runs and
// their protocol is checked against unchanged public clients (tests/conformance/).
//
// An Emulator runs its HTTP server on background threads from start_*_emulator() until stop()
// or destruction. Every emulator shares the latency profile and fault injection of faults.hpp,
// so the harness's error handling is tested the same way for every service.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/emulators/faults.hpp"

namespace sandbench::emulators {

struct EmulatorOptions {
    std::string host = "127.0.0.1";  ///< loopback only: emulators are never exposed
    int port = 0;                    ///< 0: any free port
    /// Settings of the local backend that runs the kernels, e.g. {"isolation": "bwrap"}.
    /// Emulators default to bwrap isolation (the services disable egress by default).
    nlohmann::json kernel = nlohmann::json::object();
    LatencyProfile latency;
    std::vector<FaultRule> faults;
    std::uint64_t seed = 1;  ///< for jitter and fault rates: reproducible runs
    /// Emulator-specific settings (cooldown, max sessions, API key...), validated by each
    /// emulator with backends::ConfigReader; unknown keys are errors.
    nlohmann::json settings = nlohmann::json::object();
};

class Emulator {
public:
    Emulator() = default;
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;
    Emulator(Emulator&&) = delete;
    Emulator& operator=(Emulator&&) = delete;
    /// Stops the server and closes every session's kernel.
    virtual ~Emulator() = default;

    /// The base URL a client is given (ACA: the pool management endpoint).
    [[nodiscard]] virtual std::string endpoint() const = 0;
    /// Environment variables a client needs to reach this emulator (E2B: E2B_API_URL, ...), in
    /// the order `sandbench emulate` prints them.
    [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> environment() const = 0;
    /// The settings a sandbench backend needs to target this emulator (endpoint, credentials),
    /// merged into its BackendSpec config by the harness.
    [[nodiscard]] virtual nlohmann::json backend_settings() const = 0;
    /// Stops accepting requests; idempotent.
    virtual void stop() noexcept = 0;
};

}  // namespace sandbench::emulators
