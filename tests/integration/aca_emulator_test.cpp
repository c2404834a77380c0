// SPDX-License-Identifier: Apache-2.0
// The ACA backend against the ACA emulator on a free loopback port: every endpoint of both API
// generations, the request variants public clients send, the protocol's errors (400, 401, 403,
// 404, 413), cooldown expiry, the execution time limit, and every injected fault, which the
// backend must report with the right status without losing the call's outcome. Kernels run as
// plain subprocesses for speed, except in the test that checks the bwrap default.
#include "aca_emulator.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aca/aca_backend.hpp"
#include "http/http_client.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/emulators/faults.hpp"

using namespace sandbench;
using namespace sandbench::backends;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

constexpr const char* kLegacy = "2024-02-02-preview";
constexpr const char* kNewest = "2025-10-02-preview";

struct EmulatorSetup {
    json settings = json::object();
    std::vector<emulators::FaultRule> faults;
    emulators::LatencyProfile latency;
    std::string isolation = "none";
};

std::unique_ptr<emulators::Emulator> start(EmulatorSetup setup = EmulatorSetup()) {
    emulators::EmulatorOptions options;
    if (!setup.isolation.empty()) {
        options.kernel = {{"isolation", setup.isolation}};
    }
    options.settings = std::move(setup.settings);
    options.faults = std::move(setup.faults);
    options.latency = setup.latency;
    return emulators::start_aca_emulator(options);
}

std::unique_ptr<emulators::Emulator> start_with(json settings) {
    EmulatorSetup setup;
    setup.settings = std::move(settings);
    return start(std::move(setup));
}

std::unique_ptr<emulators::Emulator> start_faulty(const std::string& rule,
                                                  emulators::LatencyProfile latency = {}) {
    EmulatorSetup setup;
    setup.faults.push_back(emulators::parse_fault_rule(rule));
    setup.latency = latency;
    return start(std::move(setup));
}

std::unique_ptr<Backend> backend_for(const emulators::Emulator& emulator,
                                     const json& extra = json::object()) {
    json config = emulator.backend_settings();
    config.update(extra);
    return aca::make_aca_backend({"aca-test", "aca", config});
}

std::unique_ptr<Session> new_session(Backend& backend) {
    auto start = backend.create_session();
    REQUIRE(start.ok());
    REQUIRE(start.session != nullptr);
    return std::move(start.session);
}

/// Direct HTTP access to the emulator, for what the backend never sends.
class Raw {
public:
    explicit Raw(const emulators::Emulator& emulator) : endpoint_(emulator.endpoint()) {
        http::ClientOptions options;
        options.proxy = "";
        options.timeout = 60s;
        client_ = std::make_unique<http::HttpClient>(options);
    }

    http::Response send(http::Method method, const std::string& path_and_query,
                        std::string body = {}, const std::string& token = "test-token",
                        const std::string& content_type = "application/json") {
        http::Request request;
        request.method = method;
        request.url = endpoint_ + "/" + path_and_query;
        if (!token.empty()) {
            request.headers.set("Authorization", "Bearer " + token);
        }
        if (!body.empty()) {
            request.body = std::move(body);
            request.headers.set("Content-Type", content_type);
        }
        return client_->send(request);
    }
    http::Response get(const std::string& path_and_query) {
        return send(http::Method::kGet, path_and_query);
    }
    http::Response post(const std::string& path_and_query, const json& body) {
        return send(http::Method::kPost, path_and_query, body.dump());
    }
    http::Response upload(const std::string& path_and_query, const std::string& filename,
                          std::string bytes) {
        http::Request request;
        request.method = http::Method::kPost;
        request.url = endpoint_ + "/" + path_and_query;
        request.headers.set("Authorization", "Bearer test-token");
        request.parts.push_back({"file", filename, "application/octet-stream", std::move(bytes)});
        return client_->send(request);
    }

private:
    std::string endpoint_;
    std::unique_ptr<http::HttpClient> client_;
};

json body_of(const http::Response& response) {
    return json::parse(response.body, nullptr, /*allow_exceptions=*/false);
}

std::string error_code_of(const http::Response& response) {
    const auto body = body_of(response);
    return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

std::string binary_bytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    return bytes + bytes;
}

std::set<std::string> names(const FileListing& listing) {
    std::set<std::string> out;
    for (const auto& file : listing.files) {
        out.insert(file.name);
    }
    return out;
}

std::size_t live_sessions(Raw& raw) {
    const auto response = raw.get(std::string("listSessions?api-version=") + kNewest);
    REQUIRE(response.status_code == 200);
    return body_of(response)["sessions"].size();
}

}  // namespace

TEST_CASE("the backend runs cells and moves files through every API version",
          "[integration][aca]") {
    const std::string version =
        GENERATE("2024-02-02-preview", "2024-08-02-preview", "2024-10-02-preview",
                 "2025-02-02-preview", "2025-10-02-preview");
    CAPTURE(version);
    auto emulator = start();
    Raw raw(*emulator);
    auto backend = backend_for(*emulator, {{"api_version", version}});
    CHECK(backend->info().type == "aca");
    CHECK(backend->info().emulated);
    CHECK_FALSE(backend->info().capabilities.explicit_create);
    CHECK(backend->info().capabilities.isolation == "hyper-v");

    auto session = new_session(*backend);
    // No request yet: the first one allocates the session.
    CHECK(live_sessions(raw) == 0);

    auto first = session->execute("x = 6 * 7\nprint('hello')\nx", 30s);
    REQUIRE(first.ok());
    CHECK(first.stdout_text == "hello\n");
    CHECK(first.result == 42);
    REQUIRE(first.backend_time.has_value());
    REQUIRE(first.transport.has_value());
    CHECK(first.transport->total.count() > 0);
    CHECK(first.extra.value("first_request", false));
    CHECK(first.extra.value("emulated_response", false));
    REQUIRE(first.extra.contains("x_ms"));
    const auto& headers = first.extra["x_ms"];
    for (const char* name :
         {"x-ms-allocation-time", "x-ms-preparation-time", "x-ms-execution-request-time",
          "x-ms-overall-execution-time", "x-ms-container-execution-duration",
          "x-ms-total-execution-service-time", "x-ms-session-guid"}) {
        CAPTURE(name);
        CHECK(headers.contains(name));
    }
    CHECK(headers["x-ms-allocation-time"].get<double>() > 0);
    CHECK(headers["x-ms-overall-execution-time"].is_number());  // a Go duration, in ms
    CHECK(first.extra.contains("http_status"));
    CHECK(live_sessions(raw) == 1);

    auto second = session->execute("x + 1", 30s);
    REQUIRE(second.ok());
    CHECK(second.result == 43);
    CHECK_FALSE(second.extra.contains("first_request"));
    CHECK(second.extra["x_ms"]["x-ms-allocation-time"].get<double>() == 0);
    CHECK(second.extra["x_ms"]["x-ms-session-guid"] == headers["x-ms-session-guid"]);
    CHECK(second.extra.value("http_connection_reused", false));

    const std::string bytes = binary_bytes();
    REQUIRE(session->upload("data.bin", bytes).ok());
    REQUIRE(session->upload("notes.txt", "some notes").ok());
    auto read_back =
        session->execute("open('data.bin', 'rb').read() == bytes(range(256)) * 2", 30s);
    REQUIRE(read_back.ok());
    CHECK(read_back.result == true);
    REQUIRE(session->execute("open('made.txt', 'w').write('made here')", 30s).ok());

    const auto listing = session->list_files();
    REQUIRE(listing.ok());
    CHECK(names(listing) == std::set<std::string>{"data.bin", "made.txt", "notes.txt"});
    for (const auto& file : listing.files) {
        if (file.name == "data.bin") {
            CHECK(file.size == bytes.size());
        }
    }
    const auto downloaded = session->download("data.bin");
    REQUIRE(downloaded.ok());
    CHECK(downloaded.bytes == bytes);
    CHECK(session->download("made.txt").bytes == "made here");
    const auto missing = session->download("nothing.txt");
    CHECK(missing.status == Status::kBackendError);
    CHECK(missing.extra.value("http_status", 0) == 404);

    auto error = session->execute("print('before')\n1 / 0", 30s);
    CHECK(error.status == Status::kUserError);
    CHECK(error.error_name == "ZeroDivisionError");
    CHECK(error.error_value == "division by zero");
    CHECK(error.stdout_text == "before\n");
    CHECK_THAT(error.traceback, Contains("ZeroDivisionError"));
    CHECK(session->execute("x", 30s).result == 42);  // the session survived

    auto image = session->execute(
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\n_ = ax.plot([1, 2, 3])",
        60s);
    REQUIRE(image.ok());
    REQUIRE(image.images.size() == 1);
    CHECK(image.images[0].format == "png");
    CHECK(image.images[0].base64.starts_with("iVBOR"));  // PNG's signature in base64

    const auto closed = session->close();
    REQUIRE(closed.ok());
    CHECK_FALSE(session->alive());
    if (version >= "2025-02-02-preview") {
        CHECK(closed.extra["close"] == "deleted");
        CHECK(live_sessions(raw) == 0);
    } else {
        CHECK(closed.extra["close"] == "expire_by_cooldown");
        CHECK(live_sessions(raw) == 1);
    }
}

TEST_CASE("close = delete uses the session API even with the legacy version",
          "[integration][aca]") {
    auto emulator = start();
    Raw raw(*emulator);
    auto backend = backend_for(*emulator, {{"close", "delete"}});
    auto session = new_session(*backend);
    REQUIRE(session->execute("1", 30s).ok());
    CHECK(live_sessions(raw) == 1);
    const auto closed = session->close();
    REQUIRE(closed.ok());
    CHECK(closed.extra["close"] == "deleted");
    CHECK(live_sessions(raw) == 0);

    // A session that never made a request (or is gone already) closes fine too.
    auto unused = new_session(*backend);
    const auto gone = unused->close();
    CHECK(gone.ok());
    CHECK(gone.extra["close"] == "already_gone");
}

TEST_CASE("the emulator refuses what the service refuses", "[integration][aca]") {
    auto emulator = start_with({{"max_upload_bytes", 1024}, {"max_sessions", 2}});
    Raw raw(*emulator);
    const std::string legacy = std::string("code/execute?api-version=") + kLegacy;
    const json code = {{"properties", {{"code", "1 + 1"}}}};

    SECTION("api-version is required and must be known") {
        auto response = raw.post("code/execute?identifier=abcd-1", code);
        CHECK(response.status_code == 400);
        CHECK(error_code_of(response) == "MissingApiVersionParameter");
        CHECK(response.headers.get("x-ms-error-code") == "MissingApiVersionParameter");
        response = raw.post("code/execute?identifier=abcd-1&api-version=2023-01-01", code);
        CHECK(response.status_code == 400);
        CHECK(error_code_of(response) == "UnsupportedApiVersion");
    }
    SECTION("identifier is required and checked") {
        auto response = raw.post(legacy, code);
        CHECK(response.status_code == 400);
        CHECK(error_code_of(response) == "SessionRequestValidationFailed");
        for (const char* bad : {"abc", "has%20space", "tab%09id"}) {
            CAPTURE(bad);
            response = raw.post(legacy + "&identifier=" + bad, code);
            CHECK(response.status_code == 400);
        }
        response = raw.post(legacy + "&identifier=" + std::string(129, 'a'), code);
        CHECK(response.status_code == 400);
        // The broad character set of the 2025-10-02-preview pattern is allowed.
        response = raw.post(legacy + "&identifier=a%7Cb%7Bc%7D%5B%5D%3A%3B%40%23", code);
        CHECK(response.status_code == 200);
    }
    SECTION("a Bearer token is required") {
        auto response = raw.send(http::Method::kPost, legacy + "&identifier=abcd-1", code.dump(),
                                 /*token=*/"");
        CHECK(response.status_code == 401);
        CHECK(response.headers.get("WWW-Authenticate").value_or("").starts_with("Bearer"));
        CHECK(error_code_of(response) == "Unauthorized");
        // A JWT for another audience (Azure Resource Manager) is refused.
        const std::string arm_token =
            "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.sig";
        response =
            raw.send(http::Method::kPost, legacy + "&identifier=abcd-1", code.dump(), arm_token);
        CHECK(response.status_code == 401);
        const std::string sessions_token =
            "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL2R5bmFtaWNzZXNzaW9ucy5pbyJ9.sig";
        response = raw.send(http::Method::kPost, legacy + "&identifier=abcd-1", code.dump(),
                            sessions_token);
        CHECK(response.status_code == 200);
    }
    SECTION("max sessions: 404 beyond the pool's limit") {
        CHECK(raw.post(legacy + "&identifier=session-1", code).status_code == 200);
        CHECK(raw.post(legacy + "&identifier=session-2", code).status_code == 200);
        const auto full = raw.post(legacy + "&identifier=session-3", code);
        CHECK(full.status_code == 404);
        CHECK(error_code_of(full) == "SessionPoolFull");
        // Through the backend: a backend error with the HTTP status kept, nothing thrown.
        auto backend = backend_for(*emulator);
        auto session = new_session(*backend);
        const auto refused = session->execute("1", 30s);
        CHECK(refused.status == Status::kBackendError);
        CHECK(refused.extra["http_status"] == 404);
        CHECK(refused.extra["error_code"] == "SessionPoolFull");
        // Existing sessions still work, and deleting one makes room.
        CHECK(raw.post(legacy + "&identifier=session-1", code).status_code == 200);
        CHECK(raw.send(http::Method::kDelete,
                       "session?api-version=2025-02-02-preview&identifier=session-1")
                  .status_code == 204);
        CHECK(session->execute("1", 30s).ok());
    }
    SECTION("uploads above the limit are 413") {
        auto backend = backend_for(*emulator);
        auto session = new_session(*backend);
        CHECK(session->upload("small.bin", std::string(1024, 'x')).ok());
        const auto large = session->upload("large.bin", std::string(1025, 'x'));
        CHECK(large.status == Status::kBackendError);
        CHECK(large.extra["http_status"] == 413);
        // Far beyond the limit, the server refuses before reading the body.
        const auto huge =
            raw.upload(std::string("files/upload?api-version=") + kLegacy + "&identifier=abcd-huge",
                       "huge.bin", std::string(std::size_t{64} * 1024, 'x'));
        CHECK((huge.status_code == 413 || huge.error.kind == http::ErrorKind::kConnectionLost));
        CHECK(names(session->list_files()) == std::set<std::string>{"small.bin"});
    }
    SECTION("routes of a newer API version are not served under an older one") {
        auto response =
            raw.post(std::string("executions?api-version=") + kLegacy + "&identifier=abcd-1",
                     {{"code", "1"}});
        CHECK(response.status_code == 404);
        response = raw.send(http::Method::kDelete,
                            "session?api-version=2024-10-02-preview&identifier=abcd-1");
        CHECK(response.status_code == 404);
        response = raw.get("nowhere?api-version=2025-10-02-preview&identifier=abcd-1");
        CHECK(response.status_code == 404);
        CHECK(error_code_of(response) == "NotFound");
    }
    SECTION("another pool's path is not found") {
        http::ClientOptions options;
        options.proxy = "";
        http::HttpClient client(options);
        auto endpoint = emulator->endpoint();
        endpoint.replace(endpoint.rfind('/') + 1, std::string::npos, "other-pool");
        auto request = http::Request::post_json(
            endpoint + "/code/execute?api-version=2024-02-02-preview&identifier=abcd-1", code);
        request.headers.set("Authorization", "Bearer t");
        const auto response = client.send(request);
        CHECK(response.status_code == 404);
        CHECK(error_code_of(response) == "ResourceNotFound");
    }
    SECTION("every response says it is emulated") {
        CHECK(raw.get("x").headers.get("X-Sandbench-Emulated") == "true");
    }
}

TEST_CASE("a configured token is the only one accepted, and forbid answers 403",
          "[integration][aca]") {
    auto emulator = start_with({{"token", "the-one-token"}});
    Raw raw(*emulator);
    const std::string path =
        std::string("code/execute?api-version=") + kLegacy + "&identifier=abcd";
    const std::string body = json{{"properties", {{"code", "1"}}}}.dump();
    CHECK(raw.send(http::Method::kPost, path, body, "another-token").status_code == 401);
    CHECK(raw.send(http::Method::kPost, path, body, "the-one-token").status_code == 200);
    CHECK(emulator->environment().back() ==
          std::pair<std::string, std::string>{"SANDBENCH_ACA_EMULATOR_TOKEN", "the-one-token"});

    // The backend reads the token from the variable the settings name.
    ::setenv("SANDBENCH_ACA_TEST_TOKEN", "the-one-token", 1);
    auto backend = backend_for(*emulator, {{"token_env", "SANDBENCH_ACA_TEST_TOKEN"}});
    auto session = new_session(*backend);
    CHECK(session->execute("2", 30s).result == 2);
    ::setenv("SANDBENCH_ACA_TEST_TOKEN", "a-wrong-token", 1);
    auto refused = backend_for(*emulator, {{"token_env", "SANDBENCH_ACA_TEST_TOKEN"}});
    auto refused_session = new_session(*refused);
    const auto unauthorized = refused_session->execute("2", 30s);
    CHECK(unauthorized.status == Status::kBackendError);
    CHECK(unauthorized.extra["http_status"] == 401);
    CHECK_THAT(unauthorized.message, !Contains("a-wrong-token"));
    ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");

    auto forbidding = start_with({{"forbid", true}});
    Raw forbidden(*forbidding);
    CHECK(forbidden.send(http::Method::kPost, path, body).status_code == 403);
}

TEST_CASE("the emulator accepts the request variants public clients send", "[integration][aca]") {
    auto emulator = start();
    Raw raw(*emulator);
    const std::string q = std::string("?api-version=") + kLegacy + "&identifier=variant-1";

    SECTION("legacy execute: wrapped, flat, any enum case, optional timeout, trailing slash") {
        auto response = raw.post("code/execute" + q, {{"properties",
                                                       {{"identifier", "variant-1"},
                                                        {"codeInputType", "inline"},
                                                        {"executionType", "Synchronous"},
                                                        {"code", "v = 5\nv * 2"}}}});
        REQUIRE(response.status_code == 200);
        auto body = body_of(response);
        CHECK(body["$id"] == "1");
        CHECK(body["properties"]["status"] == "Success");
        CHECK(body["properties"]["result"] == 10);
        CHECK(body["properties"]["executionTimeInMilliseconds"].is_number_integer());
        CHECK(response.headers.contains("Operation-Id"));
        response = raw.post("code/execute/" + q, {{"codeInputType", "INLINE"}, {"code", "v"}});
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["properties"]["result"] == 5);
        response = raw.post("code//execute" + q,
                            {{"properties", {{"code", "print('x')"}, {"timeoutInSeconds", 100}}}});
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["properties"]["result"] == "");  // no trailing expression
        response = raw.post("code/execute" + q, {{"properties", {{"codeInputType", "inline"}}}});
        CHECK(response.status_code == 400);
        CHECK(error_code_of(response) == "SessionPropertiesMissing");
        response = raw.post("code/execute" + q,
                            {{"properties", {{"code", "1"}, {"codeInputType", "Magic"}}}});
        CHECK(response.status_code == 400);
    }
    SECTION("a failure carries the traceback in stderr") {
        const auto response =
            raw.post("code/execute" + q, {{"properties", {{"code", "raise ValueError('bad')"}}}});
        REQUIRE(response.status_code == 200);
        const auto properties = body_of(response)["properties"];
        CHECK(properties["status"] == "Failure");
        CHECK_THAT(properties["stderr"].get<std::string>(), Contains("ValueError: bad"));
        CHECK(properties["result"] == "");
    }
    SECTION("the pre-2024 python/* routes answer as they did") {
        auto response =
            raw.post("python/execute/" + q, {{"properties",
                                              {{"identifier", "variant-1"},
                                               {"codeInputType", "inline"},
                                               {"executionType", "synchronous"},
                                               {"pythonCode", "print('old')\n21 * 2"}}}});
        REQUIRE(response.status_code == 200);
        auto body = body_of(response);
        CHECK(body["result"] == 42);  // flat: no "properties"
        CHECK(body["stdout"] == "old\n");
        response = raw.upload("python/uploadFile" + q, "old.txt", "old bytes");
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["filename"] == "old.txt");
        CHECK(body_of(response)["size"] == 9);
        response = raw.get("python/files" + q);
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["$values"][0]["filename"] == "old.txt");
        response = raw.get("python/downloadFile" + q + "&filename=old.txt");
        REQUIRE(response.status_code == 200);
        CHECK(response.body == "old bytes");
    }
    SECTION("file names with /mnt/data, directories and encoded characters") {
        auto response = raw.upload("files/upload" + q, "/mnt/data/prefixed.txt", "p");
        REQUIRE(response.status_code == 200);
        auto body = body_of(response);
        CHECK(body["value"][0]["properties"]["filename"] == "prefixed.txt");
        CHECK(body["value"][0]["properties"]["size"] == 1);
        CHECK(body["value"][0]["properties"].contains("lastModifiedTime"));
        response = raw.upload("files/upload" + q, "folder/inner.txt", "inner");
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["value"][0]["properties"]["filename"] == "folder/inner.txt");
        CHECK(raw.get("files/content/folder/inner.txt" + q).body == "inner");
        CHECK(raw.get("files/content/mnt/data/prefixed.txt" + q).body == "p");
        response = raw.upload("files/upload" + q, "with space.txt", "s");
        REQUIRE(response.status_code == 200);
        response = raw.get("files/content/with%20space.txt" + q);
        REQUIRE(response.status_code == 200);
        CHECK(response.body == "s");
        CHECK(response.headers.get("Content-Type").value_or("").starts_with("text/plain"));
        CHECK(response.headers.contains("Last-Modified"));
        CHECK(raw.upload("files/upload" + q, "../escape.txt", "e").status_code == 400);
        CHECK(raw.get("files/content/..%2Fescape.txt" + q).status_code == 400);
        // The legacy listing holds /mnt/data's own files.
        response = raw.get("files" + q);
        const auto legacy_listing = body_of(response);
        std::set<std::string> listed;
        for (const auto& entry : legacy_listing["value"]) {
            listed.insert(entry["properties"]["filename"].get<std::string>());
        }
        CHECK(listed == std::set<std::string>{"prefixed.txt", "with space.txt"});
        // 2024-08-02-preview's GET and DELETE files/{name} (Microsoft's local sample).
        response = raw.get("files/prefixed.txt" + q);
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["value"][0]["properties"]["filename"] == "prefixed.txt");
        response = raw.send(http::Method::kDelete, "files/prefixed.txt" + q);
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["message"] == "file deleted successfully");
        CHECK(raw.get("files/prefixed.txt" + q).status_code == 404);
    }
    SECTION("a symbolic link a cell plants is not followed") {
        REQUIRE(raw.post("code/execute" + q,
                         {{"properties",
                           {{"code", "import os\nos.symlink('/etc/passwd', 'link.txt')"}}}})
                    .status_code == 200);
        CHECK(raw.get("files/content/link.txt" + q).status_code == 404);
        const auto listing = body_of(raw.get("files" + q));
        CHECK(listing["value"].empty());
        // An upload replaces the link instead of writing through it.
        REQUIRE(raw.upload("files/upload" + q, "link.txt", "replaced").status_code == 200);
        CHECK(raw.get("files/content/link.txt" + q).body == "replaced");
    }
}

TEST_CASE("new API: executions, files with paths, sessions and metadata", "[integration][aca]") {
    auto emulator = start();
    Raw raw(*emulator);
    const std::string q = std::string("?api-version=") + kNewest + "&identifier=new-api-1";

    SECTION("synchronous executions: flat and wrapped bodies, status codes by version") {
        auto response = raw.post("executions" + q, {{"codeInputType", "Inline"},
                                                    {"executionType", "Synchronous"},
                                                    {"code", "print(7 * 9)"},
                                                    {"timeoutInSeconds", 60}});
        REQUIRE(response.status_code == 200);  // 2025-10-02-preview answers 200
        auto body = body_of(response);
        CHECK(body["status"] == "Succeeded");
        CHECK(body["identifier"] == "new-api-1");
        CHECK(body["executionType"] == "Synchronous");
        CHECK(body["result"]["stdout"] == "63\n");
        CHECK(body["result"]["executionResult"] == "");
        CHECK(body["result"]["executionTimeInMilliseconds"].is_number_integer());
        CHECK(response.headers.get("operation-id") == body["id"].get<std::string>());
        const auto location = response.headers.get("Operation-Location").value_or("");
        CHECK_THAT(location, Contains("/executions/" + body["id"].get<std::string>()));
        // The execution can be fetched again.
        response = raw.get("executions/" + body["id"].get<std::string>() + q);
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["result"]["stdout"] == "63\n");
        CHECK(raw.get("executions/no-such-id" + q).status_code == 404);

        response = raw.post("executions?api-version=2025-02-02-preview&identifier=new-api-1",
                            {{"properties",
                              {{"codeInputType", "inline"},
                               {"executionType", "synchronous"},
                               {"code", "float('nan')"}}}});
        REQUIRE(response.status_code == 202);  // 2024-10-02 and 2025-02-02 answer 202
        CHECK(body_of(response)["result"]["executionResult"] == "nan");
        // A client-chosen operation id is kept.
        http::Request request =
            http::Request::post_json(emulator->endpoint() + "/executions" + q, {{"code", "None"}});
        request.headers.set("Authorization", "Bearer t");
        request.headers.set("operation-id", "my-execution-1");
        http::ClientOptions options;
        options.proxy = "";
        http::HttpClient client(options);
        response = client.send(request);
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["id"] == "my-execution-1");
    }
    SECTION("InlineBase64 code and failures with rawResult") {
        auto response = raw.post("executions" + q, {{"codeInputType", "InlineBase64"},
                                                    {"code", "cHJpbnQoJ2I2NCcp"}});  // print('b64')
        REQUIRE(response.status_code == 200);
        CHECK(body_of(response)["result"]["stdout"] == "b64\n");
        response = raw.post("executions" + q, {{"code", "raise RuntimeError('boom')"}});
        REQUIRE(response.status_code == 200);
        const auto body = body_of(response);
        CHECK(body["status"] == "Failed");
        CHECK_THAT(body["result"]["stderr"].get<std::string>(), Contains("RuntimeError: boom"));
        CHECK(body["rawResult"]["error_name"] == "RuntimeError");
    }
    SECTION("asynchronous executions are polled") {
        auto response = raw.post("executions" + q, {{"executionType", "Asynchronous"},
                                                    {"code", "import time\ntime.sleep(0.3)\n5"}});
        REQUIRE(response.status_code == 202);
        auto body = body_of(response);
        CHECK(body["status"] == "Running");
        const auto id = body["id"].get<std::string>();
        for (int i = 0; i < 100 && body["status"] == "Running"; ++i) {
            std::this_thread::sleep_for(50ms);
            body = body_of(raw.get(std::string("executions/").append(id).append(q)));
        }
        CHECK(body["status"] == "Succeeded");
        CHECK(body["result"]["executionResult"] == 5);
    }
    SECTION("outputStreamsMaxLength cuts the streams") {
        auto response = raw.post("executions" + q, {{"code", "print('x' * 5000)"}});
        CHECK(body_of(response)["result"]["stdout"].get<std::string>().size() == 4096);
        CHECK(body_of(response)["result"]["outputStreamsMaxLength"] == 4096);
        response = raw.post("executions" + q,
                            {{"code", "print('\u00e9' * 50)"}, {"outputStreamsMaxLength", 10}});
        std::string ten;
        for (int i = 0; i < 10; ++i) {
            ten += "\u00e9";  // two bytes each: the limit counts characters
        }
        CHECK(body_of(response)["result"]["stdout"] == ten);
        // The backend asks for more and marks a stream that reached the limit.
        auto backend =
            backend_for(*emulator, {{"api_version", kNewest}, {"output_streams_max_length", 100}});
        auto session = new_session(*backend);
        const auto cut = session->execute("print('y' * 500)", 30s);
        REQUIRE(cut.ok());
        CHECK(cut.stdout_text.size() == 100);
        CHECK(cut.output_truncated);
        const auto whole = session->execute("print('y' * 50)", 30s);
        CHECK_FALSE(whole.output_truncated);
        // The legacy API does not cut.
        auto legacy = backend_for(*emulator);
        auto legacy_session = new_session(*legacy);
        CHECK(legacy_session->execute("print('z' * 20000)", 30s).stdout_text.size() == 20001);
    }
    SECTION("files: upload with path, list (recursive), metadata, content, delete") {
        auto response = raw.upload("files" + q, "top.txt", "top");
        REQUIRE(response.status_code == 200);
        auto body = body_of(response);
        CHECK(body["name"] == "top.txt");
        CHECK(body["type"] == "File");
        CHECK(body["sizeInBytes"] == 3);
        CHECK(body["contentType"] == "text/plain; charset=utf-8");
        REQUIRE(raw.upload("files" + q + "&path=/mnt/data/level1/level2", "deep.md", "# deep")
                    .status_code == 200);
        response = raw.get("files" + q);
        body = body_of(response);
        CHECK(body["nextLink"].is_null());
        std::set<std::string> top;
        for (const auto& entry : body["value"]) {
            top.insert(entry["name"].get<std::string>() + ":" + entry["type"].get<std::string>());
        }
        CHECK(top == std::set<std::string>{"level1:Directory", "top.txt:File"});
        body = body_of(raw.get("files" + q + "&recursive=true"));
        bool found_deep = false;
        for (const auto& entry : body["value"]) {
            if (entry["name"] == "deep.md") {
                found_deep = entry["directory"] == "level1/level2";
            }
        }
        CHECK(found_deep);
        body = body_of(raw.get("files/deep.md" + q + "&path=level1/level2"));
        CHECK(body["sizeInBytes"] == 6);
        response = raw.get("files/deep.md/content" + q + "&path=/mnt/data/level1/level2");
        REQUIRE(response.status_code == 200);
        CHECK(response.body == "# deep");
        CHECK(response.headers.get("Content-Type") == "application/octet-stream");
        CHECK(raw.get("files" + q + "&path=/etc").status_code == 400);
        CHECK(raw.send(http::Method::kDelete, "files/top.txt" + q).status_code == 204);
        CHECK(raw.get("files/top.txt/content" + q).status_code == 404);
        CHECK(raw.send(http::Method::kDelete, "files/top.txt" + q).status_code == 404);
    }
    SECTION("session management, listing and metadata") {
        REQUIRE(raw.post("executions" + q, {{"code", "1"}}).status_code == 200);
        auto response = raw.get("session" + q);
        REQUIRE(response.status_code == 200);
        auto body = body_of(response);
        CHECK(body["identifier"] == "new-api-1");
        for (const char* key : {"createdAt", "lastAccessedAt", "expireAt", "etag"}) {
            CHECK(body.contains(key));
        }
        body = body_of(raw.get(std::string("listSessions?api-version=") + kNewest));
        REQUIRE(body["sessions"].size() == 1);
        CHECK(body["sessions"][0]["identifier"] == "new-api-1");
        CHECK(
            body_of(raw.get(std::string("listSessions?skip=1&api-version=") + kNewest))["sessions"]
                .empty());
        body = body_of(raw.get(std::string("metadata?api-version=") + kNewest));
        CHECK(body["runtimes"][0]["name"] == "python");
        CHECK(body.contains("jupyterKernel"));
        CHECK(raw.send(http::Method::kDelete, "session" + q).status_code == 204);
        CHECK(raw.get("session" + q).status_code == 404);
        CHECK(raw.send(http::Method::kDelete, "session" + q).status_code == 404);
    }
}

TEST_CASE("sessions expire after the cooldown and lose their state and files",
          "[integration][aca]") {
    auto emulator = start_with({{"cooldown_s", 0.5}});
    Raw raw(*emulator);
    auto backend = backend_for(*emulator);
    auto session = new_session(*backend);
    REQUIRE(session->execute("kept = 'state'", 30s).ok());
    REQUIRE(session->upload("kept.txt", "file").ok());
    // Requests keep the session alive past the cooldown.
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(200ms);
        REQUIRE(session->execute("kept", 30s).result == "state");
    }
    std::this_thread::sleep_for(1500ms);
    CHECK(live_sessions(raw) == 0);  // the reaper destroyed it
    const auto after = session->execute("kept", 30s);
    CHECK(after.status == Status::kUserError);
    CHECK(after.error_name == "NameError");
    CHECK(after.extra["x_ms"]["x-ms-allocation-time"].get<double>() > 0);  // a new allocation
    CHECK(session->list_files().files.empty());
}

TEST_CASE("the execution time limit stops a cell and recycles the session", "[integration][aca]") {
    auto emulator = start_with({{"max_execution_s", 1.0}});
    const std::string version = GENERATE(std::string(kLegacy), std::string(kNewest));
    CAPTURE(version);
    auto backend = backend_for(*emulator, {{"api_version", version}});
    auto session = new_session(*backend);
    REQUIRE(session->execute("state = 1", 30s).ok());
    const auto start_time = std::chrono::steady_clock::now();
    const auto slow =
        session->execute("import time\nprint('started', flush=True)\ntime.sleep(30)", 30s);
    CHECK(std::chrono::steady_clock::now() - start_time < 10s);
    CHECK(slow.status == Status::kTimeout);
    CHECK_FALSE(session->alive());
    // The client's own limit works the same way (here shorter than the service's).
    auto other = new_session(*backend);
    const auto limited = other->execute("import time\ntime.sleep(30)", 500ms);
    CHECK(limited.status == Status::kTimeout);
    // The identifier gets a fresh session afterwards.
    const auto fresh = session->execute("'state' in globals()", 30s);
    REQUIRE(fresh.ok());
    CHECK(fresh.result == false);
}

TEST_CASE("a kernel that dies is a backend error and a fresh session follows",
          "[integration][aca]") {
    auto emulator = start();
    auto backend = backend_for(*emulator);
    auto session = new_session(*backend);
    REQUIRE(session->execute("value = 1", 30s).ok());
    const auto died = session->execute("import os\nos._exit(3)", 30s);
    CHECK(died.status == Status::kBackendError);
    CHECK(died.extra["http_status"] == 500);
    const auto after = session->execute("'value' in globals()", 30s);
    REQUIRE(after.ok());
    CHECK(after.result == false);
}

TEST_CASE("injected faults: the right status for each, and every call reports",
          "[integration][aca]") {
    struct Case {
        const char* rule;
        Status expected;
    };
    const auto fault = GENERATE(
        Case{"429#2:retry_after=1", Status::kRateLimited}, Case{"503#2", Status::kRateLimited},
        Case{"500#2", Status::kBackendError}, Case{"drop#2", Status::kTransportError},
        Case{"malformed#2", Status::kBackendError});
    CAPTURE(fault.rule);
    const std::string version = GENERATE(std::string(kLegacy), std::string(kNewest));
    CAPTURE(version);
    // Each operation is hit in turn: the rule fires on the 2nd request whose path matches.
    const std::string target = GENERATE(std::string("execute"), std::string("files"));
    CAPTURE(target);
    const std::string path =
        target == "execute" ? (version == kLegacy ? "code/execute" : "executions") : "files";
    const std::string rule = fault.rule;
    auto emulator =
        start_faulty(rule + (rule.find(':') == std::string::npos ? ":" : ",") + "path=" + path);
    auto backend = backend_for(*emulator, {{"api_version", version}});
    auto session = new_session(*backend);
    if (target == "execute") {
        REQUIRE(session->execute("1", 30s).ok());
        const auto hit = session->execute("2", 30s);
        CHECK(hit.status == fault.expected);
        CHECK_FALSE(hit.message.empty());
        CHECK(hit.extra.contains("http_attempts"));
        CHECK(session->execute("3", 30s).result == 3);  // the next call is fine
    } else {
        REQUIRE(session->upload("a.txt", "a").ok());  // POST files(/upload): 1st match
        const auto hit = session->list_files();       // GET files: 2nd match
        CHECK(hit.status == fault.expected);
        CHECK(hit.files.empty());
        CHECK(names(session->list_files()) == std::set<std::string>{"a.txt"});
    }
}

TEST_CASE("slow responses and latency profiles delay without failing", "[integration][aca]") {
    emulators::LatencyProfile latency;
    latency.allocation = 300ms;
    latency.per_request = 20ms;
    auto emulator = start_faulty("slow#2:delay_ms=400", latency);
    auto backend = backend_for(*emulator);
    auto session = new_session(*backend);
    auto clock = std::chrono::steady_clock::now();
    const auto first = session->execute("1", 30s);
    REQUIRE(first.ok());
    CHECK(std::chrono::steady_clock::now() - clock >= 320ms);
    CHECK(first.extra["x_ms"]["x-ms-allocation-time"].get<double>() >= 300);
    clock = std::chrono::steady_clock::now();
    REQUIRE(session->execute("2", 30s).ok());
    CHECK(std::chrono::steady_clock::now() - clock >= 420ms);
    clock = std::chrono::steady_clock::now();
    const auto third = session->execute("3", 30s);
    REQUIRE(third.ok());
    CHECK(std::chrono::steady_clock::now() - clock >= 20ms);
    CHECK(third.extra["x_ms"]["x-ms-allocation-time"].get<double>() == 0);
}

TEST_CASE("retries, when asked for, absorb throttling and record the attempts",
          "[integration][aca]") {
    auto emulator = start_faulty("429#1,2:retry_after=0");
    auto backend = backend_for(*emulator, {{"retries", 2}});
    auto session = new_session(*backend);
    const auto result = session->execute("40 + 2", 30s);
    REQUIRE(result.ok());
    CHECK(result.result == 42);
    CHECK(result.extra["http_attempts"] == 3);
}

TEST_CASE("emulator kernels run under bubblewrap by default", "[integration][aca]") {
    EmulatorSetup defaults;
    defaults.isolation.clear();  // no kernel settings: the emulator's default applies
    auto emulator = start(std::move(defaults));
    auto backend = backend_for(*emulator);
    auto session = new_session(*backend);
    REQUIRE(session->upload("in.txt", "inside").ok());
    const auto where = session->execute(
        "import os, socket\n"
        "[os.getcwd(), open('/mnt/data/in.txt').read(),\n"
        " [n for _, n in socket.if_nameindex() if n != 'lo']]",
        30s);
    REQUIRE(where.ok());
    CHECK(where.result == json::array({"/mnt/data", "inside", json::array()}));
}

TEST_CASE("the backend's configuration is checked before measuring", "[unit][aca]") {
    SECTION("a token setting is refused") {
        CHECK_THROWS_AS(
            aca::make_aca_backend(
                {"aca", "aca", {{"endpoint", "https://x.example/p"}, {"token", "secret"}}}),
            ConfigError);
    }
    SECTION("bad settings") {
        ::setenv("SANDBENCH_ACA_TEST_TOKEN", "t", 1);
        const json base = {{"endpoint",
                            "https://westus2.dynamicsessions.io/subscriptions/s/"
                            "resourceGroups/r/sessionPools/p"},
                           {"auth", "static"},
                           {"token_env", "SANDBENCH_ACA_TEST_TOKEN"}};
        for (const auto& [key, value] :
             std::vector<std::pair<std::string, json>>{{"api_version", "yesterday"},
                                                       {"endpoint", "ftp://nowhere"},
                                                       {"close", "sometimes"},
                                                       {"auth", "magic"},
                                                       {"identifier_prefix", "with space"},
                                                       {"unknown_key", 1}}) {
            CAPTURE(key);
            json config = base;
            config[key] = value;
            CHECK_THROWS_AS(aca::make_aca_backend({"aca", "aca", config}), ConfigError);
        }
        auto backend = aca::make_aca_backend({"aca", "aca", base});
        CHECK(backend->info().config["api_version"] == kLegacy);
        CHECK(backend->info().config["api_generation"] == "legacy");
        CHECK_FALSE(backend->info().emulated);
        CHECK(backend->info().config.dump().find("\"t\"") == std::string::npos);
        ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
    }
    SECTION("no token is a clear BackendUnavailable") {
        ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
        CHECK_THROWS_AS(aca::make_aca_backend({"aca",
                                               "aca",
                                               {{"endpoint", "https://x.example/p"},
                                                {"auth", "static"},
                                                {"token_env", "SANDBENCH_ACA_TEST_TOKEN"}}}),
                        BackendUnavailable);
    }
    SECTION("the endpoint may come from the variables public tools read") {
        ::setenv("SANDBENCH_ACA_TEST_TOKEN", "t", 1);
        const json config = {{"auth", "static"}, {"token_env", "SANDBENCH_ACA_TEST_TOKEN"}};
        const char* saved = std::getenv("ACA_POOL_MANAGEMENT_ENDPOINT");
        const std::string restore = saved == nullptr ? "" : saved;
        ::unsetenv("ACA_POOL_MANAGEMENT_ENDPOINT");
        ::setenv("POOL_MANAGEMENT_ENDPOINT", "https://a.example/sessionPools/p/python/execute", 1);
        auto backend = aca::make_aca_backend({"aca", "aca", config});
        CHECK(backend->info().config["endpoint"] == "https://a.example/sessionPools/p/");
        ::setenv("ACA_POOL_MANAGEMENT_ENDPOINT", "https://b.example/sessionPools/p", 1);
        backend = aca::make_aca_backend({"aca", "aca", config});
        CHECK(backend->info().config["endpoint"] == "https://b.example/sessionPools/p/");
        ::unsetenv("POOL_MANAGEMENT_ENDPOINT");
        if (restore.empty()) {
            ::unsetenv("ACA_POOL_MANAGEMENT_ENDPOINT");
        } else {
            ::setenv("ACA_POOL_MANAGEMENT_ENDPOINT", restore.c_str(), 1);
        }
        ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
    }
}

TEST_CASE("emulator options are checked", "[integration][aca]") {
    emulators::EmulatorOptions options;
    options.kernel = {{"isolation", "none"}};
    options.settings = {{"cooldown", 5}};
    CHECK_THROWS_AS(emulators::start_aca_emulator(options), ConfigError);
    options.settings = json::object();
    options.host = "0.0.0.0";
    CHECK_THROWS_AS(emulators::start_aca_emulator(options), UsageError);
}

TEST_CASE("sessions of one backend run concurrently", "[integration][aca]") {
    auto emulator = start();
    auto backend = backend_for(*emulator);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            auto start_result = backend->create_session();
            if (!start_result.session) {
                return;
            }
            auto& session = *start_result.session;
            bool all = session.execute(fmt::format("n = {}", t), 30s).ok();
            for (int i = 0; i < 5 && all; ++i) {
                all = session.execute("n", 30s).result == t;
            }
            ok += all ? 1 : 0;
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(ok == 4);
}

namespace {

/// A scripted pool on a loopback port, for answers the emulator never gives the backend.
class ScriptedPool {
public:
    explicit ScriptedPool(const std::function<void(httplib::Server&)>& routes) {
        server_.set_keep_alive_timeout(1);
        routes(server_);
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    }
    ScriptedPool(const ScriptedPool&) = delete;
    ScriptedPool& operator=(const ScriptedPool&) = delete;
    ScriptedPool(ScriptedPool&&) = delete;
    ScriptedPool& operator=(ScriptedPool&&) = delete;
    ~ScriptedPool() {
        server_.stop();
        thread_.join();
    }

    [[nodiscard]] std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::string endpoint() const { return origin() + "/sessionPools/p"; }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

std::unique_ptr<Backend> backend_at(const std::string& endpoint,
                                    const json& extra = json::object()) {
    ::setenv("SANDBENCH_ACA_TEST_TOKEN", "scripted-token", 1);
    json config = {{"endpoint", endpoint},
                   {"auth", "static"},
                   {"token_env", "SANDBENCH_ACA_TEST_TOKEN"},
                   {"proxy", ""},
                   {"api_version", kNewest}};
    config.update(extra);
    return aca::make_aca_backend({"scripted", "aca", config});
}

}  // namespace

TEST_CASE("an asynchronous answer is polled at its Operation-Location", "[integration][aca]") {
    std::atomic<int> polls{0};
    std::string origin;
    ScriptedPool pool([&](httplib::Server& server) {
        server.Post("/sessionPools/p/executions", [&](const httplib::Request& request,
                                                      httplib::Response& response) {
            CHECK(request.get_header_value("Authorization") == "Bearer scripted-token");
            response.status = 202;
            response.set_header("Operation-Location",
                                origin + "/sessionPools/p/executions/e1?api-version=" + kNewest +
                                    "&identifier=" + request.get_param_value("identifier"));
            response.set_content(R"({"id":"e1","status":"Running"})", "application/json");
        });
        server.Get("/sessionPools/p/executions/e1",
                   [&](const httplib::Request& /*request*/, httplib::Response& response) {
                       const bool done = ++polls >= 3;
                       response.set_content(
                           done ? R"({"id":"e1","status":"Succeeded","result":{"stdout":"late\n",)"
                                  R"("stderr":"","executionResult":7,)"
                                  R"("executionTimeInMilliseconds":12}})"
                                : R"({"id":"e1","status":"Running"})",
                           "application/json");
                   });
    });
    origin = pool.origin();
    auto backend = backend_at(pool.endpoint());
    auto session = new_session(*backend);
    const auto execution = session->execute("anything", 30s);
    REQUIRE(execution.ok());
    CHECK(execution.result == 7);
    CHECK(execution.stdout_text == "late\n");
    CHECK(execution.extra["polls"] == 3);
    ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
}

TEST_CASE("file listings follow nextLink, but only to the pool's own host", "[integration][aca]") {
    ScriptedPool pool([&](httplib::Server& server) {
        server.Get("/sessionPools/p/files", [&](const httplib::Request& request,
                                                httplib::Response& response) {
            if (request.get_param_value("page") == "2") {
                response.set_content(R"({"value":[{"name":"b.txt","type":"File","sizeInBytes":2,)"
                                     R"("lastModifiedAt":"t"}],"nextLink":null})",
                                     "application/json");
            } else if (request.get_param_value("page") == "away") {
                response.set_content(R"({"value":[],"nextLink":"http://198.51.100.7/files"})",
                                     "application/json");
            } else {
                response.set_content(R"({"value":[{"name":"a.txt","type":"File","sizeInBytes":1,)"
                                     R"("lastModifiedAt":"t"}],)"
                                     R"("nextLink":"/sessionPools/p/files?page=2&api-version=)" +
                                         std::string(kNewest) + R"("})",
                                     "application/json");
            }
        });
    });
    auto backend = backend_at(pool.endpoint());
    auto session = new_session(*backend);
    const auto listing = session->list_files();
    REQUIRE(listing.ok());
    CHECK(names(listing) == std::set<std::string>{"a.txt", "b.txt"});

    auto elsewhere = backend_at(pool.endpoint() + "?page=away");
    auto other = new_session(*elsewhere);
    const auto refused = other->list_files();
    CHECK(refused.status == Status::kBackendError);
    CHECK_THAT(refused.message, Contains("nextLink"));
    ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
}

TEST_CASE("samples name a session by a hash of its identifier, never by the identifier",
          "[integration][aca]") {
    std::string identifier;
    ScriptedPool pool([&](httplib::Server& server) {
        server.Post("/sessionPools/p/executions",
                    [&](const httplib::Request& request, httplib::Response& response) {
                        identifier = request.get_param_value("identifier");
                        response.set_content(R"({"id":"e1","status":"Succeeded","result":{)"
                                             R"("stdout":"","stderr":"","executionResult":1,)"
                                             R"("executionTimeInMilliseconds":1}})",
                                             "application/json");
                    });
    });
    auto backend = backend_at(pool.endpoint(), {{"identifier_prefix", "tenant-"}});
    auto session = new_session(*backend);
    REQUIRE(session->execute("1", 30s).ok());
    REQUIRE(identifier.starts_with("tenant-"));
    const std::string id = session->id();
    CHECK_THAT(id, Catch::Matchers::Matches("aca-[0-9a-f]{16}"));
    CHECK(id.find(identifier) == std::string::npos);
    CHECK(id.find("tenant-") == std::string::npos);
    CHECK(new_session(*backend)->id() != id);  // a new identifier, a new hash
    ::unsetenv("SANDBENCH_ACA_TEST_TOKEN");
}
