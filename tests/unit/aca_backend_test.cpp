// SPDX-License-Identifier: Apache-2.0
// The ACA client's protocol functions without a server: API versions, identifiers, URLs,
// request bodies, and the parsing of every response shape of both generations (documented
// examples, the variants clients meet, Failure shapes and malformed bodies).
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aca/aca_protocol.hpp"

using namespace sandbench::backends;
using namespace sandbench::backends::aca;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

Execution parse(const json& body, ApiGeneration generation, std::int64_t limit = 0) {
    Execution execution;
    parse_execution(body.dump(), generation, limit, execution);
    return execution;
}

}  // namespace

TEST_CASE("API versions are classified by date", "[unit][aca]") {
    const auto legacy = parse_api_version("2024-02-02-preview");
    REQUIRE(legacy);
    CHECK(legacy->generation == ApiGeneration::kLegacy);
    CHECK_FALSE(legacy->session_management);
    CHECK(parse_api_version("2024-08-02-preview")->generation == ApiGeneration::kLegacy);
    const auto october = parse_api_version("2024-10-02-preview");
    CHECK(october->generation == ApiGeneration::kNew);
    CHECK_FALSE(october->session_management);
    CHECK(parse_api_version("2025-02-02-preview")->session_management);
    CHECK(parse_api_version("2026-01-01")->generation == ApiGeneration::kNew);
    for (const char* bad : {"", "latest", "2024-2-02-preview", "2024-02-02-beta", "20240202"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_api_version(bad));
    }
}

TEST_CASE("identifiers are random UUIDs that satisfy the service's rules", "[unit][aca]") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto id = generate_identifier();
        CHECK(id.size() == 36);
        CHECK(id[14] == '4');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        CHECK_FALSE(invalid_identifier(id));
        seen.insert(id);
    }
    CHECK(seen.size() == 100);
    CHECK(generate_identifier("bench-").starts_with("bench-"));
    CHECK_FALSE(invalid_identifier("a|b{c}[d]:e;f'g<h>?i/j.k,l@m#n$o%p^q&r*s(t)u-v+w=x!y~z`"));
    CHECK(invalid_identifier("abc"));
    CHECK(invalid_identifier(std::string(129, 'a')));
    CHECK(invalid_identifier("has space"));
    CHECK(invalid_identifier("tab\there"));
    CHECK(invalid_identifier("caf\xC3\xA9!"));
}

TEST_CASE("URLs are built as the public clients build them", "[unit][aca]") {
    CHECK(url_encode("a b/c?d&e=f~g.h_i-j") == "a%20b%2Fc%3Fd%26e%3Df~g.h_i-j");
    CHECK(normalize_endpoint(" https://x.io/pools/p ") == "https://x.io/pools/p/");
    CHECK(normalize_endpoint("https://x.io/pools/p/python/execute/") == "https://x.io/pools/p/");
    CHECK(normalize_endpoint("https://x.io/p//?tag=1") == "https://x.io/p/?tag=1");
    CHECK(build_url("https://x.io/p/", "code/execute", "2024-02-02-preview", "id 1") ==
          "https://x.io/p/code/execute?api-version=2024-02-02-preview&identifier=id%201");
    CHECK(build_url("https://x.io/p/?tag=1", "files", "v", "abcd") ==
          "https://x.io/p/files?tag=1&api-version=v&identifier=abcd");
    CHECK(build_url("https://x.io/p", "metadata", "v", "") ==
          "https://x.io/p/metadata?api-version=v");
}

TEST_CASE("request bodies of both generations", "[unit][aca]") {
    const auto legacy = legacy_execute_body("print(1)", 30);
    CHECK(legacy == json{{"properties",
                          {{"codeInputType", "inline"},
                           {"executionType", "synchronous"},
                           {"code", "print(1)"},
                           {"timeoutInSeconds", 30}}}});
    const auto modern = new_execute_body("1", 60, 4096);
    CHECK(modern["codeInputType"] == "Inline");
    CHECK(modern["executionType"] == "Synchronous");
    CHECK(modern["timeoutInSeconds"] == 60);
    CHECK(modern["outputStreamsMaxLength"] == 4096);
    CHECK_FALSE(new_execute_body("1", 60, 0).contains("outputStreamsMaxLength"));
}

TEST_CASE("legacy execution responses", "[unit][aca]") {
    SECTION("the documented success") {
        const auto execution = parse({{"$id", "1"},
                                      {"properties",
                                       {{"$id", "2"},
                                        {"status", "Success"},
                                        {"stdout", "hello world\n"},
                                        {"stderr", ""},
                                        {"result", 42},
                                        {"executionTimeInMilliseconds", 8}}}},
                                     ApiGeneration::kLegacy);
        CHECK(execution.ok());
        CHECK(execution.stdout_text == "hello world\n");
        CHECK(execution.result == 42);
        REQUIRE(execution.backend_time);
        CHECK(execution.backend_time->count() == 8);
    }
    SECTION("no trailing expression is an empty string, read as null") {
        const auto execution =
            parse({{"properties",
                    {{"status", "Success"}, {"stdout", ""}, {"stderr", ""}, {"result", ""}}}},
                  ApiGeneration::kLegacy);
        CHECK(execution.ok());
        CHECK(execution.result.is_null());
    }
    SECTION("an image result") {
        const auto execution = parse(
            {{"properties",
              {{"status", "Success"},
               {"stdout", ""},
               {"stderr", ""},
               {"result", {{"type", "image"}, {"format", "png"}, {"base64_data", "iVBORw0K"}}}}}},
            ApiGeneration::kLegacy);
        CHECK(execution.ok());
        REQUIRE(execution.images.size() == 1);
        CHECK(execution.images[0].format == "png");
        CHECK(execution.images[0].base64 == "iVBORw0K");
        CHECK(execution.result.is_null());
    }
    SECTION("NodeLTS pools and the local image name the value executionResult; any case") {
        const auto execution = parse({{"properties",
                                       {{"status", "success"},
                                        {"stdout", ""},
                                        {"stderr", ""},
                                        {"executionResult", "text"}}}},
                                     ApiGeneration::kLegacy);
        CHECK(execution.ok());
        CHECK(execution.result == "text");
    }
    SECTION("the pre-2024 flat response") {
        const auto execution =
            parse({{"status", "Success"}, {"stdout", "x\n"}, {"stderr", ""}, {"result", 1}},
                  ApiGeneration::kLegacy);
        CHECK(execution.ok());
        CHECK(execution.result == 1);
    }
    SECTION("Failure with a traceback") {
        const std::string traceback =
            "Traceback (most recent call last):\n"
            "  File \"<cell-2>\", line 2, in <module>\n"
            "    numerator / 0\n"
            "    ~~~~~~~~~~^~~\n"
            "ZeroDivisionError: division by zero\n";
        const auto execution = parse({{"properties",
                                       {{"status", "Failure"},
                                        {"stdout", "about to divide\n"},
                                        {"stderr", "a warning\n" + traceback},
                                        {"result", ""}}}},
                                     ApiGeneration::kLegacy);
        CHECK(execution.status == Status::kUserError);
        CHECK(execution.error_name == "ZeroDivisionError");
        CHECK(execution.error_value == "division by zero");
        CHECK(execution.traceback == traceback);
        CHECK(execution.stdout_text == "about to divide\n");
        CHECK(execution.message == "ZeroDivisionError: division by zero");
    }
    SECTION("Failure without a traceback") {
        const auto execution =
            parse({{"properties", {{"status", "Failure"}, {"stdout", ""}, {"stderr", ""}}}},
                  ApiGeneration::kLegacy);
        CHECK(execution.status == Status::kUserError);
        CHECK(execution.error_name.empty());
        CHECK_THAT(execution.message, Contains("without a traceback"));
    }
    SECTION("the service's time limit") {
        const auto execution =
            parse({{"properties",
                    {{"status", "Failure"},
                     {"stdout", "started\n"},
                     {"stderr", "Timeout: the execution exceeded the limit of 220 seconds\n"}}}},
                  ApiGeneration::kLegacy);
        CHECK(execution.status == Status::kTimeout);
        ExecutionFacts facts;
        Execution again;
        facts = parse_execution(
            json{{"properties",
                  {{"status", "Failure"}, {"stdout", ""}, {"stderr", "Timeout: limit\n"}}}}
                .dump(),
            ApiGeneration::kLegacy, 0, again);
        CHECK(facts.session_lost);
    }
    SECTION("a user exception named Timeout is the user's") {
        const auto execution =
            parse({{"properties",
                    {{"status", "Failure"},
                     {"stdout", ""},
                     {"stderr",
                      "Traceback (most recent call last):\n  File \"<cell-1>\", line 1, in "
                      "<module>\nTimeout: mine\n"}}}},
                  ApiGeneration::kLegacy);
        CHECK(execution.status == Status::kUserError);
        CHECK(execution.error_name == "Timeout");
    }
    SECTION("malformed bodies") {
        for (const std::string body :
             {"", "not json", "[]", R"({"properties": {"status": "Succ)", R"({"nothing": 1})",
              R"({"properties": {"status": 1}})",
              R"({"properties": {"status": "Success", "stdout": 5, "stderr": ""}})"}) {
            CAPTURE(body);
            Execution execution;
            parse_execution(body, ApiGeneration::kLegacy, 0, execution);
            CHECK(execution.status == Status::kBackendError);
            CHECK_THAT(execution.message, Contains("malformed response"));
        }
        const auto unknown =
            parse({{"properties", {{"status", "Pending"}, {"stdout", ""}, {"stderr", ""}}}},
                  ApiGeneration::kLegacy);
        CHECK(unknown.status == Status::kBackendError);
        CHECK_THAT(unknown.message, Contains("Pending"));
    }
}

TEST_CASE("new-API execution responses", "[unit][aca]") {
    SECTION("the documented synchronous success") {
        Execution execution;
        const auto facts = parse_execution(json{{"id", "553e972b"},
                                                {"identifier", "test-identifier"},
                                                {"executionType", "Synchronous"},
                                                {"status", "Succeeded"},
                                                {"result",
                                                 {{"stdout", "63\n"},
                                                  {"stderr", ""},
                                                  {"executionResult", ""},
                                                  {"executionTimeInMilliseconds", 4}}}}
                                               .dump(),
                                           ApiGeneration::kNew, 4096, execution);
        CHECK(execution.ok());
        CHECK(execution.stdout_text == "63\n");
        CHECK(execution.result.is_null());
        CHECK(execution.backend_time->count() == 4);
        CHECK(facts.execution_id == "553e972b");
        CHECK_FALSE(execution.output_truncated);
    }
    SECTION("values keep their JSON type: null, \"nan\", numbers") {
        CHECK(parse({{"status", "Succeeded"}, {"result", {{"executionResult", 4}}}},
                    ApiGeneration::kNew)
                  .result == 4);
        CHECK(parse({{"status", "Succeeded"}, {"result", {{"executionResult", "nan"}}}},
                    ApiGeneration::kNew)
                  .result == "nan");
        CHECK(parse({{"status", "Succeeded"}, {"result", {{"executionResult", nullptr}}}},
                    ApiGeneration::kNew)
                  .result.is_null());
    }
    SECTION("pending answers of asynchronous executions") {
        for (const char* status : {"Running", "NotStarted"}) {
            Execution execution;
            const auto facts = parse_execution(json{{"id", "e1"}, {"status", status}}.dump(),
                                               ApiGeneration::kNew, 0, execution);
            CHECK(facts.pending);
            CHECK(facts.execution_id == "e1");
        }
    }
    SECTION("Failed with the traceback in stderr, or only in rawResult") {
        auto execution = parse({{"status", "Failed"},
                                {"result",
                                 {{"stdout", ""},
                                  {"stderr",
                                   "Traceback (most recent call last):\n  File \"x\", line 1\n"
                                   "RuntimeError: multi\nline message\n"}}}},
                               ApiGeneration::kNew);
        CHECK(execution.status == Status::kUserError);
        CHECK(execution.error_name == "RuntimeError");
        CHECK(execution.error_value == "multi\nline message");
        execution = parse({{"status", "Failed"},
                           {"result", {{"stdout", ""}, {"stderr", ""}}},
                           {"rawResult", {{"error_name", "KeyError"}, {"error_message", "'k'"}}}},
                          ApiGeneration::kNew);
        CHECK(execution.status == Status::kUserError);
        CHECK(execution.error_name == "KeyError");
        CHECK(execution.error_value == "'k'");
    }
    SECTION("a Timeout error is the service's time limit") {
        for (const json& error : {json{{"error", {{"code", "Timeout"}, {"message", "m"}}}},
                                  json{{"code", "ExecutionTimeout"}}}) {
            Execution execution;
            const auto facts = parse_execution(json{{"status", "Failed"},
                                                    {"result", {{"stdout", ""}, {"stderr", ""}}},
                                                    {"error", error}}
                                                   .dump(),
                                               ApiGeneration::kNew, 0, execution);
            CHECK(execution.status == Status::kTimeout);
            CHECK(facts.session_lost);
        }
    }
    SECTION("streams as long as outputStreamsMaxLength were cut") {
        const auto execution =
            parse({{"status", "Succeeded"},
                   {"result", {{"stdout", std::string(10, 'x')}, {"stderr", ""}}}},
                  ApiGeneration::kNew, 10);
        CHECK(execution.output_truncated);
        const auto reported =
            parse({{"status", "Succeeded"},
                   {"result", {{"stdout", "\xC3\xA9\xC3\xA9"}, {"outputStreamsMaxLength", 2}}}},
                  ApiGeneration::kNew, 100);
        CHECK(reported.output_truncated);  // two characters, four bytes
    }
    SECTION("Canceled, unknown and malformed") {
        CHECK(parse({{"status", "Canceled"}}, ApiGeneration::kNew).status == Status::kBackendError);
        CHECK(parse({{"status", "Exploded"}, {"result", json::object()}}, ApiGeneration::kNew)
                  .status == Status::kBackendError);
        CHECK(parse({{"status", "Succeeded"}}, ApiGeneration::kNew).status ==
              Status::kBackendError);
        CHECK(parse({{"status", "Succeeded"}, {"result", "text"}}, ApiGeneration::kNew).status ==
              Status::kBackendError);
        CHECK(parse({{"result", json::object()}}, ApiGeneration::kNew).status ==
              Status::kBackendError);
    }
}

TEST_CASE("tracebacks", "[unit][aca]") {
    auto line = parse_traceback(
        "Traceback (most recent call last):\n  File \"<cell-1>\", line 1, in <module>\n"
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n\n");
    REQUIRE(line);
    CHECK(line->name == "json.decoder.JSONDecodeError");
    CHECK(line->value == "Expecting value: line 1 column 1 (char 0)");
    // A syntax error has no frames, only the caret lines.
    line = parse_traceback(
        "  File \"<cell-3>\", line 1\n    1 +\n       ^\n"
        "SyntaxError: invalid syntax\n");
    REQUIRE(line);
    CHECK(line->name == "SyntaxError");
    // Chained exceptions: the last one counts.
    line = parse_traceback(
        "Traceback (most recent call last):\n  File \"a\", line 1\nKeyError: 'a'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n  File \"b\", line 2\nValueError: second\n");
    REQUIRE(line);
    CHECK(line->name == "ValueError");
    CHECK(line->value == "second");
    line = parse_traceback("KeyboardInterrupt\n");
    REQUIRE(line);
    CHECK(line->name == "KeyboardInterrupt");
    CHECK(line->value.empty());
    CHECK_FALSE(parse_traceback(""));
    CHECK_FALSE(parse_traceback("plain words here\n"));
    CHECK_FALSE(parse_traceback("  only indented\n"));
}

TEST_CASE("file listings and upload answers", "[unit][aca]") {
    SECTION("legacy listing") {
        FileListing listing;
        const auto next = parse_file_listing(
            json{{"$id", "1"},
                 {"value",
                  {{{"$id", "2"},
                    {"properties",
                     {{"filename", "b.txt"}, {"size", 16}, {"lastModifiedTime", "t"}}}},
                   {{"$id", "4"}, {"properties", {{"filename", "a.csv"}, {"size", 3}}}}}}}
                .dump(),
            ApiGeneration::kLegacy, listing);
        CHECK_FALSE(next);
        REQUIRE(listing.ok());
        REQUIRE(listing.files.size() == 2);
        CHECK(listing.files[0].name == "a.csv");
        CHECK(listing.files[1].size == 16);
    }
    SECTION("the bare array of Microsoft's local image and the pre-2024 $values") {
        FileListing listing;
        parse_file_listing(
            R"([{"name":"README.md","type":"file","filename":"README.md","size":5045}])",
            ApiGeneration::kLegacy, listing);
        REQUIRE(listing.files.size() == 1);
        CHECK(listing.files[0].size == 5045);
        FileListing old;
        parse_file_listing(R"({"$values":[{"filename":"x","size":1}]})", ApiGeneration::kLegacy,
                           old);
        CHECK(old.files.size() == 1);
    }
    SECTION("new listing: directories skipped, nextLink returned") {
        FileListing listing;
        const auto next = parse_file_listing(
            json{{"value",
                  {{{"name", "testfile.yaml"},
                    {"type", "File"},
                    {"sizeInBytes", 4},
                    {"lastModifiedAt", "t"}},
                   {{"name", "sub"}, {"type", "directory"}, {"lastModifiedAt", "t"}}}},
                 {"nextLink", "https://x/files?skip=1"}}
                .dump(),
            ApiGeneration::kNew, listing);
        REQUIRE(listing.ok());
        REQUIRE(listing.files.size() == 1);
        CHECK(listing.files[0].name == "testfile.yaml");
        CHECK(next == "https://x/files?skip=1");
    }
    SECTION("malformed listings") {
        for (const char* body : {"", "{}", R"({"value": 1})", R"({"value": [1]})",
                                 R"({"value": [{"properties": {"size": 1}}]})"}) {
            CAPTURE(body);
            FileListing listing;
            parse_file_listing(body, ApiGeneration::kLegacy, listing);
            CHECK(listing.status == Status::kBackendError);
        }
    }
    SECTION("upload answers are checked against what was sent") {
        const std::string legacy = R"({"$id":"1","value":[{"$id":"2","properties":)"
                                   R"({"$id":"3","filename":"a.txt","size":5}}]})";
        Outcome ok;
        check_upload_response(legacy, ApiGeneration::kLegacy, "a.txt", 5, ok);
        CHECK(ok.ok());
        Outcome wrong_size;
        check_upload_response(legacy, ApiGeneration::kLegacy, "a.txt", 6, wrong_size);
        CHECK(wrong_size.status == Status::kBackendError);
        Outcome wrong_name;
        check_upload_response(legacy, ApiGeneration::kLegacy, "b.txt", 5, wrong_name);
        CHECK(wrong_name.status == Status::kBackendError);
        Outcome modern;
        check_upload_response(R"({"name":"a.txt","type":"File","sizeInBytes":5})",
                              ApiGeneration::kNew, "a.txt", 5, modern);
        CHECK(modern.ok());
        Outcome cut;
        check_upload_response(R"({"properties": {"status": "Succ)", ApiGeneration::kNew, "a.txt", 5,
                              cut);
        CHECK(cut.status == Status::kBackendError);
    }
}

TEST_CASE("response headers and error codes", "[unit][aca]") {
    sandbench::backends::http::Headers headers{
        {"X-Ms-Container-Execution-Duration", "5011"},
        {"X-Ms-Execution-Request-Time", "5010.000000"},
        {"X-Ms-Overall-Execution-Time", "42m56.970311818s"},
        {"X-Ms-Session-Guid", "d04f566c-9a27-44cc-9b66-bfad404a7921"},
        {"Operation-Id", "op-1"},
        {"X-Sandbench-Emulated", "true"},
        {"Content-Type", "application/json"}};
    json extra = json::object();
    keep_response_headers(headers, extra);
    CHECK(extra["x_ms"]["x-ms-container-execution-duration"] == 5011);
    CHECK(extra["x_ms"]["x-ms-execution-request-time"] == 5010.0);
    CHECK(extra["x_ms"]["x-ms-overall-execution-time"].get<double>() ==
          Approx(42 * 60'000 + 56'970.311818));
    CHECK(extra["x_ms"]["x-ms-session-guid"] == "d04f566c-9a27-44cc-9b66-bfad404a7921");
    CHECK(extra["operation_id"] == "op-1");
    CHECK(extra["emulated_response"] == true);
    CHECK_FALSE(extra["x_ms"].contains("content-type"));

    CHECK(parse_go_duration("250ms") == 250.0);
    CHECK(parse_go_duration("1h2m3.5s") == 3'723'500.0);
    CHECK(parse_go_duration("12\xC2\xB5s") == Approx(0.012));
    CHECK(parse_go_duration("0") == 0.0);
    CHECK_FALSE(parse_go_duration("5 seconds"));
    CHECK_FALSE(parse_go_duration(""));

    CHECK(error_code(R"({"error":{"code":"SessionPropertiesMissing","message":"m"}})", {}) ==
          "SessionPropertiesMissing");
    CHECK(error_code("not json", {{"x-ms-error-code", "Throttled"}}) == "Throttled");
    CHECK(error_code("", {}).empty());
}
