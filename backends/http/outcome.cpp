// SPDX-License-Identifier: Apache-2.0
#include "http/outcome.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sandbench/common/redact.hpp"

namespace sandbench::backends::http {
namespace {

/// Length of the UTF-8 sequence starting at text[pos] if it is well formed, else 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
    } else {
        return 0;
    }
    if (pos + length > text.size()) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) {
            return 0;
        }
    }
    return length;
}

}  // namespace

Status status_of(const Response& response) noexcept {
    switch (response.error.kind) {
        case ErrorKind::kNone:
            break;
        case ErrorKind::kTimeout:
            return Status::kTimeout;
        case ErrorKind::kAborted:
            return Status::kCancelled;
        case ErrorKind::kTooLarge:
            return Status::kBackendError;
        default:
            return Status::kTransportError;
    }
    const int code = response.status_code;
    if (code >= 200 && code < 300) {
        return Status::kOk;
    }
    if (code == 429 || (code == 503 && response.headers.contains("Retry-After"))) {
        return Status::kRateLimited;
    }
    return Status::kBackendError;
}

std::string body_excerpt(std::string_view body, std::size_t max_bytes) {
    // Redact a generous prefix before cutting, so that a secret straddling the cut is still
    // recognised whole; redacting all of a large body would be wasted work.
    const std::size_t prefix = std::max<std::size_t>(max_bytes * 4, 1024);
    const std::string redacted = redact(body.substr(0, prefix));
    std::string line;
    line.reserve(std::min(redacted.size(), max_bytes) + 3);
    bool cut = body.size() > prefix;
    for (std::size_t pos = 0; pos < redacted.size();) {
        const std::size_t length = utf8_sequence_length(redacted, pos);
        const std::size_t emitted = std::max<std::size_t>(length, 1);
        if (line.size() + emitted > max_bytes) {
            cut = true;
            break;
        }
        const auto byte = static_cast<unsigned char>(redacted[pos]);
        if (length == 0) {
            line += '?';
        } else if (length == 1 && (byte < 0x20 || byte == 0x7F)) {
            line += ' ';
        } else {
            line.append(redacted, pos, length);
        }
        pos += emitted;
    }
    while (!line.empty() && line.back() == ' ') {
        line.pop_back();
    }
    if (cut) {
        line += "...";
    }
    return line;
}

std::string describe_failure(const Response& response) {
    if (status_of(response) == Status::kOk) {
        return {};
    }
    std::string message;
    if (response.error) {
        message = fmt::format("{}: {}", to_string(response.error.kind), response.error.message);
    } else {
        message = fmt::format("HTTP {}", response.status_code);
        if (response.retry_after) {
            message +=
                fmt::format(" (Retry-After {:.0f} s)", response.retry_after->count() / 1000.0);
        }
        if (const auto excerpt = body_excerpt(response.body); !excerpt.empty()) {
            message += ": " + excerpt;
        }
    }
    if (response.attempts > 1) {
        message += fmt::format(" [{} attempts]", response.attempts);
    }
    return redact(message);
}

void fill_outcome(const Response& response, Outcome& outcome) {
    outcome.status = status_of(response);
    outcome.message = describe_failure(response);
    if (response.attempts > 0) {
        outcome.transport = response.timing;
    }
    auto& extra = outcome.extra;
    extra["http_status"] = response.status_code;
    extra["http_version"] = response.http_version;
    extra["http_attempts"] = response.attempts;
    extra["http_retry_wait_ms"] = response.retry_wait.count();
    extra["http_connection_reused"] = response.connection_reused;
    if (response.first_body_byte) {
        extra["http_first_body_byte_ms"] = response.first_body_byte->count();
    }
}

}  // namespace sandbench::backends::http
