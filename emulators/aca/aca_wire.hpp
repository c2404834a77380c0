// SPDX-License-Identifier: Apache-2.0
//
// The ACA emulator's wire formats, apart from its routes so that each body has one writer: the
// Azure-Core error envelope, the file and session shapes of both API generations, the execution
// bodies (legacy "properties", new SessionCodeExecutionResource), and the text forms the service
// uses for times, durations and names. Notes §N refer to /work/shared/protocols/aca.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aca_data_dir.hpp"
#include "aca_session_pool.hpp"
#include "sandbench/backends/backend.hpp"

namespace httplib {
struct Response;
}  // namespace httplib

namespace sandbench::emulators::aca {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

/// What one execute request asks for.
struct ExecuteRequest {
    std::string code;
    std::chrono::duration<double> timeout{};
    std::int64_t stream_limit = 0;
    bool asynchronous = false;
};

/// What running one execution produced, with the service-side timings of the headers.
struct ExecutionRun {
    backends::Execution execution;
    bool allocated = false;
    double allocation_ms = 0;
    double preparation_ms = 0;
    SteadyClock::duration execution_time{};
    std::string guid;
    std::string failure_code;  ///< set when no execution happened (pool full, allocation failed)
    std::string failure_message;
    int failure_status = 0;
};

// Text forms.
[[nodiscard]] char lower(char c);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
[[nodiscard]] double milliseconds(SteadyClock::duration duration);
/// RFC 3339 with microseconds, as the service writes times ("2024-05-02T07:21:07.992261Z").
[[nodiscard]] std::string rfc3339(SystemClock::time_point time);
/// An HTTP date (RFC 9110), for Last-Modified.
[[nodiscard]] std::string http_date(SystemClock::time_point time);
/// A duration as Go prints it (time.Duration.String), the form of X-Ms-Overall-Execution-Time.
[[nodiscard]] std::string go_duration(SteadyClock::duration duration);
/// Base64 in either alphabet (standard or URL-safe), padding optional; nullopt when invalid.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);
/// The Content-Type of a file, by its extension.
[[nodiscard]] std::string content_type_for(std::string_view name);
/// Percent-encodes all but RFC 3986's unreserved characters.
[[nodiscard]] std::string percent_encode(std::string_view text);
/// Cuts UTF-8 text after `limit` characters.
[[nodiscard]] std::string truncate_chars(std::string text, std::int64_t limit);

// Responses.
/// The Azure-Core error envelope {"error":{"code","message"}} plus x-ms-error-code.
void send_error(httplib::Response& response, int status, std::string_view code,
                std::string_view message);
void send_json(httplib::Response& response, int status, const nlohmann::json& body);
/// A failed file operation: 404 FileNotFound, 400 SessionRequestValidationFailed or 500.
void send_file_error(httplib::Response& response, const FileResult& result);

// Bodies.
/// A file in the legacy shape (notes §3.2), with $id `id` and `id + 1`.
[[nodiscard]] nlohmann::json legacy_file(const FileInfo& info, int id);
/// A SessionResourceFile (notes §4.2).
[[nodiscard]] nlohmann::json new_file(const FileInfo& info);
/// A session of GET /session and /listSessions.
[[nodiscard]] nlohmann::json session_json(const SessionPool::View& view);
/// The "properties" of a legacy execute response (without its $id).
[[nodiscard]] nlohmann::json legacy_properties(const ExecutionRun& run);
/// A SessionCodeExecutionResource, with the rawResult the real service adds (notes §4.1).
[[nodiscard]] nlohmann::json new_resource(const ExecutionRun& run, const std::string& identifier,
                                          const std::string& id, const ExecuteRequest& request);

}  // namespace sandbench::emulators::aca
