// SPDX-License-Identifier: Apache-2.0
//
// ExecutionStream: reads the E2B Code Interpreter's answer to POST /execute, a stream of
// newline-delimited JSON objects, incrementally, as libcurl hands over the chunks, and builds the
// backends::Execution from it:
//
//   {"type": "number_of_executions", "execution_count": 3}
//   {"type": "stdout", "text": "hi\n", "timestamp": "..."}      (stderr likewise; chunks, joined)
//   {"type": "result", "text": "2", "png": "...", "extra": {}, "is_main_result": true}
//   {"type": "error", "name": "ZeroDivisionError", "value": "division by zero", "traceback": "..."}
//   {"type": "keepalive"}                                        (every 5 s without output)
//   {"type": "end_of_execution"}                                 (always the last line)
//
// The main result's text becomes Execution::result through result_value() (python_literal.hpp),
// its `json` format when present; png, jpeg and svg formats of any result become images. An error
// line makes the execution a kUserError, except the server's own synthetic errors
// (ContextRestarting, ExecutionAborted, WebSocketError, UnexpectedEndOfExecution), which say the
// sandbox failed, not the code: kBackendError.
//
// A malformed stream is a finding, never a crash and never a lost sample: a line that is not a JSON
// object, a line type this client does not know, and a stream that ends without end_of_execution
// each make the execution a kBackendError naming the problem, while everything that did parse
// (stdout, results, the error) is kept. Lines are bounded only by the output cap: stdout and
// stderr are each cut at `output_limit` bytes (Execution::output_truncated, as the local backend
// does), so a runaway cell cannot exhaust the harness's memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/line_splitter.hpp"
#include "sandbench/backends/backend.hpp"

namespace sandbench::backends::e2b {

class ExecutionStream {
public:
    using Clock = std::chrono::steady_clock;

    /// `start` is when the request was sent; the time of the first event is measured from it.
    explicit ExecutionStream(std::size_t output_limit, Clock::time_point start = Clock::now());

    /// Parses every line `chunk` completes. Returns true (keep reading): problems are recorded,
    /// so that the rest of the stream is still read. Usable as an HttpClient BodyCallback.
    bool feed(std::string_view chunk);
    /// Ends the stream: parses a last line that had no newline and sets the execution's status
    /// and message. Call once, when the body is complete.
    void finish();

    /// True once end_of_execution arrived.
    [[nodiscard]] bool ended() const noexcept { return ended_; }
    /// Problems found so far (malformed lines, unknown types, a missing end), in order.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }
    /// The execution built so far; after finish(), with its status. Its `extra` holds
    /// e2b_execution_count (when the server sent it), e2b_lines, e2b_keepalives and
    /// e2b_first_event_ms (time from `start` to the first line that was not a keepalive).
    [[nodiscard]] Execution& execution() noexcept { return execution_; }

private:
    bool on_line(std::string_view line);
    void append_output(std::string& target, std::uint64_t& dropped, std::string_view text) const;
    void problem(std::string text);

    std::size_t output_limit_;
    Clock::time_point start_;
    http::LineSplitter splitter_;
    Execution execution_;
    std::vector<std::string> problems_;
    std::uint64_t stdout_dropped_ = 0;
    std::uint64_t stderr_dropped_ = 0;
    std::uint64_t lines_ = 0;
    std::uint64_t keepalives_ = 0;
    bool ended_ = false;
    bool have_main_result_ = false;
    bool have_error_ = false;
    bool first_event_seen_ = false;
    bool finished_ = false;
};

/// True for the error names the Code Interpreter server makes up itself when the kernel or its
/// connection to it fails; such an error is the sandbox's failure, not the user's code's.
[[nodiscard]] bool is_server_error_name(std::string_view name) noexcept;

}  // namespace sandbench::backends::e2b
