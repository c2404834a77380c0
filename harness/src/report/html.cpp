// SPDX-License-Identifier: Apache-2.0
// report.html: one self-contained page (inline CSS and SVG, no script, no fonts or images from
// the network) that a person opens in a browser to decide between sandboxes. Top to bottom:
// what matters most (latency beside cost), then why (cold vs reused, where a cold start's time
// goes, each phase's distribution and ECDF), then what went wrong, what it costs and how, and
// where it was measured. Every chart is inline SVG drawn here; every backend keeps one colour
// throughout; emulated backends carry a badge wherever their name appears.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "report/common.hpp"
#include "report/svg.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness {
namespace {

using namespace report_detail;
using svg::escape;
using svg::num;

constexpr double kWidth = svg::kChartWidth;

/// Everything the charts need to know about the run, computed once.
struct Page {
    const ReportData& data;
    std::vector<std::string> backends;
    std::vector<std::string> workloads;

    [[nodiscard]] const Summary& summary() const { return data.summary; }
    [[nodiscard]] std::string colour(const std::string& backend) const {
        const auto it = std::find(backends.begin(), backends.end(), backend);
        return std::string(svg::backend_colour(static_cast<std::size_t>(it - backends.begin())));
    }
    [[nodiscard]] bool emulated(const std::string& backend) const {
        return is_emulated(data.summary, backend);
    }
};

/// Measured iterations of one (backend, workload, scenario) and why the failed ones failed:
/// the kind of each failed iteration's first failure, so one failure is counted once even
/// when it also fails the phases derived from it (first_result, last_result).
struct IterationOutcomes {
    std::size_t iterations = 0;
    std::size_t failed = 0;
    std::map<std::string, std::size_t> kinds;
};

using UnitKey = std::tuple<std::string, std::string, Scenario>;

std::map<UnitKey, IterationOutcomes> iteration_outcomes(const std::vector<Sample>& samples) {
    std::map<std::tuple<std::string, std::string, Scenario, int>, const Sample*> first_failure;
    std::map<std::tuple<std::string, std::string, Scenario, int>, bool> seen;
    for (const auto& sample : samples) {
        if (sample.warmup) {
            continue;
        }
        const auto key =
            std::tuple(sample.backend, sample.workload, sample.scenario, sample.iteration);
        seen[key] = true;
        if (!sample.ok) {
            auto& first = first_failure[key];
            if (first == nullptr || sample.started_at < first->started_at) {
                first = &sample;
            }
        }
    }
    std::map<UnitKey, IterationOutcomes> outcomes;
    for (const auto& [key, unused] : seen) {
        auto& outcome = outcomes[UnitKey{std::get<0>(key), std::get<1>(key), std::get<2>(key)}];
        ++outcome.iterations;
        if (const auto it = first_failure.find(key); it != first_failure.end()) {
            ++outcome.failed;
            ++outcome.kinds[it->second->error_kind.empty() ? "failed" : it->second->error_kind];
        }
    }
    return outcomes;
}

std::string badge(std::string_view css_class, std::string_view text) {
    return fmt::format("<span class=\"badge {}\">{}</span>", css_class, escape(text));
}

std::string backend_html(const Page& page, const std::string& backend) {
    return fmt::format(
        "<span class=\"backend-name\"><span class=\"swatch\" style=\"background:{}\"></span>{}{}"
        "</span>",
        page.colour(backend), escape(backend),
        page.emulated(backend) ? " " + badge("emulated", "emulated") : "");
}

/// The label of a chart row: a colour dot, the backend's name, and its emulated badge, cut to
/// fit `max_width` (about 6.9 units per character at the label's font size).
std::string row_label(const Page& page, const std::string& backend, double x, double y,
                      double max_width) {
    const bool emulated = page.emulated(backend);
    const double room = max_width - 16.0 - (emulated ? 64.0 : 0.0);
    const auto name =
        svg::truncate(backend, static_cast<std::size_t>(std::max(4.0, std::floor(room / 6.9))));
    std::string out = fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{}\"/><text class=\"row-label\" x=\"{}\" "
        "y=\"{}\">{}<title>{}</title></text>",
        num(x), num(y - 4), page.colour(backend), num(x + 10), num(y), escape(name),
        escape(backend));
    if (emulated) {
        out +=
            svg::emulated_badge(x + 16 + 6.9 * static_cast<double>(svg::display_length(name)), y);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Charts

/// Per phase: one row per (workload, backend), a box (quartiles, median, Tukey whiskers) over
/// every measured sample drawn as a jittered point.
std::string distribution_chart(const Page& page, Scenario scenario, std::string_view phase_name) {
    constexpr double kPlotLeft = 236.0;
    constexpr double kPlotRight = kWidth - 118.0;
    constexpr double kRowHeight = 26.0;

    struct Row {
        std::string backend;
        std::vector<double> values;
        const SummaryRow* summary_row = nullptr;
    };
    std::vector<std::pair<std::string, std::vector<Row>>> groups;
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    for (const auto& workload : page.workloads) {
        std::vector<Row> rows;
        for (const auto& backend : page.backends) {
            const auto* row = find_row(page.summary(), backend, workload, scenario, phase_name);
            if (row == nullptr) {
                continue;
            }
            auto values =
                measured_values(page.data.samples, backend, workload, scenario, phase_name);
            for (const double value : values) {
                low = std::min(low, value);
                high = std::max(high, value);
            }
            rows.push_back({backend, std::move(values), row});
        }
        if (!rows.empty()) {
            groups.emplace_back(workload, std::move(rows));
        }
    }
    if (groups.empty()) {
        return "";
    }
    if (low > high) {
        low = 0.0;
        high = 1.0;
    }

    std::string body;
    double y = 6.0;
    const auto scale = svg::Scale::for_values(low, high, kPlotLeft, kPlotRight, false);
    for (const auto& [workload, rows] : groups) {
        body += fmt::format(
            "<text class=\"group-label\" x=\"8\" y=\"{}\">{}</text><line class=\"separator\" "
            "x1=\"8\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
            num(y + 15), escape(workload), num(kWidth - 8), num(y + 21), num(y + 21));
        y += 24.0;
        for (const auto& row : rows) {
            const double centre = y + kRowHeight / 2.0;
            body += "<g class=\"box-row\">";
            body += row_label(page, row.backend, 18.0, centre + 4.0, kPlotLeft - 26.0);
            const auto& summary_row = *row.summary_row;
            // n and failures right of the plot, where long labels cannot run into them.
            body += fmt::format(R"(<text class="row-note{}" x="{}" y="{}">n={}{}</text>)",
                                summary_row.failures > 0 ? " failed" : "", num(kPlotRight + 14),
                                num(centre + 4), row.values.size(),
                                summary_row.failures > 0
                                    ? fmt::format(" \u00b7 {} failed", summary_row.failures)
                                    : "");
            if (row.values.empty()) {
                body += fmt::format(
                    R"(<text class="no-data" x="{}" y="{}">no successful sample</text></g>)",
                    num(kPlotLeft + 6), num(centre + 4));
                y += kRowHeight;
                continue;
            }
            auto sorted = row.values;
            std::sort(sorted.begin(), sorted.end());
            const double q1 = percentile_of_sorted(sorted, 0.25);
            const double median = percentile_of_sorted(sorted, 0.5);
            const double q3 = percentile_of_sorted(sorted, 0.75);
            const double iqr = q3 - q1;
            const auto lower = std::find_if(sorted.begin(), sorted.end(),
                                            [&](double v) { return v >= q1 - 1.5 * iqr; });
            const auto upper = std::find_if(sorted.rbegin(), sorted.rend(),
                                            [&](double v) { return v <= q3 + 1.5 * iqr; });
            const double whisker_low = lower != sorted.end() ? *lower : sorted.front();
            const double whisker_high = upper != sorted.rend() ? *upper : sorted.back();
            const auto colour = page.colour(row.backend);
            const auto& d = summary_row.wall;
            body += fmt::format(
                "<title>{} \u00b7 {} \u00b7 {}: median {} ms, p95 {} ms, min {} ms, max {} ms, "
                "n={}</title>",
                escape(row.backend), escape(workload), escape(phase_name), format_ms(median),
                escape(percentile_text(d.p95)), format_ms(sorted.front()), format_ms(sorted.back()),
                sorted.size());
            body += fmt::format(
                "<line class=\"whisker\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" "
                "stroke=\"{3}\"/><line class=\"whisker\" x1=\"{0}\" x2=\"{0}\" y1=\"{4}\" "
                "y2=\"{5}\" stroke=\"{3}\"/><line class=\"whisker\" x1=\"{1}\" x2=\"{1}\" "
                "y1=\"{4}\" y2=\"{5}\" stroke=\"{3}\"/>",
                num(scale(whisker_low)), num(scale(whisker_high)), num(centre), colour,
                num(centre - 5), num(centre + 5));
            body += fmt::format(
                "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\" "
                "stroke=\"{}\"/>",
                num(scale(q1)), num(centre - 8), num(std::max(1.0, scale(q3) - scale(q1))), colour,
                colour);
            for (std::size_t i = 0; i < row.values.size(); ++i) {
                // Golden-ratio jitter: deterministic, evenly spread, no two neighbours alike.
                const double fraction = std::fmod(static_cast<double>(i) * 0.6180339887, 1.0);
                body += fmt::format(R"(<circle class="point" cx="{}" cy="{}" r="2.6" fill="{}"/>)",
                                    num(scale(row.values[i])),
                                    num(centre + (fraction - 0.5) * 16.0), colour);
            }
            body += fmt::format(R"(<line class="median" x1="{0}" x2="{0}" y1="{1}" y2="{2}"/>)",
                                num(scale(median)), num(centre - 9), num(centre + 9));
            body += "</g>";
            y += kRowHeight;
        }
        y += 6.0;
    }
    const double bottom = y;
    const std::string title =
        fmt::format("{} {}: distribution per backend", to_string(scenario), phase_name);
    return svg::open(bottom + 44.0, "distribution", title,
                     {{"scenario", std::string(to_string(scenario))},
                      {"phase", std::string(phase_name)}}) +
           svg::x_axis(scale, 4.0, bottom, "milliseconds") + body + "</svg>";
}

/// Legend of the backends that have rows in a chart.
std::string backend_legend(const Page& page, const std::vector<std::string>& backends, double y) {
    std::vector<svg::LegendItem> items;
    items.reserve(backends.size());
    for (const auto& backend : backends) {
        items.push_back(
            {page.emulated(backend) ? backend + " (emulated)" : backend, page.colour(backend)});
    }
    return svg::legend(items, 8.0, y);
}

/// Per phase: the empirical cumulative distribution of each backend, one panel per workload.
std::string ecdf_chart(const Page& page, Scenario scenario, std::string_view phase_name) {
    struct Panel {
        std::string workload;
        std::vector<std::pair<std::string, std::vector<double>>> curves;
    };
    std::vector<Panel> panels;
    std::vector<std::string> legend_backends;
    for (const auto& workload : page.workloads) {
        Panel panel{workload, {}};
        for (const auto& backend : page.backends) {
            auto values =
                measured_values(page.data.samples, backend, workload, scenario, phase_name);
            if (values.empty()) {
                continue;
            }
            std::sort(values.begin(), values.end());
            if (std::find(legend_backends.begin(), legend_backends.end(), backend) ==
                legend_backends.end()) {
                legend_backends.push_back(backend);
            }
            panel.curves.emplace_back(backend, std::move(values));
        }
        if (!panel.curves.empty()) {
            panels.push_back(std::move(panel));
        }
    }
    if (panels.empty()) {
        return "";
    }
    const std::size_t columns = std::min<std::size_t>(3, panels.size());
    const std::size_t panel_rows = (panels.size() + columns - 1) / columns;
    constexpr double kMargin = 8.0;
    constexpr double kGap = 26.0;
    constexpr double kTop = 30.0;
    constexpr double kPlotHeight = 140.0;
    constexpr double kPanelHeight = 20.0 + kPlotHeight + 44.0;
    const double panel_width = (kWidth - 2 * kMargin - static_cast<double>(columns - 1) * kGap) /
                               static_cast<double>(columns);

    std::string body = backend_legend(page, legend_backends, 16.0);
    for (std::size_t index = 0; index < panels.size(); ++index) {
        const auto& panel = panels[index];
        const std::size_t panel_column = index % columns;
        const std::size_t panel_row = index / columns;
        const double px = kMargin + static_cast<double>(panel_column) * (panel_width + kGap);
        const double py = kTop + static_cast<double>(panel_row) * (kPanelHeight + 14.0);
        const double left = px + 38.0;
        const double right = px + panel_width - 8.0;
        const double top = py + 20.0;
        const double bottom = top + kPlotHeight;
        double low = std::numeric_limits<double>::infinity();
        double high = -std::numeric_limits<double>::infinity();
        for (const auto& [backend, values] : panel.curves) {
            low = std::min(low, values.front());
            high = std::max(high, values.back());
        }
        const auto scale = svg::Scale::for_values(low, high, left, right, false);
        auto y_of = [&](double fraction) { return bottom - fraction * kPlotHeight; };
        body += fmt::format(
            "<g class=\"panel\"><text class=\"panel-title\" x=\"{}\" y=\"{}\">{}"
            "</text>",
            num(px), num(py + 12), escape(panel.workload));
        body += fmt::format(R"(<rect class="plot-bg" x="{}" y="{}" width="{}" height="{}"/>)",
                            num(left), num(top), num(right - left), num(kPlotHeight));
        for (const double fraction : {0.0, 0.25, 0.5, 0.75, 1.0}) {
            body += fmt::format(
                "<line class=\"{0}\" x1=\"{1}\" x2=\"{2}\" y1=\"{3}\" y2=\"{3}\"/>"
                "<text class=\"tick\" x=\"{4}\" y=\"{5}\" text-anchor=\"end\">{6}</text>",
                fraction == 0.5 ? "gridline median-guide" : "gridline", num(left), num(right),
                num(y_of(fraction)), num(left - 5), num(y_of(fraction) + 4),
                fmt::format("{:.0f}%", fraction * 100));
        }
        body += svg::x_axis(scale, top, bottom, "ms");
        for (const auto& [backend, values] : panel.curves) {
            // A step function: flat between samples, a jump of 1/n at each.
            const auto n = static_cast<double>(values.size());
            std::string path = fmt::format("M{},{}", num(scale(values.front())), num(y_of(0)));
            for (std::size_t i = 0; i < values.size(); ++i) {
                const double x = scale(values[i]);
                path += fmt::format(" H{} V{}", num(x), num(y_of(static_cast<double>(i + 1) / n)));
            }
            path += fmt::format(" H{}", num(right));
            body += fmt::format(
                "<path class=\"ecdf\" d=\"{}\" stroke=\"{}\"><title>{} \u00b7 {}: n={}, median "
                "{} ms</title></path>",
                path, page.colour(backend), escape(backend), escape(panel.workload), values.size(),
                format_ms(percentile_of_sorted(values, 0.5)));
        }
        body += "</g>";
    }
    const double height = kTop + static_cast<double>(panel_rows) * (kPanelHeight + 14.0);
    return svg::open(height, "ecdf",
                     fmt::format("{} {}: ECDF per backend", to_string(scenario), phase_name),
                     {{"scenario", std::string(to_string(scenario))},
                      {"phase", std::string(phase_name)}}) +
           body + "</svg>";
}

/// Per workload: the median time to all results on a new session against a reused one, with
/// the bootstrap 95% confidence interval of each median as a whisker.
std::string cold_reused_chart(const Page& page) {
    struct Bar {
        std::string backend;
        const SummaryRow* cold = nullptr;
        const SummaryRow* reused = nullptr;
    };
    std::vector<std::pair<std::string, std::vector<Bar>>> panels;
    for (const auto& workload : page.workloads) {
        std::vector<Bar> bars;
        for (const auto& backend : page.backends) {
            const auto* cold =
                find_row(page.summary(), backend, workload, Scenario::kCold, phase::kLastResult);
            const auto* reused =
                find_row(page.summary(), backend, workload, Scenario::kReused, phase::kExecute);
            if ((cold != nullptr && cold->wall.median) ||
                (reused != nullptr && reused->wall.median)) {
                bars.push_back({backend, cold, reused});
            }
        }
        if (!bars.empty()) {
            panels.emplace_back(workload, std::move(bars));
        }
    }
    if (panels.empty()) {
        return "";
    }
    const std::size_t columns = std::min<std::size_t>(2, panels.size());
    constexpr double kMargin = 8.0;
    constexpr double kGap = 32.0;
    constexpr double kTop = 30.0;
    constexpr double kBar = 12.0;
    const double panel_width = (kWidth - 2 * kMargin - static_cast<double>(columns - 1) * kGap) /
                               static_cast<double>(columns);
    std::size_t most_bars = 0;
    for (const auto& [workload, bars] : panels) {
        most_bars = std::max(most_bars, bars.size());
    }
    const double panel_height = 22.0 + static_cast<double>(most_bars) * (2 * kBar + 14.0) + 40.0;

    std::string body =
        svg::legend({{"cold: new session, from before create to the last result", "#4a5560", 1.0},
                     {"reused: all cells on a session that already ran them", "#4a5560", 0.4}},
                    8.0, 16.0);
    for (std::size_t index = 0; index < panels.size(); ++index) {
        const auto& [workload, bars] = panels[index];
        const std::size_t panel_column = index % columns;
        const std::size_t panel_row = index / columns;
        const double px = kMargin + static_cast<double>(panel_column) * (panel_width + kGap);
        const double py = kTop + static_cast<double>(panel_row) * (panel_height + 10.0);
        const double left = px + 150.0;
        const double right = px + panel_width - 58.0;
        double high = 0.0;
        for (const auto& bar : bars) {
            for (const auto* row : {bar.cold, bar.reused}) {
                if (row != nullptr && row->wall.median) {
                    high = std::max(
                        high, row->wall.median_ci ? row->wall.median_ci->high : *row->wall.median);
                }
            }
        }
        const auto scale = svg::Scale::for_values(0.0, high, left, right, true);
        const double top = py + 22.0;
        const double bottom = top + static_cast<double>(bars.size()) * (2 * kBar + 14.0);
        body += fmt::format(
            "<g class=\"panel\"><text class=\"panel-title\" x=\"{}\" y=\"{}\">{}"
            "</text>",
            num(px), num(py + 12), escape(workload));
        body += svg::x_axis(scale, top, bottom, "ms");
        double y = top + 7.0;
        for (const auto& bar : bars) {
            body += row_label(page, bar.backend, px + 4, y + kBar + 4.0, left - px - 10.0);
            const auto colour = page.colour(bar.backend);
            const std::array<std::pair<const SummaryRow*, std::string_view>, 2> pair{
                {{bar.cold, "cold"}, {bar.reused, "reused"}}};
            for (std::size_t k = 0; k < pair.size(); ++k) {
                const auto* row = pair[k].first;
                const double bar_y = y + static_cast<double>(k) * (kBar + 2.0);
                if (row == nullptr || !row->wall.median) {
                    body += fmt::format(
                        R"(<text class="no-data" x="{}" y="{}">{}: not measured</text>)",
                        num(left + 4), num(bar_y + kBar - 2), pair[k].second);
                    continue;
                }
                const double median = *row->wall.median;
                body += fmt::format(
                    "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                    "fill=\"{}\" fill-opacity=\"{}\"><title>{} \u00b7 {} \u00b7 {}: median {} "
                    "ms, 95% CI {}</title></rect>",
                    num(left), num(bar_y), num(std::max(1.0, scale(median) - left)), num(kBar),
                    colour, k == 0 ? "1" : "0.4", escape(bar.backend), escape(workload),
                    pair[k].second, format_ms(median), escape(ci_text(row->wall)));
                double label_x = scale(median);
                if (row->wall.median_ci) {
                    const double x1 = scale(row->wall.median_ci->low);
                    const double x2 = scale(row->wall.median_ci->high);
                    const double cy = bar_y + kBar / 2.0;
                    body += fmt::format(
                        "<g class=\"ci\"><line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
                        "<line x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{4}\"/><line x1=\"{1}\" "
                        "x2=\"{1}\" y1=\"{3}\" y2=\"{4}\"/></g>",
                        num(x1), num(x2), num(cy), num(cy - 4), num(cy + 4));
                    label_x = std::max(label_x, x2);
                }
                body += fmt::format(R"(<text class="value" x="{}" y="{}">{}</text>)",
                                    num(label_x + 5), num(bar_y + kBar - 2), format_ms(median));
            }
            y += 2 * kBar + 14.0;
        }
        body += "</g>";
    }
    const std::size_t row_count = (panels.size() + columns - 1) / columns;
    const auto rows = static_cast<double>(row_count);
    return svg::open(kTop + rows * (panel_height + 10.0), "cold-vs-reused",
                     "Cold vs reused: median time to all results, with 95% CI") +
           body + "</svg>";
}

/// Per workload and backend: the medians of a cold start's phases, stacked, each workload's
/// bars on its own scale (the longest bar fills the width) with the total written beside.
std::string breakdown_chart(const Page& page) {
    struct Segment {
        std::string_view name;
        std::string_view colour;
    };
    // Blues for getting a sandbox, greens for running code in it, amber for the overhead
    // around that, muted tones for the rest: the eye finds execution and overhead first.
    static constexpr std::array<Segment, 7> kSegments{{{"create", "#3465A4"},
                                                       {"upload", "#8DB3E2"},
                                                       {"execution, in sandbox", "#2E9E6A"},
                                                       {"execution, overhead", "#F2A93B"},
                                                       {"execution (not split)", "#8CC7A1"},
                                                       {"download", "#A98BD0"},
                                                       {"close", "#9AA5B1"}}};
    struct Bar {
        std::string backend;
        std::array<double, kSegments.size()> ms{};
        double total = 0.0;
    };
    std::vector<std::pair<std::string, std::vector<Bar>>> groups;
    std::array<bool, kSegments.size()> used{};
    for (const auto& workload : page.workloads) {
        std::vector<Bar> bars;
        for (const auto& backend : page.backends) {
            auto median = [&](std::string_view phase_name) -> std::optional<double> {
                const auto* row =
                    find_row(page.summary(), backend, workload, Scenario::kCold, phase_name);
                return row != nullptr ? row->wall.median : std::nullopt;
            };
            const auto* execute =
                find_row(page.summary(), backend, workload, Scenario::kCold, phase::kExecute);
            Bar bar{backend, {}, 0.0};
            bar.ms[0] = median(phase::kCreate).value_or(0.0);
            bar.ms[1] = median(phase::kUpload).value_or(0.0);
            if (execute != nullptr && execute->backend_time && execute->backend_time->median &&
                execute->median_transport_ms) {
                bar.ms[2] = *execute->backend_time->median;
                bar.ms[3] = std::max(0.0, *execute->median_transport_ms);
            } else if (execute != nullptr) {
                bar.ms[4] = execute->wall.median.value_or(0.0);
            }
            bar.ms[5] = median(phase::kDownload).value_or(0.0);
            bar.ms[6] = median(phase::kClose).value_or(0.0);
            for (std::size_t i = 0; i < bar.ms.size(); ++i) {
                bar.total += bar.ms[i];
                used[i] = used[i] || bar.ms[i] > 0.0;
            }
            if (bar.total > 0.0) {
                bars.push_back(bar);
            }
        }
        if (!bars.empty()) {
            groups.emplace_back(workload, std::move(bars));
        }
    }
    if (groups.empty()) {
        return "";
    }
    constexpr double kPlotLeft = 200.0;
    constexpr double kPlotRight = kWidth - 90.0;
    std::vector<svg::LegendItem> legend;
    for (std::size_t i = 0; i < kSegments.size(); ++i) {
        if (used[i]) {
            legend.push_back({std::string(kSegments[i].name), std::string(kSegments[i].colour)});
        }
    }
    std::string body = svg::legend(legend, 8.0, 16.0);
    double y = 30.0;
    for (const auto& [workload, bars] : groups) {
        body += fmt::format(
            "<text class=\"group-label\" x=\"8\" y=\"{}\">{}</text><line class=\"separator\" "
            "x1=\"8\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
            num(y + 15), escape(workload), num(kWidth - 8), num(y + 21), num(y + 21));
        y += 26.0;
        double longest = 0.0;
        for (const auto& bar : bars) {
            longest = std::max(longest, bar.total);
        }
        for (const auto& bar : bars) {
            body += row_label(page, bar.backend, 18.0, y + 13.0, kPlotLeft - 26.0);
            double x = kPlotLeft;
            for (std::size_t i = 0; i < bar.ms.size(); ++i) {
                if (bar.ms[i] <= 0.0) {
                    continue;
                }
                const double width = bar.ms[i] / longest * (kPlotRight - kPlotLeft);
                body += fmt::format(
                    "<rect class=\"segment\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" "
                    "fill=\"{}\"><title>{} \u00b7 {} \u00b7 {}: {} ms ({:.0f}%)</title></rect>",
                    num(x), num(y), num(width), kSegments[i].colour, escape(bar.backend),
                    escape(workload), kSegments[i].name, format_ms(bar.ms[i]),
                    bar.ms[i] / bar.total * 100.0);
                // Label a segment only where its number fits inside it.
                const auto label = format_ms(bar.ms[i]);
                if (width > 7.0 * static_cast<double>(label.size()) + 8.0) {
                    body += fmt::format(
                        "<text class=\"segment-label\" x=\"{}\" y=\"{}\" "
                        "text-anchor=\"middle\">{}</text>",
                        num(x + width / 2.0), num(y + 13), label);
                }
                x += width;
            }
            body += fmt::format(R"(<text class="value" x="{}" y="{}">{} ms</text>)", num(x + 6),
                                num(y + 13), format_ms(bar.total));
            y += 26.0;
        }
        y += 4.0;
    }
    return svg::open(y + 6.0, "breakdown",
                     "Where a cold start's time goes: medians of each phase, stacked") +
           body + "</svg>";
}

/// Failed iterations per backend and scenario, stacked by the kind of their first failure.
std::string failures_chart(const Page& page, const std::map<UnitKey, IterationOutcomes>& outcomes) {
    struct Row {
        std::string backend;
        Scenario scenario;
        IterationOutcomes total;
    };
    std::vector<Row> rows;
    std::vector<std::string> kinds;
    for (const auto& backend : page.backends) {
        for (const auto scenario : {Scenario::kCold, Scenario::kReused}) {
            Row row{backend, scenario, {}};
            for (const auto& [key, outcome] : outcomes) {
                if (std::get<0>(key) == backend && std::get<2>(key) == scenario) {
                    row.total.iterations += outcome.iterations;
                    row.total.failed += outcome.failed;
                    for (const auto& [kind, count] : outcome.kinds) {
                        row.total.kinds[kind] += count;
                        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
                            kinds.push_back(kind);
                        }
                    }
                }
            }
            if (row.total.iterations > 0) {
                rows.push_back(std::move(row));
            }
        }
    }
    std::size_t most = 0;
    for (const auto& row : rows) {
        most = std::max(most, row.total.failed);
    }
    if (most == 0) {
        return "";
    }
    constexpr double kPlotLeft = 236.0;
    constexpr double kPlotRight = kWidth - 220.0;
    auto kind_colour = [&](const std::string& kind) {
        const auto it = std::find(kinds.begin(), kinds.end(), kind);
        // Reds and ambers first: failures should look like failures.
        static constexpr std::array<std::string_view, 6> kColours{"#D1495B", "#EDAE49", "#8E6C8A",
                                                                  "#00798C", "#30638E", "#6B4226"};
        return kColours[static_cast<std::size_t>(it - kinds.begin()) % kColours.size()];
    };
    std::vector<svg::LegendItem> legend;
    legend.reserve(kinds.size());
    for (const auto& kind : kinds) {
        legend.push_back({kind, std::string(kind_colour(kind))});
    }
    const auto scale =
        svg::Scale::for_values(0.0, static_cast<double>(most), kPlotLeft, kPlotRight, true);
    std::string body = svg::legend(legend, 8.0, 16.0);
    double y = 30.0;
    const double top = y;
    std::string bars;
    for (const auto scenario : {Scenario::kCold, Scenario::kReused}) {
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const auto& row) { return row.scenario == scenario; })) {
            continue;
        }
        bars += fmt::format(
            "<text class=\"group-label\" x=\"8\" y=\"{}\">{} sessions</text><line "
            "class=\"separator\" x1=\"8\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
            num(y + 15), scenario == Scenario::kCold ? "cold" : "reused", num(kWidth - 8),
            num(y + 21), num(y + 21));
        y += 26.0;
        for (const auto& row : rows) {
            if (row.scenario != scenario) {
                continue;
            }
            bars += row_label(page, row.backend, 18.0, y + 13.0, kPlotLeft - 26.0);
            double x = kPlotLeft;
            for (const auto& [kind, count] : row.total.kinds) {
                const double width = scale(static_cast<double>(count)) - kPlotLeft;
                bars += fmt::format(
                    "<rect class=\"segment\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" "
                    "fill=\"{}\"><title>{} \u00b7 {}: {} iteration(s) failed with {}</title>"
                    "</rect>",
                    num(x), num(y), num(width), kind_colour(kind), escape(row.backend),
                    to_string(row.scenario), count, escape(kind));
                x += width;
            }
            bars += fmt::format(
                "<text class=\"value\" x=\"{}\" y=\"{}\">{} of {} iterations failed "
                "({:.1f}%)</text>",
                num(x + 6), num(y + 13), row.total.failed, row.total.iterations,
                100.0 * static_cast<double>(row.total.failed) /
                    static_cast<double>(row.total.iterations));
            y += 26.0;
        }
    }
    body += svg::x_axis(scale, top - 4.0, y, "failed iterations") + bars;
    return svg::open(y + 44.0, "failures", "Failed iterations by kind of first failure") + body +
           "</svg>";
}

// ---------------------------------------------------------------------------------------------
// Tables and sections

std::string headline_table(const Page& page, const std::map<UnitKey, IterationOutcomes>& outcomes) {
    std::string out =
        "<div class=\"table-wrap\"><table class=\"headline\"><thead><tr><th>workload</th>"
        "<th>backend</th><th class=\"num\">cold: first result</th><th class=\"num\">cold: "
        "last result</th><th class=\"num\">reused: all cells</th><th class=\"num\">ok "
        "cold / reused</th><th class=\"num\">per 1000 cold</th><th class=\"num\">per 1000 "
        "reused</th><th>cost</th></tr></thead><tbody>";
    auto success = [&](const std::string& backend, const std::string& workload,
                       Scenario scenario) -> std::string {
        const auto it = outcomes.find(UnitKey{backend, workload, scenario});
        if (it == outcomes.end() || it->second.iterations == 0) {
            return "-";
        }
        const auto& o = it->second;
        const double rate =
            static_cast<double>(o.iterations - o.failed) / static_cast<double>(o.iterations);
        return o.failed > 0 ? fmt::format("<span class=\"bad\">{:.0f}%</span>", rate * 100.0)
                            : fmt::format("{:.0f}%", rate * 100.0);
    };
    for (const auto& workload : page.workloads) {
        bool first_of_workload = true;
        for (const auto& backend : page.backends) {
            const auto* first =
                find_row(page.summary(), backend, workload, Scenario::kCold, phase::kFirstResult);
            const auto* last =
                find_row(page.summary(), backend, workload, Scenario::kCold, phase::kLastResult);
            const auto* reused =
                find_row(page.summary(), backend, workload, Scenario::kReused, phase::kExecute);
            if (first == nullptr && last == nullptr && reused == nullptr) {
                continue;
            }
            const auto* cost = page.data.cost.find(backend, workload);
            auto ms = [](const SummaryRow* row) {
                return row != nullptr && row->wall.median
                           ? fmt::format("{} <small>ms</small>", format_ms(*row->wall.median))
                           : std::string("-");
            };
            out += fmt::format(
                "<tr{}><td>{}</td><td class=\"backend\">{}</td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}"
                "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                first_of_workload ? " class=\"group-start\"" : "",
                first_of_workload ? escape(workload) : "", backend_html(page, backend), ms(first),
                ms(last), ms(reused), success(backend, workload, Scenario::kCold),
                success(backend, workload, Scenario::kReused),
                cost != nullptr ? escape(usd_or_unknown(cost->cold_per_1000_usd)) : "-",
                cost != nullptr ? escape(usd_or_unknown(cost->reused_per_1000_usd)) : "-",
                cost != nullptr
                    ? badge(std::string(to_string(cost->confidence)), to_string(cost->confidence))
                    : "-");
            first_of_workload = false;
        }
    }
    out += "</tbody></table></div>";
    return out;
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
    out += "</tbody></table></div></details>";
    return out;
}

std::string failures_section(const Page& page,
                             const std::map<UnitKey, IterationOutcomes>& outcomes) {
    std::string out = "<section id=\"failures\"><h2>Failures</h2>";
    const auto chart = failures_chart(page, outcomes);
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
        out += "<figure>" + chart + "</figure>";
        out +=
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
        out += "</tbody></table></div>";
    }
    if (!page.summary().skipped.empty()) {
        out +=
            "<h3>Skipped</h3><div class=\"table-wrap\"><table><thead><tr><th>backend</th>"
            "<th>workload</th><th>reason</th></tr></thead><tbody>";
        for (const auto& skip : page.summary().skipped) {
            out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                               backend_html(page, skip.backend), escape(skip.workload),
                               escape(skip.reason));
        }
        out += "</tbody></table></div>";
    }
    return out + "</section>";
}

std::string cost_section(const Page& page) {
    const auto& cost = page.data.cost;
    if (cost.estimates.empty()) {
        return "";
    }
    const auto& mix = cost.mix;
    std::string out = fmt::format(
        "<section id=\"cost\"><h2>Cost</h2><p class=\"caption\">USD from measured session "
        "lifetimes and the pricing table. A cold session is billed for its measured life "
        "(create to close); a reused session runs {} executions ({} s think time between "
        "them); {} sessions a day, {}-day month. Figures are as sure as their price's "
        "confidence.</p>",
        mix.executions_per_session, mix.think_time_s, mix.sessions_per_day, mix.days_per_month);
    out +=
        "<div class=\"table-wrap\"><table><thead><tr><th>backend</th><th>workload</th>"
        "<th class=\"num\">cold session: life &rarr; billed</th><th class=\"num\">per cold "
        "session</th><th class=\"num\">per 1000 cold</th><th class=\"num\">reused "
        "session life</th><th class=\"num\">per 1000 reused</th><th class=\"num\">per "
        "day</th><th class=\"num\">per month</th><th>confidence</th></tr></thead><tbody>";
    for (const auto& e : cost.estimates) {
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
            escape(usd_or_unknown(e.per_month_usd)),
            badge(std::string(to_string(e.confidence)), to_string(e.confidence)));
    }
    out += "</tbody></table></div><h3>Prices</h3><ul class=\"prices\">";
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
            badge(std::string(to_string(e.price->confidence)), to_string(e.price->confidence)),
            escape(billing_text(*e.price)), escape(e.price->source), escape(e.price->as_of),
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
    return out + "</section>";
}

std::string context_section(const Page& page) {
    const auto& c = page.summary().context;
    auto item = [](std::string_view key, const std::string& value) {
        return fmt::format("<tr><th>{}</th><td>{}</td></tr>", escape(key), value);
    };
    std::string out =
        "<section id=\"context\"><h2>Run context</h2><div class=\"columns\">"
        "<div class=\"table-wrap\"><table class=\"kv\"><tbody>";
    out += item("run id", "<code>" + escape(c.run_id) + "</code>");
    out += item("started", escape(c.started_at));
    out += item("duration", fmt::format("{:.1f} s{}", page.summary().duration_s,
                                        page.summary().interrupted ? " (interrupted)" : ""));
    out += item("host", escape(c.host));
    out += item("CPUs", c.cpu_model.empty() ? std::to_string(c.cpus)
                                            : fmt::format("{} × {}", c.cpus, escape(c.cpu_model)));
    out += item("OS", escape(c.os));
    out += item("compiler", escape(c.compiler) + " (" + escape(c.build_type) + ")");
    out += item("sandbench",
                escape(c.sandbench_version) + ", git <code>" + escape(c.git_revision) + "</code>");
    out += R"(</tbody></table></div><div class="table-wrap"><table class="kv"><tbody>)";
    for (const auto& [key, value] : c.plan.items()) {
        std::string text;
        if (value.is_array()) {
            std::vector<std::string> parts;
            for (const auto& part : value) {
                parts.push_back(part.is_string() ? part.get<std::string>() : part.dump());
            }
            text = fmt::format("{}", fmt::join(parts, ", "));
        } else {
            text = value.is_string() ? value.get<std::string>() : value.dump();
        }
        out += item(key, escape(text));
    }
    out +=
        "</tbody></table></div></div><h3>Backends</h3><div class=\"table-wrap\"><table>"
        "<thead><tr><th>name</th><th>type</th><th>isolation</th><th>description</th>"
        "<th>settings</th></tr></thead><tbody>";
    for (const auto& info : c.backends) {
        out += fmt::format(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code "
            "class=\"settings\">{}</code></td></tr>",
            backend_html(page, info.name), escape(info.type), escape(info.capabilities.isolation),
            escape(info.description), escape(info.config.dump()));
    }
    return out + "</tbody></table></div></section>";
}

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #eef1f4; --page: #f6f8fa;
  --card: #ffffff; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 20px 64px; }
header.top { margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h1 code { font-size: 0.8em; color: var(--muted); font-weight: 500; }
h2 { font-size: 19px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
h3 .phase { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta { color: var(--muted); margin: 0 0 10px; }
.meta span + span::before { content: "\00b7"; margin: 0 8px; color: var(--line); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px 20px; margin: 18px 0; }
nav.toc { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; margin: 10px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.caption, figcaption { color: var(--muted); font-size: 13px; margin: 2px 0 10px; }
figure { margin: 8px 0 14px; }
.legend-bar { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 6px; vertical-align: baseline; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 11.5px;
  font-weight: 600; line-height: 18px; border: 1px solid transparent; white-space: nowrap; }
.badge.emulated { background: #fff1e5; color: #953800; border-color: #ffc799; }
.badge.interrupted { background: #ffebe9; color: #a40e26; border-color: #ffcecb; }
.badge.exact { background: #dafbe1; color: #116329; border-color: #aceebb; }
.badge.estimated { background: #fff8c5; color: #7d4e00; border-color: #f5e08a; }
.badge.unknown { background: #eef1f4; color: #59636e; border-color: #d1d9e0; }
.callout { border-left: 4px solid #fb8f44; background: #fff8f2; padding: 8px 12px;
  border-radius: 6px; margin: 10px 0; }
.callout.warn { border-color: #cf222e; background: #fff5f5; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--soft); text-align: left;
  vertical-align: top; }
thead th { font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line);
  vertical-align: bottom; font-size: 12px; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
.backend-name { white-space: nowrap; }
tr.group-start td { border-top: 1px solid var(--line); }
td small { color: var(--muted); }
.bad { color: #cf222e; font-weight: 600; }
.muted { color: var(--muted); font-size: 13px; }
.ok-note { color: #116329; }
td.message { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; word-break: break-word; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  background: var(--soft); padding: 1px 5px; border-radius: 4px; }
code.settings { word-break: break-all; }
table.kv th { width: 32%; color: var(--muted); font-weight: 500; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
@media (max-width: 800px) { .columns { grid-template-columns: 1fr; } }
details { margin: 4px 0 8px; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
ul.prices { padding-left: 18px; } ul.prices li { margin: 6px 0; }
.phase-block { border-top: 1px solid var(--soft); padding-top: 6px; margin-top: 10px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-size: 12px; fill: var(--fg); }
svg.chart .tick { font-size: 10.5px; fill: var(--muted); }
svg.chart .axis-title { font-size: 11.5px; fill: var(--muted); }
svg.chart .gridline { stroke: #e6eaef; stroke-width: 1; }
svg.chart .median-guide { stroke: #c4ccd5; stroke-dasharray: 3 3; }
svg.chart .baseline { stroke: #8c959f; stroke-width: 1; }
svg.chart .separator { stroke: #d8dee4; stroke-width: 1; }
svg.chart .group-label, svg.chart .panel-title { font-weight: 600; font-size: 12.5px; }
svg.chart .row-note { fill: var(--muted); font-size: 11px; }
svg.chart .row-note.failed { fill: #cf222e; }
svg.chart .no-data { fill: #cf222e; font-size: 11px; font-style: italic; }
svg.chart .box { fill-opacity: 0.16; stroke-width: 1.4; }
svg.chart .whisker { stroke-width: 1.3; }
svg.chart .median { stroke: #1f2328; stroke-width: 2.4; }
svg.chart .point { fill-opacity: 0.55; }
svg.chart .ecdf { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg.chart .plot-bg { fill: #fbfcfd; stroke: #e6eaef; }
svg.chart .ci line { stroke: #1f2328; stroke-width: 1.3; }
svg.chart .value { font-size: 11px; fill: var(--muted); }
svg.chart .segment { stroke: #ffffff; stroke-width: 1; }
svg.chart .segment-label { font-size: 10.5px; fill: #ffffff; font-weight: 600; }
svg.chart .badge-emulated rect { fill: #fff1e5; stroke: #ffc799; }
svg.chart .badge-emulated text { font-size: 9.5px; font-weight: 600; fill: #953800; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 24px; }
)css";

}  // namespace

std::string render_html(const ReportData& data) {
    Page page{data, backend_order(data.summary), workload_order(data.summary)};
    // Backends without rows keep no colour of their own; the others keep the context's order.
    std::erase_if(page.backends, [&](const auto& backend) {
        return std::none_of(data.summary.rows.begin(), data.summary.rows.end(),
                            [&](const auto& row) { return row.backend == backend; });
    });
    const auto& summary = data.summary;
    const auto& c = summary.context;
    const auto outcomes = iteration_outcomes(data.samples);

    std::string html = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>sandbench {}</title><style>{}</style></head><body><main>",
        escape(c.run_id), kStyle);

    html += fmt::format(
        "<header class=\"top\"><h1>sandbench report <code>{}</code></h1><p class=\"meta\">"
        "<span>{}</span><span>{}</span><span>{} CPUs</span><span>git {}</span><span>{:.1f} "
        "s</span></p>",
        escape(c.run_id), escape(c.started_at.empty() ? "start unknown" : c.started_at),
        escape(c.host.empty() ? "host unknown" : c.host), c.cpus, escape(c.git_revision),
        summary.duration_s);
    html += "<div class=\"legend-bar\">";
    for (const auto& backend : page.backends) {
        const auto* info = backend_info(summary, backend);
        html += fmt::format(
            "<span>{} <span class=\"muted\">{}</span></span>", backend_html(page, backend),
            info != nullptr ? escape(info->type + " \u00b7 " + info->capabilities.isolation) : "");
    }
    html += "</div>";
    if (summary.interrupted) {
        html += "<p class=\"callout warn\">" + badge("interrupted", "interrupted") +
                " The run was interrupted; the numbers cover what was measured before.</p>";
    }
    if (any_emulated(summary)) {
        html += "<p class=\"callout\">" + badge("emulated", "emulated") +
                " backends are local emulators of a service, not the service: their latencies "
                "are the emulator's, and their costs use the real service's prices.</p>";
    }
    html +=
        "<nav class=\"toc\"><a href=\"#headline\">Headline</a>"
        "<a href=\"#cold-vs-reused\">Cold vs reused</a>"
        "<a href=\"#breakdown\">Cold start breakdown</a>"
        "<a href=\"#distributions\">Distributions</a><a href=\"#failures\">Failures</a>"
        "<a href=\"#cost\">Cost</a><a href=\"#context\">Run context</a></nav></header>";

    html +=
        "<section id=\"headline\"><h2>Headline</h2><p class=\"caption\">Medians in "
        "milliseconds; the share of measured iterations that succeeded; what 1000 "
        "executions cost (details under Cost).</p>" +
        headline_table(page, outcomes) + "</section>";

    if (const auto chart = cold_reused_chart(page); !chart.empty()) {
        html +=
            "<section id=\"cold-vs-reused\"><h2>Cold vs reused</h2><p class=\"caption\">"
            "What an agent pays for a new sandbox against keeping one: the median time to "
            "all of a workload's results on a new session (from before create) and on a "
            "session that already ran it. Whiskers: bootstrap 95% confidence interval of "
            "the median. Each workload has its own scale.</p><figure>" +
            chart + "</figure></section>";
    }
    if (const auto chart = breakdown_chart(page); !chart.empty()) {
        html +=
            "<section id=\"breakdown\"><h2>Where a cold start's time goes</h2><p "
            "class=\"caption\">Median of each phase of a cold session, stacked. Execution "
            "is split into the time the sandbox reported for running the code and the "
            "overhead around it (transport, serialisation, scheduling) where the backend "
            "reports its own time. Medians do not add up to the median total; the "
            "freshness check is the harness's own and left out. Each workload's longest "
            "bar fills the width.</p><figure>" +
            chart + "</figure></section>";
    }

    html +=
        "<section id=\"distributions\"><h2>Distributions by phase</h2><p class=\"caption\">"
        "Each measured sample is a point; the box spans the middle half (quartiles) with "
        "the median as a dark line; whiskers reach the furthest sample within 1.5 times "
        "the box. The ECDF shows the share of samples at or below each time: further "
        "left is faster, steeper is steadier. A log scale is used when times span more "
        "than 20 times.</p>";
    for (const auto scenario : scenarios_present(summary)) {
        for (const auto phase_name : charted_phases(scenario)) {
            const auto distribution = distribution_chart(page, scenario, phase_name);
            if (distribution.empty()) {
                continue;
            }
            html += fmt::format(
                "<div class=\"phase-block\" id=\"{0}-{1}\"><h3>{0} \u00b7 <span "
                "class=\"phase\">{1}</span></h3><p class=\"caption\">{2}</p><figure>{3}"
                "</figure><figure>{4}</figure>{5}</div>",
                to_string(scenario), escape(phase_name),
                escape(phase_description(scenario, phase_name)), distribution,
                ecdf_chart(page, scenario, phase_name), stats_table(page, scenario, phase_name));
        }
    }
    html += "</section>";
    html += failures_section(page, outcomes);
    html += cost_section(page);
    html += context_section(page);
    html += fmt::format(
        "<footer>Generated by sandbench {} from samples.jsonl and summary.json. Self-contained: "
        "no scripts, no network.</footer></main></body></html>\n",
        escape(c.sandbench_version));
    return html;
}

}  // namespace sandbench::harness
