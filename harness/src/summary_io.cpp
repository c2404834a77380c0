// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/summary_io.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::harness {
namespace {

namespace fs = std::filesystem;

std::optional<double> optional_number(const nlohmann::json& json, const char* key) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) {
        return std::nullopt;
    }
    return it->get<double>();
}

std::optional<Percentile> percentile_from_json(const nlohmann::json& json, const char* key) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) {
        return std::nullopt;
    }
    return Percentile{it->at("value").get<double>(), it->at("supported").get<bool>()};
}

template <typename T>
void append_unique(std::vector<T>& values, const T& value) {
    if (std::find(values.begin(), values.end(), value) == values.end()) {
        values.push_back(value);
    }
}

/// What the samples alone say about a run whose summary.json is missing.
RunContext context_from_samples(const std::vector<Sample>& samples) {
    RunContext context;
    std::vector<std::string> workloads;
    std::vector<std::string> scenarios;
    for (const auto& sample : samples) {
        if (context.run_id.empty()) {
            context.run_id = sample.run_id;
        }
        const bool known =
            std::any_of(context.backends.begin(), context.backends.end(),
                        [&](const auto& backend) { return backend.name == sample.backend; });
        if (!known) {
            backends::BackendInfo info;
            info.name = sample.backend;
            info.type = sample.backend;
            info.description = "(summary.json missing: known from samples only)";
            info.emulated = sample.emulated;
            context.backends.push_back(std::move(info));
        }
        append_unique(workloads, sample.workload);
        append_unique(scenarios, std::string(to_string(sample.scenario)));
    }
    context.git_revision = "unknown";
    context.plan = {{"workloads", workloads}, {"scenarios", scenarios}};
    return context;
}

nlohmann::json read_json_file(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw IoError(fmt::format("cannot read {}", file.string()));
    }
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw IoError(fmt::format("{}: malformed JSON: {}", file.string(), error.what()));
    }
}

}  // namespace

backends::BackendInfo backend_info_from_json(const nlohmann::json& json) {
    backends::BackendInfo info;
    info.name = json.at("name").get<std::string>();
    info.type = json.value("type", "");
    info.description = json.value("description", "");
    info.emulated = json.value("emulated", false);
    if (const auto it = json.find("capabilities"); it != json.end() && it->is_object()) {
        info.capabilities.files = it->value("files", info.capabilities.files);
        info.capabilities.images = it->value("images", info.capabilities.images);
        info.capabilities.explicit_create =
            it->value("explicit_create", info.capabilities.explicit_create);
        info.capabilities.server_timing =
            it->value("server_timing", info.capabilities.server_timing);
        info.capabilities.isolation = it->value("isolation", info.capabilities.isolation);
    }
    info.config = json.value("config", nlohmann::json::object());
    return info;
}

RunContext run_context_from_json(const nlohmann::json& json) {
    RunContext context;
    context.run_id = json.value("run_id", "");
    context.started_at = json.value("started_at", "");
    context.host = json.value("host", "");
    context.cpus = json.value("cpus", 0U);
    context.cpu_model = json.value("cpu_model", "");
    context.cpu_mhz = json.value("cpu_mhz", 0.0);
    context.os = json.value("os", "");
    context.compiler = json.value("compiler", "");
    context.build_type = json.value("build_type", "");
    context.sandbench_version = json.value("sandbench_version", "");
    context.git_revision = json.value("git_revision", "");
    if (const auto it = json.find("load_average"); it != json.end() && it->is_array()) {
        for (const auto& value : *it) {
            if (value.is_number()) {
                context.load_average.push_back(value.get<double>());
            }
        }
    }
    if (const auto it = json.find("backends"); it != json.end() && it->is_array()) {
        for (const auto& backend : *it) {
            context.backends.push_back(backend_info_from_json(backend));
        }
    }
    context.plan = json.value("plan", nlohmann::json::object());
    return context;
}

Distribution distribution_from_json(const nlohmann::json& json) {
    Distribution d;
    d.n = json.value("n", std::size_t{0});
    d.min = optional_number(json, "min");
    d.max = optional_number(json, "max");
    d.mean = optional_number(json, "mean");
    d.stddev = optional_number(json, "stddev");
    d.cv = optional_number(json, "cv");
    d.median = optional_number(json, "median");
    d.mad = optional_number(json, "mad");
    d.p90 = percentile_from_json(json, "p90");
    d.p95 = percentile_from_json(json, "p95");
    d.p99 = percentile_from_json(json, "p99");
    d.p999 = percentile_from_json(json, "p999");
    d.outliers = json.value("outliers", std::size_t{0});
    if (const auto it = json.find("median_ci"); it != json.end() && it->is_object()) {
        d.median_ci = ConfidenceInterval{it->at("low").get<double>(), it->at("high").get<double>(),
                                         it->value("level", 0.95)};
    }
    return d;
}

Summary summary_from_json(const nlohmann::json& json) {
    const int version = json.at("schema_version").get<int>();
    if (version != kSummarySchemaVersion) {
        throw IoError(fmt::format("summary.json has schema_version {}; this sandbench reads {}",
                                  version, kSummarySchemaVersion));
    }
    Summary summary;
    summary.context = run_context_from_json(json.at("context"));
    summary.interrupted = json.value("interrupted", false);
    summary.duration_s = json.value("duration_s", 0.0);
    for (const auto& item : json.value("rows", nlohmann::json::array())) {
        SummaryRow row;
        row.backend = item.at("backend").get<std::string>();
        row.workload = item.at("workload").get<std::string>();
        const auto scenario = scenario_from_string(item.at("scenario").get<std::string>());
        if (!scenario) {
            throw nlohmann::json::other_error::create(501, "unknown scenario", &item);
        }
        row.scenario = *scenario;
        row.phase = item.at("phase").get<std::string>();
        row.emulated = item.value("emulated", false);
        row.attempts = item.value("attempts", std::size_t{0});
        row.failures = item.value("failures", std::size_t{0});
        row.failure_kinds = item.value("failure_kinds", std::map<std::string, std::size_t>{});
        row.first_failure = item.value("first_failure", "");
        row.wall = distribution_from_json(item.at("wall_ms"));
        if (const auto it = item.find("backend_ms"); it != item.end() && it->is_object()) {
            row.backend_time = distribution_from_json(*it);
        }
        row.median_transport_ms = optional_number(item, "median_transport_ms");
        summary.rows.push_back(std::move(row));
    }
    for (const auto& item : json.value("skipped", nlohmann::json::array())) {
        summary.skipped.push_back({item.at("backend").get<std::string>(),
                                   item.at("workload").get<std::string>(),
                                   item.value("reason", "")});
    }
    return summary;
}

LoadedRun load_run(const fs::path& directory, const StatisticsOptions& options) {
    LoadedRun run;
    run.directory = directory;
    const auto summary_file = directory / "summary.json";
    const auto samples_file = directory / "samples.jsonl";
    const bool has_summary = fs::is_regular_file(summary_file);
    const bool has_samples = fs::is_regular_file(samples_file);
    if (!has_summary && !has_samples) {
        throw IoError(fmt::format("{} holds no run (neither summary.json nor samples.jsonl)",
                                  directory.string()));
    }
    if (has_samples) {
        run.samples = read_samples(samples_file);
    }
    if (has_summary) {
        run.summary_json = read_json_file(summary_file);
        try {
            run.summary = summary_from_json(run.summary_json);
        } catch (const nlohmann::json::exception& error) {
            throw IoError(
                fmt::format("{}: malformed summary: {}", summary_file.string(), error.what()));
        }
    } else {
        run.summary.context = context_from_samples(run.samples);
        run.summary.interrupted = true;  // summary.json is written last, even after Ctrl-C
        if (!run.samples.empty()) {
            run.summary.duration_s = run.samples.back().started_at.count() / 1000.0;
        }
    }
    if (has_samples) {
        run.summary.rows = summarize(run.samples, options);
        sort_rows(run.summary);
    }
    return run;
}

}  // namespace sandbench::harness
