// SPDX-License-Identifier: Apache-2.0
#include "report/common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"
#include "sandbench/harness/console_report.hpp"

namespace sandbench::harness::report_detail {
namespace {

template <typename T>
void append_unique(std::vector<T>& values, const T& value) {
    if (std::find(values.begin(), values.end(), value) == values.end()) {
        values.push_back(value);
    }
}

std::string trim_number(double value) {
    // Plain decimals, never an exponent (prices read as $0.000014, not $1.4e-05).
    auto text = fmt::format("{:.10f}", value);
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::vector<std::string> workload_order(const Summary& summary) {
    std::vector<std::string> order;
    if (const auto it = summary.context.plan.find("workloads");
        it != summary.context.plan.end() && it->is_array()) {
        for (const auto& name : *it) {
            if (name.is_string()) {
                append_unique(order, name.get<std::string>());
            }
        }
    }
    std::vector<std::string> present;
    for (const auto& row : summary.rows) {
        append_unique(present, row.workload);
    }
    // Only workloads with results: a plan's workload that was skipped everywhere has no rows.
    std::erase_if(order, [&](const auto& name) {
        return std::find(present.begin(), present.end(), name) == present.end();
    });
    for (const auto& name : present) {
        append_unique(order, name);
    }
    return order;
}

std::vector<std::string> backend_order(const Summary& summary) {
    std::vector<std::string> order;
    for (const auto& info : summary.context.backends) {
        append_unique(order, info.name);
    }
    for (const auto& row : summary.rows) {
        append_unique(order, row.backend);
    }
    return order;
}

std::vector<Scenario> scenarios_present(const Summary& summary) {
    std::vector<Scenario> scenarios;
    for (const auto scenario : {Scenario::kCold, Scenario::kReused}) {
        if (std::any_of(summary.rows.begin(), summary.rows.end(),
                        [&](const auto& row) { return row.scenario == scenario; })) {
            scenarios.push_back(scenario);
        }
    }
    return scenarios;
}

const backends::BackendInfo* backend_info(const Summary& summary, std::string_view backend) {
    const auto& backends = summary.context.backends;
    const auto it = std::find_if(backends.begin(), backends.end(),
                                 [&](const auto& info) { return info.name == backend; });
    return it == backends.end() ? nullptr : &*it;
}

bool is_emulated(const Summary& summary, std::string_view backend) {
    if (const auto* info = backend_info(summary, backend); info != nullptr && info->emulated) {
        return true;
    }
    return std::any_of(summary.rows.begin(), summary.rows.end(),
                       [&](const auto& row) { return row.backend == backend && row.emulated; });
}

bool any_emulated(const Summary& summary) {
    return std::any_of(summary.rows.begin(), summary.rows.end(),
                       [](const auto& row) { return row.emulated; }) ||
           std::any_of(summary.context.backends.begin(), summary.context.backends.end(),
                       [](const auto& info) { return info.emulated; });
}

bool headline_phase(Scenario scenario, std::string_view phase_name) {
    if (scenario == Scenario::kReused) {
        return phase_name == phase::kExecute || phase_name == phase::kDownload;
    }
    return phase_name == phase::kCreate || phase_name == phase::kUpload ||
           phase_name == phase::kFirstResult || phase_name == phase::kExecute ||
           phase_name == phase::kLastResult || phase_name == phase::kDownload ||
           phase_name == phase::kClose;
}

std::vector<std::string_view> charted_phases(Scenario scenario) {
    if (scenario == Scenario::kReused) {
        return {phase::kExecute, phase::kDownload};
    }
    return {phase::kCreate,     phase::kUpload,   phase::kFirstResult, phase::kExecute,
            phase::kLastResult, phase::kDownload, phase::kClose,       phase::kSession};
}

std::string_view phase_description(Scenario scenario, std::string_view phase_name) {
    if (phase_name == phase::kCreate) {
        return "a new session, from the create call to a usable sandbox";
    }
    if (phase_name == phase::kUpload) {
        return "every file the workload needs, uploaded";
    }
    if (phase_name == phase::kFirstResult) {
        return "from before create to the first cell's result: what an agent waits for first";
    }
    if (phase_name == phase::kLastResult) {
        return "from before create to the last cell's result";
    }
    if (phase_name == phase::kExecute) {
        return scenario == Scenario::kCold
                   ? "all cells of the workload on the new session"
                   : "all cells of the workload on a session that already ran them";
    }
    if (phase_name == phase::kDownload) {
        return "every file the workload produces, downloaded";
    }
    if (phase_name == phase::kClose) {
        return "closing the session";
    }
    if (phase_name == phase::kSession) {
        return "a cold session's whole life, create start to close end: what is billed";
    }
    if (phase_name == phase::kFreshCheck) {
        return "the check that the session is really new";
    }
    return "";
}

std::vector<double> measured_values(const std::vector<Sample>& samples, std::string_view backend,
                                    std::string_view workload, Scenario scenario,
                                    std::string_view phase_name) {
    std::vector<double> values;
    for (const auto& sample : samples) {
        if (!sample.warmup && sample.ok && sample.backend == backend &&
            sample.workload == workload && sample.scenario == scenario &&
            sample.phase == phase_name) {
            values.push_back(sample.wall.count());
        }
    }
    return values;
}

std::string ms_or_dash(const std::optional<double>& value) {
    return value ? format_ms(*value) : "-";
}

std::string percentile_text(const std::optional<Percentile>& value) {
    if (!value) {
        return "-";
    }
    // A percentile the sample cannot support is shown, but marked, never silently trusted.
    return value->supported ? format_ms(value->value) : format_ms(value->value) + "?";
}

std::string percent_text(const std::optional<double>& fraction) {
    return fraction ? fmt::format("{:.1f}%", *fraction * 100.0) : "-";
}

std::string ci_text(const Distribution& distribution) {
    return distribution.median_ci ? fmt::format("{}..{}", format_ms(distribution.median_ci->low),
                                                format_ms(distribution.median_ci->high))
                                  : "-";
}

std::string failure_kinds_text(const SummaryRow& row) {
    std::string kinds;
    for (const auto& [kind, count] : row.failure_kinds) {
        kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", count, kind);
    }
    return kinds;
}

std::string usd_or_unknown(const std::optional<double>& usd) {
    return usd ? format_usd(*usd) : "unknown";
}

std::string billed_text(double seconds) {
    if (seconds >= 3600.0) {
        return fmt::format("{} h", trim_number(seconds / 3600.0));
    }
    return fmt::format("{} s", trim_number(seconds));
}

std::string billing_text(const Price& price) {
    const std::string granularity =
        price.granularity_s > 0
            ? fmt::format(", rounded up to {}", billed_text(price.granularity_s))
            : "";
    const std::string minimum =
        price.minimum_s > 0 ? fmt::format(", minimum {}", billed_text(price.minimum_s)) : "";
    switch (price.billing) {
        case Billing::kFree:
            return "free";
        case Billing::kResourceTime: {
            const auto rate = [](const std::optional<double>& value) {
                return value ? fmt::format("${}", trim_number(*value)) : std::string("$?");
            };
            return fmt::format("{} per vCPU-s + {} per GiB-s ({} vCPU, {} GiB){}{}",
                               rate(price.usd_per_vcpu_second), rate(price.usd_per_gib_second),
                               trim_number(price.vcpus), trim_number(price.memory_gib), granularity,
                               minimum);
        }
        case Billing::kSessionTime:
            return fmt::format("{} per session-hour{}{}",
                               price.usd_per_session_hour
                                   ? fmt::format("${}", trim_number(*price.usd_per_session_hour))
                                   : std::string("$? (unknown)"),
                               granularity, minimum);
    }
    return "";
}

}  // namespace sandbench::harness::report_detail
