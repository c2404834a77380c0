// SPDX-License-Identifier: Apache-2.0
// A stand-in for `sandbench emulate aca` while the conformance test needs the emulator in a
// process of its own (the public client runs in node): starts it, prints the pool management
// endpoint on the first line and then the environment to export as `export NAME='value'` lines,
// as `sandbench emulate aca` does, and serves until SIGINT or SIGTERM.
//
//   aca_emulator_launcher [--port N] [--isolation bwrap|none] [--set key=json]...
//                         [--fault RULE]... [--latency PROFILE]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aca_emulator.hpp"
#include "sandbench/emulators/faults.hpp"

int main(int argc, char** argv) {
    using sandbench::emulators::EmulatorOptions;
    EmulatorOptions options;
    options.kernel["isolation"] = "bwrap";
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view flag = argv[i];
            if (i + 1 >= argc) {
                std::fprintf(stderr, "aca_emulator_launcher: %s needs a value\n", argv[i]);
                return 2;
            }
            const std::string value = argv[++i];
            if (flag == "--port") {
                options.port = std::stoi(value);
            } else if (flag == "--isolation") {
                options.kernel["isolation"] = value;
            } else if (flag == "--set") {
                const auto equals = value.find('=');
                if (equals == std::string::npos || equals == 0) {
                    std::fprintf(stderr, "aca_emulator_launcher: --set needs key=value\n");
                    return 2;
                }
                auto parsed = nlohmann::json::parse(value.substr(equals + 1), nullptr, false);
                options.settings[value.substr(0, equals)] =
                    parsed.is_discarded() ? nlohmann::json(value.substr(equals + 1)) : parsed;
            } else if (flag == "--fault") {
                options.faults.push_back(sandbench::emulators::parse_fault_rule(value));
            } else if (flag == "--latency") {
                options.latency = sandbench::emulators::parse_latency_profile(value);
            } else {
                std::fprintf(stderr, "aca_emulator_launcher: unknown flag %s\n", argv[i - 1]);
                return 2;
            }
        }
        // Block the stop signals before the server's threads start, so that they inherit the
        // mask and this thread alone receives them.
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop, nullptr);
        const auto emulator = sandbench::emulators::start_aca_emulator(options);
        std::printf("%s\n", emulator->endpoint().c_str());
        for (const auto& [name, value] : emulator->environment()) {
            std::printf("export %s='%s'\n", name.c_str(), value.c_str());
        }
        std::fflush(stdout);
        int received = 0;
        sigwait(&stop, &received);
        emulator->stop();
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "aca_emulator_launcher: %s\n", error.what());
        return 1;
    }
}
