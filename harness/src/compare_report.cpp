// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/compare_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness {
namespace {

/// A column of the comparison table: header and alignment (numbers right, names left).
struct Column {
    std::string_view header;
    bool right = false;
};

constexpr std::array<Column, 15> kColumns{{
    {"backend", false},
    {"workload", false},
    {"scenario", false},
    {"phase", false},
    {"n base/new", true},
    {"median base", true},
    {"median new", true},
    {"change", true},
    {"ratio 95% CI", true},
    {"HL ratio", true},
    {"p95 base", true},
    {"p95 new", true},
    {"p", true},
    {"success", true},
    {"verdict", false},
}};

using Cells = std::array<std::string, kColumns.size()>;

std::string context_text(const nlohmann::json& context, std::string_view key) {
    if (!context.is_object()) {
        return "?";
    }
    const auto it = context.find(key);
    if (it == context.end() || it->is_null()) {
        return "?";
    }
    return it->is_string() ? it->get<std::string>() : it->dump();
}

/// The 1-minute load average when the run started, if summary.json recorded it.
std::optional<double> start_load(const ComparedRun& run) {
    if (!run.context.is_object()) {
        return std::nullopt;
    }
    const auto it = run.context.find("load_average");
    if (it == run.context.end() || !it->is_array() || it->empty() || !it->front().is_number()) {
        return std::nullopt;
    }
    return it->front().get<double>();
}

/// "run 2026..., started ..., git abc1234, release build, host vm (2 CPUs), load 0.47".
std::string describe_run(const ComparedRun& run) {
    if (!run.context.is_object()) {
        return "no summary.json, so no context";
    }
    const auto load = start_load(run);
    return fmt::format("run {}, started {}, git {}, {} build, host {} ({} CPUs), load {}",
                       context_text(run.context, "run_id"), context_text(run.context, "started_at"),
                       context_text(run.context, "git_revision"),
                       context_text(run.context, "build_type"), context_text(run.context, "host"),
                       context_text(run.context, "cpus"),
                       load ? fmt::format("{:.2f}", *load) : std::string("?"));
}

}  // namespace

std::optional<std::string> load_warning(const ComparedRun& base, const ComparedRun& current) {
    const auto base_load = start_load(base);
    const auto new_load = start_load(current);
    if (!base_load || !new_load) {
        return std::nullopt;
    }
    double cpus = 1.0;
    if (const auto it = current.context.find("cpus");
        it != current.context.end() && it->is_number() && it->get<double>() > 0) {
        cpus = it->get<double>();
    }
    // Half a CPU's worth of other work is where the calibration runs of the CI gate began to
    // slow CPU-bound phases visibly (results/baselines/README.md).
    if (std::abs(*new_load - *base_load) < 0.5 * cpus) {
        return std::nullopt;
    }
    return fmt::format(
        "the machine's load differed: BASE started at {:.2f}, NEW at {:.2f} (1-minute load "
        "average, {} CPUs); a busier machine slows every phase, so ratios may measure the load "
        "rather than the change",
        *base_load, *new_load, cpus);
}

std::optional<std::string> machine_warning(const ComparedRun& base, const ComparedRun& current) {
    if (!base.context.is_object() || !current.context.is_object()) {
        return std::nullopt;
    }
    // "?" is a field the run did not record; "" one it could not read. Neither is compared.
    const auto known = [](const std::string& text) { return text != "?" && !text.empty(); };
    std::vector<std::string> differences;
    for (const auto* key : {"cpu_model", "cpus", "build_type"}) {
        const std::string before = context_text(base.context, key);
        const std::string after = context_text(current.context, key);
        if (before != after && known(before) && known(after)) {
            differences.push_back(fmt::format("{} {} vs {}", key, before, after));
        }
    }
    if (differences.empty()) {
        return std::nullopt;
    }
    return fmt::format(
        "the runs were measured on different machines or builds ({}); ratios may measure that "
        "difference rather than the change",
        fmt::join(differences, ", "));
}

namespace {

/// Every reason the two runs may not be comparable, one sentence each.
std::vector<std::string> context_warnings(const ComparedRun& base, const ComparedRun& current) {
    std::vector<std::string> warnings;
    if (auto machine = machine_warning(base, current)) {
        warnings.push_back(std::move(*machine));
    }
    if (auto load = load_warning(base, current)) {
        warnings.push_back(std::move(*load));
    }
    return warnings;
}

std::string ms_or_dash(const std::optional<double>& value) {
    return value ? format_ms(*value) : "-";
}

std::string percentile_or_dash(const std::optional<Percentile>& value) {
    if (!value) {
        return "-";
    }
    // Marked as in the run report: shown, never silently trusted.
    return value->supported ? format_ms(value->value) : format_ms(value->value) + "?";
}

std::string percent_text(double fraction) {
    const double percent = fraction * 100.0;
    return percent == std::round(percent) ? fmt::format("{:.0f}%", percent)
                                          : fmt::format("{:.1f}%", percent);
}

std::string success_text(const RowComparison& row) {
    if (row.base && row.current && row.base->success_rate() != row.current->success_rate()) {
        return fmt::format("{}->{}", percent_text(row.base->success_rate()),
                           percent_text(row.current->success_rate()));
    }
    const auto& side = row.current ? row.current : row.base;
    return side ? percent_text(side->success_rate()) : "-";
}

std::string p_value_text(const RowComparison& row) {
    if (!row.mann_whitney) {
        return "-";
    }
    const double p = row.mann_whitney->p_value;
    return p < 0.001 ? "<0.001" : fmt::format("{:.3f}", p);
}

Cells cells_of(const RowComparison& row) {
    const auto n_of = [](const std::optional<SummaryRow>& side) {
        return side ? std::to_string(side->wall.n) : std::string("-");
    };
    const auto change = row.relative_change();
    return Cells{
        row.emulated ? row.key.backend + " (emulated)" : row.key.backend,
        row.key.workload,
        std::string(to_string(row.key.scenario)),
        row.key.phase,
        n_of(row.base) + "/" + n_of(row.current),
        row.base ? ms_or_dash(row.base->wall.median) : "-",
        row.current ? ms_or_dash(row.current->wall.median) : "-",
        change ? fmt::format("{:+.1f}%", *change * 100.0) : "-",
        row.median_ratio_ci
            ? fmt::format("{:.2f}..{:.2f}", row.median_ratio_ci->low, row.median_ratio_ci->high)
            : "-",
        row.hl_ratio ? fmt::format("{:.2f}", *row.hl_ratio) : "-",
        row.base ? percentile_or_dash(row.base->wall.p95) : "-",
        row.current ? percentile_or_dash(row.current->wall.p95) : "-",
        p_value_text(row),
        success_text(row),
        std::string(to_string(row.verdict)),
    };
}

std::string verdict_counts(const Comparison& comparison) {
    std::string text;
    for (const auto verdict :
         {Verdict::kRegressed, Verdict::kImproved, Verdict::kNoChange, Verdict::kWithinNoise,
          Verdict::kNoData, Verdict::kOnlyInBase, Verdict::kOnlyInNew}) {
        const std::size_t count = comparison.count(verdict);
        if (count > 0 || verdict == Verdict::kRegressed || verdict == Verdict::kImproved) {
            text += fmt::format("{}{} {}", text.empty() ? "" : ", ", count, to_string(verdict));
        }
    }
    return text;
}

std::string method_note(const Comparison& comparison) {
    const auto& options = comparison.options;
    return fmt::format(
        "Times in ms ('?': a percentile the sample is too small for). change: of the median. "
        "ratio CI: {:.0f}% bootstrap interval of median new / median base ({} resamples). HL "
        "ratio: Hodges-Lehmann estimate, the median of all ratios new / base. p: two-sided "
        "Mann-Whitney U. Verdicts at alpha {} with a {:.1f}% noise threshold.",
        options.statistics.confidence_level * 100.0, options.statistics.bootstrap_resamples,
        options.alpha, options.noise_threshold * 100.0);
}

bool changed(const RowComparison& row) {
    return row.verdict != Verdict::kNoChange && row.verdict != Verdict::kWithinNoise;
}

// --- console -----------------------------------------------------------------------------

std::string console_table(const std::vector<Cells>& rows) {
    std::array<std::size_t, kColumns.size()> widths{};
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
        widths[c] = kColumns[c].header.size();
        for (const auto& row : rows) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    const auto line = [&widths](const auto& cell_at) {
        std::string text;
        for (std::size_t c = 0; c < kColumns.size(); ++c) {
            const std::string_view cell = cell_at(c);
            const std::string padding(widths[c] - cell.size(), ' ');
            text += c == 0 ? "" : "  ";
            text += kColumns[c].right ? padding + std::string(cell) : std::string(cell) + padding;
        }
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        return text + "\n";
    };
    std::string table = line([](std::size_t c) { return kColumns[c].header; });
    for (const auto& row : rows) {
        table += line([&row](std::size_t c) { return std::string_view(row[c]); });
    }
    return table;
}

std::string render_console(const CompareReportInput& input) {
    const auto& comparison = input.comparison;
    std::string out;
    out += fmt::format("BASE  {}: {}\n", input.base.directory.string(), describe_run(input.base));
    out += fmt::format("NEW   {}: {}\n", input.current.directory.string(),
                       describe_run(input.current));
    for (const auto& warning : context_warnings(input.base, input.current)) {
        out += fmt::format("Warning: {}.\n", warning);
    }
    out += "\n";
    std::vector<Cells> rows;
    rows.reserve(comparison.rows.size());
    for (const auto& row : comparison.rows) {
        rows.push_back(cells_of(row));
    }
    out += console_table(rows);
    out += fmt::format("\n{}\n", method_note(comparison));
    out += fmt::format("Verdicts: {}\n", verdict_counts(comparison));
    if (input.thresholds.empty()) {
        out += "Thresholds: none given, so nothing can fail\n";
        return out;
    }
    const std::size_t breaches = input.evaluation.breaches();
    out += fmt::format("Thresholds: {} given, {} checks, {} breached\n", input.thresholds.size(),
                       input.evaluation.checks.size(), breaches);
    for (const auto& check : input.evaluation.checks) {
        if (!check.passed) {
            out +=
                fmt::format("  BREACH {}\n", describe_check(check, input.thresholds, comparison));
        }
    }
    return out;
}

// --- Markdown ----------------------------------------------------------------------------

std::string escape_markdown(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        if (c == '|' || c == '*' || c == '_' || c == '`' || c == '<' || c == '>' || c == '[' ||
            c == ']' || c == '\\') {
            escaped += '\\';
        }
        escaped += c;
    }
    return escaped;
}

std::string markdown_table(const std::vector<const RowComparison*>& rows) {
    std::string table = "|";
    std::string rule = "|";
    for (const auto& column : kColumns) {
        table += fmt::format(" {} |", column.header);
        rule += column.right ? "---:|" : "---|";
    }
    table += "\n" + rule + "\n";
    for (const auto* row : rows) {
        const Cells cells = cells_of(*row);
        table += "|";
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string cell = escape_markdown(cells[c]);
            const bool strong = c + 1 == cells.size() && (row->verdict == Verdict::kRegressed ||
                                                          row->verdict == Verdict::kNoData ||
                                                          row->verdict == Verdict::kOnlyInBase);
            table += strong ? fmt::format(" **{}** |", cell) : fmt::format(" {} |", cell);
        }
        table += "\n";
    }
    return table;
}

/// "- `row`: `threshold` breached: the rest", with names in code spans so they need no escapes.
std::string markdown_breach(const ThresholdCheck& check, const std::vector<Threshold>& thresholds,
                            const Comparison& comparison) {
    const std::string line = describe_check(check, thresholds, comparison);
    const std::string row = to_string(check.row);
    const std::string& text = thresholds.at(check.threshold).text;
    const std::string prefix = row + ": " + text + " ";
    const std::string rest = line.starts_with(prefix) ? line.substr(prefix.size()) : line;
    return fmt::format("- `{}`: `{}` {}\n", row, text, escape_markdown(rest));
}

std::string render_markdown(const CompareReportInput& input) {
    const auto& comparison = input.comparison;
    std::string out = "## sandbench compare\n\n";
    out += fmt::format("- **BASE** `{}`: {}\n", input.base.directory.string(),
                       escape_markdown(describe_run(input.base)));
    out += fmt::format("- **NEW** `{}`: {}\n", input.current.directory.string(),
                       escape_markdown(describe_run(input.current)));
    for (const auto& warning : context_warnings(input.base, input.current)) {
        out += fmt::format("- **Warning:** {}.\n", escape_markdown(warning));
    }
    out += "\n";

    if (input.thresholds.empty()) {
        out += "**Gate:** no thresholds given, so nothing can fail.\n\n";
    } else if (input.evaluation.passed()) {
        out += fmt::format("**Gate: passed.** {} thresholds, {} checks, none breached.\n\n",
                           input.thresholds.size(), input.evaluation.checks.size());
    } else {
        out += fmt::format("**Gate: FAILED.** {} of {} checks breached:\n\n",
                           input.evaluation.breaches(), input.evaluation.checks.size());
        for (const auto& check : input.evaluation.checks) {
            if (!check.passed) {
                out += markdown_breach(check, input.thresholds, comparison);
            }
        }
        out += "\n";
    }
    out += fmt::format("**Verdicts:** {}\n\n", verdict_counts(comparison));

    std::vector<const RowComparison*> changed_rows;
    std::vector<const RowComparison*> all_rows;
    for (const auto& row : comparison.rows) {
        all_rows.push_back(&row);
        if (changed(row)) {
            changed_rows.push_back(&row);
        }
    }
    if (!changed_rows.empty()) {
        out += "### Changed rows\n\n" + markdown_table(changed_rows) + "\n";
    }
    out += fmt::format("<details><summary>All {} rows</summary>\n\n", all_rows.size());
    out += markdown_table(all_rows);
    out += "\n</details>\n\n";
    out += fmt::format("<sub>{}</sub>\n", escape_markdown(method_note(comparison)));
    return out;
}

}  // namespace

std::optional<CompareFormat> compare_format_from_string(std::string_view text) noexcept {
    if (text == "console") {
        return CompareFormat::kConsole;
    }
    if (text == "md" || text == "markdown") {
        return CompareFormat::kMarkdown;
    }
    return std::nullopt;
}

std::string render_comparison(const CompareReportInput& input, CompareFormat format) {
    return format == CompareFormat::kMarkdown ? render_markdown(input) : render_console(input);
}

}  // namespace sandbench::harness
