// SPDX-License-Identifier: Apache-2.0
//
// The cost model: what running a workload on a backend costs, from its measured session
// lifetimes and a pricing table (results/pricing.toml, compiled in; overridable by a config
// file's [pricing.<type>] tables and by --pricing FILE). Every figure carries the confidence of
// its price (exact, estimated, unknown), so a guess is never shown as a fact. Emulated backends
// are priced as the real service, and labelled emulated. docs/cost-model.md defines every
// number with worked examples; this header is its implementation.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/harness/summary.hpp"

namespace sandbench::harness {

/// How sure a price is: copied from the provider (exact), derived or assumed (estimated), or
/// without a source (unknown). Ordered from most to least certain.
enum class Confidence { kExact, kEstimated, kUnknown };

[[nodiscard]] std::string_view to_string(Confidence confidence) noexcept;
[[nodiscard]] std::optional<Confidence> confidence_from_string(std::string_view text) noexcept;
/// The less certain of the two: a figure is only as sure as its least sure input.
[[nodiscard]] Confidence weakest(Confidence a, Confidence b) noexcept;

/// What a provider bills for.
enum class Billing {
    kFree,          ///< nothing per session (the local backend: the machine is the cost)
    kResourceTime,  ///< per second of allocated vCPU and memory (E2B)
    kSessionTime,   ///< per allocated session and hour (ACA dynamic sessions)
};

[[nodiscard]] std::string_view to_string(Billing billing) noexcept;

/// One backend type's (or instance's) prices. Rates in USD; an absent rate is unknown.
struct Price {
    std::string key;  ///< the [pricing.<key>] name: a backend type or instance name
    Billing billing = Billing::kFree;
    double granularity_s = 0.0;  ///< billed time is rounded up to a multiple (0: continuous)
    double minimum_s = 0.0;      ///< billed time is at least this
    double after_close_s = 0.0;  ///< still billed after the client closed (a cooldown)
    double vcpus = 0.0;          ///< kResourceTime: allocated size
    double memory_gib = 0.0;
    std::optional<double> usd_per_vcpu_second;
    std::optional<double> usd_per_gib_second;
    std::optional<double> usd_per_session_hour;  ///< kSessionTime
    Confidence confidence = Confidence::kUnknown;
    std::string source;
    std::string as_of;
    std::string note;

    /// USD per billed second of one session; 0 when free; nullopt when a rate is unknown.
    [[nodiscard]] std::optional<double> usd_per_second() const noexcept;
};

struct PricingTable {
    std::map<std::string, Price> prices;
    std::vector<std::string> origins;  ///< where the entries came from, in the order applied

    /// The price for a backend: its instance name's entry, else its type's; nullptr if none.
    [[nodiscard]] const Price* find(const std::string& backend_name,
                                    const std::string& backend_type) const;
};

/// results/pricing.toml as compiled into sandbench.
[[nodiscard]] PricingTable builtin_pricing();

/// Applies [pricing.<key>] tables (as JSON: the `pricing` of a parsed Config) field by field: a
/// key already in the table keeps the fields not given; a new key starts from an unknown,
/// free-of-rates entry and must name its `billing`. Throws ConfigError naming `source` and the
/// field when a value is of the wrong type, out of range, or unknown.
void apply_pricing(PricingTable& table, const nlohmann::json& overrides, const std::string& source);

/// Checks one [pricing.<key>] table (as JSON) without applying it: the config parser calls it
/// so a typo is reported with the file and line. Throws ConfigError prefixed with `context`.
void validate_pricing_entry(const nlohmann::json& entry, const std::string& context);

/// Reads a pricing file (TOML, [pricing.<key>] tables only) and applies it. Throws ConfigError.
void apply_pricing_file(PricingTable& table, const std::filesystem::path& file);

/// The user's workload mix, for cost per day and month (`--mix key=value,...`).
struct WorkloadMix {
    double executions_per_session = 20;  ///< workload runs per session (reused scenario)
    double sessions_per_day = 500;
    double think_time_s = 0;  ///< idle time between executions (an agent waiting for its LLM)
    double days_per_month = 30;
};

/// Parses "executions_per_session=20,sessions_per_day=500,think_time_s=2,days_per_month=30";
/// keys not given keep their defaults. Throws UsageError on an unknown key or a bad value.
[[nodiscard]] WorkloadMix parse_mix(std::string_view text);

/// Seconds billed for a session that lived `lifetime_s`: lifetime plus after_close_s, rounded
/// up to the granularity, at least the minimum; 0 when free.
[[nodiscard]] double billed_seconds(const Price& price, double lifetime_s) noexcept;
/// USD for such a session; nullopt when a needed rate is unknown.
[[nodiscard]] std::optional<double> session_cost_usd(const Price& price,
                                                     double lifetime_s) noexcept;

/// One session's lifetime, billed time and price.
struct SessionCost {
    double lifetime_ms = 0.0;  ///< measured (cold) or modelled from measurements (a mix)
    double billed_s = 0.0;
    std::optional<double> usd;  ///< nullopt: price unknown
};

/// The cost of one workload on one backend.
struct CostEstimate {
    std::string backend;
    std::string backend_type;
    std::string workload;
    bool emulated = false;
    std::optional<Price> price;  ///< nullopt: no pricing entry for the backend
    Confidence confidence = Confidence::kUnknown;
    /// A cold session running the workload once (the `session` phase's median lifetime).
    std::optional<SessionCost> cold;
    std::optional<double> cold_per_1000_usd;  ///< 1000 cold sessions, one execution each
    /// A session running the mix's executions_per_session executions of the workload.
    std::optional<SessionCost> reused;
    std::optional<double> reused_per_1000_usd;  ///< reused.usd * 1000 / executions_per_session
    std::optional<double> per_day_usd;          ///< reused.usd * sessions_per_day
    std::optional<double> per_month_usd;        ///< per_day_usd * days_per_month
    std::vector<std::string> notes;             ///< assumptions and fallbacks, for the reports
};

struct CostReport {
    WorkloadMix mix;
    std::vector<std::string> pricing_origins;
    std::vector<CostEstimate> estimates;  ///< per (backend, workload), in the rows' order

    /// The estimate for a backend and workload, or nullptr.
    [[nodiscard]] const CostEstimate* find(const std::string& backend,
                                           const std::string& workload) const;
};

/// Costs of every (backend, workload) in the summary, from the medians of its rows.
[[nodiscard]] CostReport estimate_costs(const Summary& summary, const PricingTable& pricing,
                                        const WorkloadMix& mix = {});

/// The cost per 1000 executions that belongs beside a row: cold rows get the cold figure,
/// reused rows the mix's; nullopt when unknown.
[[nodiscard]] std::optional<double> cost_per_1000_for(const CostEstimate& estimate,
                                                      Scenario scenario) noexcept;

/// Formats USD so that small per-session amounts stay readable: $0, $0.000037, $0.037, $0.18,
/// $12.50, $1500.
[[nodiscard]] std::string format_usd(double usd);

[[nodiscard]] nlohmann::json to_json(const Price& price);
[[nodiscard]] nlohmann::json to_json(const CostReport& report);

}  // namespace sandbench::harness
