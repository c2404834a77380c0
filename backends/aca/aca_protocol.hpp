// SPDX-License-Identifier: Apache-2.0
//
// The client side of the Azure Container Apps dynamic sessions data plane, as pure functions:
// API versions and their generation, session identifiers, URLs, request bodies, and the parsing
// of every response the backend reads into the backend interface's values. The wire protocol is
// described in /work/shared/protocols/aca.md (cited below as "notes §N"); keeping it free of I/O
// lets tests/unit/aca_backend_test.cpp check each response shape, well-formed or not, without a
// server.
//
// Two generations of the API are live (notes §0): the legacy one (2024-02-02-preview and
// 2024-08-02-preview: `code/execute`, `files/upload`, `files`, `files/content/{name}`, bodies
// wrapped in "properties") and the new one (2024-10-02-preview and later: `executions`, `files`,
// `files/{name}/content`, flat bodies, Azure-Core errors; `session` management from
// 2025-02-02-preview). A version string is classified by its date, so that a future version
// needs no code change.
//
// Parsing never throws: a body that is not what the protocol promises becomes
// Status::kBackendError with a message saying what was wrong ("malformed response: ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/headers.hpp"
#include "sandbench/backends/backend.hpp"

namespace sandbench::backends::aca {

/// The version the public clients use (LangChain, Semantic Kernel Python, AutoGen, LlamaIndex).
inline constexpr std::string_view kLegacyApiVersion = "2024-02-02-preview";
/// The version LangChain deletes sessions with while it executes with the legacy one (notes
/// §4.3); used when `close = "delete"` is asked of a legacy configuration.
inline constexpr std::string_view kSessionDeleteApiVersion = "2025-10-02-preview";
/// The service's limit of one execution (notes §8); longer timeouts are capped to it.
inline constexpr int kMaxExecutionSeconds = 220;

enum class ApiGeneration {
    kLegacy,  ///< up to 2024-08-02-preview
    kNew,     ///< 2024-10-02-preview and later
};

struct ApiVersion {
    std::string text;
    ApiGeneration generation = ApiGeneration::kLegacy;
    /// GET/DELETE /session exist (2025-02-02-preview and later).
    bool session_management = false;
};

/// Parses "YYYY-MM-DD" with an optional "-preview" suffix; nullopt when malformed.
[[nodiscard]] std::optional<ApiVersion> parse_api_version(std::string_view text);

/// A new identifier: `prefix` followed by a random (version 4) UUID, as every public client
/// does (notes §8).
[[nodiscard]] std::string generate_identifier(std::string_view prefix = {});

/// Why `identifier` breaks the service's rules (4 to 128 characters from the 2025-10-02-preview
/// pattern: letters, digits and _|}{[]:";'<>?/.,@#$%^&*()-+=!~`), or nothing.
[[nodiscard]] std::optional<std::string> invalid_identifier(std::string_view identifier);

/// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~).
[[nodiscard]] std::string url_encode(std::string_view text);

/// The pool management endpoint in the form URLs are built on: surrounding spaces removed, a
/// trailing "python/execute" (the pre-2024 form Semantic Kernel still strips) removed, ending
/// in '/'.
[[nodiscard]] std::string normalize_endpoint(std::string_view endpoint);

/// `endpoint` (normalised) + `path` + the api-version and identifier query, joined with '&'
/// when the endpoint already has a query. `identifier` is encoded here.
[[nodiscard]] std::string build_url(std::string_view endpoint, std::string_view path,
                                    std::string_view api_version, std::string_view identifier);

/// The execute request body of each generation (notes §3.1, §4.1). `timeout_s` is sent as
/// timeoutInSeconds; `output_streams_max_length` (new API only) is omitted when 0.
[[nodiscard]] nlohmann::json legacy_execute_body(std::string_view code, int timeout_s);
[[nodiscard]] nlohmann::json new_execute_body(std::string_view code, int timeout_s,
                                              std::int64_t output_streams_max_length);

/// What parse_execution() learnt beyond the Execution values.
struct ExecutionFacts {
    std::string service_status;  ///< the status field as sent ("Success", "Succeeded", ...)
    bool pending = false;        ///< new API: NotStarted or Running (an asynchronous answer)
    bool session_lost = false;   ///< the service reported a timeout: the session was recycled
    std::string execution_id;    ///< new API: the execution's id
};

/// Parses an execute response of `generation` into `execution`: status, stdout, stderr, the
/// result (the image shape {type: image, format, base64_data} becomes Execution::images),
/// executionTimeInMilliseconds as backend_time, and for a failure the traceback, error name
/// and value. A failure whose error name is "Timeout" with no Python traceback is the service's
/// execution time limit: Status::kTimeout. `stream_limit` (new API) is the
/// outputStreamsMaxLength asked for: a stream that long is marked truncated.
ExecutionFacts parse_execution(std::string_view body, ApiGeneration generation,
                               std::int64_t stream_limit, Execution& execution);

/// The exception name and value from a Python traceback's last line(s), e.g.
/// "ZeroDivisionError: division by zero" -> {ZeroDivisionError, division by zero}.
struct ErrorLine {
    std::string name;
    std::string value;
};
[[nodiscard]] std::optional<ErrorLine> parse_traceback(std::string_view text);

/// Parses a file list (legacy `{"value":[{"properties":{filename,size}}]}`, the older bare
/// array, or new `{"value":[{name,type,sizeInBytes}],"nextLink"}`) into `listing` (regular
/// files only, sorted by name). Returns the nextLink to follow, if any.
std::optional<std::string> parse_file_listing(std::string_view body, ApiGeneration generation,
                                              FileListing& listing);

/// Checks an upload response (legacy: value[0].properties.filename; new: name) against the
/// name and size sent; sets `outcome` to kBackendError when it is malformed or disagrees.
void check_upload_response(std::string_view body, ApiGeneration generation, std::string_view name,
                           std::uint64_t size, Outcome& outcome);

/// The Azure-Core error code of an error body ({"error":{"code":...}}) or the x-ms-error-code
/// header; empty when neither is there.
[[nodiscard]] std::string error_code(std::string_view body, const http::Headers& headers);

/// Keeps the service's X-Ms-* response headers in `extra["x_ms"]` (lower-case names; numbers
/// and Go durations such as "42m56.97s" as milliseconds, other values as text), the execution's
/// operation id, and whether an emulator answered (X-Sandbench-Emulated).
void keep_response_headers(const http::Headers& headers, nlohmann::json& extra);

/// A Go duration ("1h2m3.5s", "250ms", "12µs", "0s") in milliseconds; nullopt when malformed.
[[nodiscard]] std::optional<double> parse_go_duration(std::string_view text);

}  // namespace sandbench::backends::aca
