// SPDX-License-Identifier: Apache-2.0
//
// Small pieces of the E2B wire format the emulator writes, kept apart from the server so that
// they can be read (and tested) on their own: Python's repr() of a JSON value (what Jupyter's
// text/plain shows for a cell's trailing expression), the Code Interpreter's result text (one
// pair of surrounding quotes stripped, as its server does), NDJSON lines laid out as Python's
// json.dumps writes them, and the emulator's own stream corruptions.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sandbench::emulators::e2b {

/// repr() of the Python value `value` stands for: None, True, 1, 0.75, 'text', [1, 2],
/// {'key': 'value'}. Strings take single quotes unless they contain one and no double quote.
[[nodiscard]] std::string python_repr(const nlohmann::json& value);

/// The `text` field of a result line: `repr` with one pair of matching surrounding quotes removed
/// (the Code Interpreter's Result model does this to every text/plain value).
[[nodiscard]] std::string result_text(std::string repr);

/// One NDJSON line (with its "\n"): the fields in the given order, separated by ", " and ": " and
/// with non-ASCII escaped, as the server's json.dumps(...) writes them.
[[nodiscard]] std::string ndjson_line(
    const std::vector<std::pair<std::string, nlohmann::json>>& fields);

/// Ways the emulator can break an execution stream on purpose, for the harness's tests.
enum class StreamFaultKind {
    kTruncatedLine,    ///< an extra line cut in the middle of its JSON
    kUnknownLineType,  ///< an extra line whose type no client knows
    kMissingEnd,       ///< no end_of_execution line
    kDisconnect,       ///< the connection closes right after number_of_executions
};

struct StreamFaultRule {
    StreamFaultKind kind = StreamFaultKind::kMissingEnd;
    double rate = 0.0;              ///< probability per execution, 0..1
    std::vector<std::uint64_t> at;  ///< 1-based execution numbers (emulator-wide)
};

/// Parses "KIND[@RATE][#N,M,...]" with KIND one of truncated_line, unknown_line_type,
/// missing_end, disconnect (no selector: every execution). Throws sandbench::UsageError.
[[nodiscard]] StreamFaultRule parse_stream_fault(std::string_view text);

/// Decides, per execution, which stream faults fire (several may). Thread-safe.
class StreamFaults {
public:
    StreamFaults(std::vector<StreamFaultRule> rules, std::uint64_t seed);
    [[nodiscard]] std::vector<StreamFaultKind> decide();

private:
    std::vector<StreamFaultRule> rules_;
    std::uint64_t executions_ = 0;
    std::mutex mutex_;
    std::mt19937_64 random_;
};

}  // namespace sandbench::emulators::e2b
