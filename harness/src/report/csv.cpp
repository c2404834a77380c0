// SPDX-License-Identifier: Apache-2.0
// samples.csv and summary.csv: flat tables for spreadsheets, pandas and R. RFC 4180 (CRLF line
// ends, quoting only where needed); numbers in their shortest exact form; an absent value is an
// empty field, never 0.
#include <fmt/format.h>

#include "report/common.hpp"

namespace sandbench::harness {
namespace {

using namespace report_detail;

constexpr std::string_view kLineEnd = "\r\n";

std::string number(double value) { return fmt::format("{}", value); }

std::string number(const std::optional<double>& value) {
    return value ? number(*value) : std::string();
}

std::string boolean(bool value) { return value ? "true" : "false"; }

class CsvWriter {
public:
    void row(const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) {
                text_ += ',';
            }
            text_ += csv_field(fields[i]);
        }
        text_ += kLineEnd;
    }
    [[nodiscard]] std::string take() { return std::move(text_); }

private:
    std::string text_;
};

/// Column names and values of one distribution, prefixed ("wall", "backend").
std::vector<std::string> distribution_columns(std::string_view prefix) {
    std::vector<std::string> names;
    for (const auto* name : {"n",
                             "min_ms",
                             "max_ms",
                             "mean_ms",
                             "stddev_ms",
                             "cv",
                             "median_ms",
                             "mad_ms",
                             "p90_ms",
                             "p90_supported",
                             "p95_ms",
                             "p95_supported",
                             "p99_ms",
                             "p99_supported",
                             "p999_ms",
                             "p999_supported",
                             "outliers",
                             "median_ci_low_ms",
                             "median_ci_high_ms",
                             "median_ci_level"}) {
        names.push_back(fmt::format("{}_{}", prefix, name));
    }
    return names;
}

std::vector<std::string> distribution_values(const std::optional<Distribution>& d) {
    if (!d) {
        return std::vector<std::string>(distribution_columns("").size());
    }
    auto percentile = [](const std::optional<Percentile>& p, std::vector<std::string>& out) {
        out.push_back(p ? number(p->value) : "");
        out.push_back(p ? boolean(p->supported) : "");
    };
    std::vector<std::string> values{std::to_string(d->n), number(d->min),    number(d->max),
                                    number(d->mean),      number(d->stddev), number(d->cv),
                                    number(d->median),    number(d->mad)};
    percentile(d->p90, values);
    percentile(d->p95, values);
    percentile(d->p99, values);
    percentile(d->p999, values);
    values.push_back(std::to_string(d->outliers));
    values.push_back(d->median_ci ? number(d->median_ci->low) : "");
    values.push_back(d->median_ci ? number(d->median_ci->high) : "");
    values.push_back(d->median_ci ? number(d->median_ci->level) : "");
    return values;
}

}  // namespace

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string quoted = "\"";
    for (const char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

std::string render_samples_csv(const std::vector<Sample>& samples) {
    CsvWriter csv;
    csv.row({"run_id",
             "backend",
             "workload",
             "scenario",
             "iteration",
             "warmup",
             "phase",
             "session_id",
             "wall_ms",
             "backend_ms",
             "ok",
             "status",
             "error_kind",
             "message",
             "emulated",
             "started_at_ms",
             "http_dns_ms",
             "http_connect_ms",
             "http_tls_ms",
             "http_ttfb_ms",
             "http_total_ms",
             "http_bytes_sent",
             "http_bytes_received",
             "extra"});
    for (const auto& s : samples) {
        std::vector<std::string> fields{s.run_id,
                                        s.backend,
                                        s.workload,
                                        std::string(to_string(s.scenario)),
                                        std::to_string(s.iteration),
                                        boolean(s.warmup),
                                        s.phase,
                                        s.session_id,
                                        number(s.wall.count()),
                                        s.backend_time ? number(s.backend_time->count()) : "",
                                        boolean(s.ok),
                                        std::string(backends::to_string(s.status)),
                                        s.error_kind,
                                        s.message,
                                        boolean(s.emulated),
                                        number(s.started_at.count())};
        if (s.transport) {
            const auto& t = *s.transport;
            for (const auto& value :
                 {number(t.dns.count()), number(t.connect.count()), number(t.tls.count()),
                  number(t.time_to_first_byte.count()), number(t.total.count()),
                  std::to_string(t.bytes_sent), std::to_string(t.bytes_received)}) {
                fields.push_back(value);
            }
        } else {
            fields.resize(fields.size() + 7);
        }
        fields.push_back(s.extra.empty() ? "" : s.extra.dump());
        csv.row(fields);
    }
    return csv.take();
}

std::string render_summary_csv(const ReportData& data) {
    CsvWriter csv;
    std::vector<std::string> header{"backend",       "workload",     "scenario", "phase",
                                    "emulated",      "attempts",     "failures", "success_rate",
                                    "failure_kinds", "first_failure"};
    for (auto& name : distribution_columns("wall")) {
        header.push_back(std::move(name));
    }
    for (auto& name : distribution_columns("backend")) {
        header.push_back(std::move(name));
    }
    for (const auto* name :
         {"median_transport_ms", "cost_per_1000_executions_usd", "cost_confidence"}) {
        header.emplace_back(name);
    }
    csv.row(header);
    for (const auto& row : data.summary.rows) {
        std::string kinds;
        for (const auto& [kind, count] : row.failure_kinds) {
            kinds += fmt::format("{}{}={}", kinds.empty() ? "" : ";", kind, count);
        }
        std::vector<std::string> fields{row.backend,
                                        row.workload,
                                        std::string(to_string(row.scenario)),
                                        row.phase,
                                        boolean(row.emulated),
                                        std::to_string(row.attempts),
                                        std::to_string(row.failures),
                                        number(row.success_rate()),
                                        kinds,
                                        row.first_failure};
        for (auto& value : distribution_values(row.wall)) {
            fields.push_back(std::move(value));
        }
        for (auto& value : distribution_values(row.backend_time)) {
            fields.push_back(std::move(value));
        }
        fields.push_back(number(row.median_transport_ms));
        const auto* estimate = data.cost.find(row.backend, row.workload);
        const auto per_1000 =
            estimate != nullptr ? cost_per_1000_for(*estimate, row.scenario) : std::nullopt;
        fields.push_back(number(per_1000));
        fields.push_back(estimate != nullptr ? std::string(to_string(estimate->confidence)) : "");
        csv.row(fields);
    }
    return csv.take();
}

}  // namespace sandbench::harness
