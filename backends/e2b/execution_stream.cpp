// SPDX-License-Identifier: Apache-2.0
#include "e2b/execution_stream.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "e2b/python_literal.hpp"
#include "http/outcome.hpp"

namespace sandbench::backends::e2b {
namespace {

using nlohmann::json;

/// How many problems are kept word for word; a stream of ten thousand broken lines needs one
/// message, not ten thousand.
constexpr std::size_t kMaxProblems = 8;

constexpr std::array<std::string_view, 3> kImageFormats{"png", "jpeg", "svg"};

std::string truncation_marker(std::size_t limit, std::uint64_t dropped) {
    return fmt::format("\n[sandbench: output truncated at {} bytes; {} more bytes dropped]\n",
                       limit, dropped);
}

std::string string_field(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

bool is_server_error_name(std::string_view name) noexcept {
    return name == "ContextRestarting" || name == "ExecutionAborted" || name == "WebSocketError" ||
           name == "UnexpectedEndOfExecution";
}

ExecutionStream::ExecutionStream(std::size_t output_limit, Clock::time_point start)
    : output_limit_(output_limit),
      start_(start),
      splitter_([this](std::string_view line) { return on_line(line); }) {}

bool ExecutionStream::feed(std::string_view chunk) {
    (void)splitter_.feed(chunk);
    return true;
}

void ExecutionStream::problem(std::string text) {
    if (problems_.size() < kMaxProblems) {
        problems_.push_back(std::move(text));
    } else if (problems_.size() == kMaxProblems) {
        problems_.emplace_back("more problems were not recorded");
    }
}

void ExecutionStream::append_output(std::string& target, std::uint64_t& dropped,
                                    std::string_view text) const {
    const std::size_t room = target.size() < output_limit_ ? output_limit_ - target.size() : 0;
    if (text.size() <= room) {
        target.append(text);
        return;
    }
    target.append(text.substr(0, room));
    dropped += text.size() - room;
}

bool ExecutionStream::on_line(std::string_view line) {
    ++lines_;
    // A bounded excerpt of the offending line: enough to recognise it, never the whole payload.
    const auto excerpt = [&] { return http::body_excerpt(line, 80); };
    json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (event.is_discarded() || !event.is_object()) {
        problem(fmt::format("line {} is not a JSON object: {}", lines_, excerpt()));
        return true;
    }
    const auto type_it = event.find("type");
    if (type_it == event.end() || !type_it->is_string()) {
        problem(fmt::format("line {} has no type: {}", lines_, excerpt()));
        return true;
    }
    const auto type = type_it->get<std::string>();
    if (type == "keepalive") {
        ++keepalives_;
        return true;
    }
    if (!first_event_seen_) {
        first_event_seen_ = true;
        execution_.extra["e2b_first_event_ms"] =
            std::chrono::duration_cast<Milliseconds>(Clock::now() - start_).count();
    }
    if (ended_) {
        problem(fmt::format("line {} ({}) follows end_of_execution", lines_, type));
        return true;
    }
    if (type == "stdout") {
        append_output(execution_.stdout_text, stdout_dropped_, string_field(event, "text"));
    } else if (type == "stderr") {
        append_output(execution_.stderr_text, stderr_dropped_, string_field(event, "text"));
    } else if (type == "result") {
        for (const auto format : kImageFormats) {
            const auto it = event.find(std::string(format));
            if (it != event.end() && it->is_string()) {
                execution_.images.push_back({std::string(format), it->get<std::string>()});
            }
        }
        // The SDKs' Execution.text is the first main result's; later ones are display data.
        if (event.value("is_main_result", false) && !have_main_result_) {
            have_main_result_ = true;
            if (const auto it = event.find("json"); it != event.end() && !it->is_null()) {
                execution_.result = *it;
            } else if (const auto text = event.find("text");
                       text != event.end() && text->is_string()) {
                execution_.result = result_value(text->get<std::string>());
            }
        }
    } else if (type == "error") {
        if (!have_error_) {  // the server sends at most one; keep the first if it does not
            have_error_ = true;
            execution_.error_name = string_field(event, "name");
            execution_.error_value = string_field(event, "value");
            execution_.traceback = string_field(event, "traceback");
        }
    } else if (type == "number_of_executions") {
        const auto it = event.find("execution_count");
        if (it != event.end() && it->is_number_integer()) {
            execution_.extra["e2b_execution_count"] = *it;
        } else {
            problem(fmt::format("line {} has no integer execution_count: {}", lines_, excerpt()));
        }
    } else if (type == "end_of_execution") {
        ended_ = true;
    } else {
        problem(
            fmt::format("line {} has an unknown type '{}'", lines_, http::body_excerpt(type, 40)));
    }
    return true;
}

void ExecutionStream::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    (void)splitter_.finish();
    if (!ended_) {
        problem("the stream ended without end_of_execution");
    }
    if (stdout_dropped_ > 0) {
        execution_.stdout_text += truncation_marker(output_limit_, stdout_dropped_);
    }
    if (stderr_dropped_ > 0) {
        execution_.stderr_text += truncation_marker(output_limit_, stderr_dropped_);
    }
    execution_.output_truncated = stdout_dropped_ > 0 || stderr_dropped_ > 0;
    execution_.extra["e2b_lines"] = lines_;
    execution_.extra["e2b_keepalives"] = keepalives_;

    const std::string error_text = execution_.error_value.empty()
                                       ? execution_.error_name
                                       : execution_.error_name + ": " + execution_.error_value;
    if (!problems_.empty()) {
        execution_.status = Status::kBackendError;
        execution_.message = "malformed execution stream: " + problems_.front();
        if (problems_.size() > 1) {
            execution_.message += fmt::format(" (and {} more)", problems_.size() - 1);
        }
        execution_.extra["e2b_stream_problems"] = problems_;
    } else if (have_error_ && is_server_error_name(execution_.error_name)) {
        execution_.status = Status::kBackendError;
        execution_.message = "the code interpreter failed: " + error_text;
    } else if (have_error_) {
        execution_.status = Status::kUserError;
        execution_.message = error_text;
    } else {
        execution_.status = Status::kOk;
    }
}

}  // namespace sandbench::backends::e2b
