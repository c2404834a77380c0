// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/workload.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "sandbench/common/error.hpp"
#include "support/temp_dir.hpp"

using sandbench_test::TempDir;

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;
using sandbench::UsageError;
using sandbench::WorkloadError;
using sandbench::backends::Execution;
using sandbench::backends::Status;
using sandbench::harness::Cell;
using sandbench::harness::check_cell;
using sandbench::harness::Expectation;
using sandbench::harness::ExpectationKind;
using sandbench::harness::load_workload;
using sandbench::harness::parse_workload;
using sandbench::harness::Workload;
using sandbench::harness::WorkloadCatalog;

Workload parse(std::string_view text) { return parse_workload(text, "t", "dir/t.py"); }

/// The message of the WorkloadError that parsing `text` throws; fails the test if none.
std::string parse_error(std::string_view text) {
    try {
        (void)parse(text);
    } catch (const WorkloadError& error) {
        return error.what();
    }
    FAIL("no WorkloadError for:\n" << text);
    return {};
}

std::string at_line(int line) { return "dir/t.py:" + std::to_string(line) + ": "; }

void write_file(const fs::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
}

}  // namespace

// ----- valid files ----------------------------------------------------------------------------

TEST_CASE("a header with every key is parsed", "[unit]") {
    const auto workload = parse(R"(# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     name: python3
# description: Load a CSV with pandas
# requires: [pandas, os.path]
# files:
#   - sales.csv
#   - regions.json
# downloads:
#   - name: report.txt
#     contains: "total: 12"
#   - name: raw.bin
#   - log.txt
# tags: [data, smoke]
# timeout: 2.5
# isolation: required
# ---

# %%
print("hi")
)");
    CHECK(workload.name == "t");
    CHECK(workload.path == fs::path("dir/t.py"));
    CHECK(workload.description == "Load a CSV with pandas");
    CHECK(workload.required_modules == std::vector<std::string>{"pandas", "os.path"});
    CHECK(workload.uploads == std::vector<std::string>{"sales.csv", "regions.json"});
    REQUIRE(workload.downloads.size() == 3);
    CHECK(workload.downloads[0].name == "report.txt");
    CHECK(workload.downloads[0].contains == "total: 12");
    CHECK(workload.downloads[1].name == "raw.bin");
    CHECK_FALSE(workload.downloads[1].contains.has_value());
    CHECK(workload.downloads[2].name == "log.txt");
    CHECK(workload.tags == std::vector<std::string>{"data", "smoke"});
    REQUIRE(workload.cell_timeout.has_value());
    CHECK(workload.cell_timeout->count() == Approx(2500.0));
    CHECK(workload.requires_isolation);
    REQUIRE(workload.cells.size() == 1);
    CHECK(workload.cells[0].code == "print(\"hi\")");
    CHECK(workload.cells[0].line == 22);
}

TEST_CASE("defaults apply when the header leaves keys out", "[unit]") {
    const auto workload = parse("# ---\n# description: minimal\n# ---\n# %%\nx = 1\n");
    CHECK(workload.tags.empty());
    CHECK(workload.required_modules.empty());
    CHECK(workload.uploads.empty());
    CHECK(workload.downloads.empty());
    CHECK_FALSE(workload.cell_timeout.has_value());
    CHECK_FALSE(workload.requires_isolation);

    CHECK_FALSE(parse("# ---\n# isolation: none\n# ---\n# %%\nx = 1\n").requires_isolation);
    CHECK(parse("# ---\n#\n# ---\n# %%\nx = 1\n").description.empty());
}

TEST_CASE("cell metadata values may contain spaces inside JSON", "[unit]") {
    const auto workload = parse(
        "# %% Load the data expect_stdout=\"rows: 12\" "
        "expect_result={\"a\": [1, 2], \"b\": \"x } y\"} expect_image=true\n"
        "df = load()\n"
        "# %% expect_stdout_regex=\"^total: \\\\d+$\" expect_stderr=\"warn ing\"\n"
        "print(1)\n"
        "# %% Raises expect_error=\"ZeroDivisionError\"\n"
        "1 / 0\n");
    REQUIRE(workload.cells.size() == 3);
    const auto& first = workload.cells[0];
    CHECK(first.title == "Load the data");
    CHECK(first.index == 1);
    CHECK(first.line == 1);
    REQUIRE(first.expectations.size() == 3);
    CHECK(first.expectations[0].kind == ExpectationKind::kStdoutContains);
    CHECK(first.expectations[0].text == "rows: 12");
    CHECK(first.expectations[1].kind == ExpectationKind::kResultEquals);
    CHECK(first.expectations[1].value == json{{"a", {1, 2}}, {"b", "x } y"}});
    CHECK(first.expectations[2].kind == ExpectationKind::kImage);

    const auto& second = workload.cells[1];
    CHECK(second.title.empty());
    REQUIRE(second.expectations.size() == 2);
    CHECK(second.expectations[0].kind == ExpectationKind::kStdoutMatches);
    CHECK(second.expectations[0].text == "^total: \\d+$");
    CHECK(second.expectations[1].kind == ExpectationKind::kStderrContains);
    CHECK(second.expectations[1].text == "warn ing");

    const auto& third = workload.cells[2];
    CHECK(third.title == "Raises");
    REQUIRE(third.expectations.size() == 1);
    CHECK(third.expectations[0].kind == ExpectationKind::kErrorName);
    CHECK(third.expectations[0].text == "ZeroDivisionError");
}

TEST_CASE("markdown, raw and empty cells are not executed", "[unit]") {
    const auto workload = parse(R"(# %% [markdown]
# # A title
# Some prose.

# %% First
a = 1

# %% Notes [md]
# more prose
# %% [raw]
not python
# %%

# %% Second
a += 1


)");
    REQUIRE(workload.cells.size() == 2);
    CHECK(workload.cells[0].index == 1);
    CHECK(workload.cells[0].title == "First");
    CHECK(workload.cells[0].code == "a = 1");
    CHECK(workload.cells[0].line == 5);
    CHECK(workload.cells[1].index == 2);
    CHECK(workload.cells[1].title == "Second");
    CHECK(workload.cells[1].code == "a += 1");
    CHECK(workload.cells[1].line == 14);
}

TEST_CASE("a notebook without header may start with code before the first marker", "[unit]") {
    SECTION("code before the first marker is a cell") {
        const auto workload = parse("\nimport os\n\nx = 1\n# %% expect_result=1\nx\n");
        REQUIRE(workload.cells.size() == 2);
        CHECK(workload.cells[0].code == "import os\n\nx = 1");
        CHECK(workload.cells[0].line == 2);
        CHECK(workload.cells[0].expectations.empty());
        CHECK(workload.cells[1].code == "x");
        CHECK(workload.cells[1].index == 2);
    }
    SECTION("a comment-only preamble is not a cell") {
        const auto workload = parse("# Licence: MIT\n#\n# notes\n\n# %%\nprint(1)\n");
        REQUIRE(workload.cells.size() == 1);
        CHECK(workload.cells[0].code == "print(1)");
    }
    SECTION("a file without any marker is one cell") {
        const auto workload = parse("print('hello')\n");
        REQUIRE(workload.cells.size() == 1);
        CHECK(workload.cells[0].code == "print('hello')");
    }
}

TEST_CASE("cell code keeps inner blank lines and comments, drops trailing blanks", "[unit]") {
    const auto workload =
        parse("# %%\r\ndef f():\r\n    # inner\r\n\r\n    return 1\r\n\r\n   \r\n# %%\r\nf()");
    REQUIRE(workload.cells.size() == 2);
    CHECK(workload.cells[0].code == "def f():\n    # inner\n\n    return 1");
    CHECK(workload.cells[1].code == "f()");
}

TEST_CASE("#%% without a space also starts a cell; %%%-lines and magics do not", "[unit]") {
    const auto workload = parse("#%% A\nx = 1\n# %%%\n# %%time\ny = 2\n");
    REQUIRE(workload.cells.size() == 1);
    CHECK(workload.cells[0].title == "A");
    CHECK(workload.cells[0].code == "x = 1\n# %%%\n# %%time\ny = 2");
}

// ----- malformed files ------------------------------------------------------------------------

TEST_CASE("malformed headers name the offending line", "[unit]") {
    SECTION("bad YAML") {
        const auto message =
            parse_error("# ---\n# description: x\n# tags: [a, b\n# ---\n# %%\n1\n");
        CHECK_THAT(message, StartsWith("dir/t.py:") && Contains("invalid YAML header"));
        // yaml-cpp reports an unclosed flow sequence where it gave up: the closing fence.
        CHECK_THAT(message, StartsWith(at_line(4)));
    }
    SECTION("bad YAML on an exact line") {
        CHECK_THAT(parse_error("# ---\n# description: x\n# tags: a: b\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("invalid YAML header"));
    }
    SECTION("unknown key") {
        CHECK_THAT(parse_error("# ---\n# description: x\n# timout: 3\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("unknown header key 'timout'") &&
                       Contains("timeout"));
    }
    SECTION("key given twice") {
        CHECK_THAT(parse_error("# ---\n# tags: [a]\n# tags: [b]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("twice"));
    }
    SECTION("unterminated header") {
        CHECK_THAT(parse_error("\n# ---\n# description: x\n"),
                   StartsWith(at_line(2)) && Contains("not closed"));
        CHECK_THAT(parse_error("# ---\n# description: x\n\n# %%\nprint(1)\n"),
                   StartsWith(at_line(1)) && Contains("not closed") && Contains("line 3"));
        CHECK_THAT(parse_error("# ---\n# description: x\n# %%\nprint(1)\n"),
                   StartsWith(at_line(1)) && Contains("not closed"));
    }
    SECTION("header line without the comment prefix") {
        CHECK_THAT(parse_error("# ---\n# description: x\ntags: [a]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("must start with '# '"));
    }
    SECTION("header that is not a mapping") {
        CHECK_THAT(parse_error("# ---\n# - a\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(1)) && Contains("mapping"));
    }
    SECTION("file name with a path separator") {
        CHECK_THAT(
            parse_error("# ---\n# files:\n#   - ok.csv\n#   - ../etc/passwd\n# ---\n# %%\n1\n"),
            StartsWith(at_line(4)) && Contains("plain file name"));
        CHECK_THAT(parse_error("# ---\n# files: [sub/a.csv]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("plain file name"));
        CHECK_THAT(parse_error("# ---\n# files: [..]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("plain file name"));
        CHECK_THAT(parse_error("# ---\n# downloads:\n#   - name: out/r.txt\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("plain file name"));
    }
    SECTION("file listed twice") {
        CHECK_THAT(parse_error("# ---\n# files: [a.csv, a.csv]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("twice"));
    }
    SECTION("downloads entry with an unknown key or without a name") {
        CHECK_THAT(parse_error("# ---\n# downloads:\n#   - name: r.txt\n#     contain: x\n"
                               "# ---\n# %%\n1\n"),
                   StartsWith(at_line(4)) && Contains("unknown key 'contain'"));
        CHECK_THAT(parse_error("# ---\n# downloads:\n#   - contains: x\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("needs a name"));
    }
    SECTION("negative, zero or non-numeric timeout") {
        CHECK_THAT(parse_error("# ---\n# description: x\n# timeout: -5\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(3)) && Contains("positive number") && Contains("-5"));
        CHECK_THAT(parse_error("# ---\n# timeout: 0\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("positive"));
        CHECK_THAT(parse_error("# ---\n# timeout: soon\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("number of seconds"));
        CHECK_THAT(parse_error("# ---\n# timeout: .nan\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("positive"));
    }
    SECTION("wrong value types") {
        CHECK_THAT(parse_error("# ---\n# requires: pandas\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("must be a list"));
        CHECK_THAT(parse_error("# ---\n# requires: [\"import os; x\"]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("not a Python module name"));
        CHECK_THAT(parse_error("# ---\n# description: [a]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("single value"));
        CHECK_THAT(parse_error("# ---\n# description:\n# tags: [a]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("needs a value"));
        CHECK_THAT(parse_error("# ---\n# isolation: yes\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("'required' or 'none'"));
        CHECK_THAT(parse_error("# ---\n# tags: [\"two words\"]\n# ---\n# %%\n1\n"),
                   StartsWith(at_line(2)) && Contains("tag"));
    }
}

TEST_CASE("malformed cell markers name the offending line", "[unit]") {
    SECTION("unknown metadata key") {
        CHECK_THAT(parse_error("# %%\n1\n# %% expect_stdot=\"x\"\nprint('x')\n"),
                   StartsWith(at_line(3)) && Contains("unknown cell metadata 'expect_stdot'") &&
                       Contains("expect_stdout"));
    }
    SECTION("invalid JSON value") {
        CHECK_THAT(parse_error("\n# %% expect_result={\"a\": }\n1\n"),
                   StartsWith(at_line(2)) && Contains("not valid JSON"));
        CHECK_THAT(parse_error("# %% expect_stdout='hi'\nprint('hi')\n"),
                   StartsWith(at_line(1)) && Contains("double quotes"));
        CHECK_THAT(parse_error("# %% expect_result=tru\n1\n"),
                   StartsWith(at_line(1)) && Contains("not valid JSON"));
    }
    SECTION("unterminated JSON string or object") {
        CHECK_THAT(parse_error("# %% expect_stdout=\"rows: 12\n1\n"),
                   StartsWith(at_line(1)) && Contains("closing quote or bracket"));
        CHECK_THAT(parse_error("# %% expect_result={\"a\": 1\n1\n"),
                   StartsWith(at_line(1)) && Contains("closing quote or bracket"));
    }
    SECTION("text glued to a value") {
        CHECK_THAT(parse_error("# %% expect_stdout=\"a\"b\n1\n"),
                   StartsWith(at_line(1)) && Contains("unexpected text"));
    }
    SECTION("spaces around '='") {
        CHECK_THAT(parse_error("# %% expect_stdout = \"x\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("needs a value"));
        CHECK_THAT(parse_error("# %% expect_stdout= \"x\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("has no value"));
        CHECK_THAT(parse_error("# %% Title =\"x\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("stray '='"));
    }
    SECTION("wrong value types") {
        CHECK_THAT(parse_error("# %% expect_stdout=42\nprint(42)\n"),
                   StartsWith(at_line(1)) && Contains("JSON string"));
        CHECK_THAT(parse_error("# %% expect_image=false\n1\n"),
                   StartsWith(at_line(1)) && Contains("only takes true"));
        CHECK_THAT(parse_error("# %% expect_error=\"\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("exception class name"));
        CHECK_THAT(parse_error("# %% expect_stdout_regex=\"(unclosed\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("regex"));
    }
    SECTION("metadata given twice") {
        CHECK_THAT(parse_error("# %% expect_stdout=\"a\" expect_stdout=\"b\"\n1\n"),
                   StartsWith(at_line(1)) && Contains("twice"));
    }
    SECTION("expectations that would never be checked") {
        CHECK_THAT(parse_error("# %%\n1\n# %% [markdown] expect_stdout=\"x\"\n# text\n"),
                   StartsWith(at_line(3)) && Contains("markdown"));
        CHECK_THAT(parse_error("# %%\n1\n# %% expect_result=1\n\n# %%\n2\n"),
                   StartsWith(at_line(3)) && Contains("no code"));
    }
}

TEST_CASE("a notebook without code cells is an error", "[unit]") {
    CHECK_THAT(parse_error(""), StartsWith(at_line(1)) && Contains("no code cells"));
    CHECK_THAT(parse_error("# ---\n# description: x\n# ---\n"),
               StartsWith(at_line(1)) && Contains("no code cells"));
    CHECK_THAT(parse_error("# just a comment\n# %% [markdown]\n# prose\n# %%\n\n"),
               Contains("no code cells"));
}

TEST_CASE("load_workload reads files and reports unreadable ones", "[unit]") {
    const TempDir dir;
    const auto file = dir.path / "my_load.py";
    write_file(file, "\xEF\xBB\xBF# %%\nprint('x')\n");
    const auto workload = load_workload(file);
    CHECK(workload.name == "my_load");
    CHECK(workload.path == file);
    REQUIRE(workload.cells.size() == 1);
    CHECK(workload.cells[0].code == "print('x')");

    CHECK_THROWS_WITH(load_workload(dir.path / "missing.py"), Contains("missing.py: no such"));
    CHECK_THROWS_AS(load_workload(dir.path), WorkloadError);

    write_file(file, "# ---\n# bad: 1\n# ---\n# %%\n1\n");
    CHECK_THROWS_WITH(load_workload(file), StartsWith(file.string() + ":2: "));
}

// ----- check_cell -----------------------------------------------------------------------------

namespace {

Cell cell_expecting(std::vector<Expectation> expectations) {
    Cell cell;
    cell.index = 1;
    cell.line = 1;
    cell.code = "pass";
    cell.expectations = std::move(expectations);
    return cell;
}

Expectation text_expectation(ExpectationKind kind, std::string text) {
    Expectation expectation;
    expectation.kind = kind;
    expectation.text = std::move(text);
    return expectation;
}

Expectation result_expectation(json value) {
    Expectation expectation;
    expectation.kind = ExpectationKind::kResultEquals;
    expectation.value = std::move(value);
    return expectation;
}

Execution raised(std::string name, std::string value) {
    Execution execution;
    execution.status = Status::kUserError;
    execution.error_name = std::move(name);
    execution.error_value = std::move(value);
    return execution;
}

}  // namespace

TEST_CASE("check_cell: a cell without expectations passes when it completes", "[unit]") {
    CHECK(check_cell(cell_expecting({}), Execution{}).empty());
}

TEST_CASE("check_cell: stdout contains", "[unit]") {
    const auto cell = cell_expecting({text_expectation(ExpectationKind::kStdoutContains, "hello")});
    Execution execution;
    execution.stdout_text = "well, hello there\n";
    CHECK(check_cell(cell, execution).empty());

    execution.stdout_text = "hallo\n";
    const auto failures = check_cell(cell, execution);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0] == R"(stdout does not contain "hello" (got "hallo\n"))");

    execution.output_truncated = true;
    CHECK_THAT(check_cell(cell, execution).at(0), Contains("truncated"));
}

TEST_CASE("check_cell: long got-values are cut", "[unit]") {
    const auto cell = cell_expecting({text_expectation(ExpectationKind::kStdoutContains, "end")});
    Execution execution;
    execution.stdout_text = std::string(10000, 'x');
    const auto failures = check_cell(cell, execution);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].size() < 200);
    CHECK_THAT(failures[0], Contains("10000 bytes"));
}

TEST_CASE("check_cell: stdout regex is searched, multiline", "[unit]") {
    const auto cell =
        cell_expecting({text_expectation(ExpectationKind::kStdoutMatches, "^total: \\d+$")});
    Execution execution;
    execution.stdout_text = "header\ntotal: 42\nfooter\n";
    CHECK(check_cell(cell, execution).empty());

    execution.stdout_text = "total: forty-two\n";
    const auto failures = check_cell(cell, execution);
    REQUIRE(failures.size() == 1);
    CHECK_THAT(failures[0],
               StartsWith("stdout does not match /^total: \\d+$/") && Contains("forty-two"));
}

TEST_CASE("check_cell: stderr contains", "[unit]") {
    const auto cell =
        cell_expecting({text_expectation(ExpectationKind::kStderrContains, "DeprecationWarning")});
    Execution execution;
    execution.stderr_text = "x.py:1: DeprecationWarning: old\n";
    CHECK(check_cell(cell, execution).empty());

    execution.stderr_text.clear();
    CHECK(check_cell(cell, execution) ==
          std::vector<std::string>{R"(stderr does not contain "DeprecationWarning" (got ""))"});
}

TEST_CASE("check_cell: result equals compares JSON by value", "[unit]") {
    Execution execution;
    SECTION("integers and floats") {
        execution.result = 2.0;
        CHECK(check_cell(cell_expecting({result_expectation(2)}), execution).empty());
        execution.result = 2;
        CHECK(check_cell(cell_expecting({result_expectation(2.0)}), execution).empty());
        execution.result = 0.1 + 0.2;
        CHECK(check_cell(cell_expecting({result_expectation(0.3)}), execution).empty());
        execution.result = 3;
        CHECK(check_cell(cell_expecting({result_expectation(2)}), execution) ==
              std::vector<std::string>{"result is 3, expected 2"});
        execution.result = 2.5;
        CHECK_FALSE(check_cell(cell_expecting({result_expectation(2)}), execution).empty());
    }
    SECTION("nested values") {
        execution.result = json{{"a", 1.0}, {"b", {1, 2.0, "x"}}};
        CHECK(check_cell(cell_expecting({result_expectation(json{{"b", {1.0, 2, "x"}}, {"a", 1}})}),
                         execution)
                  .empty());
        CHECK_FALSE(
            check_cell(cell_expecting({result_expectation(json{{"a", 1}})}), execution).empty());
        CHECK_FALSE(
            check_cell(cell_expecting({result_expectation(json{{"a", 1}, {"b", {1, 2, "y"}}})}),
                       execution)
                .empty());
    }
    SECTION("types do not convert") {
        execution.result = "2";
        CHECK(check_cell(cell_expecting({result_expectation(2)}), execution) ==
              std::vector<std::string>{R"(result is "2", expected 2)"});
        execution.result = true;
        CHECK_FALSE(check_cell(cell_expecting({result_expectation(1)}), execution).empty());
    }
    SECTION("a missing result hints at the trailing expression") {
        CHECK_THAT(check_cell(cell_expecting({result_expectation(2)}), execution).at(0),
                   StartsWith("result is null, expected 2") && Contains("end with an expression"));
        CHECK(check_cell(cell_expecting({result_expectation(nullptr)}), execution).empty());
    }
}

TEST_CASE("check_cell: expected errors", "[unit]") {
    const auto cell =
        cell_expecting({text_expectation(ExpectationKind::kErrorName, "ZeroDivisionError")});
    CHECK(check_cell(cell, raised("ZeroDivisionError", "division by zero")).empty());
    CHECK(check_cell(cell, raised("builtins.ZeroDivisionError", "division by zero")).empty());
    CHECK(check_cell(cell, raised("ValueError", "bad")) ==
          std::vector<std::string>{"expected ZeroDivisionError to be raised, got ValueError: bad"});
    CHECK_FALSE(check_cell(cell, raised("NotZeroDivisionError", "x")).empty());
    CHECK(check_cell(cell, Execution{}) ==
          std::vector<std::string>{
              "expected ZeroDivisionError to be raised, but the cell completed without error"});

    SECTION("other expectations still apply to a cell that raised as expected") {
        auto with_stdout = cell;
        with_stdout.expectations.push_back(
            text_expectation(ExpectationKind::kStdoutContains, "before"));
        auto execution = raised("ZeroDivisionError", "division by zero");
        execution.stdout_text = "before\n";
        CHECK(check_cell(with_stdout, execution).empty());
        execution.stdout_text.clear();
        CHECK(check_cell(with_stdout, execution).size() == 1);
    }
}

TEST_CASE("check_cell: an unexpected exception fails the cell", "[unit]") {
    CHECK(check_cell(cell_expecting({}), raised("ZeroDivisionError", "division by zero")) ==
          std::vector<std::string>{"the cell raised ZeroDivisionError: division by zero"});
    // One message, not one per expectation the exception made impossible.
    const auto cell = cell_expecting(
        {result_expectation(2), text_expectation(ExpectationKind::kStdoutContains, "x")});
    CHECK(check_cell(cell, raised("NameError", "name 'y' is not defined")) ==
          std::vector<std::string>{"the cell raised NameError: name 'y' is not defined"});
}

TEST_CASE("check_cell: a cell that did not complete fails with its status", "[unit]") {
    Execution execution;
    execution.status = Status::kTimeout;
    execution.message = "no reply within 30 s";
    CHECK(check_cell(cell_expecting({}), execution) ==
          std::vector<std::string>{"the cell did not complete: timeout (no reply within 30 s)"});
    // Even a cell that expects an error needs the sandbox to answer.
    execution.status = Status::kTransportError;
    execution.message.clear();
    const auto cell =
        cell_expecting({text_expectation(ExpectationKind::kErrorName, "ZeroDivisionError")});
    CHECK(check_cell(cell, execution) ==
          std::vector<std::string>{"the cell did not complete: transport_error"});
}

TEST_CASE("check_cell: image present", "[unit]") {
    Expectation image;
    image.kind = ExpectationKind::kImage;
    const auto cell = cell_expecting({image});
    Execution execution;
    CHECK(check_cell(cell, execution) ==
          std::vector<std::string>{"expected an image, but the cell returned none"});
    execution.images.push_back({"png", "iVBORw0KGgo="});
    CHECK(check_cell(cell, execution).empty());
}

TEST_CASE("check_cell: every failed expectation is reported", "[unit]") {
    Expectation image;
    image.kind = ExpectationKind::kImage;
    const auto cell = cell_expecting(
        {text_expectation(ExpectationKind::kStdoutContains, "a"), result_expectation(1), image});
    CHECK(check_cell(cell, Execution{}).size() == 3);
}

// ----- WorkloadCatalog ------------------------------------------------------------------------

TEST_CASE("WorkloadCatalog lists notebooks and loads them by name or path", "[unit]") {
    const TempDir dir;
    fs::create_directory(dir.path / "data");
    write_file(dir.path / "beta.py", "# %%\nprint('b')\n");
    write_file(dir.path / "alpha.py", "# %%\nprint('a')\n");
    write_file(dir.path / "README.md", "# not a workload\n");
    write_file(dir.path / ".hidden.py", "# %%\n1\n");
    write_file(dir.path / "data" / "helper.py", "# %%\n1\n");
    const WorkloadCatalog catalog(dir.path);

    CHECK(catalog.names() == std::vector<std::string>{"alpha", "beta"});
    CHECK(catalog.directory() == dir.path);
    CHECK(catalog.data_directory() == dir.path / "data");

    const auto alpha = catalog.load("alpha");
    CHECK(alpha.name == "alpha");
    CHECK(alpha.cells.at(0).code == "print('a')");

    SECTION("by path, also outside the directory") {
        const TempDir other;
        write_file(other.path / "mine.py", "# %%\nprint('m')\n");
        const auto mine = catalog.load((other.path / "mine.py").string());
        CHECK(mine.name == "mine");
        CHECK(catalog.load((dir.path / "beta.py").string()).name == "beta");
    }
    SECTION("unknown names list the known ones") {
        CHECK_THROWS_AS(catalog.load("gamma"), UsageError);
        CHECK_THROWS_WITH(catalog.load("gamma"), "unknown workload 'gamma' (known: alpha, beta)");
        CHECK_THROWS_WITH(catalog.load("helper"), Contains("unknown workload 'helper'"));
        CHECK_THROWS_WITH(catalog.load("gamma.py"), Contains("unknown workload 'gamma.py'"));
    }
    SECTION("a missing path is reported as such") {
        CHECK_THROWS_WITH(catalog.load("nowhere/x.py"), Contains("no such file"));
    }
    SECTION("an empty catalog says where it looked") {
        const WorkloadCatalog empty(dir.path / "data" / "none");
        CHECK(empty.names().empty());
        CHECK_THROWS_WITH(empty.load("x"), Contains("no workloads in"));
    }
}

// ----- the shipped workloads ------------------------------------------------------------------

TEST_CASE("every shipped workload parses and its uploads exist", "[unit]") {
    const WorkloadCatalog catalog(fs::path(SANDBENCH_SOURCE_DIR) / "workloads");
    const auto names = catalog.names();
    const std::set<std::string> shipped(names.begin(), names.end());
    for (const auto* required :
         {"hello", "arithmetic", "cpu_primes", "numpy_fft", "pandas_csv", "matplotlib_plot",
          "state_across_cells", "file_roundtrip", "large_stdout", "exception", "network_egress"}) {
        CHECK(shipped.count(required) == 1);
    }
    for (const auto& name : names) {
        INFO("workload " << name);
        const auto workload = catalog.load(name);
        CHECK(workload.name == name);
        CHECK_FALSE(workload.description.empty());
        CHECK_FALSE(workload.tags.empty());
        // Self-checking: a workload that checks nothing cannot tell a broken sandbox apart.
        CHECK(std::any_of(workload.cells.begin(), workload.cells.end(),
                          [](const Cell& cell) { return !cell.expectations.empty(); }));
        for (const auto& upload : workload.uploads) {
            INFO("upload " << upload);
            CHECK(fs::is_regular_file(catalog.data_directory() / upload));
        }
    }
}
