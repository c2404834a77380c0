// SPDX-License-Identifier: Apache-2.0
// The exporters on the deterministic run of report_fixture.hpp: each format against its golden
// file in tests/golden/, and the properties each format promises: RFC 4180 quoting, Google
// Benchmark's keys, one SVG chart per phase, well-formed SVG, the emulated badge, no network.
// Also the summary loader: the context block and the rows round-trip through summary.json.
// SANDBENCH_UPDATE_GOLDEN=1 rewrites the golden files after an intended change; review the diff.
#include "sandbench/harness/report.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "sandbench/common/error.hpp"
#include "sandbench/harness/summary_io.hpp"
#include "support/temp_dir.hpp"
#include "unit/report_fixture.hpp"

using namespace sandbench::harness;
using sandbench::test::make_report_fixture;

namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(SANDBENCH_SOURCE_DIR) / "tests" / "golden";

using sandbench_test::TempDir;

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool updating_golden() {
    const char* update = std::getenv("SANDBENCH_UPDATE_GOLDEN");
    return update != nullptr && std::string(update) == "1";
}

/// Compares with tests/golden/<name>, naming the first line that differs.
void check_golden(const std::string& name, const std::string& actual) {
    const auto file = kGolden / name;
    if (updating_golden()) {
        fs::create_directories(kGolden);
        std::ofstream(file, std::ios::binary) << actual;
        WARN("rewrote " << file.string());
        return;
    }
    INFO("golden file " << file.string()
                        << " (rewrite with SANDBENCH_UPDATE_GOLDEN=1 after an intended change)");
    REQUIRE(fs::exists(file));
    const auto expected = slurp(file);
    if (expected == actual) {
        SUCCEED();
        return;
    }
    std::istringstream want(expected);
    std::istringstream got(actual);
    std::string want_line;
    std::string got_line;
    int line = 0;
    while (true) {
        ++line;
        const bool more_want = static_cast<bool>(std::getline(want, want_line));
        const bool more_got = static_cast<bool>(std::getline(got, got_line));
        if (!more_want && !more_got) {
            break;
        }
        if (!more_want || !more_got || want_line != got_line) {
            FAIL("line " << line << " differs\n  expected: " << want_line.substr(0, 300)
                         << "\n  actual:   " << got_line.substr(0, 300));
        }
    }
    FAIL("the files differ in line endings or a final newline");
}

/// What is wrong with the XML, or "" when it is well-formed enough for a browser's XML parser:
/// tags balance, attribute values are quoted and hold no '<', entities are known.
std::string xml_problem(std::string_view xml) {
    std::vector<std::string> stack;
    auto entity_ok = [&](std::size_t at) {
        const auto end = xml.find(';', at);
        if (end == std::string_view::npos || end - at > 8) {
            return false;
        }
        const auto entity = xml.substr(at, end - at + 1);
        static const std::set<std::string_view> kKnown{"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
        return kKnown.contains(entity) || entity.starts_with("&#");
    };
    std::size_t i = 0;
    while (i < xml.size()) {
        if (xml[i] == '&') {
            if (!entity_ok(i)) {
                return "bare & at " + std::to_string(i);
            }
            ++i;
            continue;
        }
        if (xml[i] != '<') {
            ++i;
            continue;
        }
        if (xml.substr(i, 4) == "<!--") {
            const auto end = xml.find("-->", i);
            if (end == std::string_view::npos) {
                return "unclosed comment";
            }
            i = end + 3;
            continue;
        }
        // The tag ends at the first '>' outside quotes.
        std::size_t end = i + 1;
        bool quoted = false;
        while (end < xml.size() && (quoted || xml[end] != '>')) {
            if (xml[end] == '"') {
                quoted = !quoted;
            } else if (quoted && xml[end] == '<') {
                return "'<' inside an attribute value at " + std::to_string(end);
            } else if (quoted && xml[end] == '&' && !entity_ok(end)) {
                return "bare & in an attribute value at " + std::to_string(end);
            }
            ++end;
        }
        if (end >= xml.size()) {
            return "unterminated tag at " + std::to_string(i);
        }
        auto tag = xml.substr(i + 1, end - i - 1);
        i = end + 1;
        if (tag.starts_with('/')) {
            const std::string name(tag.substr(1));
            if (stack.empty() || stack.back() != name) {
                return "</" + name + "> closes <" + (stack.empty() ? "" : stack.back()) + ">";
            }
            stack.pop_back();
            continue;
        }
        const bool self_closing = tag.ends_with('/');
        if (self_closing) {
            tag.remove_suffix(1);
        }
        const auto name_end = tag.find_first_of(" \t\n");
        const std::string name(tag.substr(0, name_end));
        // Attributes: name="value" pairs and nothing else.
        std::size_t at = name_end == std::string_view::npos ? tag.size() : name_end;
        while (at < tag.size()) {
            while (at < tag.size() && (tag[at] == ' ' || tag[at] == '\n' || tag[at] == '\t')) {
                ++at;
            }
            if (at >= tag.size()) {
                break;
            }
            const auto equals = tag.find('=', at);
            if (equals == std::string_view::npos || equals + 1 >= tag.size() ||
                tag[equals + 1] != '"') {
                return "unquoted attribute in <" + name + ">";
            }
            const auto close = tag.find('"', equals + 2);
            if (close == std::string_view::npos) {
                return "unterminated attribute in <" + name + ">";
            }
            at = close + 1;
        }
        if (!self_closing) {
            stack.push_back(name);
        }
    }
    return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

std::vector<std::string> svgs_of(const std::string& html) {
    std::vector<std::string> svgs;
    std::size_t at = 0;
    while ((at = html.find("<svg", at)) != std::string::npos) {
        const auto end = html.find("</svg>", at);
        REQUIRE(end != std::string::npos);
        svgs.push_back(html.substr(at, end + 6 - at));
        at = end;
    }
    return svgs;
}

/// RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            records.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            records.back().push_back(std::move(field));
            field.clear();
            records.emplace_back();
            ++i;
        } else {
            field += c;
        }
    }
    if (records.back().empty() && field.empty()) {
        records.pop_back();
    }
    return records;
}

}  // namespace

TEST_CASE("every exporter matches its golden file", "[unit][report]") {
    const auto f = make_report_fixture();
    const ReportData data{f.summary, f.samples, f.cost};
    check_golden("report.md", render_markdown(data));
    check_golden("samples.csv", render_samples_csv(f.samples));
    check_golden("summary.csv", render_summary_csv(data));
    check_golden("summary.json", render_summary_json(data).dump(2) + "\n");
    check_golden("gbench.json", render_gbench_json(data).dump(2) + "\n");
    check_golden("report.html", render_html(data));
    // The latency tables belong to console_report (its own tests); the cost table is ours.
    check_golden("cost_console.txt", render_cost_console(f.cost));
}

TEST_CASE("CSV fields are quoted as RFC 4180 says", "[unit][report]") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("cr\rhere") == "\"cr\rhere\"");

    const auto f = make_report_fixture();
    const ReportData data{f.summary, f.samples, f.cost};
    for (const auto& text : {render_samples_csv(f.samples), render_summary_csv(data)}) {
        const auto records = parse_csv(text);
        REQUIRE(records.size() > 1);
        for (const auto& record : records) {
            CHECK(record.size() == records.front().size());
        }
        CHECK(text.find("\r\n") != std::string::npos);
    }
    const auto samples = parse_csv(render_samples_csv(f.samples));
    CHECK(samples.size() == f.samples.size() + 1);
    const auto& header = samples.front();
    const auto column = [&](std::string_view name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                        header.begin());
    };
    REQUIRE(column("http_total_ms") < header.size());
    REQUIRE(column("message") < header.size());
    bool saw_quote = false;
    bool saw_newline = false;
    bool saw_http = false;
    bool saw_extra = false;
    for (std::size_t i = 1; i < samples.size(); ++i) {
        const auto& message = samples[i][column("message")];
        saw_quote = saw_quote || message == R"(expected stdout "hello", got "hel,lo")";
        saw_newline = saw_newline || message.find('\n') != std::string::npos;
        saw_http = saw_http || !samples[i][column("http_total_ms")].empty();
        saw_extra = saw_extra || samples[i][column("extra")] == "{\"output_truncated\":true}";
    }
    CHECK(saw_quote);
    CHECK(saw_newline);
    CHECK(saw_http);
    CHECK(saw_extra);
}

TEST_CASE("gbench-json has every key Google Benchmark's tools read", "[unit][report]") {
    const auto f = make_report_fixture();
    const auto json = render_gbench_json({f.summary, f.samples, f.cost});

    const auto& context = json.at("context");
    for (const auto* key : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
                            "cpu_scaling_enabled", "caches", "load_avg", "library_build_type"}) {
        CHECK(context.contains(key));
    }
    CHECK(context.at("json_schema_version") == 1);
    CHECK(context.at("library_build_type") == "release");
    CHECK(context.at("caches").is_array());
    CHECK(context.at("load_avg") == nlohmann::json::array({0.5, 0.25, 1.0}));
    CHECK(context.at("mhz_per_cpu") == 2600);  // Google Benchmark's integer MHz, rounded
    CHECK(context.at("sandbench_cpu_model") == "Fixture CPU @ 2.60GHz");

    std::set<std::string> run_names;
    std::size_t errors = 0;
    std::size_t cvs = 0;
    for (const auto& b : json.at("benchmarks")) {
        INFO(b.dump());
        // compare.py and the googlecpp parser read these.
        for (const auto* key :
             {"name", "run_name", "run_type", "repetitions", "threads", "iterations", "real_time",
              "cpu_time", "family_index", "per_family_instance_index"}) {
            CHECK(b.contains(key));
        }
        CHECK(b.at("threads") == 1);
        run_names.insert(b.at("run_name").get<std::string>());
        if (b.at("run_type") == "iteration") {
            CHECK(b.contains("repetition_index"));
            CHECK(b.at("time_unit") == "ms");
            CHECK(b.at("name") == b.at("run_name"));
            if (b.value("error_occurred", false)) {
                ++errors;
                CHECK(b.contains("error_message"));
                CHECK(b.at("iterations") == 0);
            } else {
                CHECK(b.at("iterations") == 1);
                CHECK(b.at("real_time") == b.at("cpu_time"));
                CHECK(b.contains("success_rate"));
            }
        } else {
            REQUIRE(b.at("run_type") == "aggregate");
            const auto aggregate = b.at("aggregate_name").get<std::string>();
            CHECK(b.at("name") == b.at("run_name").get<std::string>() + "_" + aggregate);
            CHECK(std::set<std::string>{"mean", "median", "stddev", "cv", "p95", "p99"}.contains(
                aggregate));
            if (aggregate == "cv") {
                ++cvs;
                CHECK(b.at("aggregate_unit") == "percentage");
                CHECK_FALSE(b.contains("time_unit"));
                CHECK(b.at("real_time").get<double>() < 1.0);
            } else {
                CHECK(b.at("aggregate_unit") == "time");
                CHECK(b.at("time_unit") == "ms");
            }
        }
    }
    // One family per summary row, named backend/workload/scenario/phase.
    CHECK(run_names.size() == f.summary.rows.size());
    CHECK(run_names.contains("local/hello/cold/create"));
    CHECK(run_names.contains("aca-emu/numpy_fft/reused/download"));
    CHECK(errors == 1);  // aca-emu's reused download never worked
    CHECK(cvs > 0);

    // The iteration rows of a family are its ok measured samples; the cost counter is there.
    std::size_t repetitions = 0;
    for (const auto& b : json.at("benchmarks")) {
        if (b.at("name") == "e2b-emu/hello/cold/create" && b.at("run_type") == "iteration") {
            ++repetitions;
            CHECK(b.at("repetitions") == 11);  // 12 measured, one timed out
            CHECK(b.contains("cost_per_1000_executions"));
            CHECK(b.at("label") == "emulated");
        }
    }
    CHECK(repetitions == 11);
}

TEST_CASE("the HTML report has one chart per phase, well-formed and offline", "[unit][report]") {
    const auto f = make_report_fixture();
    const auto html = render_html({f.summary, f.samples, f.cost});
    const auto svgs = svgs_of(html);

    std::map<std::string, int> charts;
    for (const auto& svg : svgs) {
        INFO(svg.substr(0, 200));
        CHECK(xml_problem(svg) == "");
        const auto kind_at = svg.find("data-chart=\"");
        REQUIRE(kind_at != std::string::npos);
        const auto kind = svg.substr(kind_at + 12, svg.find('"', kind_at + 12) - kind_at - 12);
        std::string key = kind;
        if (const auto phase_at = svg.find("data-phase=\""); phase_at != std::string::npos) {
            const auto scenario_at = svg.find("data-scenario=\"");
            key += ":" +
                   svg.substr(scenario_at + 15, svg.find('"', scenario_at + 15) - scenario_at - 15);
            key += ":" + svg.substr(phase_at + 12, svg.find('"', phase_at + 12) - phase_at - 12);
        }
        ++charts[key];
    }
    // Per phase present in the run: one distribution chart and one ECDF chart.
    for (const auto* phase_name : {"create", "upload", "first_result", "execute", "last_result",
                                   "download", "close", "session"}) {
        INFO(phase_name);
        CHECK(charts[std::string("distribution:cold:") + phase_name] == 1);
        CHECK(charts[std::string("ecdf:cold:") + phase_name] == 1);
    }
    for (const auto* phase_name : {"execute", "download"}) {
        CHECK(charts[std::string("distribution:reused:") + phase_name] == 1);
        CHECK(charts[std::string("ecdf:reused:") + phase_name] == 1);
    }
    CHECK(charts["distribution:reused:create"] == 0);
    CHECK(charts["cold-vs-reused"] == 1);
    CHECK(charts["breakdown"] == 1);
    CHECK(charts["failures"] == 1);
    CHECK(svgs.size() == 10 + 10 + 3);

    // Emulated backends are labelled in the page and inside the charts.
    CHECK_THAT(html, Catch::Contains("class=\"badge emulated\">emulated</span>"));
    CHECK_THAT(html, Catch::Contains("class=\"badge-emulated\""));
    // Self-contained: nothing is fetched.
    for (const auto* forbidden : {"<script", "<link", "src=", "@import", "url(", "https://cdn"}) {
        INFO(forbidden);
        CHECK(html.find(forbidden) == std::string::npos);
    }
    CHECK(html.starts_with("<!DOCTYPE html>"));
    CHECK_THAT(html, Catch::Contains("no successful sample"));
    // Axis titles carry units.
    CHECK_THAT(html, Catch::Contains("milliseconds"));
}

TEST_CASE("the Markdown report has latency, cost and failures side by side", "[unit][report]") {
    const auto f = make_report_fixture();
    const auto md = render_markdown({f.summary, f.samples, f.cost});
    CHECK_THAT(md, Catch::Contains("## Cold sessions") && Catch::Contains("## Reused sessions") &&
                       Catch::Contains("## Cold vs reused") && Catch::Contains("## Cost") &&
                       Catch::Contains("## Failures") && Catch::Contains("## Skipped") &&
                       Catch::Contains("## Context"));
    CHECK_THAT(md, Catch::Contains("e2b-emu *(emulated)*"));
    CHECK_THAT(md, Catch::Contains("| estimated |"));
    CHECK_THAT(md, Catch::Contains("| exact |"));
    // A message with a pipe or a line break must not break the table.
    CHECK(md.find("bad input\nline 2") == std::string::npos);
}

TEST_CASE("summary.json carries the cost block and round-trips", "[unit][report][summary]") {
    const auto f = make_report_fixture();
    const auto json = render_summary_json({f.summary, f.samples, f.cost});
    CHECK(json.at("schema_version") == kSummarySchemaVersion);
    const auto& cost = json.at("cost");
    CHECK(cost.at("currency") == "USD");
    CHECK(cost.at("mix").at("executions_per_session") == 20);
    CHECK(cost.at("estimates").size() == 6);  // 3 backends x 2 workloads
    for (const auto& estimate : cost.at("estimates")) {
        CHECK(estimate.contains("confidence"));
        CHECK(estimate.contains("cold_per_1000_executions_usd"));
        CHECK(estimate.contains("reused_per_1000_executions_usd"));
        CHECK(estimate.at("pricing").contains("source"));
    }

    const auto back = summary_from_json(json);
    CHECK(to_json(back) == to_json(f.summary));
    CHECK(to_json(back.context) == to_json(f.summary.context));
    CHECK(back.context.backends.at(1).emulated);
    CHECK(back.context.backends.at(1).capabilities.isolation == "firecracker");

    CHECK_THROWS_AS(summary_from_json({{"schema_version", 99}, {"context", json["context"]}}),
                    sandbench::IoError);
}

TEST_CASE("a run directory loads with rows recomputed from its samples",
          "[unit][report][summary]") {
    const auto f = make_report_fixture();
    TempDir dir;
    {
        SampleWriter writer(dir.path / "samples.jsonl");
        for (const auto& sample : f.samples) {
            writer.append(sample);
        }
    }
    // A summary with stale rows: the loader must not trust them.
    auto stale = f.summary;
    stale.rows.resize(1);
    write_summary(stale, dir.path / "summary.json");

    const auto run = load_run(dir.path);
    CHECK(run.samples.size() == f.samples.size());
    CHECK(to_json(run.summary) == to_json(f.summary));
    CHECK(run.summary_json.is_object());

    SECTION("without summary.json, the samples alone give a report") {
        fs::remove(dir.path / "summary.json");
        const auto crashed = load_run(dir.path);
        CHECK(crashed.summary.interrupted);
        CHECK(crashed.summary.context.run_id == f.summary.context.run_id);
        CHECK(crashed.summary.rows.size() == f.summary.rows.size());
        CHECK(crashed.summary.context.backends.size() == 3);
        CHECK_FALSE(render_html({crashed.summary, crashed.samples, f.cost}).empty());
    }
    SECTION("an empty directory is an error") {
        TempDir empty;
        CHECK_THROWS_AS(load_run(empty.path), sandbench::IoError);
    }
}

TEST_CASE("write_reports writes each format's files and keeps unknown summary fields",
          "[unit][report]") {
    const auto f = make_report_fixture();
    const ReportData data{f.summary, f.samples, f.cost};
    TempDir dir;
    nlohmann::json previous = to_json(f.summary);
    previous["written_by_a_newer_sandbench"] = {{"kept", true}};

    const auto written = write_reports(data, all_report_formats(), dir.path / "out", previous);
    std::set<std::string> names;
    for (const auto& file : written) {
        names.insert(file.filename().string());
        CHECK(fs::file_size(file) > 100);
    }
    CHECK(names == std::set<std::string>{"report.md", "samples.csv", "summary.csv", "summary.json",
                                         "report.html", "gbench.json"});
    const auto summary = nlohmann::json::parse(slurp(dir.path / "out" / "summary.json"));
    CHECK(summary.at("written_by_a_newer_sandbench").at("kept") == true);
    CHECK(summary.contains("cost"));
    CHECK_FALSE(fs::exists(dir.path / "out" / "summary.json.tmp"));

    const std::vector<ReportFormat> only_md{ReportFormat::kMarkdown};
    CHECK(write_reports(data, only_md, dir.path / "md").size() == 1);
}

TEST_CASE("report format names parse, with aliases, and unknown names are usage errors",
          "[unit][report]") {
    CHECK(parse_report_formats({"md", "gbench-json", "markdown"}) ==
          std::vector<ReportFormat>{ReportFormat::kMarkdown, ReportFormat::kGbenchJson});
    CHECK(parse_report_formats({"console", "csv", "json", "html", "gbench"}).size() == 5);
    CHECK_THROWS_AS(parse_report_formats({"pdf"}), sandbench::UsageError);
    for (const auto format : all_report_formats()) {
        CHECK(parse_report_formats({std::string(to_string(format))}).front() == format);
    }
}
