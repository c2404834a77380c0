// SPDX-License-Identifier: Apache-2.0
// The report formats' names, summary.json with its cost block, the console cost table, and
// writing the files.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "report/common.hpp"
#include "sandbench/common/atomic_file.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness {
namespace {

using namespace report_detail;

struct FormatName {
    ReportFormat format;
    std::string_view name;
};

constexpr std::array<FormatName, 8> kFormatNames{{
    {ReportFormat::kConsole, "console"},
    {ReportFormat::kMarkdown, "md"},
    {ReportFormat::kCsv, "csv"},
    {ReportFormat::kJson, "json"},
    {ReportFormat::kHtml, "html"},
    {ReportFormat::kGbenchJson, "gbench-json"},
    // Aliases people type.
    {ReportFormat::kMarkdown, "markdown"},
    {ReportFormat::kGbenchJson, "gbench"},
}};

std::string cost_cell(const std::optional<double>& usd) { return usd_or_unknown(usd); }

}  // namespace

std::string_view to_string(ReportFormat format) noexcept {
    for (const auto& entry : kFormatNames) {
        if (entry.format == format) {
            return entry.name;
        }
    }
    return "console";
}

std::vector<ReportFormat> all_report_formats() {
    return {ReportFormat::kConsole, ReportFormat::kMarkdown, ReportFormat::kCsv,
            ReportFormat::kJson,    ReportFormat::kHtml,     ReportFormat::kGbenchJson};
}

std::vector<ReportFormat> parse_report_formats(const std::vector<std::string>& names) {
    std::vector<ReportFormat> formats;
    for (const auto& name : names) {
        const auto* const it = std::find_if(kFormatNames.begin(), kFormatNames.end(),
                                            [&](const auto& entry) { return entry.name == name; });
        if (it == kFormatNames.end()) {
            throw UsageError(fmt::format(
                "unknown report format '{}' (known: console, md, csv, json, html, gbench-json)",
                name));
        }
        if (std::find(formats.begin(), formats.end(), it->format) == formats.end()) {
            formats.push_back(it->format);
        }
    }
    return formats;
}

nlohmann::json render_summary_json(const ReportData& data) {
    auto json = to_json(data.summary);
    json["cost"] = to_json(data.cost);
    return json;
}

std::string render_cost_console(const CostReport& cost) {
    if (cost.estimates.empty()) {
        return "";
    }
    std::string out;
    const auto& mix = cost.mix;
    out += fmt::format(
        "\nCost (USD, from measured session lifetimes; mix: {} executions per session, {} "
        "sessions per day, {} s think time)\n",
        mix.executions_per_session, mix.sessions_per_day, mix.think_time_s);
    out += fmt::format("{:<24} {:<18} {:>12} {:>10} {:>13} {:>15} {:>11} {:>11}  {}\n", "backend",
                       "workload", "cold session", "billed", "per 1000 cold", "per 1000 reused",
                       "per day", "per month", "confidence");
    for (const auto& e : cost.estimates) {
        const std::string backend = e.emulated ? e.backend + " (emulated)" : e.backend;
        out += fmt::format(
            "{:<24} {:<18} {:>12} {:>10} {:>13} {:>15} {:>11} {:>11}  {}\n", backend, e.workload,
            e.cold ? cost_cell(e.cold->usd) : "-", e.cold ? billed_text(e.cold->billed_s) : "-",
            cost_cell(e.cold_per_1000_usd), cost_cell(e.reused_per_1000_usd),
            cost_cell(e.per_day_usd), cost_cell(e.per_month_usd), to_string(e.confidence));
    }
    // One line per backend: the price, its source and date, and its caveats.
    std::vector<std::string> seen;
    for (const auto& e : cost.estimates) {
        if (std::find(seen.begin(), seen.end(), e.backend) != seen.end()) {
            continue;
        }
        seen.push_back(e.backend);
        if (!e.price) {
            out += fmt::format("  {}: no pricing entry for type '{}': cost unknown\n", e.backend,
                               e.backend_type);
            continue;
        }
        out += fmt::format("  {}: {} [{}; {}, as of {}]\n", e.backend, billing_text(*e.price),
                           to_string(e.price->confidence), e.price->source, e.price->as_of);
        if (!e.price->note.empty()) {
            out += fmt::format("    note: {}\n", e.price->note);
        }
        if (e.emulated) {
            out +=
                "    emulated: the real service's prices applied to lifetimes measured on a "
                "local emulator\n";
        }
    }
    return out;
}

std::vector<std::filesystem::path> write_reports(const ReportData& data,
                                                 std::span<const ReportFormat> formats,
                                                 const std::filesystem::path& directory,
                                                 const nlohmann::json& previous_summary_json) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
        throw IoError(fmt::format("cannot create report directory {}: {}", directory.string(),
                                  error.message()));
    }
    std::vector<std::filesystem::path> written;
    auto write = [&](const char* name, std::string_view text) {
        const auto file = directory / name;
        write_file_atomically(file, text);
        written.push_back(file);
    };
    for (const auto format : formats) {
        switch (format) {
            case ReportFormat::kConsole:
                break;
            case ReportFormat::kMarkdown:
                write("report.md", render_markdown(data));
                break;
            case ReportFormat::kCsv:
                write("samples.csv", render_samples_csv(data.samples));
                write("summary.csv", render_summary_csv(data));
                break;
            case ReportFormat::kJson: {
                // Start from the summary being replaced, so fields written by a newer (or
                // another) sandbench survive; every field this version knows is rewritten.
                nlohmann::json json = previous_summary_json.is_object() ? previous_summary_json
                                                                        : nlohmann::json::object();
                json.update(render_summary_json(data));
                write("summary.json", json.dump(2) + "\n");
                break;
            }
            case ReportFormat::kHtml:
                write("report.html", render_html(data));
                break;
            case ReportFormat::kGbenchJson:
                write("gbench.json", render_gbench_json(data).dump(2) + "\n");
                break;
        }
    }
    return written;
}

}  // namespace sandbench::harness
