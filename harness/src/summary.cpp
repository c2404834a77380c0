// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/summary.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "sandbench/common/atomic_file.hpp"
#include "sandbench/common/error.hpp"

namespace sandbench::harness {
namespace {

/// Lifecycle order of phases, so tables read top to bottom like a session's life.
int phase_rank(std::string_view name) {
    static constexpr std::array<std::string_view, 10> kOrder{
        phase::kCreate,     phase::kUpload,   phase::kFirstResult, "cell:",       phase::kExecute,
        phase::kLastResult, phase::kDownload, phase::kFreshCheck,  phase::kClose, phase::kSession};
    for (std::size_t i = 0; i < kOrder.size(); ++i) {
        if (name.starts_with(kOrder[i])) {
            return static_cast<int>(i);
        }
    }
    return static_cast<int>(kOrder.size());
}

int cell_number(std::string_view name) {
    return name.starts_with("cell:") ? std::atoi(std::string(name.substr(5)).c_str()) : 0;
}

nlohmann::json optional_number(const std::optional<double>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json percentile_json(const std::optional<Percentile>& value) {
    if (!value) {
        return nullptr;
    }
    return {{"value", value->value}, {"supported", value->supported}};
}

}  // namespace

const SummaryRow* find_row(const Summary& summary, std::string_view backend,
                           std::string_view workload, Scenario scenario,
                           std::string_view phase_name) {
    const auto it = std::find_if(summary.rows.begin(), summary.rows.end(), [&](const auto& row) {
        return row.backend == backend && row.workload == workload && row.scenario == scenario &&
               row.phase == phase_name;
    });
    return it == summary.rows.end() ? nullptr : &*it;
}

std::vector<ColdVsReused> cold_vs_reused_rows(const Summary& summary) {
    std::vector<ColdVsReused> pairs;
    for (const auto& cold : summary.rows) {
        if (cold.scenario != Scenario::kCold || cold.phase != phase::kLastResult ||
            !cold.wall.median) {
            continue;
        }
        const auto* reused =
            find_row(summary, cold.backend, cold.workload, Scenario::kReused, phase::kExecute);
        if (reused == nullptr || !reused->wall.median || *reused->wall.median <= 0.0) {
            continue;
        }
        pairs.push_back(
            {find_row(summary, cold.backend, cold.workload, Scenario::kCold, phase::kFirstResult),
             &cold, reused});
    }
    return pairs;
}

std::vector<SummaryRow> summarize(const std::vector<Sample>& samples,
                                  const StatisticsOptions& options) {
    using Key = std::tuple<std::string, std::string, Scenario>;
    std::vector<Key> unit_order;
    struct Group {
        SummaryRow row;
        std::vector<double> wall;
        std::vector<double> backend;
        std::vector<double> transport;
    };
    std::map<std::tuple<std::string, std::string, Scenario, std::string>, Group> groups;

    for (const auto& sample : samples) {
        if (sample.warmup) {
            continue;
        }
        Key unit{sample.backend, sample.workload, sample.scenario};
        if (std::find(unit_order.begin(), unit_order.end(), unit) == unit_order.end()) {
            unit_order.push_back(unit);
        }
        auto& group = groups[{sample.backend, sample.workload, sample.scenario, sample.phase}];
        auto& row = group.row;
        if (row.attempts == 0) {
            row.backend = sample.backend;
            row.workload = sample.workload;
            row.scenario = sample.scenario;
            row.phase = sample.phase;
            row.emulated = sample.emulated;
        }
        ++row.attempts;
        if (!sample.ok) {
            ++row.failures;
            ++row.failure_kinds[sample.error_kind];
            if (row.first_failure.empty()) {
                row.first_failure = sample.message.empty() ? sample.error_kind : sample.message;
            }
            continue;
        }
        group.wall.push_back(sample.wall.count());
        if (sample.backend_time) {
            group.backend.push_back(sample.backend_time->count());
            group.transport.push_back(sample.wall.count() - sample.backend_time->count());
        }
    }

    std::vector<SummaryRow> rows;
    for (const auto& [backend, workload, scenario] : unit_order) {
        std::vector<Group*> unit_groups;
        for (auto& [key, group] : groups) {
            if (std::get<0>(key) == backend && std::get<1>(key) == workload &&
                std::get<2>(key) == scenario) {
                unit_groups.push_back(&group);
            }
        }
        std::sort(unit_groups.begin(), unit_groups.end(), [](const Group* a, const Group* b) {
            const auto& pa = a->row.phase;
            const auto& pb = b->row.phase;
            return std::tuple(phase_rank(pa), cell_number(pa), pa) <
                   std::tuple(phase_rank(pb), cell_number(pb), pb);
        });
        for (auto* group : unit_groups) {
            group->row.wall = describe(group->wall, options);
            // Backend time only means something when every ok sample reported it.
            if (!group->backend.empty() && group->backend.size() == group->wall.size()) {
                group->row.backend_time = describe(group->backend, options);
                group->row.median_transport_ms = median_of(group->transport);
            }
            rows.push_back(std::move(group->row));
        }
    }
    return rows;
}

void sort_rows(Summary& summary) {
    auto position = [](const auto& names, const std::string& name) {
        const auto it = std::find(names.begin(), names.end(), name);
        return static_cast<std::size_t>(it - names.begin());
    };
    std::vector<std::string> backend_order;
    for (const auto& info : summary.context.backends) {
        backend_order.push_back(info.name);
    }
    std::vector<std::string> workload_order;
    if (const auto it = summary.context.plan.find("workloads");
        it != summary.context.plan.end() && it->is_array()) {
        for (const auto& name : *it) {
            workload_order.push_back(name.get<std::string>());
        }
    }
    auto key = [&](const SummaryRow& row) {
        return std::tuple(position(workload_order, row.workload), row.workload,
                          position(backend_order, row.backend), row.backend, row.scenario,
                          phase_rank(row.phase), cell_number(row.phase), row.phase);
    };
    std::stable_sort(summary.rows.begin(), summary.rows.end(),
                     [&](const SummaryRow& a, const SummaryRow& b) { return key(a) < key(b); });
}

nlohmann::json to_json(const Distribution& d) {
    nlohmann::json ci = nullptr;
    if (d.median_ci) {
        ci = {
            {"low", d.median_ci->low}, {"high", d.median_ci->high}, {"level", d.median_ci->level}};
    }
    return {{"n", d.n},
            {"min", optional_number(d.min)},
            {"max", optional_number(d.max)},
            {"mean", optional_number(d.mean)},
            {"stddev", optional_number(d.stddev)},
            {"cv", optional_number(d.cv)},
            {"median", optional_number(d.median)},
            {"mad", optional_number(d.mad)},
            {"p90", percentile_json(d.p90)},
            {"p95", percentile_json(d.p95)},
            {"p99", percentile_json(d.p99)},
            {"p999", percentile_json(d.p999)},
            {"outliers", d.outliers},
            {"median_ci", ci}};
}

nlohmann::json to_json(const Summary& summary) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : summary.rows) {
        nlohmann::json json{{"backend", row.backend},
                            {"workload", row.workload},
                            {"scenario", to_string(row.scenario)},
                            {"phase", row.phase},
                            {"emulated", row.emulated},
                            {"attempts", row.attempts},
                            {"failures", row.failures},
                            {"success_rate", row.success_rate()},
                            {"failure_kinds", row.failure_kinds},
                            {"wall_ms", to_json(row.wall)}};
        if (!row.first_failure.empty()) {
            json["first_failure"] = row.first_failure;
        }
        if (row.backend_time) {
            json["backend_ms"] = to_json(*row.backend_time);
        }
        if (row.median_transport_ms) {
            json["median_transport_ms"] = *row.median_transport_ms;
        }
        rows.push_back(std::move(json));
    }
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& skip : summary.skipped) {
        skipped.push_back(
            {{"backend", skip.backend}, {"workload", skip.workload}, {"reason", skip.reason}});
    }
    return {{"schema_version", kSummarySchemaVersion},
            {"context", to_json(summary.context)},
            {"interrupted", summary.interrupted},
            {"duration_s", summary.duration_s},
            {"rows", rows},
            {"skipped", skipped}};
}

void write_summary(const Summary& summary, const std::filesystem::path& file) {
    write_file_atomically(file, to_json(summary).dump(2) + '\n');
}

}  // namespace sandbench::harness
