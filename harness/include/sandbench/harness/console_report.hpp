// SPDX-License-Identifier: Apache-2.0
//
// What a person sees in the terminal: a progress line while a run goes on (stderr, redrawn in
// place on a terminal, one line every few seconds otherwise) and the comparison tables at the
// end (stdout).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "sandbench/harness/runner.hpp"
#include "sandbench/harness/summary.hpp"

namespace sandbench::harness {

/// Progress on a stream: step counter, current unit, failures so far, elapsed and remaining.
class ConsoleProgress final : public RunObserver {
public:
    explicit ConsoleProgress(std::FILE* stream, bool quiet = false);

    void on_run_start(const RunContext& context, std::size_t total_steps) override;
    void on_skip(const SkippedWorkload& skip) override;
    void on_step_start(const StepInfo& step) override;
    void on_sample(const Sample& sample) override;
    /// Ends the progress line (call once the run is over).
    void finish();

private:
    void draw(const std::string& line, bool force);

    std::FILE* stream_;
    bool quiet_;
    bool terminal_;
    std::size_t total_ = 0;
    std::size_t failures_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_line_;
    bool drawn_ = false;
};

/// Formats milliseconds with a precision that suits their size (0.42, 12.3, 1234).
[[nodiscard]] std::string format_ms(double milliseconds);

/// The end-of-run report: per-scenario phase tables, cold vs reused, skips and failures.
[[nodiscard]] std::string render_console_report(const Summary& summary);

}  // namespace sandbench::harness
