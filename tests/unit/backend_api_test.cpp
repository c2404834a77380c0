// SPDX-License-Identifier: Apache-2.0
// The backend boundary: no exception crosses it, close is idempotent, the registry and the
// config reader reject what they do not know. Exercised through the fake backend and a
// deliberately throwing backend.
#include <stdexcept>

#include <catch2/catch.hpp>

#include "fake/fake_backend.hpp"
#include "sandbench/backends/backend.hpp"
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/backends/registry.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/file_name.hpp"

using namespace sandbench::backends;

namespace {

const Milliseconds kLongTimeout{10'000};

class ThrowingSession final : public Session {
public:
    [[nodiscard]] std::string id() const override { return "throwing"; }
    [[nodiscard]] bool alive() const noexcept override { return true; }
    int closes = 0;

protected:
    Execution do_execute(std::string_view /*code*/, Milliseconds /*timeout*/) override {
        throw std::runtime_error("token=abcdef123456 leaked");
    }
    Outcome do_upload(std::string_view /*name*/, std::string_view /*bytes*/) override { throw 42; }
    Download do_download(std::string_view /*name*/) override {
        throw std::runtime_error("download");
    }
    FileListing do_list_files() override { throw std::runtime_error("list"); }
    Outcome do_close() override {
        ++closes;
        throw std::runtime_error("close failed");
    }
};

class ThrowingBackend final : public Backend {
public:
    [[nodiscard]] const BackendInfo& info() const noexcept override { return info_; }

protected:
    SessionStart do_create_session() override { throw std::runtime_error("no capacity"); }

private:
    BackendInfo info_{"throwing", "throwing", "", {}, false, {}};
};

/// Counts the calls that reach the implementation and answers each with success.
class CountingSession final : public Session {
public:
    [[nodiscard]] std::string id() const override { return "counting"; }
    [[nodiscard]] bool alive() const noexcept override { return true; }
    int calls = 0;

protected:
    Execution do_execute(std::string_view /*code*/, Milliseconds /*timeout*/) override {
        ++calls;
        return {};
    }
    Outcome do_upload(std::string_view /*name*/, std::string_view /*bytes*/) override {
        ++calls;
        return {};
    }
    Download do_download(std::string_view /*name*/) override {
        ++calls;
        return {};
    }
    FileListing do_list_files() override {
        ++calls;
        return {};
    }
    Outcome do_close() override { return {}; }
};

std::unique_ptr<Backend> make_fake(nlohmann::json config = nlohmann::json::object()) {
    return builtin_registry().create({"fake", "fake", std::move(config)});
}

}  // namespace

TEST_CASE("exceptions from implementations become backend errors", "[unit][backend]") {
    ThrowingSession session;
    const auto execution = session.execute("x", kLongTimeout);
    CHECK(execution.status == Status::kBackendError);
    CHECK(execution.message == "token=*** leaked");  // redacted on the way out
    CHECK(session.upload("a", "b").status == Status::kBackendError);
    CHECK(session.upload("a", "b").message == "unknown exception from backend");
    CHECK(session.download("a").status == Status::kBackendError);
    CHECK(session.list_files().status == Status::kBackendError);

    ThrowingBackend backend;
    const auto start = backend.create_session();
    CHECK(start.status == Status::kBackendError);
    CHECK(start.message == "no capacity");
    CHECK(start.session == nullptr);
}

TEST_CASE("close runs once and later calls return the first outcome", "[unit][backend]") {
    ThrowingSession session;
    const auto first = session.close();
    const auto second = session.close();
    CHECK(session.closes == 1);
    CHECK(first.status == Status::kBackendError);
    CHECK(second.message == first.message);
    CHECK(session.closed());
    CHECK(session.execute("x", kLongTimeout).message == "session is closed");
}

TEST_CASE("status names round-trip", "[unit][backend]") {
    for (const auto status :
         {Status::kOk, Status::kUserError, Status::kTimeout, Status::kTransportError,
          Status::kRateLimited, Status::kBackendError, Status::kCancelled}) {
        CHECK(status_from_string(to_string(status)) == status);
    }
    CHECK_FALSE(status_from_string("nope").has_value());
}

TEST_CASE("the fake backend runs its directives", "[unit][fake]") {
    const auto backend = make_fake();
    auto start = backend->create_session();
    REQUIRE(start.ok());
    auto& session = *start.session;

    auto execution = session.execute("print hello\neprint warn\nresult {\"a\": 1}", kLongTimeout);
    CHECK(execution.ok());
    CHECK(execution.stdout_text == "hello\n");
    CHECK(execution.stderr_text == "warn\n");
    CHECK(execution.result == nlohmann::json{{"a", 1}});

    CHECK(session.execute("set x 41", kLongTimeout).ok());
    CHECK(session.execute("get x", kLongTimeout).result == 41);

    execution = session.execute("raise ValueError: bad", kLongTimeout);
    CHECK(execution.status == Status::kUserError);
    CHECK(execution.error_name == "ValueError");
    CHECK(execution.error_value == "bad");

    CHECK(session.execute("fail rate_limited slow down", kLongTimeout).status ==
          Status::kRateLimited);
    CHECK(session.execute("bogus", kLongTimeout).status == Status::kBackendError);

    REQUIRE(session.upload("a.txt", "abc").ok());
    CHECK(session.download("a.txt").bytes == "abc");
    CHECK(session.download("missing").status == Status::kBackendError);
    const auto listing = session.list_files();
    REQUIRE(listing.files.size() == 1);
    CHECK(listing.files[0].name == "a.txt");
    CHECK(listing.files[0].size == 3);
    CHECK(session.close().ok());
}

TEST_CASE("the fake backend times out and dies past its limit", "[unit][fake]") {
    const auto backend = make_fake();
    auto start = backend->create_session();
    REQUIRE(start.ok());
    const auto execution = start.session->execute("sleep 50", Milliseconds{1});
    CHECK(execution.status == Status::kTimeout);
    CHECK_FALSE(start.session->alive());
}

TEST_CASE("the fake backend injects create failures on schedule", "[unit][fake]") {
    const auto backend = make_fake({{"fail_create_every", 2}});
    CHECK(backend->create_session().ok());
    const auto second = backend->create_session();
    CHECK(second.status == Status::kBackendError);
    CHECK(second.session == nullptr);
    CHECK(backend->create_session().ok());
}

TEST_CASE("the registry and config reader reject unknown names and keys", "[unit][registry]") {
    CHECK_THROWS_WITH(builtin_registry().create({"x", "nope", nlohmann::json::object()}),
                      Catch::Contains("unknown type 'nope'") && Catch::Contains("local"));
    CHECK_THROWS_AS(make_fake({{"create_msec", 5}}), sandbench::ConfigError);
    CHECK_THROWS_WITH(make_fake({{"create_ms", "fast"}}),
                      Catch::Contains("'create_ms' must be a number"));
    CHECK_THROWS_WITH(make_fake({{"fail_create_every", -1}}), Catch::Contains("from 0 to"));

    const nlohmann::json config{{"mode", "x"}};
    ConfigReader reader("backend 't'", config);
    CHECK_THROWS_WITH(reader.get_choice("mode", "a", {"a", "b"}), Catch::Contains("one of: a, b"));
}

TEST_CASE("built-in backend specs have unique names of registered types", "[unit][registry]") {
    const auto specs = builtin_backend_specs();
    std::set<std::string> names;
    for (const auto& spec : specs) {
        CHECK(names.insert(spec.name).second);
        const auto& types = builtin_registry().types();
        CHECK(std::any_of(types.begin(), types.end(),
                          [&](const auto& type) { return type.type == spec.type; }));
    }
}

TEST_CASE("a closed session refuses every call but close, before the backend sees it",
          "[unit][backend]") {
    CountingSession session;
    CHECK(session.upload("a.txt", "x").ok());
    CHECK(session.calls == 1);
    CHECK(session.close().ok());

    const auto upload = session.upload("a.txt", "x");
    const auto download = session.download("a.txt");
    const auto listing = session.list_files();
    const auto execution = session.execute("1", kLongTimeout);
    for (const Outcome* outcome :
         {static_cast<const Outcome*>(&upload), static_cast<const Outcome*>(&download),
          static_cast<const Outcome*>(&listing), static_cast<const Outcome*>(&execution)}) {
        CHECK(outcome->status == Status::kBackendError);
        CHECK(outcome->message == "session is closed");
    }
    CHECK(session.calls == 1);
    CHECK(session.close().ok());  // still idempotent
}

TEST_CASE("file names are checked once, for every backend, before the backend sees them",
          "[unit][backend]") {
    CountingSession session;
    for (const std::string& name :
         std::vector<std::string>{"", ".", "..", "../escape", "a/b", "a\\b",
                                  std::string("nul\0x", 5), "tab\tx", std::string(256, 'n')}) {
        const auto upload = session.upload(name, "x");
        CHECK(upload.status == Status::kBackendError);
        CHECK(upload.message == sandbench::invalid_file_name(name).value_or("accepted"));
        CHECK(session.download(name).status == Status::kBackendError);
    }
    CHECK(session.calls == 0);
    CHECK(session.upload(std::string(255, 'n'), "x").ok());
    CHECK(session.upload("data.csv", "x").ok());
    CHECK(session.download(".hidden").ok());
    CHECK(session.calls == 3);
}
