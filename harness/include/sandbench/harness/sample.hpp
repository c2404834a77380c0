// SPDX-License-Identifier: Apache-2.0
//
// Samples: one timed phase of one iteration, the unit of every result. The runner appends each
// sample to results/<run>/samples.jsonl and flushes it as soon as it exists, so a crash or Ctrl-C
// loses nothing that was measured. results/README.md documents every field.
#pragma once

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"

namespace sandbench::harness {

enum class Scenario { kCold, kReused };

[[nodiscard]] std::string_view to_string(Scenario scenario) noexcept;
/// Parses "cold" / "reused"; nullopt for anything else.
[[nodiscard]] std::optional<Scenario> scenario_from_string(std::string_view text) noexcept;

/// Phase names. A cell's phase is "cell:<index>" (1-based), see cell_phase().
namespace phase {
inline constexpr std::string_view kCreate = "create";             ///< create_session returned
inline constexpr std::string_view kUpload = "upload";             ///< all workload files uploaded
inline constexpr std::string_view kFirstResult = "first_result";  ///< from before create to the
                                                                  ///< first cell's result
inline constexpr std::string_view kLastResult = "last_result";    ///< from before create to the
                                                                  ///< last cell's result (cold)
inline constexpr std::string_view kExecute = "execute";           ///< all cells, summed
inline constexpr std::string_view kDownload = "download";         ///< all declared downloads
inline constexpr std::string_view kFreshCheck = "fresh_check";    ///< cold session verified new
inline constexpr std::string_view kClose = "close";
inline constexpr std::string_view kSession = "session";  ///< create start to close end
}  // namespace phase

[[nodiscard]] std::string cell_phase(int cell_index);

/// Why a sample failed, besides the backend's own Status values.
namespace failure {
inline constexpr std::string_view kExpectation = "expectation";  ///< wrong answer
inline constexpr std::string_view kNotFresh = "not_fresh";       ///< cold session was reused
inline constexpr std::string_view kLate = "late";  ///< finished, but after its phase timeout
}  // namespace failure

struct Sample {
    std::string run_id;
    std::string backend;
    std::string workload;
    Scenario scenario = Scenario::kCold;
    int iteration = 0;  ///< 0-based; counts warmups and measured iterations separately
    bool warmup = false;
    std::string phase;
    std::string session_id;
    backends::Milliseconds wall{};  ///< measured by the client with steady_clock
    std::optional<backends::Milliseconds> backend_time;
    std::optional<backends::TransportTiming> transport;
    bool ok = true;  ///< counts toward the statistics
    backends::Status status = backends::Status::kOk;
    std::string error_kind;  ///< empty when ok; a Status name or a failure:: kind
    std::string message;
    bool emulated = false;
    backends::Milliseconds started_at{};  ///< offset from the start of the run
    nlohmann::json extra = nlohmann::json::object();
};

[[nodiscard]] nlohmann::json to_json(const Sample& sample);
/// Throws nlohmann::json::exception on a malformed record.
[[nodiscard]] Sample sample_from_json(const nlohmann::json& json);

/// Appends samples to a JSON Lines file, one flushed line each. Thread-safe.
class SampleWriter {
public:
    /// Creates the file. Throws IoError when it exists already or cannot be created.
    explicit SampleWriter(const std::filesystem::path& file);
    SampleWriter(const SampleWriter&) = delete;
    SampleWriter& operator=(const SampleWriter&) = delete;
    SampleWriter(SampleWriter&&) = delete;
    SampleWriter& operator=(SampleWriter&&) = delete;
    ~SampleWriter();

    /// Writes and flushes one line. Throws IoError when the disk refuses.
    void append(const Sample& sample);
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    std::FILE* file_ = nullptr;
    std::mutex mutex_;
};

/// Reads a samples.jsonl file. A truncated last line (a crash mid-write) is ignored; any other
/// malformed line is an IoError naming the line.
[[nodiscard]] std::vector<Sample> read_samples(const std::filesystem::path& file);

}  // namespace sandbench::harness
