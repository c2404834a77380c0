// SPDX-License-Identifier: Apache-2.0
//
// LineSplitter: turns a byte stream that arrives in arbitrary chunks into lines, for
// newline-delimited JSON (E2B's code interpreter streams its execution events that way). Chunks
// from a BodyCallback break anywhere, in the middle of a line or of a UTF-8 character; the
// splitter keeps the unfinished tail until its newline arrives.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace sandbench::backends::http {

class LineSplitter {
public:
    /// Receives one line without its "\n" or "\r\n"; return false to stop.
    using LineCallback = std::function<bool(std::string_view line)>;

    explicit LineSplitter(LineCallback on_line);

    /// Passes every line `chunk` completes to the callback. Empty lines are skipped (NDJSON has
    /// none; some servers send newlines as keep-alives). Returns false once the callback has
    /// returned false, and ignores input from then on, so it can be returned from a BodyCallback.
    [[nodiscard]] bool feed(std::string_view chunk);
    /// Delivers a last line that had no newline. Call when the stream has ended.
    [[nodiscard]] bool finish();

    /// Bytes of an unfinished line held back.
    [[nodiscard]] std::size_t pending() const noexcept { return partial_.size(); }

private:
    bool deliver(std::string_view line);

    LineCallback on_line_;
    std::string partial_;
    bool stopped_ = false;
};

}  // namespace sandbench::backends::http
