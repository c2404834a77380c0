// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/console_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace sandbench::harness {
namespace {

using Clock = std::chrono::steady_clock;

std::string format_duration(double seconds) {
    const long total = std::lround(seconds);
    return total >= 3600 ? fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
                         : fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string percent(std::optional<double> fraction) {
    return fraction ? fmt::format("{:.1f}%", *fraction * 100.0) : "-";
}

std::string value_or_dash(const std::optional<double>& value) {
    return value ? format_ms(*value) : "-";
}

std::string percentile_cell(const std::optional<Percentile>& value) {
    if (!value) {
        return "-";
    }
    // A percentile the sample cannot support is shown, but marked, never silently trusted.
    return value->supported ? format_ms(value->value) : format_ms(value->value) + "?";
}

std::string ci_cell(const Distribution& d) {
    return d.median_ci
               ? fmt::format("{}..{}", format_ms(d.median_ci->low), format_ms(d.median_ci->high))
               : "-";
}

std::string backend_label(const SummaryRow& row) {
    return row.emulated ? row.backend + " (emulated)" : row.backend;
}

}  // namespace

std::string format_ms(double milliseconds) {
    if (milliseconds < 10.0) {
        return fmt::format("{:.2f}", milliseconds);
    }
    if (milliseconds < 100.0) {
        return fmt::format("{:.1f}", milliseconds);
    }
    return fmt::format("{:.0f}", milliseconds);
}

ConsoleProgress::ConsoleProgress(std::FILE* stream, bool quiet)
    : stream_(stream), quiet_(quiet), terminal_(isatty(fileno(stream)) == 1) {}

void ConsoleProgress::on_run_start(const RunContext& context, std::size_t total_steps) {
    total_ = total_steps;
    start_ = Clock::now();
    last_line_ = start_;
    if (!quiet_) {
        fmt::print(stream_, "sandbench run {}: {} steps on {} backend(s)\n", context.run_id,
                   total_steps, context.backends.size());
    }
}

void ConsoleProgress::on_skip(const SkippedWorkload& skip) {
    if (!quiet_) {
        draw("", true);
        fmt::print(stream_, "skip {} on {}: {}\n", skip.workload, skip.backend, skip.reason);
    }
}

void ConsoleProgress::on_step_start(const StepInfo& step) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double remaining = step.index == 0 ? 0.0
                                             : elapsed / static_cast<double>(step.index) *
                                                   static_cast<double>(step.total - step.index);
    const auto line = fmt::format(
        "[{:>{}}/{}] {:<14} {:<20} {:<6} {} {:<3} | {} failed | {} elapsed, ~{} left",
        step.index + 1, fmt::formatted_size("{}", step.total), step.total, step.backend,
        step.workload, to_string(step.scenario), step.warmup ? "warmup" : "iter  ",
        step.iteration + 1, failures_, format_duration(elapsed), format_duration(remaining));
    draw(line, step.index == 0);
}

void ConsoleProgress::on_sample(const Sample& sample) {
    if (!sample.ok && !sample.warmup) {
        ++failures_;
    }
}

void ConsoleProgress::draw(const std::string& line, bool force) {
    if (quiet_) {
        return;
    }
    if (terminal_) {
        // Redraw in place; clear the rest of the previous, possibly longer, line.
        fmt::print(stream_, "\r{}\x1b[K", line);
        drawn_ = !line.empty();
        std::fflush(stream_);
        return;
    }
    const auto now = Clock::now();
    if (!line.empty() && (force || now - last_line_ >= std::chrono::seconds(5))) {
        fmt::print(stream_, "{}\n", line);
        last_line_ = now;
    }
}

void ConsoleProgress::finish() {
    if (terminal_ && drawn_ && !quiet_) {
        fmt::print(stream_, "\r\x1b[K");
        std::fflush(stream_);
    }
}

std::string render_console_report(const Summary& summary) {
    std::string out;
    auto append = [&out]<typename... Args>(fmt::format_string<Args...> format, Args&&... args) {
        out += fmt::format(format, std::forward<Args>(args)...);
    };

    bool any_emulated = false;
    // One line per (backend, workload): the medians of the phases a reader compares first.
    // Every other statistic and phase is in summary.json, report.md and report.html.
    std::vector<std::pair<std::string, std::string>> units;
    for (const auto& row : summary.rows) {
        any_emulated = any_emulated || row.emulated;
        const std::pair unit{row.backend, row.workload};
        if (std::find(units.begin(), units.end(), unit) == units.end()) {
            units.push_back(unit);
        }
    }
    auto median_of_phase = [&](const std::string& backend, const std::string& workload,
                               Scenario scenario, std::string_view phase_name) {
        const auto* row = find_row(summary, backend, workload, scenario, phase_name);
        return row != nullptr ? value_or_dash(row->wall.median) : std::string("-");
    };
    bool cold_header = false;
    for (const auto& [backend, workload] : units) {
        const auto* last =
            find_row(summary, backend, workload, Scenario::kCold, phase::kLastResult);
        if (last == nullptr) {
            continue;
        }
        if (!cold_header) {
            append(
                "\nCold sessions: medians in ms over the measured iterations; ok counts "
                "iterations whose every cell\nwas right. first/last result run from before "
                "create to the first/last cell's result.\n");
            append("{:<24} {:<18} {:>7} {:>8} {:>8} {:>9} {:>9} {:>8} {:>10} {:>7}\n", "backend",
                   "workload", "ok", "create", "upload", "1st res", "last res", "close", "1st p95",
                   "1st cv");
            cold_header = true;
        }
        const auto* first =
            find_row(summary, backend, workload, Scenario::kCold, phase::kFirstResult);
        append("{:<24} {:<18} {:>7} {:>8} {:>8} {:>9} {:>9} {:>8} {:>10} {:>7}\n",
               backend_label(*last), workload,
               fmt::format("{}/{}", last->attempts - last->failures, last->attempts),
               median_of_phase(backend, workload, Scenario::kCold, phase::kCreate),
               median_of_phase(backend, workload, Scenario::kCold, phase::kUpload),
               first != nullptr ? value_or_dash(first->wall.median) : "-",
               value_or_dash(last->wall.median),
               median_of_phase(backend, workload, Scenario::kCold, phase::kClose),
               first != nullptr ? percentile_cell(first->wall.p95) : "-",
               first != nullptr ? percent(first->wall.cv) : "-");
    }
    bool reused_header = false;
    for (const auto& [backend, workload] : units) {
        const auto* execute =
            find_row(summary, backend, workload, Scenario::kReused, phase::kExecute);
        if (execute == nullptr) {
            continue;
        }
        if (!reused_header) {
            append(
                "\nReused sessions: all cells of the workload again on a session that ran "
                "them before (ms)\n");
            append("{:<24} {:<18} {:>7} {:>9} {:>9} {:>9} {:>9} {:>7} {:>17}\n", "backend",
                   "workload", "ok", "median", "p95", "min", "max", "cv", "95% CI median");
            reused_header = true;
        }
        const auto& d = execute->wall;
        append("{:<24} {:<18} {:>7} {:>9} {:>9} {:>9} {:>9} {:>7} {:>17}\n",
               backend_label(*execute), workload,
               fmt::format("{}/{}", execute->attempts - execute->failures, execute->attempts),
               value_or_dash(d.median), percentile_cell(d.p95), value_or_dash(d.min),
               value_or_dash(d.max), percent(d.cv), ci_cell(d));
    }
    if (cold_header || reused_header) {
        append("('?' marks a percentile the sample is too small to support.)\n");
    }

    // Cold vs reused: what an agent pays for a new sandbox compared with keeping one.
    bool header = false;
    for (const auto& [first, cold_last, reused] : cold_vs_reused_rows(summary)) {
        const auto& cold = *cold_last;
        if (!header) {
            append(
                "\nCold vs reused (medians, ms): a new session from before create to its first "
                "and last\ncell result, against all cells on a session that already ran them\n");
            append("{:<24} {:<18} {:>12} {:>12} {:>12} {:>12}\n", "backend", "workload",
                   "cold first", "cold last", "reused", "cold/reused");
            header = true;
        }
        append("{:<24} {:<18} {:>12} {:>12} {:>12} {:>11.1f}x\n", backend_label(cold),
               cold.workload, first != nullptr ? value_or_dash(first->wall.median) : "-",
               format_ms(*cold.wall.median), format_ms(*reused->wall.median),
               *cold.wall.median / *reused->wall.median);
    }

    // Where the time goes: the backend's own execution time against the rest (transport).
    bool split_header = false;
    for (const auto& row : summary.rows) {
        if (row.phase != phase::kExecute || !row.backend_time || !row.backend_time->median ||
            !row.median_transport_ms) {
            continue;
        }
        if (!split_header) {
            append(
                "\nExecution vs overhead (medians, ms): time the sandbox reported for running "
                "the code, and the rest\n");
            append("{:<24} {:<18} {:<7} {:>10} {:>10} {:>10}\n", "backend", "workload", "scenario",
                   "total", "in sandbox", "overhead");
            split_header = true;
        }
        append("{:<24} {:<18} {:<7} {:>10} {:>10} {:>10}\n", backend_label(row), row.workload,
               to_string(row.scenario), value_or_dash(row.wall.median),
               format_ms(*row.backend_time->median), format_ms(*row.median_transport_ms));
    }

    bool failure_header = false;
    for (const auto& row : summary.rows) {
        if (row.failures == 0) {
            continue;
        }
        if (!failure_header) {
            append("\nFailures (kept as data, excluded from the timings above)\n");
            failure_header = true;
        }
        std::string kinds;
        for (const auto& [kind, count] : row.failure_kinds) {
            kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", count, kind);
        }
        append("  {} {} {} {}: {}/{} failed ({}): {}\n", backend_label(row), row.workload,
               to_string(row.scenario), row.phase, row.failures, row.attempts, kinds,
               row.first_failure);
    }
    for (const auto& skip : summary.skipped) {
        append("  skipped {} on {}: {}\n", skip.workload, skip.backend, skip.reason);
    }
    if (any_emulated) {
        append(
            "\n(emulated): the backend is a local emulator of the service, not the service "
            "itself.\n");
    }
    if (summary.interrupted) {
        append("\nThe run was interrupted; the numbers cover what was measured before.\n");
    }
    return out;
}

}  // namespace sandbench::harness
