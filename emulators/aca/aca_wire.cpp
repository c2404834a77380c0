// SPDX-License-Identifier: Apache-2.0
#include "aca_wire.hpp"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>

#include <fmt/format.h>

namespace sandbench::emulators::aca {
namespace {

using backends::Status;
using nlohmann::json;

int http_status_of(FileError error) {
    switch (error) {
        case FileError::kInvalid:
            return 400;
        case FileError::kNotFound:
            return 404;
        case FileError::kNone:
        case FileError::kOther:
            break;
    }
    return 500;
}

/// The user-visible stderr of an execution: what the cell wrote, then the traceback, as a
/// Jupyter kernel shows it.
std::string full_stderr(const backends::Execution& execution) {
    std::string err = execution.stderr_text;
    if (execution.status == Status::kUserError) {
        if (!err.empty() && !err.ends_with('\n')) {
            err += '\n';
        }
        err += execution.traceback;
    }
    return err;
}

/// The result value the service sends: an image object for a displayed figure, "" for none.
json result_value(const backends::Execution& execution) {
    if (!execution.images.empty()) {
        const auto& image = execution.images.front();
        return {{"type", "image"}, {"format", image.format}, {"base64_data", image.base64}};
    }
    if (execution.status != Status::kOk || execution.result.is_null()) {
        return "";
    }
    return execution.result;
}

std::int64_t execution_ms(const ExecutionRun& run) {
    const auto reported = run.execution.backend_time ? run.execution.backend_time->count()
                                                     : milliseconds(run.execution_time);
    return static_cast<std::int64_t>(std::llround(reported));
}

}  // namespace

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

double milliseconds(SteadyClock::duration duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
}

/// RFC 3339 with microseconds, as the service writes times ("2024-05-02T07:21:07.992261Z").
std::string rfc3339(SystemClock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
    const auto whole = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    ::gmtime_r(&whole, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
}

/// An HTTP date (RFC 9110), for Last-Modified.
std::string http_date(SystemClock::time_point time) {
    const std::time_t whole = SystemClock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&whole, &utc);
    std::array<char, 64> buffer{};
    const auto size =
        std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return {buffer.data(), size};
}

/// A duration as Go prints it (time.Duration.String), the form of X-Ms-Overall-Execution-Time.
std::string go_duration(SteadyClock::duration duration) {
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
    if (nanos <= 0) {
        return "0s";
    }
    const auto trim = [](std::string text) {
        if (text.find('.') != std::string::npos) {
            while (text.back() == '0') {
                text.pop_back();
            }
            if (text.back() == '.') {
                text.pop_back();
            }
        }
        return text;
    };
    if (nanos < 1'000) {
        return fmt::format("{}ns", nanos);
    }
    if (nanos < 1'000'000) {
        return trim(fmt::format("{:.3f}", static_cast<double>(nanos) / 1e3)) + "\xC2\xB5s";
    }
    if (nanos < 1'000'000'000) {
        return trim(fmt::format("{:.6f}", static_cast<double>(nanos) / 1e6)) + "ms";
    }
    const auto hours = nanos / 3'600'000'000'000;
    const auto minutes = (nanos / 60'000'000'000) % 60;
    const double seconds = static_cast<double>(nanos % 60'000'000'000) / 1e9;
    std::string text;
    if (hours > 0) {
        text += fmt::format("{}h", hours);
    }
    if (hours > 0 || minutes > 0) {
        text += fmt::format("{}m", minutes);
    }
    return text + trim(fmt::format("{:.9f}", seconds)) + "s";
}

/// Base64 in either alphabet (standard or URL-safe), padding optional; nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') {
            value = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            value = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            value = c - '0' + 52;
        } else if (c == '+' || c == '-') {
            value = 62;
        } else if (c == '/' || c == '_') {
            value = 63;
        } else if (c == '=' || c == '\n' || c == '\r') {
            continue;
        } else {
            return std::nullopt;
        }
        buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

std::string content_type_for(std::string_view name) {
    const auto dot = name.rfind('.');
    std::string extension = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
    std::transform(extension.begin(), extension.end(), extension.begin(), lower);
    static const std::map<std::string, std::string, std::less<>> kTypes = {
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"json", "application/json"},
        {"py", "text/x-python; charset=utf-8"},
        {"html", "text/html; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"svg", "image/svg+xml"},
        {"yaml", "application/yaml"},
        {"yml", "application/yaml"},
        {"pdf", "application/pdf"},
    };
    const auto it = kTypes.find(extension);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

/// Percent-encodes all but RFC 3986's unreserved characters.
std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        }
    }
    return out;
}

/// Cuts UTF-8 text after `limit` characters.
std::string truncate_chars(std::string text, std::int64_t limit) {
    std::int64_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
            if (seen == limit) {
                text.resize(i);
                return text;
            }
            ++seen;
        }
    }
    return text;
}

void send_error(httplib::Response& response, int status, std::string_view code,
                std::string_view message) {
    response.status = status;
    response.set_header("x-ms-error-code", std::string(code));
    response.set_content(json{{"error", {{"code", code}, {"message", message}}}}.dump(),
                         "application/json");
}

void send_json(httplib::Response& response, int status, const json& body) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
}

void send_file_error(httplib::Response& response, const FileResult& result) {
    const int status = http_status_of(result.error);
    send_error(response, status,
               status == 404   ? "FileNotFound"
               : status == 400 ? "SessionRequestValidationFailed"
                               : "InternalServerError",
               result.message);
}

/// A file in the legacy shape (notes §3.2).
json legacy_file(const FileInfo& info, int id) {
    return {{"$id", std::to_string(id)},
            {"properties",
             {{"$id", std::to_string(id + 1)},
              {"filename", info.directory.empty() ? info.name : info.directory + "/" + info.name},
              {"size", info.size},
              {"lastModifiedTime", rfc3339(info.modified)}}}};
}

/// A SessionResourceFile (notes §4.2).
json new_file(const FileInfo& info) {
    json file = {{"name", info.name},
                 {"type", info.is_directory ? "Directory" : "File"},
                 {"lastModifiedAt", rfc3339(info.modified)},
                 {"directory", info.directory}};
    if (!info.is_directory) {
        file["contentType"] = content_type_for(info.name);
        file["sizeInBytes"] = info.size;
    }
    return file;
}

json session_json(const SessionPool::View& view) {
    return {{"identifier", view.identifier},
            {"createdAt", rfc3339(view.created_at)},
            {"lastAccessedAt", rfc3339(view.last_access)},
            {"expireAt", rfc3339(view.expire_at)},
            {"etag", view.etag}};
}

json legacy_properties(const ExecutionRun& run) {
    return {{"status", run.execution.status == Status::kOk ? "Success" : "Failure"},
            {"stdout", run.execution.stdout_text},
            {"stderr", full_stderr(run.execution)},
            {"result", result_value(run.execution)},
            {"executionTimeInMilliseconds", execution_ms(run)}};
}

json new_resource(const ExecutionRun& run, const std::string& identifier, const std::string& id,
                  const ExecuteRequest& request) {
    const auto& execution = run.execution;
    const bool succeeded = execution.status == Status::kOk;
    std::string out = truncate_chars(execution.stdout_text, request.stream_limit);
    std::string err = truncate_chars(full_stderr(execution), request.stream_limit);
    json value = result_value(execution);
    json resource = {
        {"id", id},
        {"identifier", identifier},
        {"sessionId", identifier},
        {"executionType", request.asynchronous ? "Asynchronous" : "Synchronous"},
        {"status", succeeded ? "Succeeded" : "Failed"},
        {"result",
         {{"stdout", out},
          {"stderr", err},
          {"executionResult", value},
          {"executionTimeInMilliseconds", execution_ms(run)},
          {"outputStreamsMaxLength", request.stream_limit}}},
    };
    // The real service adds rawResult (notes §4.1); clients must not need it.
    resource["rawResult"] = {
        {"hresult", succeeded ? 0 : -1},
        {"result", value},
        {"error_name", execution.status == Status::kUserError ? execution.error_name
                       : execution.status == Status::kTimeout ? "Timeout"
                                                              : ""},
        {"error_message", execution.status == Status::kUserError ? execution.error_value : ""},
        {"error_stack_trace", execution.status == Status::kUserError ? execution.traceback : ""},
        {"stdout", out},
        {"stderr", err},
        {"diagnosticInfo",
         {{"executionRequestTimeInMilliSeconds", milliseconds(run.execution_time)},
          {"executionProcessResponseTimeInMilliSeconds", 0},
          {"executionDuration", execution_ms(run)},
          {"identifier", identifier}}},
        {"operationId", id}};
    if (execution.status == Status::kTimeout) {
        resource["error"] = {
            {"error",
             {{"code", "Timeout"},
              {"message", "the execution exceeded its time limit and was stopped"}}}};
    }
    return resource;
}

}  // namespace sandbench::emulators::aca
