// SPDX-License-Identifier: Apache-2.0
//
// Reports: one run's results in the forms people and tools read. Every exporter is a pure
// function of the summary, the samples and the cost estimates, so `sandbench run` (at its end)
// and `sandbench report RUN_DIR` (any time later) produce the same files.
//
//   console      the terminal tables (render_console_report) plus the cost table
//   md           report.md: a CI job summary or PR comment
//   csv          samples.csv (one row per sample) and summary.csv (one row per summary row)
//   json         summary.json: results/README.md's schema, with the cost block
//   html         report.html: one self-contained page of inline SVG charts, no network needed
//   gbench-json  gbench.json: Google Benchmark's JSON, for tools/compare.py and
//                github-action-benchmark's googlecpp parser
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/harness/cost.hpp"
#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::harness {

enum class ReportFormat { kConsole, kMarkdown, kCsv, kJson, kHtml, kGbenchJson };

[[nodiscard]] std::string_view to_string(ReportFormat format) noexcept;
/// Parses format names (console, md, csv, json, html, gbench-json; "markdown" and "gbench"
/// are accepted too). Throws UsageError naming the known formats.
[[nodiscard]] std::vector<ReportFormat> parse_report_formats(const std::vector<std::string>& names);
/// Every format, console included, in the order they are written.
[[nodiscard]] std::vector<ReportFormat> all_report_formats();

/// What every exporter reads. The references must outlive the call.
struct ReportData {
    const Summary& summary;
    const std::vector<Sample>& samples;  ///< warmups included; exporters skip them
    const CostReport& cost;
};

/// report.md.
[[nodiscard]] std::string render_markdown(const ReportData& data);
/// samples.csv: every sample, every field, `http` flattened to http_* columns, `extra` as
/// JSON text. RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted.
[[nodiscard]] std::string render_samples_csv(const std::vector<Sample>& samples);
/// summary.csv: every statistic of every row, wall_* and backend_* columns, and the cost per
/// 1000 executions that belongs beside the row.
[[nodiscard]] std::string render_summary_csv(const ReportData& data);
/// summary.json's document: to_json(Summary) plus the `cost` block.
[[nodiscard]] nlohmann::json render_summary_json(const ReportData& data);
/// report.html.
[[nodiscard]] std::string render_html(const ReportData& data);
/// gbench.json.
[[nodiscard]] nlohmann::json render_gbench_json(const ReportData& data);
/// The cost table for the terminal, with the mix, confidence labels and notes.
[[nodiscard]] std::string render_cost_console(const CostReport& cost);

/// Quotes one CSV field when RFC 4180 requires it.
[[nodiscard]] std::string csv_field(std::string_view text);

/// Writes the files of `formats` into `directory` (created if missing), each atomically
/// (a temporary file, then rename). The console format writes nothing here; the caller prints
/// it. `previous_summary_json`, when an object, is the summary.json being replaced: fields it
/// has that this version does not write are kept. Returns the files written. Throws IoError.
std::vector<std::filesystem::path> write_reports(
    const ReportData& data, std::span<const ReportFormat> formats,
    const std::filesystem::path& directory, const nlohmann::json& previous_summary_json = nullptr);

}  // namespace sandbench::harness
