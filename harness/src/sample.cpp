// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/sample.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::harness {

using backends::Milliseconds;

std::string_view to_string(Scenario scenario) noexcept {
    return scenario == Scenario::kCold ? "cold" : "reused";
}

std::optional<Scenario> scenario_from_string(std::string_view text) noexcept {
    if (text == "cold") {
        return Scenario::kCold;
    }
    if (text == "reused") {
        return Scenario::kReused;
    }
    return std::nullopt;
}

std::string cell_phase(int cell_index) { return fmt::format("cell:{}", cell_index); }

nlohmann::json to_json(const Sample& sample) {
    nlohmann::json json{
        {"run_id", sample.run_id},
        {"backend", sample.backend},
        {"workload", sample.workload},
        {"scenario", to_string(sample.scenario)},
        {"iteration", sample.iteration},
        {"warmup", sample.warmup},
        {"phase", sample.phase},
        {"session_id", sample.session_id},
        {"wall_ms", sample.wall.count()},
        {"ok", sample.ok},
        {"status", backends::to_string(sample.status)},
        {"emulated", sample.emulated},
        {"started_at_ms", sample.started_at.count()},
    };
    if (sample.backend_time) {
        json["backend_ms"] = sample.backend_time->count();
    }
    if (sample.transport) {
        const auto& t = *sample.transport;
        json["http"] = {
            {"dns_ms", t.dns.count()},           {"connect_ms", t.connect.count()},
            {"tls_ms", t.tls.count()},           {"ttfb_ms", t.time_to_first_byte.count()},
            {"total_ms", t.total.count()},       {"bytes_sent", t.bytes_sent},
            {"bytes_received", t.bytes_received}};
    }
    if (!sample.error_kind.empty()) {
        json["error_kind"] = sample.error_kind;
    }
    if (!sample.message.empty()) {
        json["message"] = sample.message;
    }
    if (!sample.extra.empty()) {
        json["extra"] = sample.extra;
    }
    return json;
}

Sample sample_from_json(const nlohmann::json& json) {
    Sample sample;
    sample.run_id = json.at("run_id").get<std::string>();
    sample.backend = json.at("backend").get<std::string>();
    sample.workload = json.at("workload").get<std::string>();
    const auto scenario = scenario_from_string(json.at("scenario").get<std::string>());
    const auto status = backends::status_from_string(json.at("status").get<std::string>());
    if (!scenario || !status) {
        throw nlohmann::json::other_error::create(501, "unknown scenario or status", &json);
    }
    sample.scenario = *scenario;
    sample.status = *status;
    sample.iteration = json.at("iteration").get<int>();
    sample.warmup = json.at("warmup").get<bool>();
    sample.phase = json.at("phase").get<std::string>();
    sample.session_id = json.value("session_id", "");
    sample.wall = Milliseconds{json.at("wall_ms").get<double>()};
    sample.ok = json.at("ok").get<bool>();
    sample.emulated = json.value("emulated", false);
    sample.started_at = Milliseconds{json.value("started_at_ms", 0.0)};
    if (json.contains("backend_ms")) {
        sample.backend_time = Milliseconds{json["backend_ms"].get<double>()};
    }
    if (json.contains("http")) {
        const auto& h = json["http"];
        sample.transport = backends::TransportTiming{Milliseconds{h.at("dns_ms").get<double>()},
                                                     Milliseconds{h.at("connect_ms").get<double>()},
                                                     Milliseconds{h.at("tls_ms").get<double>()},
                                                     Milliseconds{h.at("ttfb_ms").get<double>()},
                                                     Milliseconds{h.at("total_ms").get<double>()},
                                                     h.at("bytes_sent").get<std::uint64_t>(),
                                                     h.at("bytes_received").get<std::uint64_t>()};
    }
    sample.error_kind = json.value("error_kind", "");
    sample.message = json.value("message", "");
    sample.extra = json.value("extra", nlohmann::json::object());
    return sample;
}

// "x": fail when the file exists, so a run never appends to another run's samples.
SampleWriter::SampleWriter(const std::filesystem::path& file)
    : path_(file), file_(std::fopen(file.c_str(), "wx")) {
    if (file_ == nullptr) {
        throw IoError(fmt::format("cannot create {}: {}", file.string(), std::strerror(errno)));
    }
}

SampleWriter::~SampleWriter() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

void SampleWriter::append(const Sample& sample) {
    const std::string line = to_json(sample).dump() + "\n";
    const std::lock_guard lock(mutex_);
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
        throw IoError(fmt::format("cannot write {}: {}", path_.string(), std::strerror(errno)));
    }
}

std::vector<Sample> read_samples(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw IoError(fmt::format("cannot read {}", file.string()));
    }
    std::vector<Sample> samples;
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) {
            continue;
        }
        try {
            samples.push_back(sample_from_json(nlohmann::json::parse(line)));
        } catch (const nlohmann::json::exception& error) {
            // A crash can cut the last line short; everything before it is still good.
            if (in.peek() == std::char_traits<char>::eof()) {
                break;
            }
            throw IoError(fmt::format("{}:{}: malformed sample: {}", file.string(), line_number,
                                      error.what()));
        }
    }
    return samples;
}

}  // namespace sandbench::harness
