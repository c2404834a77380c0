// SPDX-License-Identifier: Apache-2.0
// `sandbench exec`: run code in one new session and print what came back, like the public
// code-interpreter tools do.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "emulated_backends.hpp"
#include "sandbench/backends/registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::cli {
namespace {

namespace fs = std::filesystem;
using backends::Milliseconds;

struct ExecOptions {
    std::string backend = "local";
    std::string code;
    std::string file;
    std::vector<std::string> uploads;
    std::vector<std::string> downloads;
    double timeout_s = 60.0;
    bool json = false;
    bool timings = false;
};

std::string read_all(std::istream& in) {
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int command_exec(const GlobalOptions& global, const ExecOptions& options) {
    std::string code = options.code;
    if (!options.file.empty()) {
        std::ifstream in(options.file);
        if (!in) {
            throw UsageError(fmt::format("cannot read code file {}", options.file));
        }
        code = read_all(in);
    } else if (code.empty()) {
        code = read_all(std::cin);
    }
    const auto config = load_config_if_any(global);
    auto specs = harness::resolve_backends({options.backend}, config, builtin_catalog());
    const auto emulators = start_emulators_for(specs);
    const auto backend = backends::builtin_registry().create(specs.front());

    using Clock = std::chrono::steady_clock;
    auto started = Clock::now();
    auto start = backend->create_session();
    const Milliseconds create_wall = Clock::now() - started;
    if (!start.ok() || !start.session) {
        fmt::print(stderr, "sandbench: error: could not create a session on '{}': {}\n",
                   options.backend, start.message);
        return 1;
    }
    auto& session = *start.session;
    for (const auto& path : options.uploads) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            throw UsageError(fmt::format("cannot read upload file {}", path));
        }
        const auto uploaded = session.upload(fs::path(path).filename().string(), read_all(in));
        if (!uploaded.ok()) {
            fmt::print(stderr, "sandbench: error: upload of {} failed: {}\n", path,
                       uploaded.message);
            return 1;
        }
    }
    started = Clock::now();
    const auto execution = session.execute(code, Milliseconds{options.timeout_s * 1000.0});
    const Milliseconds execute_wall = Clock::now() - started;
    int exit_code = execution.ok() ? 0 : 1;
    for (const auto& name : options.downloads) {
        const auto download = session.download(name);
        if (!download.ok()) {
            fmt::print(stderr, "sandbench: error: download of {} failed: {}\n", name,
                       download.message);
            exit_code = 1;
            continue;
        }
        std::ofstream(fs::path(name).filename(), std::ios::binary) << download.bytes;
    }
    started = Clock::now();
    const auto closed = session.close();
    const Milliseconds close_wall = Clock::now() - started;

    if (options.json) {
        nlohmann::json images = nlohmann::json::array();
        for (const auto& image : execution.images) {
            images.push_back({{"format", image.format}, {"base64", image.base64}});
        }
        nlohmann::json json{{"status", backends::to_string(execution.status)},
                            {"stdout", execution.stdout_text},
                            {"stderr", execution.stderr_text},
                            {"result", execution.result},
                            {"images", images},
                            {"error_name", execution.error_name},
                            {"error_value", execution.error_value},
                            {"traceback", execution.traceback},
                            {"message", execution.message},
                            {"timings_ms",
                             {{"create", create_wall.count()},
                              {"execute", execute_wall.count()},
                              {"close", close_wall.count()}}}};
        if (execution.backend_time) {
            json["timings_ms"]["backend"] = execution.backend_time->count();
        }
        fmt::print("{}\n", json.dump(2));
        return exit_code;
    }
    fmt::print("{}", execution.stdout_text);
    fmt::print(stderr, "{}", execution.stderr_text);
    if (!execution.result.is_null()) {
        fmt::print("Out: {}\n", execution.result.dump());
    }
    for (const auto& image : execution.images) {
        fmt::print("[image/{}: {} bytes of base64; use --json to get it]\n", image.format,
                   image.base64.size());
    }
    if (execution.status == backends::Status::kUserError) {
        fmt::print(stderr, "{}\n",
                   execution.traceback.empty() ? execution.error_name + ": " + execution.error_value
                                               : execution.traceback);
    } else if (!execution.ok()) {
        fmt::print(stderr, "sandbench: {}: {}\n", backends::to_string(execution.status),
                   execution.message);
    }
    if (options.timings) {
        fmt::print(stderr, "timings: create {} ms, execute {} ms{}, close {} ms\n",
                   harness::format_ms(create_wall.count()),
                   harness::format_ms(execute_wall.count()),
                   execution.backend_time
                       ? fmt::format(" (in sandbox {} ms)",
                                     harness::format_ms(execution.backend_time->count()))
                       : "",
                   harness::format_ms(close_wall.count()));
    }
    if (!closed.ok()) {
        fmt::print(stderr, "sandbench: warning: close failed: {}\n", closed.message);
    }
    return exit_code;
}

}  // namespace

void add_exec_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
    auto options = std::make_shared<ExecOptions>();
    auto* command = app.add_subcommand(
        "exec", "Run code in one new session of a backend and print stdout, stderr and result");
    command->add_option("-b,--backend", options->backend, "Backend (default local)");
    command->add_option("-c,--code", options->code, "Code to run (default: read stdin)");
    command->add_option("-f,--file", options->file, "File with the code to run")
        ->check(CLI::ExistingFile);
    command->add_option("--upload", options->uploads, "Upload a file first (repeatable)")
        ->check(CLI::ExistingFile);
    command->add_option("--download", options->downloads,
                        "Download a file from the session afterwards into the current directory");
    command->add_option("--timeout", options->timeout_s, "Seconds the code may run (default 60)")
        ->check(CLI::PositiveNumber);
    command->add_flag("--json", options->json, "Print the whole execution as JSON");
    command->add_flag("--time", options->timings, "Print phase timings to stderr");

    command->callback([&global, &action, options] {
        action = [&global, options] { return command_exec(global, *options); };
    });
}

}  // namespace sandbench::cli
