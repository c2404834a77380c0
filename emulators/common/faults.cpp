// SPDX-License-Identifier: Apache-2.0
#include "sandbench/emulators/faults.hpp"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::emulators {
namespace {

struct KindName {
    std::string_view name;
    FaultKind kind;
};
constexpr std::array<KindName, 6> kKindNames{{
    {"429", FaultKind::kRateLimit},
    {"500", FaultKind::kServerError},
    {"503", FaultKind::kUnavailable},
    {"drop", FaultKind::kDrop},
    {"slow", FaultKind::kSlow},
    {"malformed", FaultKind::kMalformed},
}};

double parse_number(std::string_view number, std::string_view what, std::string_view spec) {
    const auto value = parse_non_negative(number);
    if (!value) {
        throw UsageError(fmt::format("fault or latency '{}': {} '{}' is not a non-negative number",
                                     spec, what, number));
    }
    return *value;
}

}  // namespace

std::vector<std::string_view> split_spec(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    while (!text.empty()) {
        const auto end = text.find(separator);
        parts.push_back(text.substr(0, end));
        if (end == std::string_view::npos) {
            break;
        }
        text.remove_prefix(end + 1);
    }
    return parts;
}

std::optional<double> parse_non_negative(std::string_view number) {
    double value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc{} || end != number.data() + number.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

FaultRule parse_fault_rule(std::string_view text) {
    FaultRule rule;
    std::string_view head = text;
    std::string_view options;
    if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        head = text.substr(0, colon);
        options = text.substr(colon + 1);
    }
    std::string_view selector;
    const auto selector_at = head.find_first_of("@#");
    if (selector_at != std::string_view::npos) {
        selector = head.substr(selector_at);
        head = head.substr(0, selector_at);
    }
    bool known = false;
    for (const auto& [name, kind] : kKindNames) {
        if (head == name) {
            rule.kind = kind;
            known = true;
        }
    }
    if (!known) {
        throw UsageError(fmt::format(
            "fault '{}': unknown kind '{}' (known: 429, 500, 503, drop, slow, malformed)", text,
            head));
    }
    if (selector.starts_with('@')) {
        rule.rate = parse_number(selector.substr(1), "rate", text);
        if (rule.rate > 1) {
            throw UsageError(fmt::format("fault '{}': rate must be from 0 to 1", text));
        }
    } else if (selector.starts_with('#')) {
        for (const auto position : split_spec(selector.substr(1), ',')) {
            const auto value = parse_number(position, "position", text);
            if (value < 1) {
                throw UsageError(fmt::format("fault '{}': positions start at 1", text));
            }
            rule.at.push_back(static_cast<std::uint64_t>(value));
        }
    } else {
        rule.rate = 1.0;  // no selector: every matching request
    }
    for (const auto option : split_spec(options, ',')) {
        const auto equals = option.find('=');
        const auto key = option.substr(0, equals);
        const auto value = equals == std::string_view::npos ? "" : option.substr(equals + 1);
        if (key == "path") {
            rule.path_contains = std::string(value);
        } else if (key == "retry_after") {
            rule.retry_after = Milliseconds{parse_number(value, "retry_after", text) * 1000.0};
        } else if (key == "delay_ms") {
            rule.delay = Milliseconds{parse_number(value, "delay_ms", text)};
        } else {
            throw UsageError(fmt::format(
                "fault '{}': unknown option '{}' (known: path, retry_after, delay_ms)", text, key));
        }
    }
    return rule;
}

LatencyProfile parse_latency_profile(std::string_view text) {
    LatencyProfile profile;
    for (const auto option : split_spec(text, ',')) {
        const auto equals = option.find('=');
        const auto key = option.substr(0, equals);
        if (equals == std::string_view::npos) {
            throw UsageError(fmt::format("latency '{}': expected key=value in '{}'", text, option));
        }
        const Milliseconds value{parse_number(option.substr(equals + 1), key, text)};
        if (key == "allocation_ms") {
            profile.allocation = value;
        } else if (key == "request_ms") {
            profile.per_request = value;
        } else if (key == "jitter_ms") {
            profile.jitter = value;
        } else {
            throw UsageError(fmt::format(
                "latency '{}': unknown key '{}' (known: allocation_ms, request_ms, jitter_ms)",
                text, key));
        }
    }
    return profile;
}

FaultInjector::FaultInjector(std::vector<FaultRule> rules, LatencyProfile latency,
                             std::uint64_t seed)
    : rules_(std::move(rules)), matched_(rules_.size(), 0), latency_(latency), random_(seed) {}

std::optional<FaultRule> FaultInjector::decide(std::string_view path) {
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const auto& rule = rules_[i];
        if (!rule.path_contains.empty() &&
            path.find(rule.path_contains) == std::string_view::npos) {
            continue;
        }
        const auto position = ++matched_[i];
        const bool scheduled = std::find(rule.at.begin(), rule.at.end(), position) != rule.at.end();
        // Draw for every matching request, fired or not, so one rule's schedule does not shift
        // the random sequence of the rules after it.
        const bool drawn =
            rule.rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(random_) < rule.rate;
        if (scheduled || drawn) {
            return rule;
        }
    }
    return std::nullopt;
}

Milliseconds FaultInjector::draw(Milliseconds base) {
    if (latency_.jitter.count() <= 0) {
        return base;
    }
    const std::lock_guard lock(mutex_);
    return base + Milliseconds{std::uniform_real_distribution<double>(
                      0.0, latency_.jitter.count())(random_)};
}

bool FaultInjector::apply(const httplib::Request& request, httplib::Response& response) {
    if (latency_.per_request.count() > 0 || latency_.jitter.count() > 0) {
        std::this_thread::sleep_for(draw(latency_.per_request));
    }
    const auto fault = decide(request.path);
    if (!fault) {
        return false;
    }
    const auto retry_after = fmt::format("{}", std::lround(fault->retry_after.count() / 1000.0));
    switch (fault->kind) {
        case FaultKind::kSlow:
            std::this_thread::sleep_for(fault->delay);
            return false;
        case FaultKind::kRateLimit:
            response.status = 429;
            response.set_header("Retry-After", retry_after);
            response.set_content(R"({"error":{"code":"TooManyRequests","message":"injected 429"}})",
                                 "application/json");
            return true;
        case FaultKind::kUnavailable:
            response.status = 503;
            response.set_header("Retry-After", retry_after);
            response.set_content(
                R"({"error":{"code":"ServiceUnavailable","message":"injected 503"}})",
                "application/json");
            return true;
        case FaultKind::kServerError:
            response.status = 500;
            response.set_content(
                R"({"error":{"code":"InternalServerError","message":"injected 500"}})",
                "application/json");
            return true;
        case FaultKind::kMalformed:
            response.status = 200;
            response.set_content(R"({"properties": {"status": "Succ)", "application/json");
            return true;
        case FaultKind::kDrop:
            // Announce a body and then fail to provide it: the server closes the connection
            // mid-response, which a client sees as a broken transfer.
            response.status = 200;
            response.set_content_provider(64, "application/json",
                                          [](std::size_t /*offset*/, std::size_t /*length*/,
                                             httplib::DataSink& /*sink*/) { return false; });
            return true;
    }
    return false;
}

}  // namespace sandbench::emulators
