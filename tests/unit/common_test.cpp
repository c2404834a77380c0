// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"

using sandbench::redact;

TEST_CASE("redact hides registered secrets wherever they appear", "[unit][redact]") {
    sandbench::register_secret("s3cr3t-key-123456");
    CHECK(redact("key s3cr3t-key-123456 and again s3cr3t-key-123456") == "key *** and again ***");
}

TEST_CASE("redact hides bearer tokens and key parameters", "[unit][redact]") {
    CHECK(redact("Authorization: Bearer eyJ0eXAi.abc-def_ghi") == "Authorization: Bearer ***");
    CHECK(redact("GET /x?api_key=abcdef123&y=2") == "GET /x?api_key=***&y=2");
    CHECK(redact(R"({"token": "abc123xyz"})") == R"({"token": "***"})");
    CHECK(redact("az: token eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJodHRw.c2lnbmF0dXJl expired") ==
          "az: token *** expired");
    CHECK(redact("nothing secret here") == "nothing secret here");
}

TEST_CASE("redact ignores secrets too short to be real", "[unit][redact]") {
    sandbench::register_secret("ab");
    CHECK(redact("a lab tab") == "a lab tab");
}

TEST_CASE("usage errors exit with 2, runtime errors with 1", "[unit][error]") {
    CHECK(sandbench::UsageError("x").exit_code() == 2);
    CHECK(sandbench::ConfigError("x").exit_code() == 2);
    CHECK(sandbench::WorkloadError("x").exit_code() == 2);
    CHECK(sandbench::IoError("x").exit_code() == 2);
    CHECK(sandbench::BackendUnavailable("x").exit_code() == 1);
}
