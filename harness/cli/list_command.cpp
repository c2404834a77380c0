// SPDX-License-Identifier: Apache-2.0
// `sandbench list backends|workloads`.
#include <fmt/format.h>

#include "commands.hpp"
#include "sandbench/backends/registry.hpp"

namespace sandbench::cli {
namespace {

int command_list(const GlobalOptions& global, const std::string& what) {
    if (what == "backends") {
        const auto config = load_config_if_any(global);
        fmt::print("{:<16} {:<8} {}\n", "name", "type", "description / settings");
        for (const auto& spec : harness::known_backends(config, builtin_catalog())) {
            std::string description;
            for (const auto& type : backends::builtin_registry().types()) {
                if (type.type == spec.type) {
                    description = type.description;
                }
            }
            const auto settings = spec.config.empty() ? std::string() : " " + spec.config.dump();
            fmt::print("{:<16} {:<8} {}{}\n", spec.name, spec.type, description, settings);
        }
        return 0;
    }
    const auto catalog = catalog_for(global);
    fmt::print("{:<20} {:<22} {}\n", "name", "tags", "description");
    for (const auto& name : catalog.names()) {
        const auto workload = catalog.load(name);
        fmt::print("{:<20} {:<22} {}\n", workload.name,
                   fmt::format("{}", fmt::join(workload.tags, ",")), workload.description);
    }
    return 0;
}

}  // namespace

void add_list_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
    auto what = std::make_shared<std::string>();
    auto* command = app.add_subcommand("list", "List backends or workloads");
    command->add_option("what", *what, "backends | workloads")
        ->required()
        ->check(CLI::IsMember({"backends", "workloads"}));

    command->callback([&global, &action, what] {
        action = [&global, what] { return command_list(global, *what); };
    });
}

}  // namespace sandbench::cli
