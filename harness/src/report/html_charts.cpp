// SPDX-License-Identifier: Apache-2.0
//
// report.html's charts. Each chart has a namespace of its own holding its data (the rows,
// ranges and statistics it shows), `compute`, which builds that data from the Page and
// nothing else, and `draw`, which turns the data into SVG and computes nothing but
// coordinates. Every backend keeps its Page colour; emulated backends carry a badge beside
// their name. The file is longer than 600 lines because the five charts share their row
// labels, headings and panels (the helpers at the top) and read best side by side; each
// chart's namespace is a unit of its own, 110 to 160 lines.
#include "report/html_charts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "report/common.hpp"
#include "report/svg.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness::html {
namespace {

using namespace report_detail;
using svg::escape;
using svg::num;

constexpr double kWidth = svg::kChartWidth;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

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

/// A group's heading across the chart, the group's rows below it; `label_html` is escaped.
std::string group_heading(std::string_view label_html, double y) {
    return fmt::format(
        "<text class=\"group-label\" x=\"8\" y=\"{}\">{}</text><line class=\"separator\" "
        "x1=\"8\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        num(y + 15), label_html, num(kWidth - 8), num(y + 21), num(y + 21));
}

/// Opens a panel's <g> with the workload's name as its title; the caller closes it.
std::string panel_open(double x, double y, std::string_view workload) {
    return fmt::format(
        "<g class=\"panel\"><text class=\"panel-title\" x=\"{}\" y=\"{}\">{}"
        "</text>",
        num(x), num(y + 12), escape(workload));
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

std::vector<std::pair<std::string, std::string>> phase_attributes(Scenario scenario,
                                                                  std::string_view phase_name) {
    return {{"scenario", std::string(to_string(scenario))}, {"phase", std::string(phase_name)}};
}

// ---------------------------------------------------------------------------------------------
// Distribution: a box plot with every sample as a point.

namespace distribution {

constexpr double kPlotLeft = 236.0;
constexpr double kPlotRight = kWidth - 118.0;
constexpr double kRowHeight = 26.0;

/// Quartiles, and Tukey's whiskers: the furthest samples within 1.5 times the box.
struct Box {
    double q1 = 0.0;
    double median = 0.0;
    double q3 = 0.0;
    double whisker_low = 0.0;
    double whisker_high = 0.0;
    double min = 0.0;
    double max = 0.0;
};

struct Row {
    std::string backend;
    std::vector<double> values;  ///< in sample order, the order the points are drawn in
    const SummaryRow* summary_row = nullptr;
    std::optional<Box> box;  ///< nullopt: no successful sample
};

struct Group {
    std::string workload;
    std::vector<Row> rows;
};

struct Data {
    Scenario scenario;
    std::string_view phase_name;
    std::vector<Group> groups;
    double low = kInfinity;  ///< the range of every value, the scale's domain
    double high = -kInfinity;
};

Box box_of(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    Box box;
    box.q1 = percentile_of_sorted(values, 0.25);
    box.median = percentile_of_sorted(values, 0.5);
    box.q3 = percentile_of_sorted(values, 0.75);
    const double iqr = box.q3 - box.q1;
    const auto lower = std::find_if(values.begin(), values.end(),
                                    [&](double v) { return v >= box.q1 - 1.5 * iqr; });
    const auto upper = std::find_if(values.rbegin(), values.rend(),
                                    [&](double v) { return v <= box.q3 + 1.5 * iqr; });
    box.whisker_low = lower != values.end() ? *lower : values.front();
    box.whisker_high = upper != values.rend() ? *upper : values.back();
    box.min = values.front();
    box.max = values.back();
    return box;
}

Data compute(const Page& page, Scenario scenario, std::string_view phase_name) {
    Data data{scenario, phase_name, {}};
    for (const auto& workload : page.workloads) {
        Group group{workload, {}};
        for (const auto& backend : page.backends) {
            const auto* row = find_row(page.summary(), backend, workload, scenario, phase_name);
            if (row == nullptr) {
                continue;
            }
            auto values =
                measured_values(page.data.samples, backend, workload, scenario, phase_name);
            for (const double value : values) {
                data.low = std::min(data.low, value);
                data.high = std::max(data.high, value);
            }
            auto box = values.empty() ? std::nullopt : std::optional(box_of(values));
            group.rows.push_back({backend, std::move(values), row, box});
        }
        if (!group.rows.empty()) {
            data.groups.push_back(std::move(group));
        }
    }
    if (data.low > data.high) {
        data.low = 0.0;
        data.high = 1.0;
    }
    return data;
}

/// Whiskers, box, the points (jittered vertically) and the median line of a row.
std::string draw_box(const Row& row, const Box& box, const std::string& colour,
                     const svg::Scale& scale, double centre) {
    std::string out = fmt::format(
        "<line class=\"whisker\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" "
        "stroke=\"{3}\"/><line class=\"whisker\" x1=\"{0}\" x2=\"{0}\" y1=\"{4}\" "
        "y2=\"{5}\" stroke=\"{3}\"/><line class=\"whisker\" x1=\"{1}\" x2=\"{1}\" "
        "y1=\"{4}\" y2=\"{5}\" stroke=\"{3}\"/>",
        num(scale(box.whisker_low)), num(scale(box.whisker_high)), num(centre), colour,
        num(centre - 5), num(centre + 5));
    out += fmt::format(
        "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\" "
        "stroke=\"{}\"/>",
        num(scale(box.q1)), num(centre - 8), num(std::max(1.0, scale(box.q3) - scale(box.q1))),
        colour, colour);
    for (std::size_t i = 0; i < row.values.size(); ++i) {
        // Golden-ratio jitter: deterministic, evenly spread, no two neighbours alike.
        const double fraction = std::fmod(static_cast<double>(i) * 0.6180339887, 1.0);
        out +=
            fmt::format(R"(<circle class="point" cx="{}" cy="{}" r="2.6" fill="{}"/>)",
                        num(scale(row.values[i])), num(centre + (fraction - 0.5) * 16.0), colour);
    }
    out += fmt::format(R"(<line class="median" x1="{0}" x2="{0}" y1="{1}" y2="{2}"/>)",
                       num(scale(box.median)), num(centre - 9), num(centre + 9));
    return out;
}

std::string draw_row(const Page& page, const Data& data, const std::string& workload,
                     const Row& row, const svg::Scale& scale, double centre) {
    std::string out = "<g class=\"box-row\">";
    out += row_label(page, row.backend, 18.0, centre + 4.0, kPlotLeft - 26.0);
    const auto& summary_row = *row.summary_row;
    // n and failures right of the plot, where long labels cannot run into them.
    out += fmt::format(
        R"(<text class="row-note{}" x="{}" y="{}">n={}{}</text>)",
        summary_row.failures > 0 ? " failed" : "", num(kPlotRight + 14), num(centre + 4),
        row.values.size(),
        summary_row.failures > 0 ? fmt::format(" \u00b7 {} failed", summary_row.failures) : "");
    if (!row.box) {
        return out +
               fmt::format(R"(<text class="no-data" x="{}" y="{}">no successful sample</text></g>)",
                           num(kPlotLeft + 6), num(centre + 4));
    }
    const auto& box = *row.box;
    out += fmt::format(
        "<title>{} \u00b7 {} \u00b7 {}: median {} ms, p95 {} ms, min {} ms, max {} ms, "
        "n={}</title>",
        escape(row.backend), escape(workload), escape(data.phase_name), format_ms(box.median),
        escape(percentile_text(summary_row.wall.p95)), format_ms(box.min), format_ms(box.max),
        row.values.size());
    return out + draw_box(row, box, page.colour(row.backend), scale, centre) + "</g>";
}

std::string draw(const Page& page, const Data& data) {
    if (data.groups.empty()) {
        return "";
    }
    std::string body;
    double y = 6.0;
    const auto scale = svg::Scale::for_values(data.low, data.high, kPlotLeft, kPlotRight, false);
    for (const auto& group : data.groups) {
        body += group_heading(escape(group.workload), y);
        y += 24.0;
        for (const auto& row : group.rows) {
            body += draw_row(page, data, group.workload, row, scale, y + kRowHeight / 2.0);
            y += kRowHeight;
        }
        y += 6.0;
    }
    const double bottom = y;
    const std::string title =
        fmt::format("{} {}: distribution per backend", to_string(data.scenario), data.phase_name);
    return svg::open(bottom + 44.0, "distribution", title,
                     phase_attributes(data.scenario, data.phase_name)) +
           svg::x_axis(scale, 4.0, bottom, "milliseconds") + body + "</svg>";
}

}  // namespace distribution

// ---------------------------------------------------------------------------------------------
// ECDF: one step curve per backend, a panel per workload.

namespace ecdf {

constexpr double kMargin = 8.0;
constexpr double kGap = 26.0;
constexpr double kTop = 30.0;
constexpr double kPlotHeight = 140.0;
constexpr double kPanelHeight = 20.0 + kPlotHeight + 44.0;

struct Curve {
    std::string backend;
    std::vector<double> sorted;
    double median = 0.0;
};

struct Panel {
    std::string workload;
    std::vector<Curve> curves;
    double low = kInfinity;  ///< the range of the panel's values, its scale's domain
    double high = -kInfinity;
};

struct Data {
    Scenario scenario;
    std::string_view phase_name;
    std::vector<Panel> panels;
    std::vector<std::string> legend_backends;  ///< backends with a curve in any panel
};

Data compute(const Page& page, Scenario scenario, std::string_view phase_name) {
    Data data{scenario, phase_name, {}, {}};
    for (const auto& workload : page.workloads) {
        Panel panel{workload, {}};
        for (const auto& backend : page.backends) {
            auto values =
                measured_values(page.data.samples, backend, workload, scenario, phase_name);
            if (values.empty()) {
                continue;
            }
            std::sort(values.begin(), values.end());
            auto& legend = data.legend_backends;
            if (std::find(legend.begin(), legend.end(), backend) == legend.end()) {
                legend.push_back(backend);
            }
            panel.low = std::min(panel.low, values.front());
            panel.high = std::max(panel.high, values.back());
            const double median = percentile_of_sorted(values, 0.5);
            panel.curves.push_back({backend, std::move(values), median});
        }
        if (!panel.curves.empty()) {
            data.panels.push_back(std::move(panel));
        }
    }
    return data;
}

/// The y of a cumulative fraction (0 at the bottom of the plot, 1 at its top).
struct FractionAxis {
    double bottom;
    [[nodiscard]] double operator()(double fraction) const {
        return bottom - fraction * kPlotHeight;
    }
};

std::string draw_fraction_grid(double left, double right, const FractionAxis& y_of) {
    std::string out;
    for (const double fraction : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        out += fmt::format(
            "<line class=\"{0}\" x1=\"{1}\" x2=\"{2}\" y1=\"{3}\" y2=\"{3}\"/>"
            "<text class=\"tick\" x=\"{4}\" y=\"{5}\" text-anchor=\"end\">{6}</text>",
            fraction == 0.5 ? "gridline median-guide" : "gridline", num(left), num(right),
            num(y_of(fraction)), num(left - 5), num(y_of(fraction) + 4),
            fmt::format("{:.0f}%", fraction * 100));
    }
    return out;
}

std::string draw_curve(const Page& page, const Curve& curve, std::string_view workload,
                       const svg::Scale& scale, const FractionAxis& y_of, double right) {
    // A step function: flat between samples, a jump of 1/n at each.
    const auto& values = curve.sorted;
    const auto n = static_cast<double>(values.size());
    std::string path = fmt::format("M{},{}", num(scale(values.front())), num(y_of(0)));
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double x = scale(values[i]);
        path += fmt::format(" H{} V{}", num(x), num(y_of(static_cast<double>(i + 1) / n)));
    }
    path += fmt::format(" H{}", num(right));
    return fmt::format(
        "<path class=\"ecdf\" d=\"{}\" stroke=\"{}\"><title>{} \u00b7 {}: n={}, median "
        "{} ms</title></path>",
        path, page.colour(curve.backend), escape(curve.backend), escape(workload), values.size(),
        format_ms(curve.median));
}

std::string draw_panel(const Page& page, const Panel& panel, double px, double py,
                       double panel_width) {
    const double left = px + 38.0;
    const double right = px + panel_width - 8.0;
    const double top = py + 20.0;
    const double bottom = top + kPlotHeight;
    const auto scale = svg::Scale::for_values(panel.low, panel.high, left, right, false);
    const FractionAxis y_of{bottom};
    std::string out = panel_open(px, py, panel.workload);
    out += fmt::format(R"(<rect class="plot-bg" x="{}" y="{}" width="{}" height="{}"/>)", num(left),
                       num(top), num(right - left), num(kPlotHeight));
    out += draw_fraction_grid(left, right, y_of);
    out += svg::x_axis(scale, top, bottom, "ms");
    for (const auto& curve : panel.curves) {
        out += draw_curve(page, curve, panel.workload, scale, y_of, right);
    }
    return out + "</g>";
}

std::string draw(const Page& page, const Data& data) {
    if (data.panels.empty()) {
        return "";
    }
    const std::size_t columns = std::min<std::size_t>(3, data.panels.size());
    const std::size_t panel_rows = (data.panels.size() + columns - 1) / columns;
    const double panel_width = (kWidth - 2 * kMargin - static_cast<double>(columns - 1) * kGap) /
                               static_cast<double>(columns);
    std::string body = backend_legend(page, data.legend_backends, 16.0);
    for (std::size_t index = 0; index < data.panels.size(); ++index) {
        const std::size_t panel_column = index % columns;
        const std::size_t panel_row = index / columns;
        const double px = kMargin + static_cast<double>(panel_column) * (panel_width + kGap);
        const double py = kTop + static_cast<double>(panel_row) * (kPanelHeight + 14.0);
        body += draw_panel(page, data.panels[index], px, py, panel_width);
    }
    const double height = kTop + static_cast<double>(panel_rows) * (kPanelHeight + 14.0);
    return svg::open(
               height, "ecdf",
               fmt::format("{} {}: ECDF per backend", to_string(data.scenario), data.phase_name),
               phase_attributes(data.scenario, data.phase_name)) +
           body + "</svg>";
}

}  // namespace ecdf

// ---------------------------------------------------------------------------------------------
// Cold vs reused: two bars per backend with confidence whiskers, a panel per workload.

namespace cold_reused {

constexpr double kMargin = 8.0;
constexpr double kGap = 32.0;
constexpr double kTop = 30.0;
constexpr double kBar = 12.0;
/// A backend's two bars and the space below them.
constexpr double kBarPair = 2 * kBar + 14.0;

struct Bars {
    std::string backend;
    const SummaryRow* cold = nullptr;
    const SummaryRow* reused = nullptr;
};

struct Panel {
    std::string workload;
    std::vector<Bars> bars;
    double high = 0.0;  ///< the largest median or confidence bound: the scale's end
};

std::vector<Panel> compute(const Page& page) {
    std::vector<Panel> panels;
    for (const auto& workload : page.workloads) {
        Panel panel{workload, {}};
        for (const auto& backend : page.backends) {
            const auto* cold =
                find_row(page.summary(), backend, workload, Scenario::kCold, phase::kLastResult);
            const auto* reused =
                find_row(page.summary(), backend, workload, Scenario::kReused, phase::kExecute);
            if ((cold != nullptr && cold->wall.median) ||
                (reused != nullptr && reused->wall.median)) {
                panel.bars.push_back({backend, cold, reused});
            }
            for (const auto* row : {cold, reused}) {
                if (row != nullptr && row->wall.median) {
                    panel.high =
                        std::max(panel.high, row->wall.median_ci ? row->wall.median_ci->high
                                                                 : *row->wall.median);
                }
            }
        }
        if (!panel.bars.empty()) {
            panels.push_back(std::move(panel));
        }
    }
    return panels;
}

/// Where and what one bar is: `kind` is "cold" or "reused"; the reused bar is paler.
struct BarPlace {
    const SummaryRow* row;
    std::string_view kind;
    double left;
    double y;
};

std::string draw_bar(const Bars& bars, std::string_view workload, const BarPlace& bar,
                     const std::string& colour, const svg::Scale& scale) {
    if (bar.row == nullptr || !bar.row->wall.median) {
        return fmt::format(R"(<text class="no-data" x="{}" y="{}">{}: not measured</text>)",
                           num(bar.left + 4), num(bar.y + kBar - 2), bar.kind);
    }
    const auto& wall = bar.row->wall;
    const double median = *wall.median;
    std::string out = fmt::format(
        "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "fill=\"{}\" fill-opacity=\"{}\"><title>{} \u00b7 {} \u00b7 {}: median {} "
        "ms, 95% CI {}</title></rect>",
        num(bar.left), num(bar.y), num(std::max(1.0, scale(median) - bar.left)), num(kBar), colour,
        bar.kind == "cold" ? "1" : "0.4", escape(bars.backend), escape(workload), bar.kind,
        format_ms(median), escape(ci_text(wall)));
    double label_x = scale(median);
    if (wall.median_ci) {
        const double x1 = scale(wall.median_ci->low);
        const double x2 = scale(wall.median_ci->high);
        const double cy = bar.y + kBar / 2.0;
        out += fmt::format(
            "<g class=\"ci\"><line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
            "<line x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{4}\"/><line x1=\"{1}\" "
            "x2=\"{1}\" y1=\"{3}\" y2=\"{4}\"/></g>",
            num(x1), num(x2), num(cy), num(cy - 4), num(cy + 4));
        label_x = std::max(label_x, x2);
    }
    return out + fmt::format(R"(<text class="value" x="{}" y="{}">{}</text>)", num(label_x + 5),
                             num(bar.y + kBar - 2), format_ms(median));
}

std::string draw_panel(const Page& page, const Panel& panel, double px, double py,
                       double panel_width) {
    const double left = px + 150.0;
    const double right = px + panel_width - 58.0;
    const auto scale = svg::Scale::for_values(0.0, panel.high, left, right, true);
    const double top = py + 22.0;
    const double bottom = top + static_cast<double>(panel.bars.size()) * kBarPair;
    std::string out = panel_open(px, py, panel.workload) + svg::x_axis(scale, top, bottom, "ms");
    double y = top + 7.0;
    for (const auto& bars : panel.bars) {
        out += row_label(page, bars.backend, px + 4, y + kBar + 4.0, left - px - 10.0);
        const auto colour = page.colour(bars.backend);
        out += draw_bar(bars, panel.workload, {bars.cold, "cold", left, y}, colour, scale);
        out += draw_bar(bars, panel.workload, {bars.reused, "reused", left, y + (kBar + 2.0)},
                        colour, scale);
        y += kBarPair;
    }
    return out + "</g>";
}

std::string draw(const Page& page, const std::vector<Panel>& panels) {
    if (panels.empty()) {
        return "";
    }
    const std::size_t columns = std::min<std::size_t>(2, panels.size());
    const double panel_width = (kWidth - 2 * kMargin - static_cast<double>(columns - 1) * kGap) /
                               static_cast<double>(columns);
    std::size_t most_bars = 0;
    for (const auto& panel : panels) {
        most_bars = std::max(most_bars, panel.bars.size());
    }
    const double panel_height = 22.0 + static_cast<double>(most_bars) * kBarPair + 40.0;
    std::string body =
        svg::legend({{"cold: new session, from before create to the last result", "#4a5560", 1.0},
                     {"reused: all cells on a session that already ran them", "#4a5560", 0.4}},
                    8.0, 16.0);
    for (std::size_t index = 0; index < panels.size(); ++index) {
        const std::size_t panel_column = index % columns;
        const std::size_t panel_row = index / columns;
        const double px = kMargin + static_cast<double>(panel_column) * (panel_width + kGap);
        const double py = kTop + static_cast<double>(panel_row) * (panel_height + 10.0);
        body += draw_panel(page, panels[index], px, py, panel_width);
    }
    const std::size_t row_count = (panels.size() + columns - 1) / columns;
    const auto rows = static_cast<double>(row_count);
    return svg::open(kTop + rows * (panel_height + 10.0), "cold-vs-reused",
                     "Cold vs reused: median time to all results, with 95% CI") +
           body + "</svg>";
}

}  // namespace cold_reused

// ---------------------------------------------------------------------------------------------
// Breakdown: a cold start's phase medians, stacked; each workload's bars on their own scale.

namespace breakdown {

constexpr double kPlotLeft = 200.0;
constexpr double kPlotRight = kWidth - 90.0;

struct Segment {
    std::string_view name;
    std::string_view colour;
};
// Blues for getting a sandbox, greens for running code in it, amber for the overhead around
// that, muted tones for the rest: the eye finds execution and overhead first.
constexpr std::array<Segment, 7> kSegments{{{"create", "#3465A4"},
                                            {"upload", "#8DB3E2"},
                                            {"execution, in sandbox", "#2E9E6A"},
                                            {"execution, overhead", "#F2A93B"},
                                            {"execution (not split)", "#8CC7A1"},
                                            {"download", "#A98BD0"},
                                            {"close", "#9AA5B1"}}};

struct Bar {
    std::string backend;
    std::array<double, kSegments.size()> ms{};  ///< each segment's median, 0 when absent
    double total = 0.0;
};

struct Group {
    std::string workload;
    std::vector<Bar> bars;
    double longest = 0.0;  ///< the longest total, which fills the width
};

struct Data {
    std::vector<Group> groups;
    std::array<bool, kSegments.size()> used{};  ///< segments some bar has, for the legend
};

Bar bar_of(const Page& page, const std::string& backend, const std::string& workload) {
    auto median = [&](std::string_view phase_name) -> std::optional<double> {
        const auto* row = find_row(page.summary(), backend, workload, Scenario::kCold, phase_name);
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
    for (const double ms : bar.ms) {
        bar.total += ms;
    }
    return bar;
}

Data compute(const Page& page) {
    Data data;
    for (const auto& workload : page.workloads) {
        Group group{workload, {}};
        for (const auto& backend : page.backends) {
            auto bar = bar_of(page, backend, workload);
            for (std::size_t i = 0; i < bar.ms.size(); ++i) {
                data.used[i] = data.used[i] || bar.ms[i] > 0.0;
            }
            if (bar.total > 0.0) {
                group.longest = std::max(group.longest, bar.total);
                group.bars.push_back(std::move(bar));
            }
        }
        if (!group.bars.empty()) {
            data.groups.push_back(std::move(group));
        }
    }
    return data;
}

std::string draw_bar(const Page& page, const Bar& bar, const Group& group, double y) {
    std::string out = row_label(page, bar.backend, 18.0, y + 13.0, kPlotLeft - 26.0);
    double x = kPlotLeft;
    for (std::size_t i = 0; i < bar.ms.size(); ++i) {
        if (bar.ms[i] <= 0.0) {
            continue;
        }
        const double width = bar.ms[i] / group.longest * (kPlotRight - kPlotLeft);
        out += fmt::format(
            "<rect class=\"segment\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" "
            "fill=\"{}\"><title>{} \u00b7 {} \u00b7 {}: {} ms ({:.0f}%)</title></rect>",
            num(x), num(y), num(width), kSegments[i].colour, escape(bar.backend),
            escape(group.workload), kSegments[i].name, format_ms(bar.ms[i]),
            bar.ms[i] / bar.total * 100.0);
        // Label a segment only where its number fits inside it.
        const auto label = format_ms(bar.ms[i]);
        if (width > 7.0 * static_cast<double>(label.size()) + 8.0) {
            out += fmt::format(
                "<text class=\"segment-label\" x=\"{}\" y=\"{}\" "
                "text-anchor=\"middle\">{}</text>",
                num(x + width / 2.0), num(y + 13), label);
        }
        x += width;
    }
    return out + fmt::format(R"(<text class="value" x="{}" y="{}">{} ms</text>)", num(x + 6),
                             num(y + 13), format_ms(bar.total));
}

std::string draw(const Page& page, const Data& data) {
    if (data.groups.empty()) {
        return "";
    }
    std::vector<svg::LegendItem> legend;
    for (std::size_t i = 0; i < kSegments.size(); ++i) {
        if (data.used[i]) {
            legend.push_back({std::string(kSegments[i].name), std::string(kSegments[i].colour)});
        }
    }
    std::string body = svg::legend(legend, 8.0, 16.0);
    double y = 30.0;
    for (const auto& group : data.groups) {
        body += group_heading(escape(group.workload), y);
        y += 26.0;
        for (const auto& bar : group.bars) {
            body += draw_bar(page, bar, group, y);
            y += 26.0;
        }
        y += 4.0;
    }
    return svg::open(y + 6.0, "breakdown",
                     "Where a cold start's time goes: medians of each phase, stacked") +
           body + "</svg>";
}

}  // namespace breakdown

// ---------------------------------------------------------------------------------------------
// Failures: failed iterations per backend and scenario, stacked by kind.

namespace failures {

constexpr double kPlotLeft = 236.0;
constexpr double kPlotRight = kWidth - 220.0;

struct Row {
    std::string backend;
    Scenario scenario;
    IterationOutcomes total;  ///< over the backend's workloads
};

struct Data {
    std::vector<Row> rows;
    std::vector<std::string> kinds;  ///< in order of appearance: a kind's index is its colour
    std::size_t most = 0;            ///< the most failed iterations of a row
};

Row row_of(const Page& page, const std::string& backend, Scenario scenario,
           std::vector<std::string>& kinds) {
    Row row{backend, scenario, {}};
    for (const auto& [key, outcome] : page.outcomes) {
        if (std::get<0>(key) != backend || std::get<2>(key) != scenario) {
            continue;
        }
        row.total.iterations += outcome.iterations;
        row.total.failed += outcome.failed;
        for (const auto& [kind, count] : outcome.kinds) {
            row.total.kinds[kind] += count;
            if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
                kinds.push_back(kind);
            }
        }
    }
    return row;
}

Data compute(const Page& page) {
    Data data;
    for (const auto& backend : page.backends) {
        for (const auto scenario : {Scenario::kCold, Scenario::kReused}) {
            auto row = row_of(page, backend, scenario, data.kinds);
            if (row.total.iterations > 0) {
                data.most = std::max(data.most, row.total.failed);
                data.rows.push_back(std::move(row));
            }
        }
    }
    return data;
}

std::string_view kind_colour(const std::vector<std::string>& kinds, const std::string& kind) {
    // Reds and ambers first: failures should look like failures.
    static constexpr std::array<std::string_view, 6> kColours{"#D1495B", "#EDAE49", "#8E6C8A",
                                                              "#00798C", "#30638E", "#6B4226"};
    const auto it = std::find(kinds.begin(), kinds.end(), kind);
    return kColours[static_cast<std::size_t>(it - kinds.begin()) % kColours.size()];
}

std::string draw_row(const Page& page, const Row& row, const std::vector<std::string>& kinds,
                     const svg::Scale& scale, double y) {
    std::string out = row_label(page, row.backend, 18.0, y + 13.0, kPlotLeft - 26.0);
    double x = kPlotLeft;
    for (const auto& [kind, count] : row.total.kinds) {
        const double width = scale(static_cast<double>(count)) - kPlotLeft;
        out += fmt::format(
            "<rect class=\"segment\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" "
            "fill=\"{}\"><title>{} \u00b7 {}: {} iteration(s) failed with {}</title>"
            "</rect>",
            num(x), num(y), num(width), kind_colour(kinds, kind), escape(row.backend),
            to_string(row.scenario), count, escape(kind));
        x += width;
    }
    return out + fmt::format(
                     "<text class=\"value\" x=\"{}\" y=\"{}\">{} of {} iterations failed "
                     "({:.1f}%)</text>",
                     num(x + 6), num(y + 13), row.total.failed, row.total.iterations,
                     100.0 * static_cast<double>(row.total.failed) /
                         static_cast<double>(row.total.iterations));
}

std::string draw(const Page& page, const Data& data) {
    if (data.most == 0) {
        return "";
    }
    std::vector<svg::LegendItem> legend;
    legend.reserve(data.kinds.size());
    for (const auto& kind : data.kinds) {
        legend.push_back({kind, std::string(kind_colour(data.kinds, kind))});
    }
    const auto scale =
        svg::Scale::for_values(0.0, static_cast<double>(data.most), kPlotLeft, kPlotRight, true);
    double y = 30.0;
    const double top = y;
    std::string bars;
    for (const auto scenario : {Scenario::kCold, Scenario::kReused}) {
        if (std::none_of(data.rows.begin(), data.rows.end(),
                         [&](const auto& row) { return row.scenario == scenario; })) {
            continue;
        }
        bars += group_heading(scenario == Scenario::kCold ? "cold sessions" : "reused sessions", y);
        y += 26.0;
        for (const auto& row : data.rows) {
            if (row.scenario == scenario) {
                bars += draw_row(page, row, data.kinds, scale, y);
                y += 26.0;
            }
        }
    }
    return svg::open(y + 44.0, "failures", "Failed iterations by kind of first failure") +
           svg::legend(legend, 8.0, 16.0) + svg::x_axis(scale, top - 4.0, y, "failed iterations") +
           bars + "</svg>";
}

}  // namespace failures

}  // namespace

std::string distribution_chart(const Page& page, Scenario scenario, std::string_view phase_name) {
    return distribution::draw(page, distribution::compute(page, scenario, phase_name));
}

std::string ecdf_chart(const Page& page, Scenario scenario, std::string_view phase_name) {
    return ecdf::draw(page, ecdf::compute(page, scenario, phase_name));
}

std::string cold_reused_chart(const Page& page) {
    return cold_reused::draw(page, cold_reused::compute(page));
}

std::string breakdown_chart(const Page& page) {
    return breakdown::draw(page, breakdown::compute(page));
}

std::string failures_chart(const Page& page) {
    return failures::draw(page, failures::compute(page));
}

}  // namespace sandbench::harness::html
