// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/cost.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "pricing_table.hpp"  // generated from results/pricing.toml
#include "sandbench/common/error.hpp"
#include "sandbench/harness/config.hpp"

namespace sandbench::harness {
namespace {

constexpr double kSecondsPerHour = 3600.0;

/// A field of a [pricing.<key>] table that was given, checked but not yet applied.
struct PriceFields {
    std::optional<Billing> billing;
    std::optional<double> granularity_s;
    std::optional<double> minimum_s;
    std::optional<double> after_close_s;
    std::optional<double> vcpus;
    std::optional<double> memory_gib;
    std::optional<double> usd_per_vcpu_second;
    std::optional<double> usd_per_gib_second;
    std::optional<double> usd_per_session_hour;
    std::optional<Confidence> confidence;
    std::optional<std::string> source;
    std::optional<std::string> as_of;
    std::optional<std::string> note;
};

std::optional<Billing> billing_from_string(std::string_view text) {
    if (text == "free") {
        return Billing::kFree;
    }
    if (text == "resource_time") {
        return Billing::kResourceTime;
    }
    if (text == "session_time") {
        return Billing::kSessionTime;
    }
    return std::nullopt;
}

PriceFields read_fields(const nlohmann::json& table, const std::string& context) {
    if (!table.is_object()) {
        throw ConfigError(fmt::format("{}: must be a table", context));
    }
    PriceFields fields;
    auto number = [&](const std::string& key, const nlohmann::json& value) {
        // Prices and durations are never negative; NaN and infinity are not prices either.
        if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
            throw ConfigError(fmt::format("{}.{}: expected a number >= 0", context, key));
        }
        return value.get<double>();
    };
    auto text = [&](const std::string& key, const nlohmann::json& value) {
        if (!value.is_string()) {
            throw ConfigError(fmt::format("{}.{}: expected a string", context, key));
        }
        return value.get<std::string>();
    };
    for (const auto& [key, value] : table.items()) {
        if (key == "billing") {
            fields.billing = billing_from_string(text(key, value));
            if (!fields.billing) {
                throw ConfigError(fmt::format(
                    R"({}.billing: expected "free", "resource_time" or "session_time")", context));
            }
        } else if (key == "granularity_s") {
            fields.granularity_s = number(key, value);
        } else if (key == "minimum_s") {
            fields.minimum_s = number(key, value);
        } else if (key == "after_close_s") {
            fields.after_close_s = number(key, value);
        } else if (key == "vcpus") {
            fields.vcpus = number(key, value);
        } else if (key == "memory_gib") {
            fields.memory_gib = number(key, value);
        } else if (key == "usd_per_vcpu_second") {
            fields.usd_per_vcpu_second = number(key, value);
        } else if (key == "usd_per_gib_second") {
            fields.usd_per_gib_second = number(key, value);
        } else if (key == "usd_per_session_hour") {
            fields.usd_per_session_hour = number(key, value);
        } else if (key == "confidence") {
            fields.confidence = confidence_from_string(text(key, value));
            if (!fields.confidence) {
                throw ConfigError(fmt::format(
                    R"({}.confidence: expected "exact", "estimated" or "unknown")", context));
            }
        } else if (key == "source") {
            fields.source = text(key, value);
        } else if (key == "as_of") {
            fields.as_of = text(key, value);
        } else if (key == "note") {
            fields.note = text(key, value);
        } else {
            throw ConfigError(fmt::format(
                "{}.{}: unknown key (known: billing, granularity_s, minimum_s, after_close_s, "
                "vcpus, memory_gib, usd_per_vcpu_second, usd_per_gib_second, "
                "usd_per_session_hour, confidence, source, as_of, note)",
                context, key));
        }
    }
    return fields;
}

template <typename T>
void assign(T& target, const std::optional<T>& value) {
    if (value) {
        target = *value;
    }
}

void merge(Price& price, const PriceFields& fields) {
    assign(price.billing, fields.billing);
    assign(price.granularity_s, fields.granularity_s);
    assign(price.minimum_s, fields.minimum_s);
    assign(price.after_close_s, fields.after_close_s);
    assign(price.vcpus, fields.vcpus);
    assign(price.memory_gib, fields.memory_gib);
    if (fields.usd_per_vcpu_second) {
        price.usd_per_vcpu_second = fields.usd_per_vcpu_second;
    }
    if (fields.usd_per_gib_second) {
        price.usd_per_gib_second = fields.usd_per_gib_second;
    }
    if (fields.usd_per_session_hour) {
        price.usd_per_session_hour = fields.usd_per_session_hour;
    }
    assign(price.confidence, fields.confidence);
    assign(price.source, fields.source);
    assign(price.as_of, fields.as_of);
    assign(price.note, fields.note);
}

std::optional<double> median_of_row(const SummaryRow* row) {
    return row != nullptr ? row->wall.median : std::nullopt;
}

std::optional<double> times(std::optional<double> value, double factor) {
    return value ? std::optional<double>(*value * factor) : std::nullopt;
}

nlohmann::json optional_json(const std::optional<double>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const std::optional<SessionCost>& cost) {
    if (!cost) {
        return nullptr;
    }
    return {{"lifetime_ms", cost->lifetime_ms},
            {"billed_s", cost->billed_s},
            {"usd", optional_json(cost->usd)}};
}

}  // namespace

std::string_view to_string(Confidence confidence) noexcept {
    switch (confidence) {
        case Confidence::kExact:
            return "exact";
        case Confidence::kEstimated:
            return "estimated";
        case Confidence::kUnknown:
            break;
    }
    return "unknown";
}

std::optional<Confidence> confidence_from_string(std::string_view text) noexcept {
    if (text == "exact") {
        return Confidence::kExact;
    }
    if (text == "estimated") {
        return Confidence::kEstimated;
    }
    if (text == "unknown") {
        return Confidence::kUnknown;
    }
    return std::nullopt;
}

Confidence weakest(Confidence a, Confidence b) noexcept { return std::max(a, b); }

std::string_view to_string(Billing billing) noexcept {
    switch (billing) {
        case Billing::kResourceTime:
            return "resource_time";
        case Billing::kSessionTime:
            return "session_time";
        case Billing::kFree:
            break;
    }
    return "free";
}

std::optional<double> Price::usd_per_second() const noexcept {
    switch (billing) {
        case Billing::kFree:
            return 0.0;
        case Billing::kResourceTime:
            if (!usd_per_vcpu_second || !usd_per_gib_second) {
                return std::nullopt;
            }
            return vcpus * *usd_per_vcpu_second + memory_gib * *usd_per_gib_second;
        case Billing::kSessionTime:
            if (!usd_per_session_hour) {
                return std::nullopt;
            }
            return *usd_per_session_hour / kSecondsPerHour;
    }
    return std::nullopt;
}

const Price* PricingTable::find(const std::string& backend_name,
                                const std::string& backend_type) const {
    if (const auto it = prices.find(backend_name); it != prices.end()) {
        return &it->second;
    }
    if (const auto it = prices.find(backend_type); it != prices.end()) {
        return &it->second;
    }
    return nullptr;
}

void validate_pricing_entry(const nlohmann::json& entry, const std::string& context) {
    static_cast<void>(read_fields(entry, context));
}

void apply_pricing(PricingTable& table, const nlohmann::json& overrides,
                   const std::string& source) {
    if (overrides.is_null() || overrides.empty()) {
        return;
    }
    if (!overrides.is_object()) {
        throw ConfigError(fmt::format("{}: [pricing] must be a table of tables", source));
    }
    for (const auto& [key, entry] : overrides.items()) {
        const std::string context = fmt::format("{}: pricing.{}", source, key);
        const auto fields = read_fields(entry, context);
        auto it = table.prices.find(key);
        if (it == table.prices.end()) {
            if (!fields.billing) {
                throw ConfigError(fmt::format(
                    "{}: a new pricing entry needs billing = \"free\", \"resource_time\" or "
                    "\"session_time\"",
                    context));
            }
            it = table.prices.emplace(key, Price{}).first;
            it->second.key = key;
        }
        merge(it->second, fields);
    }
    table.origins.push_back(source);
}

void apply_pricing_file(PricingTable& table, const std::filesystem::path& file) {
    const auto config = load_config(file);
    if (!config.backends.empty() || config.run.backends || config.run.workloads ||
        config.run.scenarios || config.run.iterations || config.run.warmup || config.run.seed ||
        config.run.interleave || config.run.cell_timeout_s) {
        throw ConfigError(
            fmt::format("{}: a pricing file holds [pricing.<type>] tables only", file.string()));
    }
    apply_pricing(table, config.pricing, file.string());
}

PricingTable builtin_pricing() {
    // Parsed once per call from the compiled-in text; a broken shipped table is a build bug
    // that the tests catch, so the ConfigError it would throw is not handled here.
    static const std::string kOrigin = "results/pricing.toml (built in)";
    PricingTable table;
    const auto config = parse_config(kBuiltinPricingToml, kOrigin);
    apply_pricing(table, config.pricing, kOrigin);
    return table;
}

WorkloadMix parse_mix(std::string_view text) {
    WorkloadMix mix;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find(',', start), text.size());
        const auto item = text.substr(start, end - start);
        start = end + 1;
        if (item.empty()) {
            continue;
        }
        const auto equals = item.find('=');
        const std::string key(item.substr(0, equals));
        const std::string value =
            equals == std::string_view::npos ? "" : std::string(item.substr(equals + 1));
        double number = 0.0;
        std::size_t used = 0;
        try {
            number = std::stod(value, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != value.size() || !std::isfinite(number) || number < 0) {
            throw UsageError(
                fmt::format("--mix: '{}' needs a number >= 0 (key=value,...)", std::string(item)));
        }
        if (key == "executions_per_session") {
            if (number < 1) {
                throw UsageError("--mix: executions_per_session must be at least 1");
            }
            mix.executions_per_session = number;
        } else if (key == "sessions_per_day") {
            mix.sessions_per_day = number;
        } else if (key == "think_time_s") {
            mix.think_time_s = number;
        } else if (key == "days_per_month") {
            mix.days_per_month = number;
        } else {
            throw UsageError(fmt::format(
                "--mix: unknown key '{}' (known: executions_per_session, sessions_per_day, "
                "think_time_s, days_per_month)",
                key));
        }
    }
    return mix;
}

double billed_seconds(const Price& price, double lifetime_s) noexcept {
    if (price.billing == Billing::kFree) {
        return 0.0;
    }
    double billed = std::max(0.0, lifetime_s) + price.after_close_s;
    if (price.granularity_s > 0.0) {
        // The tolerance keeps an exact multiple (3600.0 s) from rounding up to the next
        // increment through floating-point noise.
        const double increments = std::ceil(billed / price.granularity_s - 1e-9);
        billed = std::max(1.0, increments) * price.granularity_s;
    }
    return std::max(billed, price.minimum_s);
}

std::optional<double> session_cost_usd(const Price& price, double lifetime_s) noexcept {
    const auto rate = price.usd_per_second();
    if (!rate) {
        return std::nullopt;
    }
    return billed_seconds(price, lifetime_s) * *rate;
}

const CostEstimate* CostReport::find(const std::string& backend,
                                     const std::string& workload) const {
    const auto it = std::find_if(estimates.begin(), estimates.end(), [&](const auto& estimate) {
        return estimate.backend == backend && estimate.workload == workload;
    });
    return it == estimates.end() ? nullptr : &*it;
}

CostReport estimate_costs(const Summary& summary, const PricingTable& pricing,
                          const WorkloadMix& mix) {
    CostReport report;
    report.mix = mix;
    report.pricing_origins = pricing.origins;

    for (const auto& row : summary.rows) {
        if (report.find(row.backend, row.workload) != nullptr) {
            continue;
        }
        CostEstimate estimate;
        estimate.backend = row.backend;
        estimate.workload = row.workload;
        estimate.emulated = row.emulated;
        const auto info =
            std::find_if(summary.context.backends.begin(), summary.context.backends.end(),
                         [&](const auto& backend) { return backend.name == row.backend; });
        estimate.backend_type = info != summary.context.backends.end() ? info->type : row.backend;
        estimate.emulated =
            estimate.emulated || (info != summary.context.backends.end() && info->emulated);
        const Price* price = pricing.find(estimate.backend, estimate.backend_type);
        if (price == nullptr) {
            estimate.notes.emplace_back(
                fmt::format("no pricing entry for backend type '{}': add [pricing.{}]",
                            estimate.backend_type, estimate.backend_type));
            report.estimates.push_back(std::move(estimate));
            continue;
        }
        estimate.price = *price;
        estimate.confidence = price->confidence;
        if (!price->usd_per_second()) {
            estimate.confidence = Confidence::kUnknown;
        }
        if (estimate.emulated) {
            estimate.notes.emplace_back(
                "emulated: the real service's prices applied to lifetimes measured on a local "
                "emulator");
        }

        const auto& b = row.backend;
        const auto& w = row.workload;
        const auto session = median_of_row(find_row(summary, b, w, Scenario::kCold, "session"));
        const auto cold_execute =
            median_of_row(find_row(summary, b, w, Scenario::kCold, "execute"));
        const auto reused_execute =
            median_of_row(find_row(summary, b, w, Scenario::kReused, "execute"));
        const auto reused_download =
            median_of_row(find_row(summary, b, w, Scenario::kReused, "download"));

        // Cold: one session per execution, billed for its whole measured life.
        if (session) {
            SessionCost cold;
            cold.lifetime_ms = *session;
            cold.billed_s = billed_seconds(*price, *session / 1000.0);
            cold.usd = session_cost_usd(*price, *session / 1000.0);
            estimate.cold_per_1000_usd = times(cold.usd, 1000.0);
            estimate.cold = cold;
        }

        // Reused: one session runs k executions. Its life is a cold session's (create, the
        // first execution, transfers, close) plus k - 1 further executions as measured on a
        // reused session, plus the idle think time between executions.
        const double k = mix.executions_per_session;
        std::optional<double> step_ms;
        if (reused_execute) {
            step_ms = *reused_execute + reused_download.value_or(0.0);
        } else if (cold_execute) {
            step_ms = *cold_execute;
            estimate.notes.emplace_back(
                "no reused scenario measured: later executions assumed as slow as a cold one");
        }
        if (step_ms) {
            const double idle_ms = (k - 1.0) * mix.think_time_s * 1000.0;
            double lifetime_ms = 0.0;
            if (session) {
                lifetime_ms = *session + (k - 1.0) * *step_ms + idle_ms;
            } else {
                lifetime_ms = k * *step_ms + idle_ms;
                estimate.notes.emplace_back(
                    "no cold session measured: the lifetime leaves out create and close (a lower "
                    "bound)");
            }
            SessionCost reused;
            reused.lifetime_ms = lifetime_ms;
            reused.billed_s = billed_seconds(*price, lifetime_ms / 1000.0);
            reused.usd = session_cost_usd(*price, lifetime_ms / 1000.0);
            if (reused.usd) {
                estimate.reused_per_1000_usd = *reused.usd * 1000.0 / k;
                estimate.per_day_usd = *reused.usd * mix.sessions_per_day;
                estimate.per_month_usd = *estimate.per_day_usd * mix.days_per_month;
            }
            estimate.reused = reused;
        }
        if (!estimate.cold && !estimate.reused) {
            estimate.notes.emplace_back("no session lifetime measured: nothing to price");
        }
        if (!price->note.empty()) {
            estimate.notes.emplace_back(price->note);
        }
        report.estimates.push_back(std::move(estimate));
    }
    return report;
}

std::optional<double> cost_per_1000_for(const CostEstimate& estimate, Scenario scenario) noexcept {
    return scenario == Scenario::kCold ? estimate.cold_per_1000_usd : estimate.reused_per_1000_usd;
}

std::string format_usd(double usd) {
    if (usd == 0.0) {
        return "$0";
    }
    const double magnitude = std::abs(usd);
    if (magnitude >= 100.0) {
        return fmt::format("${:.0f}", usd);
    }
    if (magnitude >= 0.1) {
        return fmt::format("${:.2f}", usd);
    }
    // Two significant digits, so $0.000037 per session does not round to $0.00.
    const int decimals = 1 - static_cast<int>(std::floor(std::log10(magnitude)));
    return fmt::format("${:.{}f}", usd, std::min(decimals, 12));
}

nlohmann::json to_json(const Price& price) {
    return {{"key", price.key},
            {"billing", to_string(price.billing)},
            {"granularity_s", price.granularity_s},
            {"minimum_s", price.minimum_s},
            {"after_close_s", price.after_close_s},
            {"vcpus", price.vcpus},
            {"memory_gib", price.memory_gib},
            {"usd_per_vcpu_second", optional_json(price.usd_per_vcpu_second)},
            {"usd_per_gib_second", optional_json(price.usd_per_gib_second)},
            {"usd_per_session_hour", optional_json(price.usd_per_session_hour)},
            {"usd_per_second", optional_json(price.usd_per_second())},
            {"confidence", to_string(price.confidence)},
            {"source", price.source},
            {"as_of", price.as_of},
            {"note", price.note}};
}

nlohmann::json to_json(const CostReport& report) {
    nlohmann::json estimates = nlohmann::json::array();
    for (const auto& estimate : report.estimates) {
        estimates.push_back(
            {{"backend", estimate.backend},
             {"backend_type", estimate.backend_type},
             {"workload", estimate.workload},
             {"emulated", estimate.emulated},
             {"confidence", to_string(estimate.confidence)},
             {"pricing", estimate.price ? to_json(*estimate.price) : nlohmann::json(nullptr)},
             {"cold", to_json(estimate.cold)},
             {"cold_per_1000_executions_usd", optional_json(estimate.cold_per_1000_usd)},
             {"reused", to_json(estimate.reused)},
             {"reused_per_1000_executions_usd", optional_json(estimate.reused_per_1000_usd)},
             {"per_day_usd", optional_json(estimate.per_day_usd)},
             {"per_month_usd", optional_json(estimate.per_month_usd)},
             {"notes", estimate.notes}});
    }
    return {{"currency", "USD"},
            {"mix",
             {{"executions_per_session", report.mix.executions_per_session},
              {"sessions_per_day", report.mix.sessions_per_day},
              {"think_time_s", report.mix.think_time_s},
              {"days_per_month", report.mix.days_per_month}}},
            {"pricing_sources", report.pricing_origins},
            {"estimates", estimates}};
}

}  // namespace sandbench::harness
