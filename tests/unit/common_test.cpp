// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>

#include <cerrno>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "sandbench/common/atomic_file.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/fd.hpp"
#include "sandbench/common/file_name.hpp"
#include "sandbench/common/random_id.hpp"
#include "sandbench/common/redact.hpp"
#include "support/temp_dir.hpp"

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

TEST_CASE("the file-name contract refuses traversal, separators and control characters",
          "[unit][file_name]") {
    using sandbench::invalid_file_name;
    CHECK_FALSE(invalid_file_name("data.csv"));
    CHECK_FALSE(invalid_file_name(".hidden"));
    CHECK_FALSE(invalid_file_name("..."));
    CHECK_FALSE(invalid_file_name("ünïcödé 名前.txt"));
    CHECK_FALSE(invalid_file_name(std::string(255, 'x')));
    CHECK(invalid_file_name("") == "a file name must not be empty");
    CHECK(invalid_file_name(".") == "'.' is not a file name");
    CHECK(invalid_file_name("..") == "'..' is not a file name");
    CHECK(invalid_file_name("../etc") == "file name '../etc' must not contain a path separator");
    CHECK(invalid_file_name("a\\b") == "file name 'a\\b' must not contain a path separator");
    CHECK(invalid_file_name(std::string("a\0b", 3)) ==
          "a file name must not contain NUL or other control characters");
    CHECK(invalid_file_name("line\nbreak").has_value());
    CHECK(invalid_file_name("del\x7f").has_value());
    CHECK(invalid_file_name(std::string(256, 'x')) == "a file name must not exceed 255 bytes");
}

TEST_CASE("relative paths split into valid names; the first bad component is the problem",
          "[unit][file_name]") {
    using sandbench::split_relative_path;
    const auto nested = split_relative_path("/dir//sub/file.txt/");
    CHECK_FALSE(nested.problem);
    CHECK(nested.names == std::vector<std::string>{"dir", "sub", "file.txt"});
    CHECK(split_relative_path("").names.empty());
    CHECK_FALSE(split_relative_path("").problem);

    const auto escape = split_relative_path("dir/../../etc/passwd");
    CHECK(escape.problem == "'..' is not a file name");
    CHECK(escape.names.empty());
    CHECK(split_relative_path("a/./b").problem == "'.' is not a file name");
    CHECK(split_relative_path("a\\..\\b").problem.has_value());
}

TEST_CASE("random identifiers have their formats and do not repeat", "[unit][random_id]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto uuid = sandbench::random_uuid();
        REQUIRE(uuid.size() == 36);
        for (std::size_t at : {8U, 13U, 18U, 23U}) {
            CHECK(uuid[at] == '-');
        }
        CHECK(uuid[14] == '4');                                          // version 4
        CHECK(std::string("89ab").find(uuid[19]) != std::string::npos);  // RFC 4122 variant
        CHECK(uuid.find_first_not_of("0123456789abcdef-") == std::string::npos);
        CHECK(seen.insert(uuid).second);
    }
    for (const std::size_t length : {0U, 1U, 16U, 17U, 40U}) {
        const auto hex = sandbench::random_hex(length);
        CHECK(hex.size() == length);
        CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    }
    const auto word = sandbench::random_string(64, "ab");
    CHECK(word.size() == 64);
    CHECK(word.find_first_not_of("ab") == std::string::npos);
    CHECK(word.find('a') != std::string::npos);  // 2^-64 odds of a false failure
    CHECK(word.find('b') != std::string::npos);
}

TEST_CASE("close-on-exec pipes, whole writes and reads to the end", "[unit][fd]") {
    auto pipe = sandbench::make_cloexec_pipe(10);
    CHECK(pipe.read.get() >= 10);
    CHECK(pipe.write.get() >= 10);
    CHECK((::fcntl(pipe.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pipe.write.get(), F_GETFD) & FD_CLOEXEC) != 0);

    const std::string bytes(40'000, 'z');  // less than a pipe's buffer: no reader thread needed
    CHECK(sandbench::write_all(pipe.write, bytes) == 0);
    pipe.write.reset();
    std::string read;
    CHECK(sandbench::read_to_end(pipe.read, read) == 0);
    CHECK(read == bytes);

    const sandbench::Fd closed;
    CHECK(sandbench::write_all(closed, "x") == EBADF);
    CHECK(sandbench::read_to_end(closed, read) == EBADF);
}

TEST_CASE("atomic writes replace the whole file and name the file they cannot write",
          "[unit][atomic_file]") {
    const sandbench_test::TempDir dir;
    const auto file = dir.path / "summary.json";
    sandbench::write_file_atomically(file, "first");
    sandbench::write_file_atomically(file, "second");
    CHECK(dir.read("summary.json") == "second");
    CHECK_FALSE(dir.exists("summary.json.tmp"));
    CHECK_THROWS_AS(sandbench::write_file_atomically(dir.path / "missing" / "x.json", "x"),
                    sandbench::IoError);
}
