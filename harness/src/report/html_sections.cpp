// SPDX-License-Identifier: Apache-2.0
#include "report/html_sections.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "report/common.hpp"
#include "report/html_charts.hpp"
#include "report/svg.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness::html {
namespace {

using namespace report_detail;
using svg::escape;

std::string confidence_badge(Confidence confidence) {
    return badge(std::string(to_string(confidence)), to_string(confidence));
}

/// The share of a unit's measured iterations that succeeded, marked when some failed.
std::string success_cell(const Page& page, const std::string& backend, const std::string& workload,
                         Scenario scenario) {
    const auto it = page.outcomes.find(UnitKey{backend, workload, scenario});
    if (it == page.outcomes.end() || it->second.iterations == 0) {
        return "-";
    }
    const auto& o = it->second;
    const double rate =
        static_cast<double>(o.iterations - o.failed) / static_cast<double>(o.iterations);
    return o.failed > 0 ? fmt::format("<span class=\"bad\">{:.0f}%</span>", rate * 100.0)
                        : fmt::format("{:.0f}%", rate * 100.0);
}

std::string median_cell(const SummaryRow* row) {
    return row != nullptr && row->wall.median
               ? fmt::format("{} <small>ms</small>", format_ms(*row->wall.median))
               : std::string("-");
}

/// One headline row, or "" when the backend has none of the headline phases for the workload.
std::string headline_row(const Page& page, const std::string& backend, const std::string& workload,
                         bool first_of_workload) {
    const auto* first =
        find_row(page.summary(), backend, workload, Scenario::kCold, phase::kFirstResult);
    const auto* last =
        find_row(page.summary(), backend, workload, Scenario::kCold, phase::kLastResult);
    const auto* reused =
        find_row(page.summary(), backend, workload, Scenario::kReused, phase::kExecute);
    if (first == nullptr && last == nullptr && reused == nullptr) {
        return "";
    }
    const auto* cost = page.data.cost.find(backend, workload);
    return fmt::format(
        "<tr{}><td>{}</td><td class=\"backend\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}"
        "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
        first_of_workload ? " class=\"group-start\"" : "",
        first_of_workload ? escape(workload) : "", backend_html(page, backend), median_cell(first),
        median_cell(last), median_cell(reused),
        success_cell(page, backend, workload, Scenario::kCold),
        success_cell(page, backend, workload, Scenario::kReused),
        cost != nullptr ? escape(usd_or_unknown(cost->cold_per_1000_usd)) : "-",
        cost != nullptr ? escape(usd_or_unknown(cost->reused_per_1000_usd)) : "-",
        cost != nullptr ? confidence_badge(cost->confidence) : "-");
}

std::string headline_table(const Page& page) {
    std::string out =
        "<div class=\"table-wrap\"><table class=\"headline\"><thead><tr><th>workload</th>"
        "<th>backend</th><th class=\"num\">cold: first result</th><th class=\"num\">cold: "
        "last result</th><th class=\"num\">reused: all cells</th><th class=\"num\">ok "
        "cold / reused</th><th class=\"num\">per 1000 cold</th><th class=\"num\">per 1000 "
        "reused</th><th>cost</th></tr></thead><tbody>";
    for (const auto& workload : page.workloads) {
        bool first_of_workload = true;
        for (const auto& backend : page.backends) {
            const auto row = headline_row(page, backend, workload, first_of_workload);
            first_of_workload = first_of_workload && row.empty();
            out += row;
        }
    }
    return out + "</tbody></table></div>";
}

std::string stats_table(const Page& page, Scenario scenario, std::string_view phase_name) {
    std::string out =
        "<details><summary>Statistics</summary><div class=\"table-wrap\"><table><thead><tr>"
        "<th>workload</th><th>backend</th><th class=\"num\">n</th><th class=\"num\">fail</th>"
        "<th class=\"num\">median</th><th class=\"num\">p95</th><th class=\"num\">min</th>"
        "<th class=\"num\">max</th><th class=\"num\">CV</th><th class=\"num\">95% CI of "
        "median</th></tr></thead><tbody>";
    for (const auto& workload : page.workloads) {
        for (const auto& backend : page.backends) {
            const auto* row = find_row(page.summary(), backend, workload, scenario, phase_name);
            if (row == nullptr) {
                continue;
            }
            const auto& d = row->wall;
            out += fmt::format(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                "</tr>",
                escape(workload), backend_html(page, backend), d.n, row->failures,
                ms_or_dash(d.median), escape(percentile_text(d.p95)), ms_or_dash(d.min),
                ms_or_dash(d.max), percent_text(d.cv), ci_text(d));
        }
    }
    return out + "</tbody></table></div></details>";
}

std::string failures_table(const Page& page) {
    std::string out =
        "<div class=\"table-wrap\"><table><thead><tr><th>backend</th><th>workload</th>"
        "<th>scenario</th><th>phase</th><th class=\"num\">failed</th><th>kinds</th>"
        "<th>first failure</th></tr></thead><tbody>";
    for (const auto& row : page.summary().rows) {
        if (row.failures == 0) {
            continue;
        }
        out += fmt::format(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}/{}</td>"
            "<td>{}</td><td class=\"message\">{}</td></tr>",
            backend_html(page, row.backend), escape(row.workload), to_string(row.scenario),
            escape(row.phase), row.failures, row.attempts, escape(failure_kinds_text(row)),
            escape(row.first_failure));
    }
    return out + "</tbody></table></div>";
}

std::string skipped_table(const Page& page) {
    std::string out =
        "<h3>Skipped</h3><div class=\"table-wrap\"><table><thead><tr><th>backend</th>"
        "<th>workload</th><th>reason</th></tr></thead><tbody>";
    for (const auto& skip : page.summary().skipped) {
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                           backend_html(page, skip.backend), escape(skip.workload),
                           escape(skip.reason));
    }
    return out + "</tbody></table></div>";
}

std::string cost_table(const Page& page) {
    std::string out =
        "<div class=\"table-wrap\"><table><thead><tr><th>backend</th><th>workload</th>"
        "<th class=\"num\">cold session: life &rarr; billed</th><th class=\"num\">per cold "
        "session</th><th class=\"num\">per 1000 cold</th><th class=\"num\">reused "
        "session life</th><th class=\"num\">per 1000 reused</th><th class=\"num\">per "
        "day</th><th class=\"num\">per month</th><th>confidence</th></tr></thead><tbody>";
    for (const auto& e : page.data.cost.estimates) {
        out += fmt::format(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            backend_html(page, e.backend), escape(e.workload),
            e.cold ? fmt::format("{} <small>ms</small> &rarr; {}", format_ms(e.cold->lifetime_ms),
                                 escape(billed_text(e.cold->billed_s)))
                   : "-",
            e.cold ? escape(usd_or_unknown(e.cold->usd)) : "-",
            escape(usd_or_unknown(e.cold_per_1000_usd)),
            e.reused ? format_ms(e.reused->lifetime_ms) + " <small>ms</small>" : "-",
            escape(usd_or_unknown(e.reused_per_1000_usd)), escape(usd_or_unknown(e.per_day_usd)),
            escape(usd_or_unknown(e.per_month_usd)), confidence_badge(e.confidence));
    }
    return out + "</tbody></table></div>";
}

/// Each price once: how it bills, where it comes from, and what to keep in mind.
std::string price_list(const Page& page) {
    const auto& cost = page.data.cost;
    std::string out = "<h3>Prices</h3><ul class=\"prices\">";
    std::vector<std::string> seen;
    for (const auto& e : cost.estimates) {
        if (std::find(seen.begin(), seen.end(), e.backend) != seen.end()) {
            continue;
        }
        seen.push_back(e.backend);
        if (!e.price) {
            out += fmt::format(
                "<li>{}: no pricing entry for type <code>{}</code>: cost "
                "unknown.</li>",
                backend_html(page, e.backend), escape(e.backend_type));
            continue;
        }
        out += fmt::format(
            "<li>{} <code>pricing.{}</code> {} &mdash; {}.<br><span class=\"muted\">Source: {} "
            "(as of {}).</span>{}{}</li>",
            backend_html(page, e.backend), escape(e.price->key),
            confidence_badge(e.price->confidence), escape(billing_text(*e.price)),
            escape(e.price->source), escape(e.price->as_of),
            e.price->note.empty()
                ? ""
                : "<br><span class=\"muted\">" + escape(e.price->note) + "</span>",
            e.emulated ? "<br><span class=\"muted\">Emulated: the real service's prices applied "
                         "to lifetimes measured on a local emulator.</span>"
                       : "");
    }
    out += "</ul>";
    if (!cost.pricing_origins.empty()) {
        out += fmt::format("<p class=\"muted\">Pricing from: {}.</p>",
                           escape(fmt::format("{}", fmt::join(cost.pricing_origins, "; "))));
    }
    return out;
}

std::string key_value_row(std::string_view key, const std::string& value_html) {
    return fmt::format("<tr><th>{}</th><td>{}</td></tr>", escape(key), value_html);
}

std::string host_table(const Page& page) {
    const auto& summary = page.summary();
    const auto& c = summary.context;
    std::string out = R"(<div class="table-wrap"><table class="kv"><tbody>)";
    out += key_value_row("run id", "<code>" + escape(c.run_id) + "</code>");
    out += key_value_row("started", escape(c.started_at));
    out += key_value_row("duration", fmt::format("{:.1f} s{}", summary.duration_s,
                                                 summary.interrupted ? " (interrupted)" : ""));
    out += key_value_row("host", escape(c.host));
    out += key_value_row("CPUs", c.cpu_model.empty()
                                     ? std::to_string(c.cpus)
                                     : fmt::format("{} × {}", c.cpus, escape(c.cpu_model)));
    out += key_value_row("OS", escape(c.os));
    out += key_value_row("compiler", escape(c.compiler) + " (" + escape(c.build_type) + ")");
    out += key_value_row("sandbench", escape(c.sandbench_version) + ", git <code>" +
                                          escape(c.git_revision) + "</code>");
    return out + "</tbody></table></div>";
}

/// A plan value as text: strings bare, lists joined with commas, anything else as JSON.
std::string plan_value_text(const nlohmann::json& value) {
    if (!value.is_array()) {
        return value.is_string() ? value.get<std::string>() : value.dump();
    }
    std::vector<std::string> parts;
    for (const auto& part : value) {
        parts.push_back(part.is_string() ? part.get<std::string>() : part.dump());
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::string plan_table(const Page& page) {
    std::string out = R"(<div class="table-wrap"><table class="kv"><tbody>)";
    for (const auto& [key, value] : page.summary().context.plan.items()) {
        out += key_value_row(key, escape(plan_value_text(value)));
    }
    return out + "</tbody></table></div>";
}

std::string backends_table(const Page& page) {
    std::string out =
        "<h3>Backends</h3><div class=\"table-wrap\"><table>"
        "<thead><tr><th>name</th><th>type</th><th>isolation</th><th>description</th>"
        "<th>settings</th></tr></thead><tbody>";
    for (const auto& info : page.summary().context.backends) {
        out += fmt::format(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code "
            "class=\"settings\">{}</code></td></tr>",
            backend_html(page, info.name), escape(info.type), escape(info.capabilities.isolation),
            escape(info.description), escape(info.config.dump()));
    }
    return out + "</tbody></table></div>";
}

/// One charted phase: its caption, distribution and ECDF, and statistics; "" without rows.
std::string phase_block(const Page& page, Scenario scenario, std::string_view phase_name) {
    const auto distribution = distribution_chart(page, scenario, phase_name);
    if (distribution.empty()) {
        return "";
    }
    return fmt::format(
        "<div class=\"phase-block\" id=\"{0}-{1}\"><h3>{0} \u00b7 <span "
        "class=\"phase\">{1}</span></h3><p class=\"caption\">{2}</p><figure>{3}"
        "</figure><figure>{4}</figure>{5}</div>",
        to_string(scenario), escape(phase_name), escape(phase_description(scenario, phase_name)),
        distribution, ecdf_chart(page, scenario, phase_name),
        stats_table(page, scenario, phase_name));
}

}  // namespace

std::string headline_section(const Page& page) {
    return "<section id=\"headline\"><h2>Headline</h2><p class=\"caption\">Medians in "
           "milliseconds; the share of measured iterations that succeeded; what 1000 "
           "executions cost (details under Cost).</p>" +
           headline_table(page) + "</section>";
}

std::string cold_reused_section(const Page& page) {
    const auto chart = cold_reused_chart(page);
    if (chart.empty()) {
        return "";
    }
    return "<section id=\"cold-vs-reused\"><h2>Cold vs reused</h2><p class=\"caption\">"
           "What an agent pays for a new sandbox against keeping one: the median time to "
           "all of a workload's results on a new session (from before create) and on a "
           "session that already ran it. Whiskers: bootstrap 95% confidence interval of "
           "the median. Each workload has its own scale.</p><figure>" +
           chart + "</figure></section>";
}

std::string breakdown_section(const Page& page) {
    const auto chart = breakdown_chart(page);
    if (chart.empty()) {
        return "";
    }
    return "<section id=\"breakdown\"><h2>Where a cold start's time goes</h2><p "
           "class=\"caption\">Median of each phase of a cold session, stacked. Execution "
           "is split into the time the sandbox reported for running the code and the "
           "overhead around it (transport, serialisation, scheduling) where the backend "
           "reports its own time. Medians do not add up to the median total; the "
           "freshness check is the harness's own and left out. Each workload's longest "
           "bar fills the width.</p><figure>" +
           chart + "</figure></section>";
}

std::string distributions_section(const Page& page) {
    std::string out =
        "<section id=\"distributions\"><h2>Distributions by phase</h2><p class=\"caption\">"
        "Each measured sample is a point; the box spans the middle half (quartiles) with "
        "the median as a dark line; whiskers reach the furthest sample within 1.5 times "
        "the box. The ECDF shows the share of samples at or below each time: further "
        "left is faster, steeper is steadier. A log scale is used when times span more "
        "than 20 times.</p>";
    for (const auto scenario : scenarios_present(page.summary())) {
        for (const auto phase_name : charted_phases(scenario)) {
            out += phase_block(page, scenario, phase_name);
        }
    }
    return out + "</section>";
}

std::string failures_section(const Page& page) {
    std::string out = "<section id=\"failures\"><h2>Failures</h2>";
    const bool any_failure = std::any_of(page.summary().rows.begin(), page.summary().rows.end(),
                                         [](const auto& row) { return row.failures > 0; });
    if (!any_failure) {
        out +=
            "<p class=\"ok-note\">No failures: every measured phase of every iteration "
            "succeeded.</p>";
    } else {
        out +=
            "<p class=\"caption\">Failures are kept as data and excluded from the timings. "
            "An iteration counts once, under the kind of its first failure.</p>";
        out += "<figure>" + failures_chart(page) + "</figure>";
        out += failures_table(page);
    }
    if (!page.summary().skipped.empty()) {
        out += skipped_table(page);
    }
    return out + "</section>";
}

std::string cost_section(const Page& page) {
    const auto& cost = page.data.cost;
    if (cost.estimates.empty()) {
        return "";
    }
    const auto& mix = cost.mix;
    return fmt::format(
               "<section id=\"cost\"><h2>Cost</h2><p class=\"caption\">USD from measured session "
               "lifetimes and the pricing table. A cold session is billed for its measured life "
               "(create to close); a reused session runs {} executions ({} s think time between "
               "them); {} sessions a day, {}-day month. Figures are as sure as their price's "
               "confidence.</p>",
               mix.executions_per_session, mix.think_time_s, mix.sessions_per_day,
               mix.days_per_month) +
           cost_table(page) + price_list(page) + "</section>";
}

std::string context_section(const Page& page) {
    return R"(<section id="context"><h2>Run context</h2><div class="columns">)" + host_table(page) +
           plan_table(page) + "</div>" + backends_table(page) + "</section>";
}

}  // namespace sandbench::harness::html
