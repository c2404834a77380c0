// SPDX-License-Identifier: Apache-2.0
#include "wire.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"
#include "sandbench/emulators/faults.hpp"

namespace sandbench::emulators::e2b {
namespace {

std::string repr_string(std::string_view text) {
    const bool has_single = text.find('\'') != std::string_view::npos;
    const bool has_double = text.find('"') != std::string_view::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\') {
            out += "\\\\";
        } else if (c == quote) {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7F) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;  // printable ASCII and UTF-8 sequences, as Python shows printable text
        }
    }
    out += quote;
    return out;
}

double parse_number(std::string_view number, std::string_view spec) {
    const auto value = parse_non_negative(number);
    if (!value) {
        throw UsageError(
            fmt::format("stream fault '{}': '{}' is not a non-negative number", spec, number));
    }
    return *value;
}

}  // namespace

std::string python_repr(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            return "None";
        case nlohmann::json::value_t::boolean:
            return value.get<bool>() ? "True" : "False";
        case nlohmann::json::value_t::string:
            return repr_string(value.get_ref<const std::string&>());
        case nlohmann::json::value_t::array: {
            std::string out = "[";
            for (std::size_t i = 0; i < value.size(); ++i) {
                out += i == 0 ? "" : ", ";
                out += python_repr(value[i]);
            }
            return out + "]";
        }
        case nlohmann::json::value_t::object: {
            std::string out = "{";
            bool first = true;
            for (const auto& item : value.items()) {
                out += first ? "" : ", ";
                first = false;
                out += repr_string(item.key()) + ": " + python_repr(item.value());
            }
            return out + "}";
        }
        default:
            // Numbers: nlohmann writes the shortest round-trip form, like Python's float repr
            // ("0.75", "100.0", "1e+16").
            return value.dump();
    }
}

std::string result_text(std::string repr) {
    if (repr.size() >= 2 && (repr.front() == '\'' || repr.front() == '"') &&
        repr.back() == repr.front()) {
        return repr.substr(1, repr.size() - 2);
    }
    return repr;
}

std::string ndjson_line(const std::vector<std::pair<std::string, nlohmann::json>>& fields) {
    std::string line = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        line += i == 0 ? "" : ", ";
        line += nlohmann::json(fields[i].first).dump(-1, ' ', /*ensure_ascii=*/true);
        line += ": ";
        line += fields[i].second.dump(-1, ' ', /*ensure_ascii=*/true);
    }
    return line + "}\n";
}

StreamFaultRule parse_stream_fault(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, StreamFaultKind>, 4> kKinds{{
        {"truncated_line", StreamFaultKind::kTruncatedLine},
        {"unknown_line_type", StreamFaultKind::kUnknownLineType},
        {"missing_end", StreamFaultKind::kMissingEnd},
        {"disconnect", StreamFaultKind::kDisconnect},
    }};
    StreamFaultRule rule;
    const auto selector_at = text.find_first_of("@#");
    const auto head = text.substr(0, selector_at);
    const auto* const known = std::find_if(kKinds.begin(), kKinds.end(),
                                           [&](const auto& kind) { return kind.first == head; });
    if (known == kKinds.end()) {
        throw UsageError(fmt::format(
            "stream fault '{}': unknown kind '{}' (known: truncated_line, unknown_line_type, "
            "missing_end, disconnect)",
            text, head));
    }
    rule.kind = known->second;
    if (selector_at == std::string_view::npos) {
        rule.rate = 1.0;
        return rule;
    }
    const auto selector = text.substr(selector_at + 1);
    if (text[selector_at] == '@') {
        rule.rate = parse_number(selector, text);
        if (rule.rate > 1) {
            throw UsageError(fmt::format("stream fault '{}': rate must be from 0 to 1", text));
        }
        return rule;
    }
    for (const auto position : split_spec(selector, ',')) {
        const double value = parse_number(position, text);
        if (value < 1) {
            throw UsageError(fmt::format("stream fault '{}': positions start at 1", text));
        }
        rule.at.push_back(static_cast<std::uint64_t>(value));
    }
    return rule;
}

StreamFaults::StreamFaults(std::vector<StreamFaultRule> rules, std::uint64_t seed)
    : rules_(std::move(rules)), random_(seed) {}

std::vector<StreamFaultKind> StreamFaults::decide() {
    const std::lock_guard lock(mutex_);
    const std::uint64_t position = ++executions_;
    std::vector<StreamFaultKind> fired;
    for (const auto& rule : rules_) {
        const bool scheduled = std::find(rule.at.begin(), rule.at.end(), position) != rule.at.end();
        const bool drawn =
            rule.rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(random_) < rule.rate;
        if (scheduled || drawn) {
            fired.push_back(rule.kind);
        }
    }
    return fired;
}

}  // namespace sandbench::emulators::e2b
