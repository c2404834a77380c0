// SPDX-License-Identifier: Apache-2.0
// The E2B backend against the E2B emulator, both in this process on 127.0.0.1: sandbox lifecycle
// (create, kill, timeouts, cleanup on every path), executions (stdout, stderr, results, images,
// errors), contexts, files, every injected fault and every malformed stream with the status it
// must give, unknown sandbox ids and API keys answered as the service does. Kernels run without
// isolation for speed, except in the test that checks bwrap.
#include "e2b_emulator.hpp"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "e2b/e2b_backend.hpp"
#include "http/http_client.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/emulators/faults.hpp"

using namespace sandbench::backends;
using Catch::Matchers::Contains;
using nlohmann::json;
using sandbench::emulators::EmulatorOptions;
using sandbench::emulators::parse_fault_rule;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKey = "e2b_00112233445566778899aabbccddeeff00112233";

EmulatorOptions quick_options() {
    EmulatorOptions options;
    options.kernel["isolation"] = "none";
    options.settings["api_key"] = kKey;
    options.settings["keepalive_ms"] = 100;
    options.settings["reaper_interval_ms"] = 50;
    return options;
}

/// An emulator and a backend pointed at it, with E2B_API_KEY set for the backend.
struct Rig {
    explicit Rig(const EmulatorOptions& options = quick_options(),
                 const json& extra = json::object())
        : emulator(sandbench::emulators::start_e2b_emulator(options)) {
        ::setenv("E2B_API_KEY", kKey, 1);
        json config = emulator->backend_settings();
        if (extra.is_object()) {
            config.update(extra);
        }
        backend = e2b::make_e2b_backend({"e2b-test", "e2b", config});
    }

    /// GET on the control plane, with the key.
    [[nodiscard]] http::Response api_get(const std::string& path) const {
        http::HttpClient client(loopback());
        http::Request request = http::Request::get(emulator->endpoint() + path);
        request.headers.add("X-API-Key", kKey);
        return client.send(request);
    }
    [[nodiscard]] std::size_t sandboxes() const {
        const auto response = api_get("/v2/sandboxes");
        REQUIRE(response.status_code == 200);
        return json::parse(response.body).size();
    }
    static http::ClientOptions loopback() {
        http::ClientOptions options;
        options.proxy = "";
        options.timeout = 30s;
        return options;
    }

    std::unique_ptr<sandbench::emulators::Emulator> emulator;
    std::unique_ptr<Backend> backend;
};

std::unique_ptr<Session> open(Backend& backend) {
    SessionStart start = backend.create_session();
    INFO(start.message);
    REQUIRE(start.ok());
    REQUIRE(start.session != nullptr);
    return std::move(start.session);
}

}  // namespace

TEST_CASE("e2b: the emulator names its environment and backend settings", "[integration]") {
    const auto emulator = sandbench::emulators::start_e2b_emulator(quick_options());
    const auto environment = emulator->environment();
    REQUIRE(environment.size() == 3);
    CHECK(environment[0].first == "E2B_API_URL");
    CHECK(environment[1].first == "E2B_SANDBOX_URL");
    CHECK(environment[2] == std::pair<std::string, std::string>{"E2B_API_KEY", kKey});
    CHECK(emulator->backend_settings()["emulated"] == true);
    CHECK_THAT(emulator->endpoint(), Catch::StartsWith("http://127.0.0.1:"));
}

TEST_CASE("e2b: create, execute, close; the sandbox is killed", "[integration]") {
    Rig rig;
    CHECK(rig.backend->info().emulated);
    CHECK(rig.backend->info().capabilities.isolation == "firecracker");
    SessionStart start = rig.backend->create_session();
    REQUIRE(start.ok());
    CHECK(start.transport.has_value());
    CHECK(start.extra["http_status"] == 201);
    CHECK(start.extra.contains("e2b_sandbox_id"));
    auto session = std::move(start.session);
    CHECK(rig.sandboxes() == 1);

    Execution first = session->execute(
        "counter = 41\nprint('hi')\nimport sys\n"
        "print('warn', file=sys.stderr)\n"
        "{'n': counter, 'ok': True, 'xs': (1, 2.5, None)}",
        10s);
    INFO(first.message);
    REQUIRE(first.ok());
    CHECK(first.stdout_text == "hi\n");
    CHECK(first.stderr_text == "warn\n");
    CHECK(first.result == json{{"n", 41}, {"ok", true}, {"xs", {1, 2.5, nullptr}}});
    CHECK(first.transport.has_value());
    CHECK(first.extra.contains("http_first_body_byte_ms"));
    CHECK(first.extra.contains("e2b_first_event_ms"));
    CHECK(first.extra["e2b_execution_count"] == 1);

    Execution second = session->execute("counter + 1", 10s);
    CHECK(second.result == 42);
    CHECK(second.extra["e2b_execution_count"] == 2);
    CHECK(second.extra["http_connection_reused"] == true);

    Execution text = session->execute("'hello from the sandbox'", 10s);
    CHECK(text.result == "hello from the sandbox");
    Execution nothing = session->execute("x = 1", 10s);
    CHECK(nothing.result.is_null());
    Execution object = session->execute("object()", 10s);
    CHECK(object.result.is_string());
    CHECK_THAT(object.result.get<std::string>(), Catch::StartsWith("<object object at"));

    Execution error = session->execute("print('before')\n1 / 0", 10s);
    CHECK(error.status == Status::kUserError);
    CHECK(error.error_name == "ZeroDivisionError");
    CHECK(error.error_value == "division by zero");
    CHECK_THAT(error.traceback, Contains("ZeroDivisionError"));
    CHECK(error.stdout_text == "before\n");
    CHECK(session->execute("counter", 10s).result == 41);  // the state survives

    const Outcome closed = session->close();
    CHECK(closed.ok());
    CHECK(closed.extra["http_status"] == 204);
    CHECK(rig.sandboxes() == 0);
    CHECK_FALSE(session->alive());
    CHECK(session->close().ok());  // idempotent
    CHECK(session->execute("1", 1s).status == Status::kBackendError);
}

TEST_CASE("e2b: a matplotlib figure comes back as a png image", "[integration]") {
    Rig rig;
    auto session = open(*rig.backend);
    const Execution plot = session->execute(
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n_ = ax.plot([1, 2, 3])", 60s);
    INFO(plot.message << plot.stderr_text);
    REQUIRE(plot.ok());
    REQUIRE(plot.images.size() == 1);
    CHECK(plot.images[0].format == "png");
    CHECK(plot.images[0].base64.rfind("iVBORw0KGgo", 0) == 0);  // the PNG signature
    CHECK(plot.result.is_null());
}

TEST_CASE("e2b: files are uploaded, read by the code, listed and downloaded", "[integration]") {
    Rig rig;
    auto session = open(*rig.backend);
    std::string bytes;
    for (int i = 0; i < 1024; ++i) {
        bytes += static_cast<char>(i % 256);
    }
    REQUIRE(session->upload("data.bin", bytes).ok());
    REQUIRE(session->upload("greeting.txt", "hello").ok());
    const Execution read = session->execute(
        "open('greeting.txt').read() + str(len(open('data.bin', 'rb').read()))", 10s);
    CHECK(read.result == "hello1024");
    REQUIRE(session->execute("open('made.txt', 'w').write('by the code')", 10s).ok());

    const Download made = session->download("made.txt");
    CHECK(made.ok());
    CHECK(made.bytes == "by the code");
    const Download binary = session->download("data.bin");
    CHECK(binary.bytes == bytes);
    CHECK(binary.transport.has_value());

    const FileListing listing = session->list_files();
    REQUIRE(listing.ok());
    REQUIRE(listing.files.size() == 3);
    CHECK(listing.files[0].name == "data.bin");
    CHECK(listing.files[0].size == 1024);
    CHECK(listing.files[1].name == "greeting.txt");
    CHECK(listing.files[2].name == "made.txt");

    const Download missing = session->download("missing.txt");
    CHECK(missing.status == Status::kBackendError);
    CHECK_THAT(missing.message, Contains("404") && Contains("does not exist"));
    CHECK(session->upload("../escape.txt", "x").status == Status::kBackendError);
}

TEST_CASE("e2b: a session destroyed unclosed still kills its sandbox", "[integration]") {
    Rig rig;
    {
        auto session = open(*rig.backend);
        REQUIRE(session->execute("1", 10s).ok());
        CHECK(rig.sandboxes() == 1);
    }
    CHECK(rig.sandboxes() == 0);
}

TEST_CASE("e2b: session_scope context runs fresh kernels in one sandbox", "[integration]") {
    Rig rig(quick_options(), {{"session_scope", "context"}});
    {
        auto first = open(*rig.backend);
        auto second = open(*rig.backend);
        CHECK(rig.sandboxes() == 1);
        CHECK(first->id().substr(0, first->id().find('/')) ==
              second->id().substr(0, second->id().find('/')));
        REQUIRE(first->execute("state = 'first'", 10s).ok());
        CHECK(second->execute("'state' in globals()", 10s).result == false);
        // Each context works in a directory of its own.
        REQUIRE(first->upload("mine.txt", "first's").ok());
        CHECK(first->execute("open('mine.txt').read()", 10s).result == "first's");
        CHECK(second->list_files().files.empty());
        CHECK(second->execute("import os; os.path.exists('mine.txt')", 10s).result == false);

        // A timed-out execution restarts the context: the next call finds an idle kernel.
        const Execution slow = first->execute("import time; time.sleep(30)", 300ms);
        CHECK(slow.status == Status::kTimeout);
        CHECK(slow.extra["e2b_context_restarted"] == true);
        CHECK(first->alive());
        const Execution after = first->execute("'state' in globals()", 10s);
        CHECK(after.result == false);
        CHECK(first->download("mine.txt").bytes == "first's");  // files survive a restart
        CHECK(first->close().ok());
        CHECK(rig.sandboxes() == 1);  // the shared sandbox lives while the backend does
    }
    rig.backend.reset();
    CHECK(rig.sandboxes() == 0);
}

TEST_CASE("e2b: an execution timeout leaves the sandbox usable", "[integration]") {
    Rig rig;
    auto session = open(*rig.backend);
    const auto begin = std::chrono::steady_clock::now();
    const Execution slow = session->execute("import time\ntime.sleep(30)", 300ms);
    CHECK(slow.status == Status::kTimeout);
    CHECK(std::chrono::steady_clock::now() - begin < 5s);
    CHECK(session->alive());
    // The emulator notices the disconnect at its next keepalive and restarts the kernel.
    const Execution after = session->execute("'alive'", 20s);
    INFO(after.message);
    CHECK(after.result == "alive");
}

TEST_CASE("e2b: keepalives stream while the code runs; first byte before the end",
          "[integration]") {
    Rig rig;
    auto session = open(*rig.backend);
    const Execution execution = session->execute("import time\ntime.sleep(0.45)\n'done'", 10s);
    REQUIRE(execution.ok());
    CHECK(execution.result == "done");
    CHECK(execution.extra["e2b_keepalives"].get<int>() >= 2);
    const double first_byte = execution.extra["http_first_body_byte_ms"].get<double>();
    REQUIRE(execution.transport.has_value());
    CHECK(first_byte < execution.transport->total.count() - 300.0);
}

TEST_CASE("e2b: sandboxes end at their timeout; the session sees a dead sandbox", "[integration]") {
    Rig rig(quick_options(), {{"sandbox_timeout_s", 1}});
    auto session = open(*rig.backend);
    REQUIRE(session->execute("1", 10s).ok());
    std::this_thread::sleep_for(1500ms);
    CHECK(rig.sandboxes() == 0);
    const Execution late = session->execute("1", 10s);
    CHECK(late.status == Status::kBackendError);
    CHECK_FALSE(session->alive());
    const Outcome closed = session->close();
    CHECK(closed.ok());
    CHECK(closed.extra["e2b_already_gone"] == true);
}

TEST_CASE("e2b: a reused sandbox near its end is extended", "[integration]") {
    Rig rig(quick_options(), {{"sandbox_timeout_s", 2}});
    auto session = open(*rig.backend);
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(700ms);
        const Execution execution = session->execute("1", 10s);
        INFO(i << ": " << execution.message);
        REQUIRE(execution.ok());
        CHECK(execution.extra["e2b_timeout_extended"] == true);
    }
    CHECK(rig.sandboxes() == 1);
}

TEST_CASE("e2b: unknown sandbox ids are answered as the service does", "[integration]") {
    Rig rig;
    http::HttpClient client(Rig::loopback());
    CHECK(rig.api_get("/sandboxes/inothere").status_code == 404);
    CHECK_THAT(rig.api_get("/sandboxes/inothere").body,
               Contains("Sandbox \\\"inothere\\\" doesn't exist or you don't have access to it"));

    const auto sandbox_call = [&](const std::string& id, const std::string& port) {
        http::Request request = http::Request::post(rig.emulator->endpoint() + "/execute",
                                                    R"({"code": "1"})", "application/json");
        request.headers.add("E2b-Sandbox-Id", id);
        request.headers.add("E2b-Sandbox-Port", port);
        return client.send(request);
    };
    const auto gone = sandbox_call("inothere", "49999");
    CHECK(gone.status_code == 502);
    CHECK(json::parse(gone.body) ==
          json{{"sandboxId", "inothere"}, {"message", "The sandbox was not found"}, {"code", 502}});
    CHECK(gone.headers.get("X-Sandbench-Emulated") == "true");
    CHECK(sandbox_call("NOT-valid", "49999").status_code == 400);

    auto session = open(*rig.backend);
    const std::string id = session->id();
    const auto closed_port = sandbox_call(id, "8080");
    CHECK(closed_port.status_code == 502);
    CHECK(json::parse(closed_port.body)["message"] ==
          "The sandbox is running but port is not open");
    CHECK(json::parse(closed_port.body)["port"] == 8080);

    // Host-based routing, as on <port>-<id>.e2b.app.
    http::Request health = http::Request::get(rig.emulator->endpoint() + "/health");
    health.headers.add("Host", "49983-" + id + ".e2b.app");
    CHECK(client.send(health).status_code == 204);

    // The envd token is required.
    http::Request files = http::Request::get(rig.emulator->endpoint() + "/files?path=x");
    files.headers.add("E2b-Sandbox-Id", id);
    files.headers.add("E2b-Sandbox-Port", "49983");
    const auto unauthorized = client.send(files);
    CHECK(unauthorized.status_code == 401);
    CHECK_THAT(unauthorized.body, Contains("unauthorized access"));
}

TEST_CASE("e2b: the API key is required and never a setting", "[integration]") {
    Rig rig;
    http::HttpClient client(Rig::loopback());
    const auto anonymous =
        client.send(http::Request::get(rig.emulator->endpoint() + "/v2/sandboxes"));
    CHECK(anonymous.status_code == 401);

    ::setenv("E2B_API_KEY", "e2b_wrongwrongwrongwrongwrongwrongwrongwron", 1);
    auto wrong = e2b::make_e2b_backend({"e2b-wrong", "e2b", rig.emulator->backend_settings()});
    const SessionStart refused = wrong->create_session();
    CHECK(refused.status == Status::kBackendError);
    CHECK_THAT(refused.message, Contains("401"));
    CHECK_THAT(refused.message, !Contains("wrongwrong"));  // the key is redacted
    CHECK(refused.session == nullptr);

    ::unsetenv("E2B_API_KEY");
    CHECK_THROWS_AS(e2b::make_e2b_backend({"e2b", "e2b", rig.emulator->backend_settings()}),
                    sandbench::BackendUnavailable);
    ::setenv("E2B_API_KEY", kKey, 1);
    json with_key = rig.emulator->backend_settings();
    with_key["api_key"] = kKey;
    CHECK_THROWS_AS(e2b::make_e2b_backend({"e2b", "e2b", with_key}), sandbench::ConfigError);
    json typo = rig.emulator->backend_settings();
    typo["tempalte"] = "base";
    CHECK_THROWS_AS(e2b::make_e2b_backend({"e2b", "e2b", typo}), sandbench::ConfigError);
    CHECK(rig.sandboxes() == 0);
}

TEST_CASE("e2b: the concurrency cap answers 429 with E2B's message", "[integration]") {
    auto options = quick_options();
    options.settings["max_sandboxes"] = 1;
    Rig rig(options);
    auto first = open(*rig.backend);
    const SessionStart second = rig.backend->create_session();
    CHECK(second.status == Status::kRateLimited);
    CHECK_THAT(second.message, Contains("maximum number of concurrent E2B sandboxes (1)"));
    CHECK(rig.sandboxes() == 1);
}

TEST_CASE("e2b: injected faults give the right status, and no sample is lost", "[integration]") {
    struct Case {
        const char* rule;
        json extra;
        Status create;   ///< of create_session
        Status execute;  ///< of the first execution, when create worked
    };
    const std::vector<Case> cases = {
        {"429#1:path=/v2/sandboxes,retry_after=0", {}, Status::kRateLimited, Status::kOk},
        {"503#1:path=/v2/sandboxes,retry_after=0", {}, Status::kRateLimited, Status::kOk},
        {"500#1:path=/v2/sandboxes", {}, Status::kBackendError, Status::kOk},
        {"drop#1:path=/v2/sandboxes", {}, Status::kTransportError, Status::kOk},
        {"malformed#1:path=/v2/sandboxes", {}, Status::kBackendError, Status::kOk},
        {"429#1:path=/v2/sandboxes,retry_after=0", {{"retries", 2}}, Status::kOk, Status::kOk},
        {"429#1:path=/execute,retry_after=0", {}, Status::kOk, Status::kRateLimited},
        {"500#1:path=/execute", {}, Status::kOk, Status::kBackendError},
        {"503#1:path=/execute,retry_after=0", {}, Status::kOk, Status::kRateLimited},
        {"drop#1:path=/execute", {}, Status::kOk, Status::kTransportError},
        {"malformed#1:path=/execute", {}, Status::kOk, Status::kBackendError},
        {"slow#1:path=/execute,delay_ms=1500", {}, Status::kOk, Status::kTimeout},
    };
    for (const auto& test : cases) {
        DYNAMIC_SECTION(test.rule << " " << test.extra.dump()) {
            auto options = quick_options();
            options.faults.push_back(parse_fault_rule(test.rule));
            Rig rig(options, test.extra);
            SessionStart start = rig.backend->create_session();
            INFO(start.message);
            CHECK(start.status == test.create);
            CHECK(start.extra.contains("http_status"));  // the failure is a sample with HTTP facts
            if (!start.ok()) {
                CHECK(start.session == nullptr);
                CHECK_FALSE(start.message.empty());
                CHECK(rig.sandboxes() == 0);  // nothing leaked
                continue;
            }
            if (test.extra.contains("retries")) {
                CHECK(start.extra["http_attempts"] == 2);
            }
            const Execution execution = start.session->execute("print('x')\n1", 500ms);
            INFO(execution.message);
            CHECK(execution.status == test.execute);
            CHECK(execution.extra.contains("http_status"));
            if (!execution.ok()) {
                CHECK_FALSE(execution.message.empty());
            }
            // The sandbox stays usable after a failed call, and is cleaned up.
            std::this_thread::sleep_for(1600ms * (test.execute == Status::kTimeout ? 1 : 0));
            const Execution next = start.session->execute("2", 10s);
            INFO(next.message);
            CHECK(next.result == 2);
            CHECK(start.session->close().ok());
            CHECK(rig.sandboxes() == 0);
        }
    }
}

TEST_CASE("e2b: a failed kill is retried outside the measurement", "[integration]") {
    auto options = quick_options();
    options.faults.push_back(parse_fault_rule("500#1:path=/sandboxes/i"));
    Rig rig(options);
    auto session = open(*rig.backend);
    const Outcome closed = session->close();
    CHECK(closed.status == Status::kBackendError);  // the failure is what was measured
    CHECK(closed.extra["e2b_kill_cleanup"]["killed"] == true);
    CHECK(rig.sandboxes() == 0);
}

TEST_CASE("e2b: malformed execution streams are backend errors that keep the output",
          "[integration]") {
    auto options = quick_options();
    options.settings["stream_faults"] =
        json::array({"truncated_line#1", "unknown_line_type#2", "missing_end#3", "disconnect#4"});
    Rig rig(options);
    auto session = open(*rig.backend);
    const std::string code = "print('kept')\n'result'";

    const Execution truncated = session->execute(code, 10s);
    CHECK(truncated.status == Status::kBackendError);
    CHECK_THAT(truncated.message,
               Contains("malformed execution stream") && Contains("is not a JSON object"));
    CHECK(truncated.stdout_text == "kept\n");
    CHECK(truncated.result == "result");

    const Execution unknown = session->execute(code, 10s);
    CHECK(unknown.status == Status::kBackendError);
    CHECK_THAT(unknown.message, Contains("unknown type 'sandbench_unknown'"));
    CHECK(unknown.stdout_text == "kept\n");

    const Execution unended = session->execute(code, 10s);
    CHECK(unended.status == Status::kBackendError);
    CHECK_THAT(unended.message, Contains("without end_of_execution"));
    CHECK(unended.result == "result");

    const Execution cut = session->execute(code, 10s);
    CHECK(cut.status == Status::kTransportError);
    CHECK(cut.transport.has_value());
    CHECK(session->alive());

    const Execution clean = session->execute(code, 10s);
    INFO(clean.message);
    CHECK(clean.ok());
    CHECK(clean.stdout_text == "kept\n");
}

TEST_CASE("e2b: kernels run under bwrap by default", "[integration]") {
    EmulatorOptions options = quick_options();
    options.kernel = json::object();  // the emulator's default: bwrap
    Rig rig(options);
    auto session = open(*rig.backend);
    REQUIRE(session->upload("in.txt", "under bwrap").ok());
    const Execution execution = session->execute(
        "import os, socket\n"
        "[open('in.txt').read(), os.getcwd(), [n for _, n in socket.if_nameindex()]]",
        30s);
    INFO(execution.message);
    REQUIRE(execution.ok());
    CHECK(execution.result == json::array({"under bwrap", "/mnt/data", json::array({"lo"})}));
    REQUIRE(session->execute("open('out.txt', 'w').write('back')", 10s).ok());
    CHECK(session->download("out.txt").bytes == "back");
    CHECK(session->close().ok());
    CHECK(rig.sandboxes() == 0);
}
