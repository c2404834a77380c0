// SPDX-License-Identifier: Apache-2.0
//
// Reading results back: summary.json into a Summary (the context block round-trips exactly)
// and a run directory into its Summary and samples, for `sandbench report` and anything else
// that works on finished runs. Rows are recomputed from samples.jsonl, the raw data, with the
// current statistics, so a report of an old run is computed the same way as a new one.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/harness/run_context.hpp"
#include "sandbench/harness/sample.hpp"
#include "sandbench/harness/statistics.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::harness {

/// Inverse of to_json(BackendInfo). Throws nlohmann::json::exception on a malformed block.
[[nodiscard]] backends::BackendInfo backend_info_from_json(const nlohmann::json& json);
/// Inverse of to_json(RunContext). Throws nlohmann::json::exception on a malformed block.
[[nodiscard]] RunContext run_context_from_json(const nlohmann::json& json);
/// Inverse of to_json(Distribution); nulls become absent values.
[[nodiscard]] Distribution distribution_from_json(const nlohmann::json& json);
/// Inverse of to_json(Summary). Throws IoError on an unsupported schema_version and
/// nlohmann::json::exception on a malformed document. Unknown fields are ignored.
[[nodiscard]] Summary summary_from_json(const nlohmann::json& json);

/// A finished (or interrupted, or crashed) run read from its directory.
struct LoadedRun {
    std::filesystem::path directory;
    Summary summary;
    std::vector<Sample> samples;  ///< every sample in file order, warmups included
    /// summary.json as read (null when there was none), so a rewrite can keep the fields this
    /// version of sandbench does not know.
    nlohmann::json summary_json;
};

/// Reads `directory`/summary.json and `directory`/samples.jsonl. With samples, rows are
/// recomputed (summarize + sort_rows); without them, summary.json's rows are used. Without
/// summary.json (a run that crashed before writing it) the context is rebuilt from what the
/// samples say and the run counts as interrupted. Throws IoError when neither file exists or
/// either is malformed.
[[nodiscard]] LoadedRun load_run(const std::filesystem::path& directory,
                                 const StatisticsOptions& options = {});

}  // namespace sandbench::harness
