// SPDX-License-Identifier: Apache-2.0
//
// What the pieces of report.html share: the run as the page sees it (Page, built once by
// make_page), each unit's measured iterations and why they failed, and the markup of a
// backend's name and of a badge. The page (html.cpp) is assembled from sections
// (html_sections.hpp), and the sections hold the charts (html_charts.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sandbench/harness/report.hpp"

namespace sandbench::harness::html {

/// Measured iterations of one (backend, workload, scenario) and why the failed ones failed:
/// the kind of each failed iteration's first failure, so one failure is counted once even
/// when it also fails the phases derived from it (first_result, last_result).
struct IterationOutcomes {
    std::size_t iterations = 0;
    std::size_t failed = 0;
    std::map<std::string, std::size_t> kinds;
};

/// (backend, workload, scenario)
using UnitKey = std::tuple<std::string, std::string, Scenario>;
using OutcomesByUnit = std::map<UnitKey, IterationOutcomes>;

/// Everything the sections and charts need to know about the run, computed once.
struct Page {
    const ReportData& data;
    /// Backends with rows, in the context's order: a backend's index is its colour.
    std::vector<std::string> backends;
    std::vector<std::string> workloads;
    OutcomesByUnit outcomes;

    [[nodiscard]] const Summary& summary() const { return data.summary; }
    [[nodiscard]] std::string colour(const std::string& backend) const;
    [[nodiscard]] bool emulated(const std::string& backend) const;
};

[[nodiscard]] Page make_page(const ReportData& data);

/// The outcomes of every unit's measured iterations, from its samples.
[[nodiscard]] OutcomesByUnit iteration_outcomes(const std::vector<Sample>& samples);

/// A rounded label: `css_class` is one of the style sheet's .badge classes.
[[nodiscard]] std::string badge(std::string_view css_class, std::string_view text);

/// A backend's name with its colour swatch and, if emulated, its badge.
[[nodiscard]] std::string backend_html(const Page& page, const std::string& backend);

}  // namespace sandbench::harness::html
