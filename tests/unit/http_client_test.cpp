// SPDX-License-Identifier: Apache-2.0
// The HTTP layer against in-process cpp-httplib servers on 127.0.0.1 (plain and TLS): round
// trips, headers, timings, connection reuse, failures as values, retries with an injected sleep,
// multipart uploads, streaming, and the mapping to backend outcomes. No network is needed, and
// no assertion depends on how fast the machine is.
#include "http/http_client.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "http/line_splitter.hpp"
#include "http/outcome.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/common/version.hpp"

using namespace sandbench::backends;
using namespace sandbench::backends::http;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;

namespace {

// A self-signed certificate for 127.0.0.1 and localhost (CA:TRUE, valid from 2020 to 2120), so that
// a test can trust exactly this server through ClientOptions::ca_file.
constexpr const char* kTestCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBhDCCASqgAwIBAgIUaQUWcTY0/PPezw2qVHhVl8dJZiowCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOc2FuZGJlbmNoIHRlc3QwIBcNMjAwMTAxMDAwMDAwWhgPMjEy
MDAxMDEwMDAwMDBaMBkxFzAVBgNVBAMMDnNhbmRiZW5jaCB0ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEoHEET8j/J4rKcJHl9MUkZerdinKFSTP9op3auHra
1UFEhXrISWWCA/U6sZKTYjCMO7VnjRoQ62DRklE79DIw2qNOMEwwDwYDVR0TAQH/
BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwHQYDVR0OBBYEFPSW
7M2+eJuD245Fvny98ZbKeeIZMAoGCCqGSM49BAMCA0gAMEUCIQDIqlmhKUHWpOqq
WwnpAnHZLVWAS8m2/GYLZ9zjWrhbuQIgCsCBEi1pAy6+2VXrVhaklyN7VcZ7D3+I
zJZyGBqFvvE=
-----END CERTIFICATE-----
)";
constexpr const char* kTestPrivateKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpysa6i6BSTsetjfP
ByXm1HJjPQge3Z9dNg3iniMkSb+hRANCAASgcQRPyP8nispwkeX0xSRl6t2KcoVJ
M/2indq4etrVQUSFeshJZYID9TqxkpNiMIw7tWeNGhDrYNGSUTv0MjDa
-----END PRIVATE KEY-----
)";

/// A file in the temporary directory, removed at the end of the test.
class TempFile {
public:
    TempFile(const std::string& stem, std::string_view content)
        : path_(std::filesystem::temp_directory_path() /
                (stem + "-" + std::to_string(::getpid()) + ".pem")) {
        std::ofstream(path_) << content;
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    TempFile(TempFile&&) = delete;
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }

    [[nodiscard]] std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

/// An httplib server on 127.0.0.1 and an ephemeral port, listening on a thread of its own from
/// construction to destruction. Declare clients after it, so that they close their kept-alive
/// connections before the server waits for its workers.
class TestServer {
public:
    explicit TestServer(const std::function<void(httplib::Server&)>& routes,
                        std::unique_ptr<httplib::Server> server = nullptr)
        : server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
        // Bounds how long stop() waits for an idle kept-alive connection.
        server_->set_keep_alive_timeout(1);
        routes(*server_);
        port_ = server_->bind_to_any_port("127.0.0.1");
        if (port_ <= 0) {
            throw std::runtime_error("test server could not bind");
        }
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        // stop() before the accept loop runs would be lost, and the thread never joined.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;
    TestServer(TestServer&&) = delete;
    TestServer& operator=(TestServer&&) = delete;
    ~TestServer() {
        server_->stop();
        thread_.join();
    }

    [[nodiscard]] std::string url(std::string_view path, std::string_view scheme = "http") const {
        return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::thread thread_;
};

/// Options for loopback tests: proxies off, because a proxy from the environment would
/// intercept 127.0.0.1 (libcurl 7.88 does not exempt it), and generous limits.
ClientOptions loopback_options() {
    ClientOptions options;
    options.proxy = "";
    options.connect_timeout = 10s;
    options.timeout = 30s;
    return options;
}

/// Records the waits the retry loop asks for instead of sleeping.
struct SleepRecorder {
    std::vector<Milliseconds> waits;

    std::function<void(Milliseconds)> function() {
        return [this](Milliseconds wait) { waits.push_back(wait); };
    }
};

/// A port on 127.0.0.1 that nothing listens on: bound by the kernel's choice, then released.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    // The sockets API takes every address family through sockaddr*.
    auto* generic = reinterpret_cast<sockaddr*>(&address);  // NOLINT(*-reinterpret-cast)
    REQUIRE(::bind(fd, generic, sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, generic, &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

std::string http_date(std::chrono::system_clock::time_point when) {
    const std::time_t time = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&time, &tm);
    std::array<char, 64> buffer{};
    const auto length =
        std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {buffer.data(), length};
}

}  // namespace

TEST_CASE("GET round trip with headers", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
            res.set_header("X-Reply", "yes");
            res.set_header("X-Multi", "first");
            res.set_header("X-Multi", "second");
            res.set_content(req.get_header_value("X-Test") + "|" +
                                req.get_header_value("User-Agent") + "|" + req.target,
                            "text/plain");
        });
    });
    HttpClient client(loopback_options());

    Request request = Request::get(server.url("/echo?a=1"));
    request.headers.add("X-Test", "hello");
    const Response response = client.send(request);

    REQUIRE(response.ok());
    CHECK(response.status_code == 200);
    CHECK(response.body == std::string("hello|sandbench/") + sandbench::kVersion + "|/echo?a=1");
    CHECK(response.http_version == "1.1");
    CHECK(response.attempts == 1);
    CHECK(response.retry_wait == Milliseconds{0.0});
    CHECK_FALSE(response.error);
    SECTION("header lookup ignores case and keeps repeated fields in order") {
        CHECK(response.headers.get("x-reply") == "yes");
        CHECK(response.headers.get("X-REPLY") == "yes");
        CHECK(response.headers.get("content-type") == "text/plain");
        CHECK(response.headers.get_all("x-multi") == std::vector<std::string>{"first", "second"});
        CHECK_FALSE(response.headers.get("X-Absent"));
        CHECK(response.headers.contains("Content-Length"));
    }
}

TEST_CASE("POST and JSON round trip", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Post("/json", [](const httplib::Request& req, httplib::Response& res) {
            auto body = nlohmann::json::parse(req.body);
            body["content_type"] = req.get_header_value("Content-Type");
            body["length"] = req.get_header_value("Content-Length");
            res.status = 201;
            res.set_content(body.dump(), "application/json");
        });
    });
    HttpClient client(loopback_options());

    const Response response =
        client.send(Request::post_json(server.url("/json"), {{"code", "print(1)"}, {"n", 3}}));

    REQUIRE(response.ok());
    CHECK(response.status_code == 201);
    CHECK(response.headers.get("Content-Type") == "application/json");
    const auto echoed = nlohmann::json::parse(response.body);
    CHECK(echoed["code"] == "print(1)");
    CHECK(echoed["n"] == 3);
    CHECK(echoed["content_type"] == "application/json");
    CHECK(echoed["length"] == std::to_string(response.timing.bytes_sent));
}

TEST_CASE("every method is sent as asked", "[unit][http]") {
    const auto echo = [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.method + ":" + req.body, "text/plain");
    };
    TestServer server([&](httplib::Server& s) {
        s.Get("/m", echo).Post("/m", echo).Put("/m", echo).Patch("/m", echo).Delete("/m", echo);
    });
    HttpClient client(loopback_options());

    const auto send = [&](Method method, std::string body) {
        Request request;
        request.method = method;
        request.url = server.url("/m");
        request.body = std::move(body);
        return client.send(request);
    };
    CHECK(send(Method::kGet, "").body == "GET:");
    CHECK(send(Method::kPost, "").body == "POST:");
    CHECK(send(Method::kPut, "x=1").body == "PUT:x=1");
    CHECK(send(Method::kPatch, "p").body == "PATCH:p");
    CHECK(send(Method::kDelete, "").body == "DELETE:");
    const Response head = send(Method::kHead, "");
    CHECK(head.status_code == 200);
    CHECK(head.body.empty());
    CHECK_FALSE(head.first_body_byte);
}

TEST_CASE("timings are filled, ordered and positive", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Post("/t", [](const httplib::Request& req, httplib::Response& res) {
            res.set_content(std::string(req.body.size() * 2, 'r'), "text/plain");
        });
    });
    HttpClient client(loopback_options());

    const std::string body(1000, 'b');
    const Response response = client.send(Request::post(server.url("/t"), body, "text/plain"));

    REQUIRE(response.ok());
    const TransportTiming& t = response.timing;
    CHECK(t.dns.count() >= 0.0);
    CHECK(t.connect.count() >= 0.0);
    CHECK(t.tls.count() == 0.0);  // plain http
    CHECK(t.time_to_first_byte.count() >= 0.0);
    CHECK(t.total.count() > 0.0);
    CHECK(t.time_to_first_byte <= t.total);
    CHECK(t.dns + t.connect <= t.total);
    // Bodies only, so the counts are exact.
    CHECK(t.bytes_sent == body.size());
    CHECK(t.bytes_received == 2 * body.size());
    REQUIRE(response.first_body_byte);
    CHECK(response.first_body_byte->count() > 0.0);
}

TEST_CASE("a client reuses its connection; another client does not share it", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/r", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("ok", "text/plain");
        });
    });
    HttpClient client(loopback_options());

    const Response first = client.send(Request::get(server.url("/r")));
    const Response second = client.send(Request::get(server.url("/r")));
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK_FALSE(first.connection_reused);
    CHECK(second.connection_reused);
    // A reused connection has no connection set-up of its own.
    CHECK(second.timing.connect.count() == 0.0);

    HttpClient other(loopback_options());
    const Response third = other.send(Request::get(server.url("/r")));
    REQUIRE(third.ok());
    CHECK_FALSE(third.connection_reused);

    SECTION("a moved client keeps its connection") {
        HttpClient moved = std::move(client);
        const Response fourth = moved.send(Request::get(server.url("/r")));
        REQUIRE(fourth.ok());
        CHECK(fourth.connection_reused);
    }
}

TEST_CASE("a slow server is a timeout value, not an exception", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
            std::this_thread::sleep_for(1s);
            res.set_content("late", "text/plain");
        });
    });
    HttpClient client(loopback_options());

    Request request = Request::get(server.url("/slow"));
    request.timeout = 100ms;
    Response response;
    REQUIRE_NOTHROW(response = client.send(request));

    CHECK(response.error.kind == ErrorKind::kTimeout);
    CHECK(response.status_code == 0);
    CHECK_FALSE(response.error.message.empty());
    CHECK_FALSE(response.ok());
    CHECK(response.attempts == 1);
    CHECK(status_of(response) == Status::kTimeout);
}

TEST_CASE("a refused connection is a connect error", "[unit][http]") {
    HttpClient client(loopback_options());
    const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";

    const Response response = client.send(Request::get(url));

    CHECK(response.error.kind == ErrorKind::kConnect);
    CHECK(response.status_code == 0);
    CHECK_FALSE(response.connection_reused);
    CHECK(status_of(response) == Status::kTransportError);
    CHECK_FALSE(response.error.message.empty());

    SECTION("and is retried, even for a POST, because nothing was sent") {
        SleepRecorder sleeper;
        ClientOptions options = loopback_options();
        options.retry = {.max_attempts = 3, .base_delay = 100ms, .jitter = 0.0};
        options.sleep = sleeper.function();
        HttpClient retrying(options);
        const Response retried = retrying.send(Request::post(url, "x", "text/plain"));
        CHECK(retried.error.kind == ErrorKind::kConnect);
        CHECK(retried.attempts == 3);
        REQUIRE(sleeper.waits.size() == 2);
        CHECK(sleeper.waits[0] == Milliseconds{100.0});
        CHECK(sleeper.waits[1] == Milliseconds{200.0});
        CHECK(retried.retry_wait == Milliseconds{300.0});
    }
}

TEST_CASE("429 with Retry-After is retried after the time the server asked", "[unit][http]") {
    std::atomic<int> calls{0};
    TestServer server([&](httplib::Server& s) {
        s.Get("/busy", [&](const httplib::Request&, httplib::Response& res) {
            if (calls++ == 0) {
                res.status = 429;
                res.set_header("Retry-After", "1");
                res.set_content("slow down", "text/plain");
                return;
            }
            res.set_content("done", "text/plain");
        });
    });
    SleepRecorder sleeper;
    ClientOptions options = loopback_options();
    options.retry = {.max_attempts = 3, .base_delay = 10ms, .max_delay = 5s};
    options.sleep = sleeper.function();
    HttpClient client(options);

    const Response response = client.send(Request::get(server.url("/busy")));

    REQUIRE(response.ok());
    CHECK(response.body == "done");
    CHECK(response.attempts == 2);
    CHECK(calls == 2);
    REQUIRE(sleeper.waits.size() == 1);
    CHECK(sleeper.waits[0].count() == Approx(1000.0));
    CHECK(response.retry_wait.count() == Approx(1000.0));
}

TEST_CASE("Retry-After as an HTTP date is honoured and capped", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/date", [](const httplib::Request&, httplib::Response& res) {
            res.status = 503;
            res.set_header("Retry-After", http_date(std::chrono::system_clock::now() + 100s));
        });
    });
    SleepRecorder sleeper;
    ClientOptions options = loopback_options();
    options.retry = {.max_attempts = 2, .max_delay = 1000s};
    options.sleep = sleeper.function();
    HttpClient client(options);

    Response response = client.send(Request::get(server.url("/date")));
    CHECK(response.status_code == 503);
    REQUIRE(response.retry_after);
    REQUIRE(sleeper.waits.size() == 1);
    // Whole seconds, and the clock moves between the server's now() and libcurl's.
    CHECK(sleeper.waits[0].count() >= 95'000.0);
    CHECK(sleeper.waits[0].count() <= 101'000.0);
    CHECK(status_of(response) == Status::kRateLimited);

    options.retry.max_delay = 2s;
    HttpClient capped(options);
    sleeper.waits.clear();
    response = capped.send(Request::get(server.url("/date")));
    REQUIRE(sleeper.waits.size() == 1);
    CHECK(sleeper.waits[0] == Milliseconds{2000.0});
}

TEST_CASE("503 until the attempts run out keeps the last response", "[unit][http]") {
    std::atomic<int> calls{0};
    TestServer server([&](httplib::Server& s) {
        s.Get("/down", [&](const httplib::Request&, httplib::Response& res) {
            res.status = 503;
            res.set_content("down " + std::to_string(++calls), "text/plain");
        });
    });
    SleepRecorder sleeper;
    ClientOptions options = loopback_options();
    options.retry = {.max_attempts = 3, .base_delay = 50ms, .max_delay = 80ms, .jitter = 0.0};
    options.sleep = sleeper.function();
    HttpClient client(options);

    const Response response = client.send(Request::get(server.url("/down")));

    CHECK(response.status_code == 503);
    CHECK(response.attempts == 3);
    CHECK(response.body == "down 3");
    CHECK_FALSE(response.retry_after);
    REQUIRE(sleeper.waits.size() == 2);
    CHECK(sleeper.waits[0] == Milliseconds{50.0});
    CHECK(sleeper.waits[1] == Milliseconds{80.0});  // 100 ms capped by max_delay
    CHECK(response.retry_wait == Milliseconds{130.0});
    // Without Retry-After, a 503 is the service failing, not rate limiting.
    CHECK(status_of(response) == Status::kBackendError);
}

TEST_CASE("retrying is off by default", "[unit][http]") {
    std::atomic<int> calls{0};
    TestServer server([&](httplib::Server& s) {
        s.Get("/down", [&](const httplib::Request&, httplib::Response& res) {
            ++calls;
            res.status = 503;
            res.set_header("Retry-After", "1");
        });
    });
    SleepRecorder sleeper;
    ClientOptions options = loopback_options();
    options.sleep = sleeper.function();
    HttpClient client(options);

    const Response response = client.send(Request::get(server.url("/down")));

    CHECK(response.status_code == 503);
    CHECK(response.attempts == 1);
    CHECK(calls == 1);
    CHECK(sleeper.waits.empty());
    CHECK(status_of(response) == Status::kRateLimited);
}

TEST_CASE("ambiguous failures are retried only for idempotent requests", "[unit][http]") {
    std::atomic<int> calls{0};
    TestServer server([&](httplib::Server& s) {
        const auto bad_gateway = [&](const httplib::Request&, httplib::Response& res) {
            ++calls;
            res.status = 502;
        };
        s.Get("/gw", bad_gateway).Post("/gw", bad_gateway);
    });
    SleepRecorder sleeper;
    ClientOptions options = loopback_options();
    options.retry = {.max_attempts = 2, .base_delay = 1ms};
    options.sleep = sleeper.function();
    HttpClient client(options);

    CHECK(client.send(Request::get(server.url("/gw"))).attempts == 2);
    CHECK(calls == 2);

    // The gateway may have passed the POST on: running code twice is worse than failing.
    const Response post = client.send(Request::post(server.url("/gw"), "run()", "text/plain"));
    CHECK(post.attempts == 1);
    CHECK(calls == 3);

    Request safe_post = Request::post(server.url("/gw"), "status()", "text/plain");
    safe_post.idempotent = true;
    CHECK(client.send(safe_post).attempts == 2);

    Request no_retry = Request::get(server.url("/gw"));
    no_retry.retry = RetryPolicy{};
    CHECK(client.send(no_retry).attempts == 1);
}

TEST_CASE("multipart upload sends name, filename, type and bytes", "[unit][http]") {
    std::mutex mutex;
    httplib::MultipartFormData received;
    std::string expect_header = "unset";
    TestServer server([&](httplib::Server& s) {
        s.Post("/files", [&](const httplib::Request& req, httplib::Response& res) {
            const std::lock_guard lock(mutex);
            if (req.is_multipart_form_data() && req.has_file("file")) {
                received = req.get_file_value("file");
            }
            expect_header = req.get_header_value("Expect");
            res.set_content("{}", "application/json");
        });
    });
    HttpClient client(loopback_options());

    std::string bytes("binary\0data\xff", 12);
    bytes += std::string(std::size_t{2} * 1024 * 1024,
                         'z');  // past libcurl's 1 MB Expect: 100-continue line
    Request request;
    request.method = Method::kPost;
    request.url = server.url("/files");
    request.parts.push_back({"file", "data.bin", "application/octet-stream", bytes});

    const Response response = client.send(request);

    REQUIRE(response.ok());
    const std::lock_guard lock(mutex);
    CHECK(received.name == "file");
    CHECK(received.filename == "data.bin");
    CHECK(received.content_type == "application/octet-stream");
    CHECK(received.content.size() == bytes.size());
    CHECK(received.content == bytes);
    CHECK(expect_header.empty());
    CHECK(response.timing.bytes_sent > bytes.size());
}

TEST_CASE("streaming hands NDJSON lines over in order as they arrive", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
            // Chunk boundaries fall inside lines on purpose.
            const std::vector<std::string> pieces{R"({"n":1})"
                                                  "\n"
                                                  R"({"n")",
                                                  R"(:2})"
                                                  "\n",
                                                  R"({"n":3})"
                                                  "\r\n\n"
                                                  R"({"n":4})"};
            auto next = std::make_shared<std::size_t>(0);
            res.set_chunked_content_provider("application/x-ndjson",
                                             [pieces, next](std::size_t, httplib::DataSink& sink) {
                                                 if (*next == pieces.size()) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 std::this_thread::sleep_for(20ms);
                                                 const auto& piece = pieces[(*next)++];
                                                 return sink.write(piece.data(), piece.size());
                                             });
        });
    });
    HttpClient client(loopback_options());

    std::vector<int> numbers;
    int chunks = 0;
    LineSplitter lines([&](std::string_view line) {
        numbers.push_back(nlohmann::json::parse(line)["n"].get<int>());
        return true;
    });
    const Response response =
        client.send(Request::get(server.url("/stream")), [&](std::string_view chunk) {
            ++chunks;
            return lines.feed(chunk);
        });
    REQUIRE(lines.finish());

    REQUIRE(response.ok());
    CHECK(numbers == std::vector<int>{1, 2, 3, 4});
    CHECK(chunks >= 2);
    CHECK(response.body.empty());  // a streamed body is not kept
    REQUIRE(response.first_body_byte);
    CHECK(response.first_body_byte->count() > 0.0);
    Outcome outcome;
    fill_outcome(response, outcome);
    CHECK(outcome.extra.contains("http_first_body_byte_ms"));
}

TEST_CASE("streaming: an error status is collected, not streamed", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/denied", [](const httplib::Request&, httplib::Response& res) {
            res.status = 401;
            res.set_content(R"({"message":"bad key"})", "application/json");
        });
    });
    HttpClient client(loopback_options());

    int chunks = 0;
    const Response response = client.send(Request::get(server.url("/denied")),
                                          [&](std::string_view) { return ++chunks > 0; });

    CHECK(response.status_code == 401);
    CHECK(chunks == 0);
    CHECK(response.body == R"({"message":"bad key"})");
}

TEST_CASE("returning false from the body callback aborts the transfer", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/endless", [](const httplib::Request&, httplib::Response& res) {
            auto sent = std::make_shared<int>(0);
            res.set_chunked_content_provider(
                "application/x-ndjson", [sent](std::size_t, httplib::DataSink& sink) {
                    if (++*sent > 500) {  // ends by itself after ~5 s if the abort fails
                        sink.done();
                        return true;
                    }
                    std::this_thread::sleep_for(10ms);
                    const std::string line = R"({"event":"tick"})"
                                             "\n";
                    return sink.write(line.data(), line.size());
                });
        });
    });
    HttpClient client(loopback_options());

    int chunks = 0;
    const Response response =
        client.send(Request::get(server.url("/endless")), [&](std::string_view) {
            ++chunks;
            return false;
        });

    CHECK(chunks == 1);
    CHECK(response.error.kind == ErrorKind::kAborted);
    CHECK(response.status_code == 200);
    CHECK(status_of(response) == Status::kCancelled);

    SECTION("and the client is usable afterwards") {
        int more = 0;
        const Response next = client.send(Request::get(server.url("/endless")),
                                          [&](std::string_view) { return ++more < 3; });
        CHECK(next.error.kind == ErrorKind::kAborted);
        CHECK(more == 3);
    }
}

TEST_CASE("an exception from the body callback propagates after cleanup", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/x", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("data", "text/plain");
        });
    });
    HttpClient client(loopback_options());

    CHECK_THROWS_AS(client.send(Request::get(server.url("/x")),
                                [](std::string_view) -> bool { throw std::logic_error("bug"); }),
                    std::logic_error);
    CHECK(client.send(Request::get(server.url("/x"))).ok());
}

TEST_CASE("bodies beyond the cap are refused", "[unit][http]") {
    TestServer server([](httplib::Server& s) {
        s.Get("/sized", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(std::string(4096, 'a'), "text/plain");
        });
        s.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider("text/plain",
                                             [](std::size_t offset, httplib::DataSink& sink) {
                                                 if (offset >= 4096) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 const std::string block(1024, 'b');
                                                 return sink.write(block.data(), block.size());
                                             });
        });
    });
    ClientOptions options = loopback_options();
    options.max_response_bytes = 1000;
    HttpClient client(options);

    for (const auto* path : {"/sized", "/chunked"}) {
        const Response response = client.send(Request::get(server.url(path)));
        CHECK(response.error.kind == ErrorKind::kTooLarge);
        CHECK(response.body.size() <= 1000);
        CHECK(status_of(response) == Status::kBackendError);
    }
    // A streamed body is not kept, so it is not capped.
    std::size_t streamed = 0;
    const Response response =
        client.send(Request::get(server.url("/chunked")), [&](std::string_view chunk) {
            streamed += chunk.size();
            return true;
        });
    CHECK(response.ok());
    CHECK(streamed == 4096);
    CHECK(response.timing.bytes_received == 4096);  // after de-chunking
}

TEST_CASE("TLS is verified by default and a CA file can be trusted", "[unit][http]") {
    const TempFile certificate("sandbench-http-test-cert", kTestCertificate);
    const TempFile key("sandbench-http-test-key", kTestPrivateKey);
    auto tls_server =
        std::make_unique<httplib::SSLServer>(certificate.path().c_str(), key.path().c_str());
    REQUIRE(tls_server->is_valid());
    TestServer server(
        [](httplib::Server& s) {
            s.Get("/secure", [](const httplib::Request&, httplib::Response& res) {
                res.set_content("secret", "text/plain");
            });
        },
        std::move(tls_server));

    HttpClient untrusting(loopback_options());
    const Response refused = untrusting.send(Request::get(server.url("/secure", "https")));
    CHECK(refused.error.kind == ErrorKind::kTls);
    CHECK(status_of(refused) == Status::kTransportError);

    ClientOptions options = loopback_options();
    options.ca_file = certificate.path();
    HttpClient trusting(options);
    const Response first = trusting.send(Request::get(server.url("/secure", "https")));
    REQUIRE(first.ok());
    CHECK(first.body == "secret");
    CHECK(first.timing.tls.count() > 0.0);
    CHECK(first.timing.dns + first.timing.connect + first.timing.tls <= first.timing.total);
    const Response second = trusting.send(Request::get(server.url("/secure", "https")));
    REQUIRE(second.ok());
    CHECK(second.connection_reused);
    CHECK(second.timing.tls.count() == 0.0);

    ClientOptions insecure = loopback_options();
    insecure.verify_tls = false;
    HttpClient unverified(insecure);
    CHECK(unverified.send(Request::get(server.url("/secure", "https"))).ok());
}

TEST_CASE("malformed requests are error values", "[unit][http]") {
    HttpClient client(loopback_options());

    const Response ftp = client.send(Request::get("ftp://127.0.0.1/file"));
    CHECK(ftp.error.kind == ErrorKind::kInvalidRequest);
    CHECK(status_of(ftp) == Status::kTransportError);

    const Response garbage = client.send(Request::get("http://[::1/"));
    CHECK(garbage.error.kind == ErrorKind::kInvalidRequest);

    Request injected = Request::get("http://127.0.0.1:1/");
    injected.headers.add("X-Evil", "a\r\nX-Injected: 1");
    const Response refused = client.send(injected);
    CHECK(refused.error.kind == ErrorKind::kInvalidRequest);
    CHECK(refused.attempts == 0);

    Request negative = Request::get("http://127.0.0.1:1/");
    negative.timeout = Milliseconds{-1.0};
    CHECK(client.send(negative).error.kind == ErrorKind::kInvalidRequest);

    Request both = Request::post("http://127.0.0.1:1/", "body", "text/plain");
    both.parts.push_back({"f", "", "", "x"});
    CHECK(client.send(both).error.kind == ErrorKind::kInvalidRequest);

    Request typed;
    typed.method = Method::kPost;
    typed.url = "http://127.0.0.1:1/";
    typed.headers.add("Content-Type", "multipart/form-data");
    typed.parts.push_back({"f", "", "", "x"});
    CHECK(client.send(typed).error.kind == ErrorKind::kInvalidRequest);

    Outcome outcome;
    fill_outcome(refused, outcome);
    CHECK_FALSE(outcome.transport);  // nothing was sent, so there is nothing to time

    CHECK_FALSE(validate_url("https://example.invalid:8443/session?x=1"));
    CHECK(validate_url("ftp://example.invalid/"));
    CHECK(validate_url("example.invalid"));
    CHECK(validate_url("http://"));
}

TEST_CASE("invalid client options are set-up errors", "[unit][http]") {
    ClientOptions negative;
    negative.timeout = Milliseconds{-5.0};
    CHECK_THROWS_AS(HttpClient(negative), std::invalid_argument);
    ClientOptions no_attempts;
    no_attempts.retry.max_attempts = 0;
    CHECK_THROWS_AS(HttpClient(no_attempts), std::invalid_argument);
    ClientOptions wild_jitter;
    wild_jitter.retry.jitter = 1.5;
    CHECK_THROWS_AS(HttpClient(wild_jitter), std::invalid_argument);
    CHECK(HttpClient().options().retry.max_attempts == 1);
    CHECK(HttpClient().options().verify_tls);
}

TEST_CASE("backoff doubles, caps and jitters", "[unit][http]") {
    const RetryPolicy policy{
        .max_attempts = 5, .base_delay = 100ms, .max_delay = 1s, .jitter = 0.5};
    CHECK(backoff_delay(policy, 1, 0.0) == Milliseconds{100.0});
    CHECK(backoff_delay(policy, 2, 0.0) == Milliseconds{200.0});
    CHECK(backoff_delay(policy, 4, 0.0) == Milliseconds{800.0});
    CHECK(backoff_delay(policy, 5, 0.0) == Milliseconds{1000.0});
    CHECK(backoff_delay(policy, 500, 0.0) == Milliseconds{1000.0});
    CHECK(backoff_delay(policy, 2, 0.999).count() == Approx(100.1));  // at most half removed
    RetryPolicy full = policy;
    full.jitter = 1.0;
    CHECK(backoff_delay(full, 2, 0.25).count() == Approx(150.0));

    CHECK(retry_delay(policy, 1, Milliseconds{3000.0}, 0.5) == Milliseconds{1000.0});
    CHECK(retry_delay(policy, 1, Milliseconds{300.0}, 0.5) == Milliseconds{300.0});
    RetryPolicy ignoring = policy;
    ignoring.honour_retry_after = false;
    CHECK(retry_delay(ignoring, 1, Milliseconds{300.0}, 0.0) == Milliseconds{100.0});

    CHECK_FALSE(validate(policy));
    CHECK(validate(RetryPolicy{.max_attempts = 0}));
    CHECK(validate(RetryPolicy{.base_delay = Milliseconds{-1.0}}));
}

TEST_CASE("line splitter", "[unit][http]") {
    std::vector<std::string> lines;
    LineSplitter splitter([&](std::string_view line) {
        lines.emplace_back(line);
        return line != "stop";
    });
    CHECK(splitter.feed("a\nb"));
    CHECK(splitter.pending() == 1);
    CHECK(splitter.feed("c\r\n\n\nd"));
    CHECK(lines == std::vector<std::string>{"a", "bc"});
    CHECK(splitter.finish());
    CHECK(lines == std::vector<std::string>{"a", "bc", "d"});
    CHECK_FALSE(splitter.feed("stop\nignored\n"));
    CHECK_FALSE(splitter.feed("more\n"));
    CHECK(lines.back() == "stop");
}

TEST_CASE("responses map to outcomes", "[unit][http]") {
    const auto with_error = [](ErrorKind kind) {
        Response response;
        response.attempts = 1;
        response.error = {kind, "libcurl says no"};
        return response;
    };
    const auto with_status = [](int code, std::string body = {}) {
        Response response;
        response.attempts = 1;
        response.status_code = code;
        response.body = std::move(body);
        return response;
    };

    CHECK(status_of(with_error(ErrorKind::kTimeout)) == Status::kTimeout);
    for (const auto kind :
         {ErrorKind::kConnect, ErrorKind::kDns, ErrorKind::kTls, ErrorKind::kConnectionLost,
          ErrorKind::kInvalidRequest, ErrorKind::kOther}) {
        CHECK(status_of(with_error(kind)) == Status::kTransportError);
    }
    CHECK(status_of(with_error(ErrorKind::kTooLarge)) == Status::kBackendError);
    CHECK(status_of(with_error(ErrorKind::kAborted)) == Status::kCancelled);
    CHECK(status_of(with_status(200)) == Status::kOk);
    CHECK(status_of(with_status(204)) == Status::kOk);
    CHECK(status_of(with_status(429)) == Status::kRateLimited);
    CHECK(status_of(with_status(503)) == Status::kBackendError);
    Response retry_later = with_status(503);
    retry_later.headers.add("retry-after", "5");
    CHECK(status_of(retry_later) == Status::kRateLimited);
    CHECK(status_of(with_status(302)) == Status::kBackendError);
    CHECK(status_of(with_status(404)) == Status::kBackendError);
    CHECK(status_of(with_status(500)) == Status::kBackendError);
    CHECK(status_of(with_status(0)) == Status::kBackendError);

    SECTION("a success carries timing and HTTP facts, and no message") {
        Response ok = with_status(200, "{}");
        ok.timing.total = Milliseconds{12.5};
        ok.http_version = "2";
        ok.connection_reused = true;
        Outcome outcome;
        outcome.extra["kept"] = 1;
        fill_outcome(ok, outcome);
        CHECK(outcome.ok());
        CHECK(outcome.message.empty());
        REQUIRE(outcome.transport);
        CHECK(outcome.transport->total == Milliseconds{12.5});
        CHECK(outcome.extra["kept"] == 1);
        CHECK(outcome.extra["http_status"] == 200);
        CHECK(outcome.extra["http_version"] == "2");
        CHECK(outcome.extra["http_attempts"] == 1);
        CHECK(outcome.extra["http_connection_reused"] == true);
        CHECK_FALSE(outcome.extra.contains("http_first_body_byte_ms"));
    }
    SECTION("an HTTP failure names the status and quotes the body") {
        Response failed = with_status(500, "{\"error\":\n\"kernel died\"}");
        failed.attempts = 3;
        failed.retry_wait = Milliseconds{750.0};
        Execution execution;
        fill_outcome(failed, execution);
        CHECK(execution.status == Status::kBackendError);
        CHECK(execution.message == "HTTP 500: {\"error\": \"kernel died\"} [3 attempts]");
        CHECK(execution.extra["http_retry_wait_ms"] == 750.0);
    }
    SECTION("a transport failure names its kind") {
        Outcome outcome;
        fill_outcome(with_error(ErrorKind::kConnect), outcome);
        CHECK(outcome.status == Status::kTransportError);
        CHECK(outcome.message == "connect: libcurl says no");
    }
    SECTION("rate limiting mentions Retry-After") {
        Response limited = with_status(429, "busy");
        limited.retry_after = Milliseconds{2000.0};
        Outcome outcome;
        fill_outcome(limited, outcome);
        CHECK(outcome.status == Status::kRateLimited);
        CHECK(outcome.message == "HTTP 429 (Retry-After 2 s): busy");
    }
}

TEST_CASE("secrets never reach outcome messages", "[unit][http]") {
    sandbench::register_secret("e2b_test_key_7f3a9c");
    Response denied;
    denied.attempts = 1;
    denied.status_code = 401;
    denied.body = R"({"error":"key e2b_test_key_7f3a9c is invalid","hint":"token=abcdef123456"})";
    Outcome outcome;
    fill_outcome(denied, outcome);
    CHECK_THAT(outcome.message, StartsWith("HTTP 401: "));
    CHECK_THAT(outcome.message, !Contains("e2b_test_key_7f3a9c"));
    CHECK_THAT(outcome.message, !Contains("abcdef123456"));
    CHECK_THAT(outcome.message, Contains("***"));

    Response broken;
    broken.attempts = 1;
    broken.error = {ErrorKind::kOther, "proxy said: Authorization: Bearer sk-live-0123456789"};
    fill_outcome(broken, outcome);
    CHECK_THAT(outcome.message, !Contains("sk-live-0123456789"));

    CHECK(is_sensitive_header("authorization"));
    CHECK(is_sensitive_header("X-API-Key"));
    CHECK(is_sensitive_header("Ocp-Apim-Subscription-Key"));
    CHECK_FALSE(is_sensitive_header("Content-Type"));
}

TEST_CASE("body excerpts are short, printable and valid UTF-8", "[unit][http]") {
    CHECK(body_excerpt("line one\nline two\t!") == "line one line two !");
    CHECK(body_excerpt(std::string("ok\xff\xfe", 4)) == "ok??");
    CHECK(body_excerpt(std::string(500, 'x'), 10) == "xxxxxxxxxx...");
    // "é" is two bytes; a cut never splits it.
    CHECK(body_excerpt("aaaa\xc3\xa9", 5) == "aaaa...");
    CHECK(body_excerpt("").empty());
}
