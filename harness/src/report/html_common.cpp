// SPDX-License-Identifier: Apache-2.0
#include "report/html_common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "report/common.hpp"
#include "report/svg.hpp"

namespace sandbench::harness::html {

std::string Page::colour(const std::string& backend) const {
    const auto it = std::find(backends.begin(), backends.end(), backend);
    return std::string(svg::backend_colour(static_cast<std::size_t>(it - backends.begin())));
}

bool Page::emulated(const std::string& backend) const {
    return report_detail::is_emulated(data.summary, backend);
}

Page make_page(const ReportData& data) {
    Page page{data, report_detail::backend_order(data.summary),
              report_detail::workload_order(data.summary), iteration_outcomes(data.samples)};
    // Backends without rows keep no colour of their own; the others keep the context's order.
    std::erase_if(page.backends, [&](const auto& backend) {
        return std::none_of(data.summary.rows.begin(), data.summary.rows.end(),
                            [&](const auto& row) { return row.backend == backend; });
    });
    return page;
}

OutcomesByUnit iteration_outcomes(const std::vector<Sample>& samples) {
    using IterationKey = std::tuple<std::string, std::string, Scenario, int>;
    std::map<IterationKey, const Sample*> first_failure;
    std::map<IterationKey, bool> seen;
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
    OutcomesByUnit outcomes;
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
    return fmt::format("<span class=\"badge {}\">{}</span>", css_class, svg::escape(text));
}

std::string backend_html(const Page& page, const std::string& backend) {
    return fmt::format(
        "<span class=\"backend-name\"><span class=\"swatch\" style=\"background:{}\"></span>{}{}"
        "</span>",
        page.colour(backend), svg::escape(backend),
        page.emulated(backend) ? " " + badge("emulated", "emulated") : "");
}

}  // namespace sandbench::harness::html
