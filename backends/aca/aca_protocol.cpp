// SPDX-License-Identifier: Apache-2.0
#include "aca/aca_protocol.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "sandbench/common/random_id.hpp"

namespace sandbench::backends::aca {
namespace {

using nlohmann::json;

/// The punctuation the 2025-10-02-preview identifier pattern allows besides letters and digits.
constexpr std::string_view kIdentifierPunctuation = "_|}{[]:\";'<>?/.,@#$%^&*()-+=!~`";
constexpr std::string_view kTracebackHeader = "Traceback (most recent call last):";

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

/// Characters of UTF-8 text (bytes that do not continue a sequence), as the service counts
/// outputStreamsMaxLength in characters.
std::size_t code_points(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

void malformed(Outcome& outcome, std::string_view what) {
    outcome.status = Status::kBackendError;
    outcome.message = fmt::format("malformed response: {}", what);
}

/// A string member, "" when absent or null; nullopt when present with another type.
std::optional<std::string> string_member(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::string{};
    }
    if (!it->is_string()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

/// The result value as the backend interface wants it: an image object becomes an Image, and
/// the empty string the service sends for "no trailing expression" (notes §3.1) becomes null.
void take_result(const json& value, Execution& execution) {
    if (value.is_object() && value.contains("type") && value["type"].is_string() &&
        iequals(value["type"].get<std::string>(), "image")) {
        Image image;
        image.format = value.value("format", std::string{"png"});
        image.base64 = value.value("base64_data", std::string{});
        if (!image.base64.empty()) {
            execution.images.push_back(std::move(image));
        }
        execution.result = nullptr;
        return;
    }
    if (value.is_string() && value.get_ref<const std::string&>().empty()) {
        execution.result = nullptr;
        return;
    }
    execution.result = value;
}

/// Fills the failure fields from stderr (where the service puts the traceback, notes §3.1 and
/// §4.1) and, failing that, the undocumented rawResult the real service adds (notes §4.1).
void take_failure(const json* raw_result, std::string_view error_code, ExecutionFacts& facts,
                  Execution& execution) {
    const std::string& err = execution.stderr_text;
    const auto header = err.rfind(kTracebackHeader);
    auto line = parse_traceback(err);
    if (!line && raw_result != nullptr && raw_result->is_object()) {
        const auto name = raw_result->value("error_name", std::string{});
        if (!name.empty()) {
            line = ErrorLine{name, raw_result->value("error_message", std::string{})};
        }
    }
    const bool timed_out = iequals(error_code, "Timeout") ||
                           iequals(error_code, "ExecutionTimeout") ||
                           (line && line->name == "Timeout" && header == std::string::npos);
    if (timed_out) {
        execution.status = Status::kTimeout;
        execution.message = line ? fmt::format("the service stopped the execution: {}",
                                               line->value.empty() ? line->name : line->value)
                                 : "the service stopped the execution at its time limit";
        facts.session_lost = true;
        return;
    }
    execution.status = Status::kUserError;
    execution.traceback = header == std::string::npos ? err : err.substr(header);
    if (line) {
        execution.error_name = line->name;
        execution.error_value = line->value;
        execution.message =
            line->value.empty() ? line->name : fmt::format("{}: {}", line->name, line->value);
    } else {
        execution.message = fmt::format("the execution failed (status {}) without a traceback",
                                        facts.service_status);
    }
}

void parse_legacy(const json& document, ExecutionFacts& facts, Execution& execution) {
    // The Python pool wraps everything in "properties"; the pre-2024 python/execute route
    // answered flat. Accept both.
    const json* properties = nullptr;
    if (const auto it = document.find("properties"); it != document.end() && it->is_object()) {
        properties = &*it;
    } else if (document.contains("status")) {
        properties = &document;
    }
    if (properties == nullptr) {
        return malformed(execution, "no \"properties\" object");
    }
    const auto status = string_member(*properties, "status");
    auto out = string_member(*properties, "stdout");
    auto err = string_member(*properties, "stderr");
    if (!status || status->empty() || !out || !err) {
        return malformed(execution, "status, stdout and stderr must be strings");
    }
    facts.service_status = *status;
    execution.stdout_text = std::move(*out);
    execution.stderr_text = std::move(*err);
    // NodeLTS pools (and Microsoft's local image) name the value executionResult (notes §3.1).
    if (const auto it = properties->find("result"); it != properties->end()) {
        take_result(*it, execution);
    } else if (const auto alt = properties->find("executionResult"); alt != properties->end()) {
        take_result(*alt, execution);
    }
    if (const auto it = properties->find("executionTimeInMilliseconds");
        it != properties->end() && it->is_number()) {
        execution.backend_time = Milliseconds{it->get<double>()};
    }
    if (iequals(*status, "Success") || iequals(*status, "Succeeded")) {
        execution.status = Status::kOk;
    } else if (iequals(*status, "Failure") || iequals(*status, "Failed")) {
        take_failure(nullptr, {}, facts, execution);
    } else {
        execution.status = Status::kBackendError;
        execution.message = fmt::format("unknown execution status '{}'", *status);
    }
}

void parse_new(const json& document, std::int64_t stream_limit, ExecutionFacts& facts,
               Execution& execution) {
    const auto status = string_member(document, "status");
    if (!status || status->empty()) {
        return malformed(execution, "no execution status");
    }
    facts.service_status = *status;
    facts.execution_id = document.value("id", std::string{});
    if (iequals(*status, "NotStarted") || iequals(*status, "Running")) {
        facts.pending = true;
        return;
    }
    const auto result = document.find("result");
    if (result != document.end() && !result->is_null()) {
        if (!result->is_object()) {
            return malformed(execution, "\"result\" is not an object");
        }
        auto out = string_member(*result, "stdout");
        auto err = string_member(*result, "stderr");
        if (!out || !err) {
            return malformed(execution, "stdout and stderr must be strings");
        }
        execution.stdout_text = std::move(*out);
        execution.stderr_text = std::move(*err);
        if (const auto it = result->find("executionResult"); it != result->end()) {
            take_result(*it, execution);
        }
        if (const auto it = result->find("executionTimeInMilliseconds");
            it != result->end() && it->is_number()) {
            execution.backend_time = Milliseconds{it->get<double>()};
        }
        // The service cuts each stream at outputStreamsMaxLength characters without a marker
        // (notes §8): a stream of exactly that length was most likely cut.
        const auto limit = result->value("outputStreamsMaxLength", stream_limit);
        if (limit > 0 && (code_points(execution.stdout_text) >= static_cast<std::size_t>(limit) ||
                          code_points(execution.stderr_text) >= static_cast<std::size_t>(limit))) {
            execution.output_truncated = true;
        }
    } else if (iequals(*status, "Succeeded")) {
        return malformed(execution, "a succeeded execution without \"result\"");
    }
    // "error" is an Azure-Core ErrorResponse ({"error": {...}}) by the spec; accept the inner
    // object alone too.
    std::string code;
    if (const auto it = document.find("error"); it != document.end() && it->is_object()) {
        const json& inner =
            it->contains("error") && (*it)["error"].is_object() ? (*it)["error"] : *it;
        code = inner.value("code", std::string{});
    }
    if (iequals(*status, "Succeeded")) {
        execution.status = Status::kOk;
    } else if (iequals(*status, "Failed")) {
        const auto raw = document.find("rawResult");
        take_failure(raw == document.end() ? nullptr : &*raw, code, facts, execution);
    } else if (iequals(*status, "Canceled")) {
        execution.status = Status::kBackendError;
        execution.message = "the service canceled the execution";
    } else {
        execution.status = Status::kBackendError;
        execution.message = fmt::format("unknown execution status '{}'", *status);
    }
}

std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

/// Entries of a file listing body, in either generation's shape.
const json* listing_entries(const json& document) {
    if (document.is_array()) {
        return &document;  // Microsoft's local image answers a bare array (notes §3.3)
    }
    if (document.is_object()) {
        if (const auto it = document.find("value"); it != document.end() && it->is_array()) {
            return &*it;
        }
        // The pre-2024 routes listed under "$values".
        if (const auto it = document.find("$values"); it != document.end() && it->is_array()) {
            return &*it;
        }
    }
    return nullptr;
}

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<ApiVersion> parse_api_version(std::string_view text) {
    std::string_view date = text;
    if (date.ends_with("-preview")) {
        date.remove_suffix(std::string_view{"-preview"}.size());
    }
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < date.size(); ++i) {
        if (i != 4 && i != 7 && std::isdigit(static_cast<unsigned char>(date[i])) == 0) {
            return std::nullopt;
        }
    }
    // ISO dates compare as text.
    ApiVersion version;
    version.text = std::string(text);
    version.generation = date >= "2024-10-02" ? ApiGeneration::kNew : ApiGeneration::kLegacy;
    version.session_management = date >= "2025-02-02";
    return version;
}

std::string generate_identifier(std::string_view prefix) {
    return std::string(prefix) + random_uuid();
}

std::optional<std::string> invalid_identifier(std::string_view identifier) {
    if (identifier.size() < 4 || identifier.size() > 128) {
        return fmt::format("a session identifier must have 4 to 128 characters (got {})",
                           identifier.size());
    }
    for (const char c : identifier) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
            kIdentifierPunctuation.find(c) == std::string_view::npos) {
            return fmt::format(
                "a session identifier may hold letters, digits and {} only (got '{}')",
                kIdentifierPunctuation, c);
        }
    }
    return std::nullopt;
}

std::string url_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

std::string normalize_endpoint(std::string_view endpoint) {
    while (!endpoint.empty() && std::isspace(static_cast<unsigned char>(endpoint.front())) != 0) {
        endpoint.remove_prefix(1);
    }
    while (!endpoint.empty() && std::isspace(static_cast<unsigned char>(endpoint.back())) != 0) {
        endpoint.remove_suffix(1);
    }
    std::string query;
    if (const auto mark = endpoint.find('?'); mark != std::string_view::npos) {
        query = std::string(endpoint.substr(mark));
        endpoint = endpoint.substr(0, mark);
    }
    while (endpoint.ends_with('/')) {
        endpoint.remove_suffix(1);
    }
    if (endpoint.ends_with("/python/execute")) {
        endpoint.remove_suffix(std::string_view{"/python/execute"}.size());
    }
    return std::string(endpoint) + "/" + query;
}

std::string build_url(std::string_view endpoint, std::string_view path,
                      std::string_view api_version, std::string_view identifier) {
    std::string base(endpoint);
    std::string query;
    if (const auto mark = base.find('?'); mark != std::string::npos) {
        query = base.substr(mark + 1);
        base.resize(mark);
    }
    if (!base.ends_with('/')) {
        base += '/';
    }
    std::string url = base + std::string(path) + "?";
    if (!query.empty()) {
        url += query + "&";
    }
    url += "api-version=" + url_encode(api_version);
    if (!identifier.empty()) {
        url += "&identifier=" + url_encode(identifier);
    }
    return url;
}

json legacy_execute_body(std::string_view code, int timeout_s) {
    return {{"properties",
             {{"codeInputType", "inline"},
              {"executionType", "synchronous"},
              {"code", code},
              {"timeoutInSeconds", timeout_s}}}};
}

json new_execute_body(std::string_view code, int timeout_s,
                      std::int64_t output_streams_max_length) {
    json body = {{"codeInputType", "Inline"},
                 {"executionType", "Synchronous"},
                 {"code", code},
                 {"timeoutInSeconds", timeout_s}};
    if (output_streams_max_length > 0) {
        body["outputStreamsMaxLength"] = output_streams_max_length;
    }
    return body;
}

ExecutionFacts parse_execution(std::string_view body, ApiGeneration generation,
                               std::int64_t stream_limit, Execution& execution) {
    ExecutionFacts facts;
    const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object()) {
        malformed(execution, body.empty() ? "empty body" : "the body is not a JSON object");
        return facts;
    }
    try {
        if (generation == ApiGeneration::kLegacy) {
            parse_legacy(document, facts, execution);
        } else {
            parse_new(document, stream_limit, facts, execution);
        }
    } catch (const json::exception& error) {
        // value() on a member of the wrong type, for example.
        malformed(execution, error.what());
    }
    return facts;
}

std::optional<ErrorLine> parse_traceback(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto line = text.substr(start, end - start);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        start = end + 1;
    }
    while (!lines.empty() && lines.back().find_first_not_of(" \t") == std::string_view::npos) {
        lines.pop_back();
    }
    // The exception line follows the last frame of the last traceback: frame, source and caret
    // lines are indented, the exception line is not. Messages may span several lines.
    std::size_t first = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] == kTracebackHeader) {
            first = i + 1;
        }
    }
    std::size_t candidate = first;
    for (std::size_t i = first; i < lines.size(); ++i) {
        if (!lines[i].empty() && (lines[i].front() == ' ' || lines[i].front() == '\t')) {
            candidate = i + 1;
        }
    }
    while (candidate < lines.size() && lines[candidate].empty()) {
        ++candidate;
    }
    if (candidate >= lines.size()) {
        return std::nullopt;
    }
    const auto line = lines[candidate];
    std::size_t name_end = 0;
    while (name_end < line.size() &&
           (std::isalnum(static_cast<unsigned char>(line[name_end])) != 0 ||
            line[name_end] == '_' || line[name_end] == '.')) {
        ++name_end;
    }
    if (name_end == 0 || std::isdigit(static_cast<unsigned char>(line[0])) != 0 ||
        (name_end < line.size() && line[name_end] != ':')) {
        return std::nullopt;
    }
    ErrorLine error;
    error.name = std::string(line.substr(0, name_end));
    if (name_end < line.size()) {
        auto value = line.substr(name_end + 1);
        if (value.starts_with(' ')) {
            value.remove_prefix(1);
        }
        error.value = std::string(value);
    }
    for (std::size_t i = candidate + 1; i < lines.size(); ++i) {
        error.value += "\n" + std::string(lines[i]);
    }
    return error;
}

std::optional<std::string> parse_file_listing(std::string_view body, ApiGeneration generation,
                                              FileListing& listing) {
    const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
    const json* entries = document.is_discarded() ? nullptr : listing_entries(document);
    if (entries == nullptr) {
        malformed(listing, "a file listing needs a \"value\" array");
        return std::nullopt;
    }
    for (const auto& entry : *entries) {
        // Legacy entries wrap their fields in "properties"; newer ones are flat.
        const json& fields =
            entry.is_object() && entry.contains("properties") ? entry["properties"] : entry;
        if (!fields.is_object()) {
            malformed(listing, "a file entry is not an object");
            return std::nullopt;
        }
        const auto type = fields.value("type", std::string{"file"});
        if (!type.empty() && !iequals(type, "file")) {
            continue;  // directories: the backend interface lists regular files
        }
        std::string name = fields.value("name", std::string{});
        if (name.empty()) {
            name = fields.value("filename", std::string{});
        }
        const json* size = nullptr;
        for (const char* key : {"sizeInBytes", "size", "bytes"}) {
            if (const auto it = fields.find(key); it != fields.end() && it->is_number()) {
                size = &*it;
                break;
            }
        }
        if (name.empty() || (size == nullptr && generation == ApiGeneration::kLegacy)) {
            malformed(listing, "a file entry needs a name and a size");
            return std::nullopt;
        }
        const auto bytes = size == nullptr ? 0.0 : size->get<double>();
        listing.files.push_back(
            {std::string(base_name(name)), bytes > 0 ? static_cast<std::uint64_t>(bytes) : 0});
    }
    std::sort(listing.files.begin(), listing.files.end(),
              [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
    if (document.is_object()) {
        if (const auto it = document.find("nextLink");
            it != document.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
            return it->get<std::string>();
        }
    }
    return std::nullopt;
}

void check_upload_response(std::string_view body, ApiGeneration generation, std::string_view name,
                           std::uint64_t size, Outcome& outcome) {
    const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !(document.is_object() || document.is_array())) {
        return malformed(outcome, "an upload answer must be JSON");
    }
    const json* fields = nullptr;
    if (generation == ApiGeneration::kLegacy) {
        const json* entries = listing_entries(document);
        if (entries != nullptr && !entries->empty()) {
            const json& first = entries->front();
            fields =
                first.is_object() && first.contains("properties") ? &first["properties"] : &first;
        }
    } else {
        fields = &document;
    }
    if (fields == nullptr || !fields->is_object()) {
        return malformed(outcome, "the upload answer describes no file");
    }
    std::string stored = fields->value("name", std::string{});
    if (stored.empty()) {
        stored = fields->value("filename", std::string{});
    }
    if (base_name(stored) != name) {
        return malformed(outcome,
                         fmt::format("the service stored '{}' instead of '{}'", stored, name));
    }
    for (const char* key : {"sizeInBytes", "size"}) {
        if (const auto it = fields->find(key); it != fields->end() && it->is_number()) {
            if (it->get<double>() != static_cast<double>(size)) {
                return malformed(outcome, fmt::format("the service stored {} bytes of {}",
                                                      it->get<double>(), size));
            }
            break;
        }
    }
}

std::string error_code(std::string_view body, const http::Headers& headers) {
    const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!document.is_discarded() && document.is_object()) {
        if (const auto it = document.find("error"); it != document.end() && it->is_object()) {
            if (const auto code = it->find("code"); code != it->end() && code->is_string()) {
                return code->get<std::string>();
            }
        }
    }
    return headers.get("x-ms-error-code").value_or("");
}

void keep_response_headers(const http::Headers& headers, nlohmann::json& extra) {
    json kept = json::object();
    for (const auto& [name, value] : headers) {
        const std::string key = to_lower(name);
        if (key.starts_with("x-ms-")) {
            if (const auto number = parse_number(value)) {
                kept[key] = *number;
            } else if (const auto duration = parse_go_duration(value)) {
                kept[key] = *duration;
            } else {
                kept[key] = value;
            }
        } else if (key == "operation-id") {
            extra["operation_id"] = value;
        } else if (key == "x-sandbench-emulated") {
            extra["emulated_response"] = iequals(value, "true");
        }
    }
    if (!kept.empty()) {
        extra["x_ms"] = std::move(kept);
    }
}

std::optional<double> parse_go_duration(std::string_view text) {
    if (text == "0") {
        return 0.0;
    }
    double sign = 1;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        sign = text.front() == '-' ? -1 : 1;
        text.remove_prefix(1);
    }
    struct Unit {
        std::string_view name;
        double milliseconds;
    };
    // Longest names first, so that "ms" is not read as "m" followed by "s".
    constexpr std::array<Unit, 8> kUnits{{{"ns", 1e-6},
                                          {"us", 1e-3},
                                          {"\xC2\xB5s", 1e-3},  // U+00B5 micro sign
                                          {"\xCE\xBCs", 1e-3},  // U+03BC Greek mu
                                          {"ms", 1.0},
                                          {"h", 3'600'000.0},
                                          {"m", 60'000.0},
                                          {"s", 1000.0}}};
    double total = 0;
    bool any = false;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (
            digits < text.size() &&
            (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
            ++digits;
        }
        const auto number = digits == 0 ? std::nullopt : parse_number(text.substr(0, digits));
        if (!number) {
            return std::nullopt;
        }
        text.remove_prefix(digits);
        bool matched = false;
        for (const auto& unit : kUnits) {
            if (text.starts_with(unit.name)) {
                total += *number * unit.milliseconds;
                text.remove_prefix(unit.name.size());
                matched = true;
                break;
            }
        }
        if (!matched) {
            return std::nullopt;
        }
        any = true;
    }
    if (!any) {
        return std::nullopt;
    }
    return sign * total;
}

}  // namespace sandbench::backends::aca
