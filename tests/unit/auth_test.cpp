// SPDX-License-Identifier: Apache-2.0
// The token sources of backends/auth/ against loopback fakes of their endpoints: in-process
// cpp-httplib servers on 127.0.0.1 for Entra (client secret), the managed-identity endpoint and
// IMDS, and fake `az` scripts first on PATH for the Azure CLI. Also the default chain's order,
// the cache and its refresh, and that no token or secret ever appears in an error. Nothing here
// leaves the machine: IMDS is only ever a loopback URL. Every test restores the environment.
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "auth/token_source.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "support/temp_dir.hpp"

using namespace sandbench::backends;
using namespace sandbench::backends::auth;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using nlohmann::json;
using sandbench_test::TempDir;
using SystemClock = std::chrono::system_clock;

namespace {

// Values that look like the real things and are long enough for register_secret().
constexpr const char* kEntraToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-token-8c1f2b7d9e";
constexpr const char* kMiToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.mi-token-5b3e9a1c44";
constexpr const char* kImdsToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.imds-token-77d0c3e2a9";
constexpr const char* kCliToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.cli-token-0f6a5d2b13";
// The secret has characters that form encoding must escape.
constexpr const char* kClientSecret = "Qx8~client+secret/value=3kLm&9Pz%";
constexpr const char* kIdentityHeader = "identity-header-9d8c7b6a5f4e";
/// Never returned by any fake, so never registered as a secret.
constexpr const char* kUnseenJwt = "eyJhbGciOiJub25lIn0.eyJ1bnNlZW4iOjF9.unseen-jwt-sig";

/// Every variable a source reads. Each test starts with all of them unset (PATH excepted) and
/// gets the original values back at the end, whatever happens in between.
class ScopedEnvironment {
public:
    ScopedEnvironment() {
        for (const char* name :
             {"ACA_ACCESS_TOKEN", "SANDBENCH_TEST_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
              "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
              "SANDBENCH_ENABLE_IMDS", "PATH", "TZ"}) {
            const char* value = ::getenv(name);
            saved_.emplace_back(
                name, value != nullptr ? std::optional<std::string>(value) : std::nullopt);
            if (std::string_view(name) != "PATH" && std::string_view(name) != "TZ") {
                ::unsetenv(name);
            }
        }
    }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
    ScopedEnvironment(ScopedEnvironment&&) = delete;
    ScopedEnvironment& operator=(ScopedEnvironment&&) = delete;
    ~ScopedEnvironment() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
        ::tzset();
    }

    static void set(const std::string& name, const std::string& value) {
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    static void unset(const std::string& name) { ::unsetenv(name.c_str()); }

    /// `directory` first on PATH, before the original entries.
    void prepend_path(const std::string& directory) const {
        std::string path = directory;
        for (const auto& [name, value] : saved_) {
            if (name == "PATH" && value) {
                path += ":" + *value;
            }
        }
        set("PATH", path);
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// Writes an executable shell script into `dir`; returns its path.
std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
    auto target = dir.file(name);
    std::ofstream(target) << "#!/bin/sh\n" << body;
    ::chmod(target.c_str(), 0755);
    return target;
}

/// A fake `az` that records its arguments in args.txt, counts its runs in runs.txt, prints
/// `stdout_text` and `stderr_text`, and exits with `code`.
std::string fake_az(const TempDir& dir, const std::string& stdout_text,
                    const std::string& stderr_text = "", int code = 0) {
    const std::string script = "echo \"$@\" > '" + dir.file("args.txt") + "'\necho run >> '" +
                               dir.file("runs.txt") + "'\ncat <<'SANDBENCH_EOF'\n" + stdout_text +
                               "\nSANDBENCH_EOF\ncat >&2 <<'SANDBENCH_EOF'\n" + stderr_text +
                               "\nSANDBENCH_EOF\nexit " + std::to_string(code) + "\n";
    return write_script(dir, "az", script);
}

std::size_t runs_of(const TempDir& dir) {
    const auto text = dir.read("runs.txt");
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// An httplib server on 127.0.0.1 and an ephemeral port, serving on its own thread.
class TestServer {
public:
    explicit TestServer(const std::function<void(httplib::Server&)>& routes) {
        server_.set_keep_alive_timeout(1);
        routes(server_);
        port_ = server_.bind_to_any_port("127.0.0.1");
        if (port_ <= 0) {
            throw std::runtime_error("test server could not bind");
        }
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;
    TestServer(TestServer&&) = delete;
    TestServer& operator=(TestServer&&) = delete;
    ~TestServer() {
        server_.stop();
        thread_.join();
    }

    [[nodiscard]] std::string url(std::string_view path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

/// What a fake endpoint saw, for assertions after the call.
struct Seen {
    std::mutex mutex;
    int hits = 0;
    std::string method;
    std::string path;
    std::string content_type;
    std::string body;
    httplib::Params params;
    httplib::Headers headers;

    void record(const httplib::Request& request) {
        const std::lock_guard lock(mutex);
        ++hits;
        method = request.method;
        path = request.path;
        content_type = request.get_header_value("Content-Type");
        body = request.body;
        params = request.params;
        headers = request.headers;
    }
    std::string param(const std::string& name) {
        const std::lock_guard lock(mutex);
        const auto it = params.find(name);
        return it == params.end() ? std::string("<absent>") : it->second;
    }
    std::string header(const std::string& name) {
        const std::lock_guard lock(mutex);
        const auto it = headers.find(name);
        return it == headers.end() ? std::string("<absent>") : it->second;
    }
    int count() {
        const std::lock_guard lock(mutex);
        return hits;
    }
};

/// A canned answer of a fake endpoint.
struct Reply {
    int status = 200;
    std::string body;
};

/// Options for loopback fakes: proxies off (a proxy from the environment would intercept
/// 127.0.0.1), and an az that does not exist unless a test provides one.
CredentialOptions loopback_options(std::string mode) {
    CredentialOptions options;
    options.mode = std::move(mode);
    options.http.proxy = "";
    options.http.connect_timeout = 10s;
    options.http.timeout = 30s;
    options.az_path = "/nonexistent/sandbench/az";
    options.az_timeout = 20s;
    return options;
}

std::int64_t epoch_in(std::chrono::seconds offset) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               (SystemClock::now() + offset).time_since_epoch())
        .count();
}

std::chrono::seconds distance(SystemClock::time_point a, SystemClock::time_point b) {
    return std::chrono::duration_cast<std::chrono::seconds>(a > b ? a - b : b - a);
}

std::string base64url(std::string_view data) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : data) {
        buffer = (buffer << 8U) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(buffer >> static_cast<unsigned>(bits)) & 0x3FU]);
        }
    }
    if (bits > 0) {
        out.push_back(kAlphabet[(buffer << static_cast<unsigned>(6 - bits)) & 0x3FU]);
    }
    return out;
}

std::string make_jwt(const json& claims) {
    return base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(claims.dump()) +
           ".c2lnbmF0dXJlLW5vdC1jaGVja2Vk";
}

/// A fake Entra token endpoint for tenant "tenant-123".
std::function<void(httplib::Server&)> entra_routes(Seen& seen, const Reply& reply) {
    return [&seen, reply](httplib::Server& server) {
        server.Post("/tenant-123/oauth2/v2.0/token",
                    [&seen, reply](const httplib::Request& request, httplib::Response& response) {
                        seen.record(request);
                        response.status = reply.status;
                        response.set_content(reply.body, "application/json");
                    });
    };
}

std::function<void(httplib::Server&)> get_routes(const std::string& path, Seen& seen,
                                                 const Reply& reply) {
    return [&seen, reply, path](httplib::Server& server) {
        server.Get(path,
                   [&seen, reply](const httplib::Request& request, httplib::Response& response) {
                       seen.record(request);
                       response.status = reply.status;
                       response.set_content(reply.body, "application/json");
                   });
    };
}

void set_client_secret_environment(const TestServer& entra) {
    ScopedEnvironment::set("AZURE_TENANT_ID", "tenant-123");
    ScopedEnvironment::set("AZURE_CLIENT_ID", "client-abc");
    ScopedEnvironment::set("AZURE_CLIENT_SECRET", kClientSecret);
    ScopedEnvironment::set("AZURE_AUTHORITY_HOST", entra.url());
}

std::string entra_success(std::string_view token = kEntraToken, int expires_in = 3599) {
    return json{{"token_type", "Bearer"}, {"expires_in", expires_in}, {"access_token", token}}
        .dump();
}

std::string mi_success(std::string_view token, std::int64_t expires_on) {
    return json{{"access_token", token},
                {"expires_on", std::to_string(expires_on)},
                {"resource", "https://dynamicsessions.io"},
                {"token_type", "Bearer"}}
        .dump();
}

std::string cli_success(std::string_view token, std::int64_t expires_on) {
    return json{{"accessToken", token},     {"expiresOn", "2023-10-31 21:59:10.000000"},
                {"expires_on", expires_on}, {"subscription", "sub"},
                {"tenant", "tenant-123"},   {"tokenType", "Bearer"}}
        .dump();
}

/// A source for the cache's tests: hands out numbered tokens, counting its fetches.
class CountingSource final : public TokenSource {
public:
    struct State {
        std::atomic<int> fetches{0};
        std::atomic<bool> fail{false};
        std::chrono::milliseconds delay{0};
        std::function<SystemClock::time_point()> expiry = [] { return SystemClock::now() + 1h; };
    };

    explicit CountingSource(std::shared_ptr<State> state) : state_(std::move(state)) {}

    [[nodiscard]] std::string_view name() const override { return "counting"; }

    [[nodiscard]] TokenResult fetch(std::string_view /*resource*/) override {
        const int number = ++state_->fetches;
        std::this_thread::sleep_for(state_->delay);
        TokenResult result;
        result.source = "counting";
        if (state_->fail) {
            result.error = "counting credential: refused";
            return result;
        }
        result.token = AccessToken{"counting-token-" + std::to_string(number), state_->expiry()};
        return result;
    }

private:
    std::shared_ptr<State> state_;
};

/// A clock that tests move by hand.
struct ManualClock {
    std::shared_ptr<std::atomic<SystemClock::rep>> ticks =
        std::make_shared<std::atomic<SystemClock::rep>>(
            SystemClock::now().time_since_epoch().count());

    [[nodiscard]] CachedCredential::Clock function() const {
        return [ticks = ticks] {
            return SystemClock::time_point(SystemClock::duration(ticks->load()));
        };
    }
    [[nodiscard]] SystemClock::time_point now() const {
        return SystemClock::time_point(SystemClock::duration(ticks->load()));
    }
    void advance(SystemClock::duration by) const { *ticks += by.count(); }
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// Client secret

TEST_CASE("client secret: posts the client-credentials form and reads the token", "[unit][auth]") {
    const ScopedEnvironment environment;
    Seen seen;
    const TestServer entra(entra_routes(seen, {200, entra_success()}));
    set_client_secret_environment(entra);

    auto source = make_token_source(loopback_options("client-secret"));
    REQUIRE(source->name() == "client-secret");
    const auto result = source->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.error.empty());
    CHECK(result.source == "client-secret");
    CHECK(result.token->token == kEntraToken);
    CHECK(distance(result.token->expires_on, SystemClock::now() + 3599s) <= 5s);

    CHECK(seen.count() == 1);
    CHECK(seen.method == "POST");
    CHECK(seen.path == "/tenant-123/oauth2/v2.0/token");
    CHECK_THAT(seen.content_type, StartsWith("application/x-www-form-urlencoded"));
    CHECK(seen.param("grant_type") == "client_credentials");
    CHECK(seen.param("client_id") == "client-abc");
    CHECK(seen.param("client_secret") == kClientSecret);
    CHECK(seen.param("scope") == "https://dynamicsessions.io/.default");
    // Form values are percent-encoded on the wire.
    CHECK_THAT(seen.body, Contains("scope=https%3A%2F%2Fdynamicsessions.io%2F.default"));
    // The secret is registered as soon as it is read.
    CHECK(sandbench::redact(std::string("x ") + kClientSecret) == "x ***");
    CHECK(sandbench::redact(std::string("x ") + kEntraToken) == "x ***");
}

TEST_CASE("client secret: options override the environment, and a scope is accepted",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    Seen seen;
    const TestServer entra(entra_routes(seen, {200, entra_success(kEntraToken, 600)}));
    ScopedEnvironment::set("AZURE_TENANT_ID", "wrong-tenant");
    ScopedEnvironment::set("AZURE_CLIENT_ID", "wrong-client");
    ScopedEnvironment::set("AZURE_CLIENT_SECRET", kClientSecret);
    ScopedEnvironment::set("AZURE_AUTHORITY_HOST", "https://login.invalid");

    auto options = loopback_options("client-secret");
    options.tenant_id = "tenant-123";
    options.client_id = "client-from-config";
    options.authority_host = entra.url() + "/";  // a trailing slash is tolerated
    auto source = make_token_source(options);
    const auto result = source->fetch("https://dynamicsessions.io/.default");
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(seen.param("client_id") == "client-from-config");
    CHECK(seen.param("scope") == "https://dynamicsessions.io/.default");
    CHECK(distance(result.token->expires_on, SystemClock::now() + 600s) <= 5s);
}

TEST_CASE("client secret: HTTP errors carry the endpoint's description, never the secret",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    struct Case {
        int status;
        std::string body;
        std::string expected;
    };
    const auto description =
        std::string("AADSTS7000215: Invalid client secret provided. Secret sent: ") +
        kClientSecret + "\r\nTrace ID: 1234\r\nCorrelation ID: 5678";
    const Case test_case = GENERATE_COPY(
        Case{400,
             json{{"error", "invalid_scope"},
                  {"error_description", "AADSTS70011: The provided value for scope is invalid."}}
                 .dump(),
             "invalid_scope - AADSTS70011: The provided value for scope is invalid."},
        Case{401, json{{"error", "invalid_client"}, {"error_description", description}}.dump(),
             "invalid_client - AADSTS7000215: Invalid client secret provided."},
        Case{500, "<html>upstream exploded</html>", "<html>upstream exploded</html>"});
    Seen seen;
    const TestServer entra(entra_routes(seen, {test_case.status, test_case.body}));
    set_client_secret_environment(entra);

    auto source = make_token_source(loopback_options("client-secret"));
    const auto result = source->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK(result.source == "client-secret");
    CHECK_THAT(result.error, StartsWith("client-secret credential: "));
    CHECK_THAT(result.error, Contains("answered HTTP " + std::to_string(test_case.status)));
    CHECK_THAT(result.error, Contains(test_case.expected));
    CHECK_THAT(result.error, !Contains(kClientSecret));
    CHECK(result.error.find('\n') == std::string::npos);
    CHECK(result.error.find('\r') == std::string::npos);
}

TEST_CASE("client secret: malformed or incomplete answers are clear errors", "[unit][auth]") {
    const ScopedEnvironment environment;
    struct Case {
        std::string body;
        std::string expected;
    };
    // The first body is cut in the middle of the token: no piece of it may be quoted.
    const Case test_case =
        GENERATE(Case{R"({"token_type":"Bearer","access_token":"eyJhbGciOi-partial-token-4711)",
                      "malformed JSON from"},
                 Case{"[1, 2, 3]", "malformed JSON from"},
                 Case{R"({"token_type":"Bearer","expires_in":3599})", "returned no access_token"},
                 Case{R"({"access_token":"eyJhbGciOi-no-expiry-4712"})",
                      "returned no usable expires_on or expires_in"},
                 Case{R"({"access_token":"eyJhbGciOi-bad-expiry-4713","expires_in":"soon"})",
                      "returned no usable expires_on or expires_in"});
    Seen seen;
    const TestServer entra(entra_routes(seen, {200, test_case.body}));
    set_client_secret_environment(entra);

    auto source = make_token_source(loopback_options("client-secret"));
    const auto result = source->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error, Contains(test_case.expected));
    CHECK_THAT(result.error, !Contains("eyJhbGciOi"));
    CHECK_THAT(result.error, !Contains("partial-token"));
}

TEST_CASE("client secret: expires_in as a string is accepted, an expired token is not",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    const bool expired = GENERATE(false, true);
    const std::string body =
        expired ? json{{"access_token", kEntraToken}, {"expires_in", 0}}.dump()
                : json{{"access_token", kEntraToken}, {"expires_in", "1800"}}.dump();
    Seen seen;
    const TestServer entra(entra_routes(seen, {200, body}));
    set_client_secret_environment(entra);

    auto source = make_token_source(loopback_options("client-secret"));
    const auto result = source->fetch(kDynamicSessionsResource);
    if (expired) {
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("the token it returned expired at"));
        CHECK_THAT(result.error, !Contains(kEntraToken));
    } else {
        INFO(result.error);
        REQUIRE(result.ok());
        CHECK(distance(result.token->expires_on, SystemClock::now() + 1800s) <= 5s);
    }
}

TEST_CASE("client secret: missing variables and unusable authorities are named", "[unit][auth]") {
    const ScopedEnvironment environment;
    auto source = make_token_source(loopback_options("client-secret"));

    auto result = source->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error ==
          "client-secret credential: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
          "are not set");

    ScopedEnvironment::set("AZURE_TENANT_ID", "tenant-123");
    ScopedEnvironment::set("AZURE_CLIENT_ID", "client-abc");
    result = source->fetch(kDynamicSessionsResource);
    CHECK(result.error == "client-secret credential: AZURE_CLIENT_SECRET is not set");

    // Plain http is for loopback fakes only: nothing is sent to this host.
    ScopedEnvironment::set("AZURE_CLIENT_SECRET", kClientSecret);
    ScopedEnvironment::set("AZURE_AUTHORITY_HOST", "http://login.example.invalid");
    result = source->fetch(kDynamicSessionsResource);
    CHECK_THAT(result.error, Contains("must use https"));

    ScopedEnvironment::set("AZURE_AUTHORITY_HOST", "https://login.example.invalid");
    ScopedEnvironment::set("AZURE_TENANT_ID", "../evil");
    result = source->fetch(kDynamicSessionsResource);
    CHECK_THAT(result.error, Contains("the tenant id may contain only"));
}

TEST_CASE("client secret: an unreachable endpoint is a transport error value", "[unit][auth]") {
    const ScopedEnvironment environment;
    std::string url;
    {
        Seen seen;
        const TestServer closed(entra_routes(seen, {200, "{}"}));
        url = closed.url();
    }  // the port is free again: connecting is refused
    ScopedEnvironment::set("AZURE_TENANT_ID", "tenant-123");
    ScopedEnvironment::set("AZURE_CLIENT_ID", "client-abc");
    ScopedEnvironment::set("AZURE_CLIENT_SECRET", kClientSecret);
    ScopedEnvironment::set("AZURE_AUTHORITY_HOST", url);
    auto source = make_token_source(loopback_options("client-secret"));
    const auto result = source->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error, Contains("cannot reach " + url + "/tenant-123/oauth2/v2.0/token"));
}

// ------------------------------------------------------------------------------------------------
// Managed identity and IMDS

TEST_CASE("managed identity: sends X-IDENTITY-HEADER and the 2019-08-01 query", "[unit][auth]") {
    const ScopedEnvironment environment;
    const auto expires_on = epoch_in(1h);
    Seen seen;
    const TestServer identity(
        get_routes("/msi/token", seen, {200, mi_success(kMiToken, expires_on)}));
    ScopedEnvironment::set("IDENTITY_ENDPOINT", identity.url("/msi/token"));
    ScopedEnvironment::set("IDENTITY_HEADER", kIdentityHeader);
    const bool user_assigned = GENERATE(false, true);
    if (user_assigned) {
        ScopedEnvironment::set("AZURE_CLIENT_ID", "uami-client-id");
    }

    auto source = make_token_source(loopback_options("managed-identity"));
    REQUIRE(source->name() == "managed-identity");
    const auto result = source->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.source == "managed-identity");
    CHECK(result.token->token == kMiToken);
    CHECK(result.token->expires_on == SystemClock::time_point(std::chrono::seconds(expires_on)));
    CHECK(seen.method == "GET");
    CHECK(seen.header("X-IDENTITY-HEADER") == kIdentityHeader);
    CHECK(seen.param("resource") == "https://dynamicsessions.io");
    CHECK(seen.param("api-version") == "2019-08-01");
    CHECK(seen.param("client_id") == (user_assigned ? "uami-client-id" : "<absent>"));
    CHECK(sandbench::redact(std::string("h=") + kIdentityHeader) == "h=***");
}

TEST_CASE("managed identity: errors, expiry and a missing header", "[unit][auth]") {
    const ScopedEnvironment environment;
    SECTION("IDENTITY_HEADER missing") {
        ScopedEnvironment::set("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token");
        auto source = make_token_source(loopback_options("managed-identity"));
        const auto result = source->fetch(kDynamicSessionsResource);
        CHECK_THAT(result.error,
                   StartsWith("managed-identity credential: IDENTITY_ENDPOINT is set but "
                              "IDENTITY_HEADER is not"));
    }
    SECTION("HTTP 400 with the identity header echoed in the body") {
        Seen seen;
        const TestServer identity(get_routes(
            "/msi/token", seen,
            {400, json{{"error", "invalid_request"},
                       {"error_description", std::string("Unknown identity; header was ") +
                                                 kIdentityHeader + ", old token " + kUnseenJwt}}
                      .dump()}));
        ScopedEnvironment::set("IDENTITY_ENDPOINT", identity.url("/msi/token"));
        ScopedEnvironment::set("IDENTITY_HEADER", kIdentityHeader);
        auto source = make_token_source(loopback_options("managed-identity"));
        const auto result = source->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("answered HTTP 400: invalid_request - Unknown identity"));
        CHECK_THAT(result.error, !Contains(kIdentityHeader));
        // A JWT nobody registered is hidden all the same.
        CHECK_THAT(result.error, Contains("old token ***"));
        CHECK_THAT(result.error, !Contains("unseen-jwt"));
    }
    SECTION("an expired token") {
        Seen seen;
        const TestServer identity(
            get_routes("/msi/token", seen, {200, mi_success(kMiToken, epoch_in(-60s))}));
        ScopedEnvironment::set("IDENTITY_ENDPOINT", identity.url("/msi/token"));
        ScopedEnvironment::set("IDENTITY_HEADER", kIdentityHeader);
        auto source = make_token_source(loopback_options("managed-identity"));
        const auto result = source->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("the token it returned expired at"));
        CHECK_THAT(result.error, !Contains(kMiToken));
    }
}

TEST_CASE("imds: mode managed-identity without IDENTITY_ENDPOINT asks IMDS", "[unit][auth]") {
    const ScopedEnvironment environment;
    Seen seen;
    const auto expires_on = epoch_in(2h);
    const std::string body = json{
        {"access_token", kImdsToken},
        {"expires_in", "7200"},
        {"expires_on", std::to_string(expires_on)},
        {"resource", "https://dynamicsessions.io"},
        {"token_type", "Bearer"}}.dump();
    const TestServer imds(get_routes("/metadata/identity/oauth2/token", seen, {200, body}));
    auto options = loopback_options("managed-identity");
    options.imds_endpoint = imds.url("/metadata/identity/oauth2/token");
    options.client_id = "uami-from-config";

    auto source = make_token_source(options);
    const auto result = source->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.source == "imds");
    CHECK(result.token->token == kImdsToken);
    CHECK(result.token->expires_on == SystemClock::time_point(std::chrono::seconds(expires_on)));
    CHECK(seen.header("Metadata") == "true");
    CHECK(seen.param("api-version") == "2018-02-01");
    CHECK(seen.param("resource") == "https://dynamicsessions.io");
    CHECK(seen.param("client_id") == "uami-from-config");
}

TEST_CASE("imds: HTTP errors and malformed JSON", "[unit][auth]") {
    const ScopedEnvironment environment;
    struct Case {
        Reply reply;
        std::string expected;
    };
    const Case test_case = GENERATE(
        Case{{400, R"({"error":"invalid_request","error_description":"Identity not found"})"},
             "answered HTTP 400: invalid_request - Identity not found"},
        Case{{500, R"({"error":"unknown","error_description":"Internal error"})"},
             "answered HTTP 500: unknown - Internal error"},
        Case{{404, R"({"statusCode":404,"message":"No managed identity found"})"},
             "answered HTTP 404: No managed identity found"},
        Case{{200, "not json"}, "malformed JSON from"});
    Seen seen;
    const TestServer imds(get_routes("/token", seen, test_case.reply));
    auto options = loopback_options("managed-identity");
    options.imds_endpoint = imds.url("/token");
    const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK(result.source == "imds");
    CHECK_THAT(result.error, StartsWith("imds credential: "));
    CHECK_THAT(result.error, Contains(test_case.expected));
}

TEST_CASE("imds: the default chain never asks IMDS unless SANDBENCH_ENABLE_IMDS=1",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    Seen seen;
    const TestServer imds(get_routes("/token", seen, {200, mi_success(kImdsToken, epoch_in(1h))}));
    auto options = loopback_options("default");
    options.imds_endpoint = imds.url("/token");

    auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK(seen.count() == 0);
    CHECK_THAT(result.error, Contains("managed-identity credential: IDENTITY_ENDPOINT is not set "
                                      "(IMDS at 169.254.169.254 is only tried with "
                                      "SANDBENCH_ENABLE_IMDS=1"));

    ScopedEnvironment::set("SANDBENCH_ENABLE_IMDS", "1");
    result = make_token_source(options)->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.source == "imds");
    CHECK(seen.count() == 1);
}

// ------------------------------------------------------------------------------------------------
// Azure CLI

TEST_CASE("azure cli: runs az from PATH with the documented arguments", "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    const auto expires_on = epoch_in(1h);
    fake_az(dir, cli_success(kCliToken, expires_on));
    environment.prepend_path(dir.path.string());

    auto options = loopback_options("azure-cli");
    options.az_path = "az";
    const bool with_tenant = GENERATE(false, true);
    if (with_tenant) {
        options.tenant_id = "tenant-123";
    }
    auto source = make_token_source(options);
    REQUIRE(source->name() == "azure-cli");
    const auto result = source->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.source == "azure-cli");
    CHECK(result.token->token == kCliToken);
    // expires_on (POSIX) wins over expiresOn (local time, here long past).
    CHECK(result.token->expires_on == SystemClock::time_point(std::chrono::seconds(expires_on)));
    CHECK(dir.read("args.txt") ==
          std::string("account get-access-token --resource https://dynamicsessions.io --output "
                      "json") +
              (with_tenant ? " --tenant tenant-123\n" : "\n"));
    CHECK(sandbench::redact(std::string("t ") + kCliToken) == "t ***");
}

TEST_CASE("azure cli: expiresOn is read as local time when expires_on is absent", "[unit][auth]") {
    const ScopedEnvironment environment;
    const std::string zone = GENERATE(std::string("UTC0"), std::string("EST5EDT"));
    ScopedEnvironment::set("TZ", zone);
    ::tzset();
    const TempDir dir;
    const std::time_t when = std::time(nullptr) + 3600;
    std::tm local{};
    ::localtime_r(&when, &local);
    std::array<char, 64> text{};
    std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S.000000", &local);
    fake_az(dir,
            json{{"accessToken", kCliToken}, {"expiresOn", text.data()}, {"tokenType", "Bearer"}}
                .dump());
    environment.prepend_path(dir.path.string());
    auto options = loopback_options("azure-cli");
    options.az_path = "az";

    const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.token->expires_on == SystemClock::from_time_t(when));
}

TEST_CASE("azure cli: failures are one redacted line", "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    environment.prepend_path(dir.path.string());
    auto options = loopback_options("azure-cli");
    options.az_path = "az";

    SECTION("az exits 1 with an error on stderr") {
        fake_az(dir, "",
                std::string("WARNING: something first\nERROR: Please run 'az login' to setup "
                            "account. Last token was ") +
                    kCliToken,
                1);
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, StartsWith("azure-cli credential: "));
        CHECK_THAT(result.error, Contains("exited with code 1: ERROR: Please run 'az login'"));
        CHECK_THAT(result.error, !Contains(kCliToken));
        CHECK(result.error.find('\n') == std::string::npos);
    }
    SECTION("malformed JSON, with a token in it") {
        fake_az(dir, R"({"accessToken": "eyJhbGciOi-cli-partial-9191)");
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("printed malformed JSON"));
        CHECK_THAT(result.error, !Contains("cli-partial"));
    }
    SECTION("no accessToken") {
        fake_az(dir, R"({"tokenType": "Bearer"})");
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        CHECK_THAT(result.error, Contains("printed no accessToken"));
    }
    SECTION("an expired token") {
        fake_az(dir, cli_success(kCliToken, epoch_in(-10s)));
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("the token it returned expired at"));
        CHECK_THAT(result.error, !Contains(kCliToken));
    }
    SECTION("no expiry") {
        fake_az(dir, json{{"accessToken", kCliToken}, {"expiresOn", "tomorrow"}}.dump());
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        CHECK_THAT(result.error, Contains("printed no usable expires_on or expiresOn"));
    }
    SECTION("az not found") {
        options.az_path = "sandbench-no-such-az";
        const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
        CHECK(result.error ==
              "azure-cli credential: 'sandbench-no-such-az' was not found on PATH (install the "
              "Azure CLI and run 'az login')");
    }
    SECTION("a resource that could be read as an option is refused before running az") {
        fake_az(dir, cli_success(kCliToken, epoch_in(1h)));
        const auto result = make_token_source(options)->fetch("--help");
        CHECK_THAT(result.error, Contains("the resource may contain only"));
        CHECK_FALSE(dir.exists("runs.txt"));
    }
}

TEST_CASE("azure cli: a hanging az is killed at the time limit", "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    // The child sleep holds stdout open: only killing the process group ends the wait.
    const auto az = write_script(dir, "az", "sleep 30 &\nsleep 30\n");
    auto options = loopback_options("azure-cli");
    options.az_path = az;
    options.az_timeout = 1s;
    const auto start = std::chrono::steady_clock::now();
    const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error, Contains("did not finish within 1 s and was killed"));
    CHECK(elapsed < 10s);
}

// ------------------------------------------------------------------------------------------------
// Static token

TEST_CASE("static token: from ACA_ACCESS_TOKEN or the configured variable", "[unit][auth]") {
    const ScopedEnvironment environment;
    auto options = loopback_options("static");

    auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    CHECK(result.error == "environment credential: ACA_ACCESS_TOKEN is not set");

    SECTION("an opaque token never expires; white space and a Bearer prefix are dropped") {
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", "Bearer opaque-static-token-31415\n");
        auto source = make_token_source(options);
        REQUIRE(source->name() == "environment");
        result = source->fetch(kDynamicSessionsResource);
        INFO(result.error);
        REQUIRE(result.ok());
        CHECK(result.source == "environment");
        CHECK(result.token->token == "opaque-static-token-31415");
        CHECK(result.token->expires_on == SystemClock::time_point::max());
    }
    SECTION("a JWT's exp claim is its expiry") {
        const auto exp = epoch_in(30min);
        const auto jwt = make_jwt({{"aud", "https://dynamicsessions.io"}, {"exp", exp}});
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", jwt);
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE(result.ok());
        CHECK(result.token->token == jwt);
        CHECK(result.token->expires_on == SystemClock::time_point(std::chrono::seconds(exp)));
    }
    SECTION("a JWT for another audience is still used (a warning says why it may fail)") {
        const auto jwt = make_jwt({{"aud", "https://management.azure.com"}, {"exp", epoch_in(1h)}});
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", jwt);
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE(result.ok());
        CHECK(result.token->token == jwt);
    }
    SECTION("an expired JWT is an error that does not quote it") {
        const auto jwt = make_jwt({{"aud", "https://dynamicsessions.io"}, {"exp", epoch_in(-1h)}});
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", jwt);
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, StartsWith("environment credential: the token in "
                                            "ACA_ACCESS_TOKEN expired at "));
        CHECK_THAT(result.error, !Contains(jwt));
    }
    SECTION("static_token_env names another variable, and only that one is read") {
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", "not-this-one-27182");
        options.static_token_env = "SANDBENCH_TEST_TOKEN";
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        CHECK(result.error == "environment credential: SANDBENCH_TEST_TOKEN is not set");
        ScopedEnvironment::set("SANDBENCH_TEST_TOKEN", "this-one-16180339");
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        REQUIRE(result.ok());
        CHECK(result.token->token == "this-one-16180339");
    }
    SECTION("white space inside is not a token") {
        ScopedEnvironment::set("ACA_ACCESS_TOKEN", "two words-of-token");
        result = make_token_source(options)->fetch(kDynamicSessionsResource);
        CHECK_THAT(result.error, Contains("does not hold a token"));
        CHECK_THAT(result.error, !Contains("words-of-token"));
    }
}

// ------------------------------------------------------------------------------------------------
// The default chain

TEST_CASE("chain: environment, then client secret, then managed identity, then the CLI",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    Seen entra_seen;
    Seen mi_seen;
    const TestServer entra(entra_routes(entra_seen, {200, entra_success()}));
    const TestServer identity(
        get_routes("/msi/token", mi_seen, {200, mi_success(kMiToken, epoch_in(1h))}));
    auto options = loopback_options("default");
    options.az_path = fake_az(dir, cli_success(kCliToken, epoch_in(1h)));
    const auto fetch = [&] {
        auto source = make_token_source(options);
        REQUIRE(source->name() == "chain");
        auto result = source->fetch(kDynamicSessionsResource);
        INFO(result.error);
        REQUIRE(result.ok());
        return result;
    };

    // Everything configured: the static token wins and nothing else is asked.
    ScopedEnvironment::set("ACA_ACCESS_TOKEN", "static-chain-token-1234");
    set_client_secret_environment(entra);
    ScopedEnvironment::set("IDENTITY_ENDPOINT", identity.url("/msi/token"));
    ScopedEnvironment::set("IDENTITY_HEADER", kIdentityHeader);
    auto result = fetch();
    CHECK(result.source == "environment");
    CHECK(result.token->token == "static-chain-token-1234");
    CHECK(entra_seen.count() == 0);
    CHECK(mi_seen.count() == 0);
    CHECK_FALSE(dir.exists("runs.txt"));

    ScopedEnvironment::unset("ACA_ACCESS_TOKEN");
    result = fetch();
    CHECK(result.source == "client-secret");
    CHECK(result.token->token == kEntraToken);
    CHECK(entra_seen.count() == 1);
    CHECK(mi_seen.count() == 0);

    ScopedEnvironment::unset("AZURE_CLIENT_SECRET");
    result = fetch();
    CHECK(result.source == "managed-identity");
    CHECK(result.token->token == kMiToken);
    CHECK(mi_seen.count() == 1);
    CHECK_FALSE(dir.exists("runs.txt"));

    ScopedEnvironment::unset("IDENTITY_ENDPOINT");
    result = fetch();
    CHECK(result.source == "azure-cli");
    CHECK(result.token->token == kCliToken);
    CHECK(runs_of(dir) == 1);
    CHECK(entra_seen.count() == 1);
    CHECK(mi_seen.count() == 1);
}

TEST_CASE("chain: when every source fails, the error lists each reason in order", "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    Seen entra_seen;
    const TestServer entra(entra_routes(
        entra_seen, {401, json{{"error", "invalid_client"},
                               {"error_description", "AADSTS7000215: Invalid client secret"}}
                              .dump()}));
    set_client_secret_environment(entra);
    auto options = loopback_options("default");
    options.az_path = fake_az(dir, "", "ERROR: Please run 'az login' to setup account.", 1);

    const auto result = make_token_source(options)->fetch(kDynamicSessionsResource);
    REQUIRE_FALSE(result.ok());
    CHECK(result.source == "chain");
    const auto& error = result.error;
    CHECK_THAT(error, StartsWith("no token source produced a token for https://dynamicsessions.io: "
                                 "environment credential: ACA_ACCESS_TOKEN is not set; "
                                 "client-secret credential: "));
    const auto environment_at = error.find("environment credential:");
    const auto secret_at = error.find("client-secret credential:");
    const auto identity_at = error.find("managed-identity credential:");
    const auto cli_at = error.find("azure-cli credential:");
    REQUIRE(cli_at != std::string::npos);
    CHECK(environment_at < secret_at);
    CHECK(secret_at < identity_at);
    CHECK(identity_at < cli_at);
    CHECK_THAT(error, Contains("answered HTTP 401: invalid_client - AADSTS7000215"));
    CHECK_THAT(error, Contains("IDENTITY_ENDPOINT is not set"));
    CHECK_THAT(error, Contains("ERROR: Please run 'az login'"));
    CHECK_THAT(error, !Contains(kClientSecret));
    CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("chain: after a success the answering source is asked first", "[unit][auth]") {
    const ScopedEnvironment environment;
    const TempDir dir;
    Seen entra_seen;
    const TestServer entra(entra_routes(entra_seen, {401, R"({"error":"invalid_client"})"}));
    set_client_secret_environment(entra);
    auto options = loopback_options("default");
    options.az_path = fake_az(dir, cli_success(kCliToken, epoch_in(1h)));
    auto source = make_token_source(options);

    auto result = source->fetch(kDynamicSessionsResource);
    REQUIRE(result.ok());
    CHECK(result.source == "azure-cli");
    CHECK(entra_seen.count() == 1);
    result = source->fetch(kDynamicSessionsResource);
    REQUIRE(result.ok());
    CHECK(result.source == "azure-cli");
    CHECK(entra_seen.count() == 1);  // the failing client secret was not asked again
    CHECK(runs_of(dir) == 2);
}

// ------------------------------------------------------------------------------------------------
// The cache

TEST_CASE("cache: a second get does not hit the endpoint; within the margin it does",
          "[unit][auth]") {
    const ScopedEnvironment environment;
    Seen seen;
    const TestServer entra(entra_routes(seen, {200, entra_success(kEntraToken, 3600)}));
    set_client_secret_environment(entra);
    const ManualClock clock;
    CachedCredential credential(make_token_source(loopback_options("client-secret")), 5min,
                                clock.function());
    CHECK(credential.source_name() == "client-secret");

    auto result = credential.get();
    INFO(result.error);
    REQUIRE(result.ok());
    CHECK(result.source == "client-secret");
    CHECK(seen.count() == 1);
    CHECK(credential.get().token->token == kEntraToken);
    CHECK(seen.count() == 1);

    clock.advance(54min);  // 6 minutes left: still outside the 5-minute margin
    CHECK(credential.get().ok());
    CHECK(seen.count() == 1);

    clock.advance(2min);  // 4 minutes left: refreshed
    CHECK(credential.get().ok());
    CHECK(seen.count() == 2);
    CHECK(seen.param("scope") == "https://dynamicsessions.io/.default");
}

TEST_CASE("cache: concurrent callers share one refresh", "[unit][auth]") {
    auto state = std::make_shared<CountingSource::State>();
    state->delay = 200ms;
    CachedCredential credential(std::make_unique<CountingSource>(state));

    constexpr int kThreads = 8;
    std::vector<TokenResult> results(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (std::size_t i = 0; i < kThreads; ++i) {
        threads.emplace_back([&credential, &results, i] { results[i] = credential.get(); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(state->fetches == 1);
    for (const auto& result : results) {
        REQUIRE(result.ok());
        CHECK(result.token->token == "counting-token-1");
        CHECK(result.source == "counting");
    }
}

TEST_CASE("cache: failures, short-lived tokens and expired tokens", "[unit][auth]") {
    auto state = std::make_shared<CountingSource::State>();
    const ManualClock clock;
    state->expiry = [clock] { return clock.now() + 1h; };
    CachedCredential credential(std::make_unique<CountingSource>(state), 5min, clock.function());

    SECTION("a failure is not cached when there is no token") {
        state->fail = true;
        CHECK(credential.get().error == "counting credential: refused");
        CHECK(credential.get().error == "counting credential: refused");
        CHECK(state->fetches == 2);
        state->fail = false;
        CHECK(credential.get().ok());
    }
    SECTION("a failed refresh keeps the still-valid token and waits 30 s before trying again") {
        REQUIRE(credential.get().ok());
        clock.advance(57min);
        state->fail = true;
        auto result = credential.get();
        REQUIRE(result.ok());
        CHECK(result.token->token == "counting-token-1");
        CHECK(state->fetches == 2);
        clock.advance(10s);
        CHECK(credential.get().ok());
        CHECK(state->fetches == 2);
        clock.advance(25s);
        CHECK(credential.get().ok());
        CHECK(state->fetches == 3);
        clock.advance(3min);  // the old token has expired now
        CHECK(credential.get().error == "counting credential: refused");
    }
    SECTION("a token shorter-lived than twice the margin is reused for half its life") {
        state->expiry = [clock] { return clock.now() + 4min; };
        REQUIRE(credential.get().ok());
        clock.advance(1min);
        CHECK(credential.get().token->token == "counting-token-1");
        clock.advance(90s);
        CHECK(credential.get().token->token == "counting-token-2");
    }
    SECTION("an expired token from the source is an error") {
        state->expiry = [clock] { return clock.now() - 1s; };
        const auto result = credential.get();
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error, Contains("the token it returned expired at"));
    }
    SECTION("resources are cached separately") {
        CHECK(credential.get("https://dynamicsessions.io").token->token == "counting-token-1");
        CHECK(credential.get("https://acasessions.io").token->token == "counting-token-2");
        CHECK(credential.get("https://dynamicsessions.io").token->token == "counting-token-1");
    }
}

// ------------------------------------------------------------------------------------------------
// Set-up errors

TEST_CASE("make_token_source: invalid options are ConfigErrors", "[unit][auth]") {
    const ScopedEnvironment environment;
    const auto rejects = [](const std::function<void(CredentialOptions&)>& change,
                            const std::string& expected) {
        auto options = loopback_options("default");
        change(options);
        CHECK_THROWS_MATCHES(make_token_source(options), sandbench::ConfigError,
                             Catch::Matchers::Predicate<sandbench::ConfigError>(
                                 [expected](const sandbench::ConfigError& error) {
                                     return std::string(error.what()).find(expected) !=
                                            std::string::npos;
                                 },
                                 "message contains " + expected));
    };
    rejects([](auto& o) { o.mode = "kerberos"; }, "auth: unknown mode 'kerberos'");
    rejects([](auto& o) { o.tenant_id = "../x"; }, "tenant_id may contain only");
    rejects([](auto& o) { o.tenant_id = "-x"; }, "tenant_id may contain only");
    rejects([](auto& o) { o.authority_host = "http://login.example.com"; }, "must use https");
    rejects([](auto& o) { o.imds_endpoint = "ftp://169.254.169.254/"; }, "imds_endpoint");
    rejects([](auto& o) { o.az_timeout = 0s; }, "az_timeout must be positive");
    rejects([](auto& o) { o.static_token_env = "NOT A NAME"; }, "static_token_env");
    rejects([](auto& o) { o.http.timeout = Milliseconds(-1.0); }, "invalid HTTP options");

    for (const auto* mode :
         {"default", "static", "client-secret", "managed-identity", "azure-cli"}) {
        auto options = loopback_options(mode);
        CHECK_NOTHROW(make_token_source(options));
    }
}
