// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/thresholds.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sandbench/common/error.hpp"
#include "sandbench/harness/console_report.hpp"
#include "toml_document.hpp"

namespace sandbench::harness {
namespace {

struct MetricName {
    std::string_view name;
    ThresholdMetric metric;
};

/// Canonical names first (to_string uses the first match), then k6's spellings.
constexpr std::array<MetricName, 21> kMetricNames{{
    {"median", ThresholdMetric::kMedian},
    {"mean", ThresholdMetric::kMean},
    {"min", ThresholdMetric::kMin},
    {"max", ThresholdMetric::kMax},
    {"p90", ThresholdMetric::kP90},
    {"p95", ThresholdMetric::kP95},
    {"p99", ThresholdMetric::kP99},
    {"p999", ThresholdMetric::kP999},
    {"median_ratio", ThresholdMetric::kMedianRatio},
    {"p95_ratio", ThresholdMetric::kP95Ratio},
    {"min_ratio", ThresholdMetric::kMinRatio},
    {"hl_ratio", ThresholdMetric::kHlRatio},
    {"min_delta", ThresholdMetric::kMinDelta},
    {"success_rate", ThresholdMetric::kSuccessRate},
    {"cv", ThresholdMetric::kCv},
    {"med", ThresholdMetric::kMedian},
    {"avg", ThresholdMetric::kMean},
    {"p(90)", ThresholdMetric::kP90},
    {"p(95)", ThresholdMetric::kP95},
    {"p(99)", ThresholdMetric::kP99},
    {"p(99.9)", ThresholdMetric::kP999},
}};

constexpr std::string_view kKnownMetrics =
    "median, mean, min, max, p90, p95, p99, p999, median_ratio, p95_ratio, min_ratio, "
    "hl_ratio, min_delta, success_rate, cv";
constexpr std::string_view kKnownOperators = "<, <=, >, >=, ==";
constexpr std::string_view kKnownScopeKeys =
    "phase, backend, workload, scenario, min_base_ms, max_base_ms, significant";
constexpr std::string_view kExample = "e.g. p95<800 or phase=first_result: median_ratio<1.5";

/// Metrics that set NEW against BASE, so a row only in NEW has no value for them.
bool needs_base(ThresholdMetric metric) {
    return metric == ThresholdMetric::kMedianRatio || metric == ThresholdMetric::kP95Ratio ||
           metric == ThresholdMetric::kMinRatio || metric == ThresholdMetric::kHlRatio ||
           metric == ThresholdMetric::kMinDelta;
}

/// Metrics in milliseconds (shown with format_ms).
bool in_milliseconds(ThresholdMetric metric) {
    return metric == ThresholdMetric::kMinDelta ||
           (!needs_base(metric) && metric != ThresholdMetric::kSuccessRate &&
            metric != ThresholdMetric::kCv);
}

[[noreturn]] void fail(std::string_view text, std::size_t offset, std::string_view what) {
    throw UsageError(fmt::format("invalid threshold '{}': column {}: {}", text, offset + 1, what));
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::size_t skip_spaces(std::string_view text, std::size_t from, std::size_t limit) {
    while (from < limit && is_space(text[from])) {
        ++from;
    }
    return from;
}

bool is_size_key(std::string_view key) { return key == "min_base_ms" || key == "max_base_ms"; }

/// The pattern field named `key`, or nullptr when `key` is not a name pattern.
std::string* pattern_field(ThresholdScope& scope, std::string_view key) {
    if (key == "phase") {
        return &scope.phase;
    }
    if (key == "backend") {
        return &scope.backend;
    }
    if (key == "workload") {
        return &scope.workload;
    }
    if (key == "scenario") {
        return &scope.scenario;
    }
    return nullptr;
}

bool is_scope_key(std::string_view key) {
    ThresholdScope probe;
    return is_size_key(key) || key == "significant" || pattern_field(probe, key) != nullptr;
}

/// A plain decimal number filling all of `text`: from_chars alone would also take "inf" and
/// "nan", and this grammar has no use for them.
std::optional<double> whole_number(std::string_view text) {
    const std::size_t digits = !text.empty() && text.front() == '-' ? 1 : 0;
    if (digits >= text.size() ||
        !(std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
        return std::nullopt;
    }
    double value = 0.0;
    const auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

/// Checks `value` for the scope key `key` and stores it; returns what is wrong, or an empty
/// string. Precondition: is_scope_key(key).
std::string set_scope_value(ThresholdScope& scope, std::string_view key, std::string_view value) {
    if (value.empty()) {
        return fmt::format("expected a value after '{}='", key);
    }
    if (std::any_of(value.begin(), value.end(), [](char c) { return is_space(c) || c == ','; })) {
        return fmt::format("unexpected space or ',' in the value of '{}'", key);
    }
    if (key == "significant") {
        // Only "true": the opposite (rows the test cannot tell apart) is no use to a gate.
        if (value != "true") {
            return "expected true after 'significant='";
        }
        if (scope.significant) {
            return "'significant' appears twice in the scope";
        }
        scope.significant = true;
        return {};
    }
    if (is_size_key(key)) {
        const auto number = whole_number(value);
        if (!number || *number < 0.0) {
            return fmt::format("expected a number of milliseconds after '{}='", key);
        }
        auto& bound = key == "min_base_ms" ? scope.min_base_ms : scope.max_base_ms;
        if (bound) {
            return fmt::format("'{}' appears twice in the scope", key);
        }
        bound = *number;
        return {};
    }
    const std::string_view pattern = value.starts_with('!') ? value.substr(1) : value;
    if (pattern.empty()) {
        return fmt::format("expected a pattern after '{}=!'", key);
    }
    if (key == "scenario" && pattern.find('*') == std::string_view::npos &&
        !scenario_from_string(pattern)) {
        return fmt::format("unknown scenario '{}' (known: cold, reused)", pattern);
    }
    std::string* field = pattern_field(scope, key);
    if (!field->empty()) {
        return fmt::format("'{}' appears twice in the scope", key);
    }
    *field = std::string(value);
    return {};
}

/// Parses "key=value, key=value" in text[begin, end).
ThresholdScope parse_scope(std::string_view text, std::size_t begin, std::size_t end) {
    ThresholdScope scope;
    if (skip_spaces(text, begin, end) == end) {
        fail(text, begin, "expected a scope such as phase=first_result before ':'");
    }
    std::size_t pos = begin;
    while (pos <= end) {
        const std::size_t comma = std::min(text.find(',', pos), end);
        const std::size_t key_begin = skip_spaces(text, pos, comma);
        std::size_t key_end = key_begin;
        while (key_end < comma && (std::isalnum(static_cast<unsigned char>(text[key_end])) != 0 ||
                                   text[key_end] == '_')) {
            ++key_end;
        }
        const std::string_view key = text.substr(key_begin, key_end - key_begin);
        if (key.empty()) {
            fail(text, key_begin, fmt::format("expected a scope key ({})", kKnownScopeKeys));
        }
        if (!is_scope_key(key)) {
            fail(text, key_begin,
                 fmt::format("unknown scope key '{}' (known: {})", key, kKnownScopeKeys));
        }
        const std::size_t equals = skip_spaces(text, key_end, comma);
        if (equals == comma || text[equals] != '=') {
            fail(text, equals, fmt::format("expected '=' after '{}'", key));
        }
        const std::size_t value_begin = skip_spaces(text, equals + 1, comma);
        std::size_t value_end = comma;
        while (value_end > value_begin && is_space(text[value_end - 1])) {
            --value_end;
        }
        const std::string_view value = text.substr(value_begin, value_end - value_begin);
        if (const auto problem = set_scope_value(scope, key, value); !problem.empty()) {
            // A repeated key is the key's fault, anything else the value's.
            fail(text, problem.ends_with("twice in the scope") ? key_begin : value_begin, problem);
        }
        pos = comma + 1;
    }
    return scope;
}

/// Parses "metric op number" in text[begin, end) into `threshold`.
void parse_condition(std::string_view text, std::size_t begin, std::size_t end,
                     Threshold& threshold) {
    std::size_t pos = skip_spaces(text, begin, end);
    const std::size_t metric_begin = pos;
    if (text.substr(pos, 2) == "p(") {
        const std::size_t close = text.find(')', pos);
        pos = close == std::string_view::npos || close >= end ? end : close + 1;
    } else {
        while (pos < end &&
               (std::isalnum(static_cast<unsigned char>(text[pos])) != 0 || text[pos] == '_')) {
            ++pos;
        }
    }
    const std::string_view word = text.substr(metric_begin, pos - metric_begin);
    if (word.empty()) {
        fail(text, metric_begin,
             fmt::format("expected a metric ({}), {}", kKnownMetrics, kExample));
    }
    const auto* known = std::find_if(kMetricNames.begin(), kMetricNames.end(),
                                     [word](const auto& entry) { return entry.name == word; });
    if (known == kMetricNames.end()) {
        // "phase=create p95<800": a scope without its ':'.
        const std::size_t after = skip_spaces(text, pos, end);
        if (after < end && text[after] == '=' && is_scope_key(word)) {
            fail(text, metric_begin,
                 fmt::format("a scope ends with ':' before the condition, {}", kExample));
        }
        fail(text, metric_begin,
             fmt::format("unknown metric '{}' (known: {})", word, kKnownMetrics));
    }
    threshold.metric = known->metric;

    pos = skip_spaces(text, pos, end);
    const std::string_view rest = text.substr(pos, end - pos);
    std::size_t op_length = 0;
    if (rest.starts_with("<=")) {
        threshold.op = ThresholdOperator::kLessEqual;
        op_length = 2;
    } else if (rest.starts_with(">=")) {
        threshold.op = ThresholdOperator::kGreaterEqual;
        op_length = 2;
    } else if (rest.starts_with("==")) {
        threshold.op = ThresholdOperator::kEqual;
        op_length = 2;
    } else if (rest.starts_with("<")) {
        threshold.op = ThresholdOperator::kLess;
        op_length = 1;
    } else if (rest.starts_with(">")) {
        threshold.op = ThresholdOperator::kGreater;
        op_length = 1;
    } else if (rest.starts_with("=")) {
        fail(text, pos, fmt::format("'=' is not an operator; expected one of {}", kKnownOperators));
    } else {
        fail(text, pos, fmt::format("expected an operator ({}) after '{}'", kKnownOperators, word));
    }
    pos = skip_spaces(text, pos + op_length, end);

    // A plain decimal number: from_chars alone would also take "inf" and "nan".
    const bool negative = pos < end && text[pos] == '-';
    const std::size_t digits = negative ? pos + 1 : pos;
    if (digits >= end ||
        !(std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
        fail(text, pos, "expected a number");
    }
    double bound = 0.0;
    const auto [number_end, error] =
        std::from_chars(text.data() + pos, text.data() + end, bound, std::chars_format::general);
    if (error != std::errc{} || !std::isfinite(bound)) {
        fail(text, pos, "expected a number");
    }
    threshold.bound = bound;
    pos = skip_spaces(text, static_cast<std::size_t>(number_end - text.data()), end);
    if (pos < end) {
        fail(text, pos,
             fmt::format("unexpected '{}' after the number (times are plain milliseconds)",
                         text.substr(pos, end - pos)));
    }
}

std::string scope_text(const ThresholdScope& scope) {
    std::string text;
    const std::array<std::pair<std::string_view, const std::string*>, 4> fields{{
        {"phase", &scope.phase},
        {"backend", &scope.backend},
        {"workload", &scope.workload},
        {"scenario", &scope.scenario},
    }};
    for (const auto& [key, value] : fields) {
        if (!value->empty()) {
            text += fmt::format("{}{}={}", text.empty() ? "" : ",", key, *value);
        }
    }
    if (scope.min_base_ms) {
        text += fmt::format("{}min_base_ms={}", text.empty() ? "" : ",", *scope.min_base_ms);
    }
    if (scope.max_base_ms) {
        text += fmt::format("{}max_base_ms={}", text.empty() ? "" : ",", *scope.max_base_ms);
    }
    if (scope.significant) {
        text += fmt::format("{}significant=true", text.empty() ? "" : ",");
    }
    return text;
}

std::string condition_text(const Threshold& threshold) {
    return fmt::format("{}{}{}", to_string(threshold.metric), to_string(threshold.op),
                       threshold.bound);
}

/// A `{expr = "...", phase = "..."}` entry of a thresholds file.
Threshold threshold_from_table(const toml::table& table, const std::string& source_name) {
    const auto* expr = table.get("expr");
    if (expr == nullptr || !expr->is_string()) {
        throw ConfigError(fmt::format("{}: a threshold table needs expr = \"...\"",
                                      toml_location(source_name, table.source())));
    }
    Threshold threshold = parse_threshold(expr->as_string()->get());
    for (const auto& [key, value] : table) {
        if (key == "expr") {
            continue;
        }
        if (!is_scope_key(key.str())) {
            throw ConfigError(fmt::format("{}: unknown key '{}' (known: expr, {})",
                                          toml_location(source_name, key.source()), key.str(),
                                          kKnownScopeKeys));
        }
        std::string text;
        if (const auto* string = value.as_string()) {
            text = string->get();
        } else if (is_size_key(key.str()) && value.is_number()) {
            text = value.is_integer() ? fmt::format("{}", value.as_integer()->get())
                                      : fmt::format("{}", value.as_floating_point()->get());
        } else if (key == "significant" && value.is_boolean()) {
            text = value.as_boolean()->get() ? "true" : "false";
        } else {
            throw ConfigError(fmt::format("{}: {} must be {}",
                                          toml_location(source_name, value.source()), key.str(),
                                          is_size_key(key.str()) ? "a number of milliseconds"
                                          : key == "significant" ? "true"
                                                                 : "a string"));
        }
        if (auto problem = set_scope_value(threshold.scope, key.str(), text); !problem.empty()) {
            if (problem.ends_with("twice in the scope")) {
                problem = fmt::format("{} is given both here and in expr", key.str());
            }
            throw ConfigError(
                fmt::format("{}: {}", toml_location(source_name, value.source()), problem));
        }
    }
    const std::string scope = scope_text(threshold.scope);
    threshold.text =
        scope.empty() ? condition_text(threshold) : scope + ": " + condition_text(threshold);
    return threshold;
}

std::string percentile_note(std::string_view name, const std::optional<Percentile>& value,
                            std::size_t n, double fraction, std::string_view side) {
    if (!value || value->supported) {
        return {};
    }
    const auto needed = static_cast<std::size_t>(std::ceil(1.0 / (1.0 - fraction) - 1e-9));
    return fmt::format("{} of {} values in {} is only an estimate (needs {})", name, n, side,
                       needed);
}

std::string metric_note(ThresholdMetric metric, const RowComparison& row) {
    const auto note_for = [&row](std::string_view name, auto member, double fraction,
                                 bool both) -> std::string {
        std::string note;
        if (row.current) {
            note = percentile_note(name, row.current->wall.*member, row.current->wall.n, fraction,
                                   "NEW");
        }
        if (note.empty() && both && row.base) {
            note =
                percentile_note(name, row.base->wall.*member, row.base->wall.n, fraction, "BASE");
        }
        return note;
    };
    switch (metric) {
        case ThresholdMetric::kP90:
            return note_for("p90", &Distribution::p90, 0.90, false);
        case ThresholdMetric::kP95:
            return note_for("p95", &Distribution::p95, 0.95, false);
        case ThresholdMetric::kP99:
            return note_for("p99", &Distribution::p99, 0.99, false);
        case ThresholdMetric::kP999:
            return note_for("p999", &Distribution::p999, 0.999, false);
        case ThresholdMetric::kP95Ratio:
            return note_for("p95", &Distribution::p95, 0.95, true);
        default:
            return {};
    }
}

std::optional<double> percentile_value(const std::optional<Percentile>& value) {
    return value ? std::optional<double>(value->value) : std::nullopt;
}

}  // namespace

std::string_view to_string(ThresholdMetric metric) noexcept {
    for (const auto& entry : kMetricNames) {
        if (entry.metric == metric) {
            return entry.name;
        }
    }
    return "?";
}

std::string_view to_string(ThresholdOperator op) noexcept {
    switch (op) {
        case ThresholdOperator::kLess:
            return "<";
        case ThresholdOperator::kLessEqual:
            return "<=";
        case ThresholdOperator::kGreater:
            return ">";
        case ThresholdOperator::kGreaterEqual:
            return ">=";
        case ThresholdOperator::kEqual:
            return "==";
    }
    return "?";
}

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
    // Iterative wildcard matching with one backtrack point: the last '*' seen and where in
    // `text` it is currently assumed to stop.
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t star_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_text = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

bool ThresholdScope::matches_name(const RowKey& key) const {
    const auto field_matches = [](std::string_view pattern, std::string_view value) {
        if (pattern.starts_with('!')) {
            return !glob_match(pattern.substr(1), value);
        }
        return pattern.empty() || glob_match(pattern, value);
    };
    return field_matches(phase, key.phase) && field_matches(backend, key.backend) &&
           field_matches(workload, key.workload) &&
           field_matches(scenario, to_string(key.scenario));
}

bool ThresholdScope::matches(const RowComparison& row, double alpha) const {
    if (!matches_name(row.key)) {
        return false;
    }
    if (significant && row.mann_whitney && !(row.mann_whitney->p_value < alpha)) {
        return false;
    }
    if (!min_base_ms && !max_base_ms) {
        return true;
    }
    if (!row.base || !row.base->wall.median) {
        return false;
    }
    const double median = *row.base->wall.median;
    return (!min_base_ms || median >= *min_base_ms) && (!max_base_ms || median < *max_base_ms);
}

bool Threshold::holds(double value) const noexcept {
    switch (op) {
        case ThresholdOperator::kLess:
            return value < bound;
        case ThresholdOperator::kLessEqual:
            return value <= bound;
        case ThresholdOperator::kGreater:
            return value > bound;
        case ThresholdOperator::kGreaterEqual:
            return value >= bound;
        case ThresholdOperator::kEqual:
            return value == bound;
    }
    return false;
}

Threshold parse_threshold(std::string_view text) {
    // Trim, so that positions refer to what the message quotes.
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        throw UsageError(
            fmt::format("empty threshold: expected [scope:] metric operator number, {}", kExample));
    }
    Threshold threshold;
    threshold.text = std::string(text);
    // The condition never contains ':', while scope values may (phase=cell:2).
    const std::size_t colon = text.rfind(':');
    std::size_t condition_begin = 0;
    if (colon != std::string_view::npos) {
        threshold.scope = parse_scope(text, 0, colon);
        condition_begin = colon + 1;
    }
    parse_condition(text, condition_begin, text.size(), threshold);
    return threshold;
}

std::vector<Threshold> parse_thresholds_file(std::string_view text,
                                             const std::string& source_name) {
    const toml::table root = parse_toml(text, source_name);
    std::vector<Threshold> thresholds;
    for (const auto& [key, node] : root) {
        if (key != "thresholds") {
            throw ConfigError(fmt::format("{}: unknown key '{}' (known: thresholds)",
                                          toml_location(source_name, key.source()), key.str()));
        }
        const auto* list = node.as_array();
        if (list == nullptr) {
            throw ConfigError(fmt::format(
                "{}: thresholds must be a list of expressions or {{expr = \"...\", ...}} tables",
                toml_location(source_name, node.source())));
        }
        for (const auto& entry : *list) {
            const std::string at = toml_location(source_name, entry.source());
            try {
                if (const auto* expression = entry.as_string()) {
                    thresholds.push_back(parse_threshold(expression->get()));
                } else if (const auto* table = entry.as_table()) {
                    thresholds.push_back(threshold_from_table(*table, source_name));
                } else {
                    throw ConfigError(fmt::format(
                        "{}: expected an expression string or an {{expr = \"...\"}} table", at));
                }
            } catch (const ConfigError&) {
                throw;
            } catch (const UsageError& error) {
                throw ConfigError(fmt::format("{}: {}", at, error.what()));
            }
        }
    }
    return thresholds;
}

std::vector<Threshold> load_thresholds_file(const std::filesystem::path& file) {
    std::error_code error;
    std::ifstream in(file);
    if (!in || std::filesystem::is_directory(file, error)) {
        throw IoError(fmt::format("cannot read thresholds file {}", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_thresholds_file(text.str(), file.string());
}

std::size_t ThresholdEvaluation::breaches() const {
    return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(),
                                                  [](const auto& check) { return !check.passed; }));
}

std::optional<double> metric_value(ThresholdMetric metric, const RowComparison& row,
                                   std::string& why_missing) {
    if (!row.current) {
        why_missing = "the row is missing from NEW";
        return std::nullopt;
    }
    const SummaryRow& current = *row.current;
    if (metric == ThresholdMetric::kSuccessRate) {
        return current.success_rate();
    }
    if (current.wall.n == 0) {
        why_missing = "NEW has no successful sample of this row";
        return std::nullopt;
    }
    const Distribution& wall = current.wall;
    std::optional<double> value;
    switch (metric) {
        case ThresholdMetric::kMedian:
            value = wall.median;
            break;
        case ThresholdMetric::kMean:
            value = wall.mean;
            break;
        case ThresholdMetric::kMin:
            value = wall.min;
            break;
        case ThresholdMetric::kMax:
            value = wall.max;
            break;
        case ThresholdMetric::kP90:
            value = percentile_value(wall.p90);
            break;
        case ThresholdMetric::kP95:
            value = percentile_value(wall.p95);
            break;
        case ThresholdMetric::kP99:
            value = percentile_value(wall.p99);
            break;
        case ThresholdMetric::kP999:
            value = percentile_value(wall.p999);
            break;
        case ThresholdMetric::kCv:
            value = wall.cv;
            if (!value) {
                why_missing = "cv needs at least 2 successful samples in NEW and a mean above 0";
            }
            return value;
        case ThresholdMetric::kMedianRatio:
        case ThresholdMetric::kP95Ratio:
        case ThresholdMetric::kMinRatio:
        case ThresholdMetric::kHlRatio:
        case ThresholdMetric::kMinDelta:
            if (!row.base) {
                why_missing = "the row is missing from BASE";
                return std::nullopt;
            }
            if (row.base->wall.n == 0) {
                why_missing = "BASE has no successful sample of this row";
                return std::nullopt;
            }
            if (metric == ThresholdMetric::kMinDelta) {
                return *wall.min - *row.base->wall.min;
            }
            switch (metric) {
                case ThresholdMetric::kMedianRatio:
                    value = row.median_ratio;
                    break;
                case ThresholdMetric::kP95Ratio:
                    value = row.p95_ratio;
                    break;
                case ThresholdMetric::kHlRatio:
                    value = row.hl_ratio;
                    break;
                default:
                    value = row.min_ratio;
                    break;
            }
            if (!value) {
                why_missing = "BASE's value is 0, so there is no ratio";
            }
            return value;
        case ThresholdMetric::kSuccessRate:
            break;
    }
    return value;
}

ThresholdEvaluation evaluate_thresholds(const std::vector<Threshold>& thresholds,
                                        const Comparison& comparison) {
    ThresholdEvaluation evaluation;
    for (std::size_t index = 0; index < thresholds.size(); ++index) {
        const Threshold& threshold = thresholds[index];
        bool named = false;
        for (const auto& row : comparison.rows) {
            // Only the names decide whether a threshold is a typo: a size bound may rightly
            // leave a threshold nothing to check in a given comparison.
            named = named || threshold.scope.matches_name(row.key);
            if (!threshold.scope.matches(row, comparison.options.alpha)) {
                continue;
            }
            if (needs_base(threshold.metric) && row.verdict == Verdict::kOnlyInNew) {
                continue;  // nothing to divide by; a new row is listed, not judged
            }
            ThresholdCheck check;
            check.threshold = index;
            check.row = row.key;
            std::string why_missing;
            check.value = metric_value(threshold.metric, row, why_missing);
            check.passed = check.value && threshold.holds(*check.value);
            check.note = check.value ? metric_note(threshold.metric, row) : why_missing;
            evaluation.checks.push_back(std::move(check));
        }
        if (!named) {
            throw UsageError(fmt::format(
                "threshold '{}' matches no row of either run (check its scope)", threshold.text));
        }
    }
    return evaluation;
}

std::string describe_check(const ThresholdCheck& check, const std::vector<Threshold>& thresholds,
                           const Comparison& comparison) {
    const Threshold& threshold = thresholds.at(check.threshold);
    std::string line = fmt::format("{}: {} {}", to_string(check.row), threshold.text,
                                   check.passed ? "holds" : "breached");
    if (!check.value) {
        return fmt::format("{}: {}", line, check.note);
    }
    const auto row = std::find_if(comparison.rows.begin(), comparison.rows.end(),
                                  [&check](const auto& r) { return r.key == check.row; });
    const std::string_view name = to_string(threshold.metric);
    if (in_milliseconds(threshold.metric)) {
        line += fmt::format(": {} = {} ms", name, format_ms(*check.value));
    } else {
        line += fmt::format(": {} = {:.4g}", name, *check.value);
    }
    if (row != comparison.rows.end() && row->current) {
        if (threshold.metric == ThresholdMetric::kMedianRatio && row->base &&
            row->base->wall.median && row->current->wall.median) {
            line += fmt::format(" (median {} ms in NEW vs {} ms in BASE)",
                                format_ms(*row->current->wall.median),
                                format_ms(*row->base->wall.median));
        } else if (threshold.metric == ThresholdMetric::kP95Ratio && row->base &&
                   row->base->wall.p95 && row->current->wall.p95) {
            line += fmt::format(" (p95 {} ms in NEW vs {} ms in BASE)",
                                format_ms(row->current->wall.p95->value),
                                format_ms(row->base->wall.p95->value));
        } else if ((threshold.metric == ThresholdMetric::kMinRatio ||
                    threshold.metric == ThresholdMetric::kMinDelta) &&
                   row->base && row->base->wall.min && row->current->wall.min) {
            line +=
                fmt::format(" (min {} ms in NEW vs {} ms in BASE)",
                            format_ms(*row->current->wall.min), format_ms(*row->base->wall.min));
        } else if (threshold.metric == ThresholdMetric::kHlRatio && row->base &&
                   row->mann_whitney) {
            line +=
                fmt::format(" (median of the {} ratios NEW / BASE; Mann-Whitney p = {:.3g})",
                            row->base->wall.n * row->current->wall.n, row->mann_whitney->p_value);
        } else if (threshold.metric == ThresholdMetric::kSuccessRate) {
            line += fmt::format(" ({} of {} samples ok)",
                                row->current->attempts - row->current->failures,
                                row->current->attempts);
        }
    }
    if (!check.note.empty()) {
        line += "; " + check.note;
    }
    return line;
}

}  // namespace sandbench::harness
