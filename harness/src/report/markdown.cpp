// SPDX-License-Identifier: Apache-2.0
// report.md: GitHub-flavoured Markdown for a CI job summary ($GITHUB_STEP_SUMMARY) or a PR
// comment. Tables first (what a reviewer scans), context last.
#include <algorithm>

#include <fmt/format.h>

#include "report/common.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness {
namespace {

using namespace report_detail;

/// Escapes what would break a table cell or start Markdown formatting; '$' too, which would
/// start GitHub's inline math between two prices. Underscores stay: GFM does not emphasise
/// inside words, and workload names (numpy_fft) read better unescaped.
std::string md(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '|':
                out += "\\|";
                break;
            case '\n':
            case '\r':
                out += ' ';
                break;
            case '*':
            case '`':
            case '$':
            case '<':
            case '>':
            case '[':
            case ']':
                out += '\\';
                out += c;
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string backend_cell(const Summary& summary, const std::string& backend) {
    return is_emulated(summary, backend) ? md(backend) + " *(emulated)*" : md(backend);
}

std::string plan_line(const nlohmann::json& plan) {
    std::vector<std::string> parts;
    auto list = [&](const char* key) {
        std::vector<std::string> names;
        if (const auto it = plan.find(key); it != plan.end() && it->is_array()) {
            for (const auto& name : *it) {
                names.push_back(name.is_string() ? name.get<std::string>() : name.dump());
            }
        }
        return fmt::format("{}", fmt::join(names, ", "));
    };
    if (plan.contains("workloads")) {
        parts.push_back(fmt::format("workloads: {}", md(list("workloads"))));
    }
    if (plan.contains("scenarios")) {
        parts.push_back(fmt::format("scenarios: {}", list("scenarios")));
    }
    if (plan.contains("iterations")) {
        parts.push_back(fmt::format("{} iterations (+{} warmup)", plan["iterations"].dump(),
                                    plan.value("warmup", nlohmann::json(0)).dump()));
    }
    if (plan.contains("interleave")) {
        parts.push_back(fmt::format("{}, seed {}",
                                    plan.value("interleave", false) ? "interleaved" : "in order",
                                    plan.value("seed", nlohmann::json(0)).dump()));
    }
    return fmt::format("{}", fmt::join(parts, " · "));
}

void latency_tables(std::string& out, const Summary& summary) {
    for (const auto scenario : scenarios_present(summary)) {
        std::vector<const SummaryRow*> rows;
        for (const auto& row : summary.rows) {
            if (row.scenario == scenario && headline_phase(scenario, row.phase)) {
                rows.push_back(&row);
            }
        }
        if (rows.empty()) {
            continue;
        }
        out += fmt::format("\n## {} sessions\n\n", scenario == Scenario::kCold ? "Cold" : "Reused");
        out += scenario == Scenario::kCold
                   ? "A new session per iteration. Milliseconds; `?` marks a percentile the "
                     "sample is too small for.\n\n"
                   : "The workload again on a session that already ran it. Milliseconds; `?` "
                     "marks a percentile the sample is too small for.\n\n";
        out += "| backend | workload | phase | n | fail | median | p95 | CV | 95% CI of median |\n";
        out += "|---|---|---|--:|--:|--:|--:|--:|--:|\n";
        for (const auto* row : rows) {
            const auto& d = row->wall;
            out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                               backend_cell(summary, row->backend), md(row->workload),
                               md(row->phase), d.n, row->failures, ms_or_dash(d.median),
                               percentile_text(d.p95), percent_text(d.cv), ci_text(d));
        }
    }
}

void cold_vs_reused(std::string& out, const Summary& summary) {
    bool header = false;
    for (const auto& [first, cold_last, reused] : cold_vs_reused_rows(summary)) {
        const auto& cold = *cold_last;
        if (!header) {
            out +=
                "\n## Cold vs reused\n\nMedians, ms: a new session from before create to its "
                "first and last result, against all cells on a session that already ran "
                "them.\n\n";
            out +=
                "| backend | workload | cold: first result | cold: last result | reused | "
                "cold / reused |\n";
            out += "|---|---|--:|--:|--:|--:|\n";
            header = true;
        }
        out += fmt::format("| {} | {} | {} | {} | {} | {:.1f}x |\n",
                           backend_cell(summary, cold.backend), md(cold.workload),
                           first != nullptr ? ms_or_dash(first->wall.median) : "-",
                           format_ms(*cold.wall.median), format_ms(*reused->wall.median),
                           *cold.wall.median / *reused->wall.median);
    }
}

void cost_table(std::string& out, const Summary& summary, const CostReport& cost) {
    if (cost.estimates.empty()) {
        return;
    }
    const auto& mix = cost.mix;
    out += fmt::format(
        "\n## Cost\n\nUSD from measured session lifetimes (docs/cost-model.md). Mix: {} "
        "executions per session, {} sessions per day, {} s think time, {}-day month. Latency "
        "beside it: cold first result and reused execution, medians in ms.\n\n",
        mix.executions_per_session, mix.sessions_per_day, mix.think_time_s, mix.days_per_month);
    out +=
        "| backend | workload | cold first result | reused execute | per cold session | "
        "per 1000 cold | per 1000 reused | per day | per month | confidence |\n";
    out += "|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n";
    for (const auto& e : cost.estimates) {
        const auto* first =
            find_row(summary, e.backend, e.workload, Scenario::kCold, phase::kFirstResult);
        const auto* reused =
            find_row(summary, e.backend, e.workload, Scenario::kReused, phase::kExecute);
        out += fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            backend_cell(summary, e.backend), md(e.workload),
            first != nullptr ? ms_or_dash(first->wall.median) : "-",
            reused != nullptr ? ms_or_dash(reused->wall.median) : "-",
            e.cold ? md(usd_or_unknown(e.cold->usd)) : "-", md(usd_or_unknown(e.cold_per_1000_usd)),
            md(usd_or_unknown(e.reused_per_1000_usd)), md(usd_or_unknown(e.per_day_usd)),
            md(usd_or_unknown(e.per_month_usd)), to_string(e.confidence));
    }
    // Each price once: how it bills, where it comes from, and what to keep in mind.
    std::vector<std::string> seen;
    out += "\n";
    for (const auto& e : cost.estimates) {
        const std::string key = e.price ? e.price->key : e.backend_type;
        if (std::find(seen.begin(), seen.end(), e.backend) != seen.end()) {
            continue;
        }
        seen.push_back(e.backend);
        if (!e.price) {
            out += fmt::format("- **{}**: no pricing entry for type `{}`; cost unknown.\n",
                               md(e.backend), md(e.backend_type));
            continue;
        }
        out += fmt::format("- **{}** (`pricing.{}`, {}): {}. Source: {} (as of {}).{}\n",
                           md(e.backend), md(key), to_string(e.price->confidence),
                           md(billing_text(*e.price)), md(e.price->source), md(e.price->as_of),
                           e.price->note.empty() ? "" : " " + md(e.price->note) + ".");
        if (e.emulated) {
            out +=
                "  Emulated: the real service's prices applied to lifetimes measured on a "
                "local emulator.\n";
        }
    }
}

void failures(std::string& out, const Summary& summary) {
    bool header = false;
    for (const auto& row : summary.rows) {
        if (row.failures == 0) {
            continue;
        }
        if (!header) {
            out +=
                "\n## Failures\n\nKept as data, excluded from the timings above.\n\n"
                "| backend | workload | scenario | phase | failed | kinds | first failure |\n"
                "|---|---|---|---|--:|---|---|\n";
            header = true;
        }
        out += fmt::format("| {} | {} | {} | {} | {}/{} | {} | {} |\n",
                           backend_cell(summary, row.backend), md(row.workload),
                           to_string(row.scenario), md(row.phase), row.failures, row.attempts,
                           md(failure_kinds_text(row)), md(row.first_failure));
    }
}

void skipped(std::string& out, const Summary& summary) {
    if (summary.skipped.empty()) {
        return;
    }
    out += "\n## Skipped\n\n| backend | workload | reason |\n|---|---|---|\n";
    for (const auto& skip : summary.skipped) {
        out += fmt::format("| {} | {} | {} |\n", backend_cell(summary, skip.backend),
                           md(skip.workload), md(skip.reason));
    }
}

void context_section(std::string& out, const Summary& summary) {
    const auto& c = summary.context;
    out += "\n## Context\n\n";
    out += fmt::format("- **Host** {} · {} CPUs{} · {} · {} ({}) · sandbench {} · git `{}`\n",
                       md(c.host.empty() ? "unknown" : c.host), c.cpus,
                       c.cpu_model.empty() ? "" : " (" + md(c.cpu_model) + ")", md(c.os),
                       md(c.compiler), md(c.build_type), md(c.sandbench_version), c.git_revision);
    out += fmt::format("- **Started** {} · {:.1f} s{}\n", md(c.started_at), summary.duration_s,
                       summary.interrupted ? " · **interrupted**" : "");
    out += fmt::format("- **Plan** {}\n", plan_line(c.plan));
    for (const auto& info : c.backends) {
        out += fmt::format("- **Backend {}**{}: type `{}`, isolation `{}`. {}\n", md(info.name),
                           info.emulated ? " *(emulated)*" : "", md(info.type),
                           md(info.capabilities.isolation), md(info.description));
    }
}

}  // namespace

std::string render_markdown(const ReportData& data) {
    const auto& summary = data.summary;
    std::string out = fmt::format("# sandbench run `{}`\n\n", summary.context.run_id);
    out += fmt::format(
        "{} · {} · git `{}` · {:.1f} s\n",
        md(summary.context.started_at.empty() ? "unknown start" : summary.context.started_at),
        md(summary.context.host.empty() ? "unknown host" : summary.context.host),
        summary.context.git_revision, summary.duration_s);
    if (summary.interrupted) {
        out +=
            "\n> [!WARNING]\n> The run was interrupted; the numbers cover what was measured "
            "before.\n";
    }
    if (any_emulated(summary)) {
        out +=
            "\n> [!NOTE]\n> *(emulated)* backends are local emulators of a service, not the "
            "service: their latencies are the emulator's, their costs the real service's "
            "prices.\n";
    }
    latency_tables(out, summary);
    cold_vs_reused(out, summary);
    cost_table(out, summary, data.cost);
    failures(out, summary);
    skipped(out, summary);
    context_section(out, summary);
    return out;
}

}  // namespace sandbench::harness
