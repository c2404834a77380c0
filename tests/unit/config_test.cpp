// SPDX-License-Identifier: Apache-2.0
// The config file and backend resolution, against a registry of the test's own (the harness
// links no concrete backend): which instance a name means, and the one-line errors for names and
// files it cannot use.
#include "sandbench/harness/config.hpp"

#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "fake/fake_backend.hpp"
#include "sandbench/common/error.hpp"

using namespace sandbench::harness;
using Catch::Matchers::Contains;
using sandbench::backends::BackendRegistry;

namespace {

BackendRegistry test_registry() {
    BackendRegistry registry;
    registry.add({"fake", "the fake", sandbench::backends::fake::make_fake_backend});
    registry.add({"other", "a second type", sandbench::backends::fake::make_fake_backend});
    return registry;
}

}  // namespace

TEST_CASE("backend names resolve to config instances, then catalog instances, then bare types",
          "[unit][config]") {
    const auto registry = test_registry();
    const BackendCatalog catalog{registry, {{"fast", "fake", {{"create_ms", 1}}}}};
    const auto config = parse_config(R"(
[backends.mine]
type = "fake"
create_ms = 7

[backends.fast]
type = "other"
)",
                                     "plan.toml");

    const auto specs = resolve_backends({"mine", "fast", "fake", "other"}, config, catalog);
    REQUIRE(specs.size() == 4);
    CHECK(specs[0].name == "mine");
    CHECK(specs[0].type == "fake");
    CHECK(specs[0].config == nlohmann::json{{"create_ms", 7}});  // "type" is not a setting
    CHECK(specs[1].type == "other");                             // the config's "fast" wins
    CHECK(specs[1].config.empty());
    CHECK(specs[2].name == "fake");  // a bare type, default settings
    CHECK(specs[2].config.empty());
    CHECK(specs[3].name == "other");

    const auto known = known_backends(config, catalog);
    std::vector<std::string> names;
    names.reserve(known.size());
    for (const auto& spec : known) {
        names.push_back(spec.name);
    }
    // The config's instances (in name order), then the catalog's and the types not yet named.
    CHECK(names == std::vector<std::string>{"fast", "mine", "fake", "other"});

    const auto without_config = resolve_backends({"fast"}, Config{}, catalog);
    CHECK(without_config.at(0).config == nlohmann::json{{"create_ms", 1}});
}

TEST_CASE("unknown and repeated backend names are usage errors naming the known ones",
          "[unit][config]") {
    const auto registry = test_registry();
    const BackendCatalog catalog{registry, {}};
    CHECK_THROWS_MATCHES(resolve_backends({"nope"}, Config{}, catalog), sandbench::UsageError,
                         Catch::Matchers::Message("unknown backend 'nope' (known: fake, other)"));
    CHECK_THROWS_WITH(resolve_backends({"fake", "fake"}, Config{}, catalog),
                      "backend 'fake' is listed twice");
    CHECK(resolve_backends({}, Config{}, catalog).empty());
}

TEST_CASE("malformed config files are one-line errors with file, line and column",
          "[unit][config]") {
    CHECK_THROWS_MATCHES(parse_config("[run\n", "bad.toml"), sandbench::ConfigError,
                         Catch::Matchers::Predicate<sandbench::ConfigError>(
                             [](const auto& error) {
                                 return std::string_view(error.what()).rfind("bad.toml:1:", 0) == 0;
                             },
                             "starts with bad.toml:1:"));
    CHECK_THROWS_WITH(parse_config("[backends.x]\ncreate_ms = 1\n", "c.toml"),
                      Contains("c.toml:1:1") && Contains("needs type = \"local\""));
    CHECK_THROWS_WITH(parse_config("[run]\niterations = 0\n", "c.toml"),
                      Contains("c.toml:2:14: run.iterations: expected a number from 1 to"));
    CHECK_THROWS_WITH(parse_config("[nope]\n", "c.toml"),
                      Contains("unknown table 'nope' (known: run, backends, pricing)"));
    CHECK_THROWS_WITH(load_config("/nonexistent/sandbench.toml"),
                      "cannot read config file /nonexistent/sandbench.toml");
}

TEST_CASE("the workloads directory: $SANDBENCH_WORKLOADS first, else a directory that exists",
          "[unit][config]") {
    ::setenv("SANDBENCH_WORKLOADS", "/somewhere/else", 1);
    CHECK(default_workloads_directory() == "/somewhere/else");
    ::unsetenv("SANDBENCH_WORKLOADS");
    // A test binary is not installed: the source tree's workloads/.
    CHECK(std::filesystem::is_directory(default_workloads_directory()));
    CHECK(std::filesystem::exists(default_workloads_directory() / "hello.py"));
}
