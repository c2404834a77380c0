// SPDX-License-Identifier: Apache-2.0
//
// Workloads: Jupytext percent-format notebooks (workloads/README.md is the user's contract).
//
//   # ---
//   # description: Load a CSV with pandas
//   # requires: [pandas]           Python modules; missing ones make the workload "skipped"
//   # files: [sales.csv]           uploaded from workloads/data/ before the first cell
//   # downloads:                   fetched after the last cell; optional content check
//   #   - name: report.txt
//   #     contains: "total"
//   # tags: [data]
//   # timeout: 30                  seconds per cell
//   # isolation: required          skip on backends without isolation
//   # ---
//
//   # %% Load expect_stdout="rows: 12" expect_result=12
//   import pandas as pd
//   ...
//
// A cell marker line carries an optional title and Jupytext-style `key=value` metadata whose
// value is JSON. The expectation keys are listed in ExpectationKind. Parsing is strict: a
// malformed file is a WorkloadError whose message starts with "path:line:".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"

namespace sandbench::harness {

enum class ExpectationKind {
    kStdoutContains,  ///< expect_stdout="text": stdout contains the text
    kStdoutMatches,   ///< expect_stdout_regex="re": ECMAScript regex searched in stdout
    kStderrContains,  ///< expect_stderr="text"
    kResultEquals,    ///< expect_result=<json>: the trailing expression's value equals it
    kErrorName,       ///< expect_error="ZeroDivisionError": the cell must raise this exception
    kImage,           ///< expect_image=true: the cell returns at least one image
};

struct Expectation {
    ExpectationKind kind = ExpectationKind::kStdoutContains;
    std::string text;      ///< for the string kinds
    nlohmann::json value;  ///< for kResultEquals
};

struct Cell {
    int index = 0;      ///< 1-based position in the notebook
    std::string title;  ///< text after `# %%` that is not metadata; may be empty
    std::string code;
    int line = 0;  ///< 1-based line of the `# %%` marker, for messages
    std::vector<Expectation> expectations;
};

struct DownloadCheck {
    std::string name;
    std::optional<std::string> contains;
};

struct Workload {
    std::string name;  ///< file stem, e.g. "pandas_csv"
    std::filesystem::path path;
    std::string description;
    std::vector<std::string> tags;
    std::vector<std::string> required_modules;
    std::vector<std::string> uploads;  ///< file names under the workloads data directory
    std::vector<DownloadCheck> downloads;
    std::optional<backends::Milliseconds> cell_timeout;
    bool requires_isolation = false;
    std::vector<Cell> cells;
};

/// Parses notebook text. `name` and `path` label the workload and prefix error messages.
/// Throws WorkloadError.
[[nodiscard]] Workload parse_workload(std::string_view text, std::string name,
                                      const std::filesystem::path& path);

/// Reads and parses a notebook file. Throws WorkloadError (also for unreadable files).
[[nodiscard]] Workload load_workload(const std::filesystem::path& file);

/// Checks one cell's expectations against its execution. Returns one message per failed
/// expectation; empty when the cell passed. A cell without expect_error fails when it raised.
[[nodiscard]] std::vector<std::string> check_cell(const Cell& cell,
                                                  const backends::Execution& execution);

/// The workloads shipped in a directory (workloads/*.py) and lookup by name or path.
class WorkloadCatalog {
public:
    /// `directory` holds the notebooks and a data/ folder.
    explicit WorkloadCatalog(std::filesystem::path directory);

    /// Names of the notebooks in the directory, sorted.
    [[nodiscard]] std::vector<std::string> names() const;
    /// Loads a workload by name (a notebook in the directory) or by path to any notebook file.
    /// Throws UsageError for an unknown name, WorkloadError for a malformed file.
    [[nodiscard]] Workload load(const std::string& name_or_path) const;
    /// Where uploads are read from.
    [[nodiscard]] std::filesystem::path data_directory() const;
    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

private:
    std::filesystem::path directory_;
};

}  // namespace sandbench::harness
