// SPDX-License-Identifier: Apache-2.0
// The E2B backend's pure parts: the NDJSON execution stream fed in every possible split, the
// reading of Python reprs as JSON (and its agreement with the emulator's repr writer), and the
// SDKs' URL rules.

#include <cstdlib>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "e2b/endpoints.hpp"
#include "e2b/execution_stream.hpp"
#include "e2b/python_literal.hpp"
#include "wire.hpp"

using namespace sandbench::backends;
using namespace sandbench::backends::e2b;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

// What the Code Interpreter sends for `print("hi")`, a figure, and `{'a': 1}`, byte for byte in
// its json.dumps layout, with a keepalive in the middle.
const std::string kStream =
    "{\"type\": \"number_of_executions\", \"execution_count\": 7}\n"
    "{\"type\": \"stdout\", \"text\": \"hi\\n\", \"timestamp\": \"2026-08-21T10:00:00.1+00:00\"}\n"
    "{\"type\": \"keepalive\"}\n"
    "{\"type\": \"stderr\", \"text\": \"caf\\u00e9\\n\", \"timestamp\": "
    "\"2026-08-21T10:00:00.2\"}\n"
    "{\"type\": \"result\", \"text\": \"{'a': 1}\", \"extra\": {}, \"is_main_result\": true}\n"
    "{\"type\": \"result\", \"png\": \"iVBORw0KGgo=\", \"text\": \"<Figure>\", \"extra\": {}, "
    "\"is_main_result\": false}\n"
    "{\"type\": \"end_of_execution\"}\n";

Execution parse(const std::string& stream, std::size_t piece, std::size_t limit = 1 << 20) {
    ExecutionStream parser(limit);
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        REQUIRE(parser.feed(std::string_view(stream).substr(at, piece)));
    }
    parser.finish();
    return std::move(parser.execution());
}

}  // namespace

TEST_CASE("e2b stream: parsed the same whatever the chunking", "[unit]") {
    for (const std::size_t piece :
         {std::size_t{1}, std::size_t{2}, std::size_t{7}, kStream.size()}) {
        INFO("piece " << piece);
        const Execution execution = parse(kStream, piece);
        CHECK(execution.status == Status::kOk);
        CHECK(execution.stdout_text == "hi\n");
        CHECK(execution.stderr_text == "caf\xC3\xA9\n");
        CHECK(execution.result == json{{"a", 1}});
        REQUIRE(execution.images.size() == 1);
        CHECK(execution.images[0].format == "png");
        CHECK(execution.images[0].base64 == "iVBORw0KGgo=");
        CHECK(execution.extra["e2b_execution_count"] == 7);
        CHECK(execution.extra["e2b_keepalives"] == 1);
        CHECK(execution.extra["e2b_lines"] == 7);
        CHECK(execution.extra.contains("e2b_first_event_ms"));
    }
}

TEST_CASE("e2b stream: errors from the code and from the server", "[unit]") {
    const Execution user = parse(
        "{\"type\": \"number_of_executions\", \"execution_count\": 1}\n"
        "{\"type\": \"error\", \"name\": \"ZeroDivisionError\", \"value\": \"division by zero\", "
        "\"traceback\": \"\\u001b[0;31mTraceback\"}\n"
        "{\"type\": \"end_of_execution\"}\n",
        5);
    CHECK(user.status == Status::kUserError);
    CHECK(user.error_name == "ZeroDivisionError");
    CHECK(user.error_value == "division by zero");
    CHECK(user.message == "ZeroDivisionError: division by zero");
    CHECK(user.traceback == "\x1b[0;31mTraceback");

    const Execution server = parse(
        "{\"type\": \"error\", \"name\": \"ContextRestarting\", \"value\": \"Context was "
        "restarted\", \"traceback\": \"\"}\n{\"type\": \"end_of_execution\"}\n",
        3);
    CHECK(server.status == Status::kBackendError);
    CHECK_THAT(server.message, Contains("ContextRestarting"));
}

TEST_CASE("e2b stream: malformed streams keep what parsed", "[unit]") {
    SECTION("a truncated line") {
        const Execution execution = parse(
            "{\"type\": \"stdout\", \"text\": \"kept\\n\"}\n{\"type\": \"stdo\n"
            "{\"type\": \"end_of_execution\"}\n",
            4);
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Contains("line 2 is not a JSON object"));
        CHECK(execution.stdout_text == "kept\n");
    }
    SECTION("an unknown line type") {
        const Execution execution =
            parse("{\"type\": \"telemetry\"}\n{\"type\": \"end_of_execution\"}\n", 1);
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Contains("unknown type 'telemetry'"));
    }
    SECTION("no end_of_execution, and a last line without newline") {
        const Execution execution =
            parse(R"({"type": "result", "text": "3", "is_main_result": true})", 6);
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Contains("without end_of_execution"));
        CHECK(execution.result == 3);
    }
    SECTION("lines without a type, and after the end") {
        const Execution execution = parse(
            "[1]\n{\"text\": 1}\n{\"type\": \"end_of_execution\"}\n{\"type\": \"stdout\"}\n", 9);
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Contains("(and 2 more)"));
        CHECK(execution.extra["e2b_stream_problems"].size() == 3);
    }
    SECTION("an empty body") {
        const Execution execution = parse("", 1);
        CHECK(execution.status == Status::kBackendError);
    }
}

TEST_CASE("e2b stream: output beyond the cap is dropped and marked", "[unit]") {
    std::string stream;
    for (int i = 0; i < 10; ++i) {
        stream += "{\"type\": \"stdout\", \"text\": \"0123456789\"}\n";
    }
    stream += "{\"type\": \"end_of_execution\"}\n";
    const Execution execution = parse(stream, 13, 25);
    CHECK(execution.status == Status::kOk);
    CHECK(execution.output_truncated);
    CHECK(execution.stdout_text.rfind("0123456789012345678901234", 0) == 0);
    CHECK_THAT(execution.stdout_text, Contains("75 more bytes dropped"));
}

TEST_CASE("python literals become JSON", "[unit]") {
    CHECK(parse_python_literal("None") == json(nullptr));
    CHECK(parse_python_literal("True") == json(true));
    CHECK(parse_python_literal("-12") == json(-12));
    CHECK(parse_python_literal("0.75") == json(0.75));
    CHECK(parse_python_literal("1e+16") == json(1e16));
    CHECK(parse_python_literal("'it\\'s'") == json("it's"));
    CHECK(parse_python_literal("\"say \\\"x\\\"\\n\\x41\\u00e9\\U0001F600\"") ==
          json("say \"x\"\nA\xC3\xA9\xF0\x9F\x98\x80"));
    CHECK(parse_python_literal("[1, (2, 3), (4,), ()]") == json::parse("[1, [2, 3], [4], []]"));
    CHECK(parse_python_literal("{'a': {1: None, True: 2.5}, 'b': [\n 1,\n 2]}") ==
          json::parse(R"({"a": {"1": null, "true": 2.5}, "b": [1, 2]})"));
    CHECK(parse_python_literal("123456789012345678901234567890")->is_number_float());
    for (const char* text : {"{1, 2}", "nan", "inf", "1j", "array([1, 2])", "Nonesuch", "'open",
                             "[1, 2", "{'a' 1}", "x", "", "b'bytes'", "(1 2)"}) {
        INFO(text);
        CHECK_FALSE(parse_python_literal(text).has_value());
    }
    CHECK(result_value("hello from the sandbox") == "hello from the sandbox");
    CHECK(result_value("<Figure size 640x480 with 1 Axes>") == "<Figure size 640x480 with 1 Axes>");
    std::string deep(1000, '[');
    CHECK(result_value(deep) == deep);  // too deep: kept as text, no stack overflow
}

TEST_CASE("the emulator's repr reads back as the same JSON", "[unit]") {
    using sandbench::emulators::e2b::python_repr;
    using sandbench::emulators::e2b::result_text;
    const std::vector<json> values = {
        json(1),
        json(-2.5),
        json(true),
        json::parse(R"({"sum": 10, "squares": [1, 4, 9], "ok": false, "none": null})"),
        json::parse(R"([["it's", "say \"x\""], {"nested": {"deep": 1e-05}}])"),
        json("tab\there\nand \\ backslash"),
        json("caf\xC3\xA9"),
    };
    for (const auto& value : values) {
        INFO(value.dump());
        CHECK(result_value(result_text(python_repr(value))) == value);
    }
    CHECK(python_repr(json::parse(R"({"a": [1, null, true]})")) == "{'a': [1, None, True]}");
    CHECK(result_text("'quoted'") == "quoted");
    CHECK(result_text("'mismatched\"") == "'mismatched\"");
}

TEST_CASE("e2b endpoints follow the SDK's rules", "[unit]") {
    ::unsetenv("E2B_API_URL");
    ::unsetenv("E2B_SANDBOX_URL");
    ::unsetenv("E2B_DOMAIN");
    const Endpoints defaults = resolve_endpoints(std::nullopt, std::nullopt, std::nullopt);
    CHECK(defaults.api_url == "https://api.e2b.app");
    CHECK_FALSE(defaults.sandbox_url.has_value());
    CHECK(defaults.sandbox_base("iabc", kEnvdPort, "", true) == "https://sandbox.e2b.app");
    CHECK(defaults.sandbox_base("iabc", kInterpreterPort, "", false) ==
          "https://49999-iabc.e2b.app");
    CHECK(defaults.sandbox_base("iabc", kEnvdPort, "eu.example.com", true) ==
          "https://49983-iabc.eu.example.com");

    ::setenv("E2B_DOMAIN", "self.hosted", 1);
    ::setenv("E2B_SANDBOX_URL", "http://127.0.0.1:9/", 1);
    const Endpoints from_env = resolve_endpoints(std::nullopt, std::nullopt, std::nullopt);
    CHECK(from_env.api_url == "https://api.self.hosted");
    CHECK(from_env.sandbox_base("iabc", kInterpreterPort, "", false) == "http://127.0.0.1:9");
    const Endpoints given = resolve_endpoints("http://127.0.0.1:8/", std::nullopt, "x.y");
    CHECK(given.api_url == "http://127.0.0.1:8");
    ::unsetenv("E2B_DOMAIN");
    ::unsetenv("E2B_SANDBOX_URL");

    CHECK(url_encode("/home/user/a b&c=d") == "%2Fhome%2Fuser%2Fa%20b%26c%3Dd");
}
