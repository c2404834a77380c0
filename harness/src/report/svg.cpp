// SPDX-License-Identifier: Apache-2.0
#include "report/svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace sandbench::harness::svg {
namespace {

/// The smallest "nice" number (1, 2, 2.5, 5 times a power of ten) at least `value`.
double nice_step(double value) {
    const double power = std::pow(10.0, std::floor(std::log10(value)));
    for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (factor * power >= value * (1 - 1e-9)) {
            return factor * power;
        }
    }
    return 10.0 * power;
}

/// The 1-2-5 sequence value at or below (down) or at or above (up) `value`.
double one_two_five(double value, bool up) {
    const double power = std::pow(10.0, std::floor(std::log10(value)));
    if (up) {
        for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
            if (factor * power >= value * (1 - 1e-9)) {
                return factor * power;
            }
        }
        return 10.0 * power;
    }
    for (const double factor : {10.0, 5.0, 2.0, 1.0}) {
        if (factor * power <= value * (1 + 1e-9)) {
            return factor * power;
        }
    }
    return power;
}

}  // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                // Control characters are not allowed in XML 1.0; messages may carry them.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
                    out += ' ';
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string num(double value) {
    if (!std::isfinite(value)) {
        return "0";
    }
    auto text = fmt::format("{:.2f}", value);
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    return text == "-0" ? "0" : text;
}

std::string_view backend_colour(std::size_t index) {
    static constexpr std::array<std::string_view, 7> kColours{
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6B6B6B"};
    return kColours[index % kColours.size()];
}

Scale Scale::for_values(double low, double high, double range_start, double range_end,
                        bool from_zero, double log_ratio) {
    Scale scale;
    scale.start_ = range_start;
    scale.end_ = range_end;
    if (!std::isfinite(low) || !std::isfinite(high)) {
        low = 0.0;
        high = 1.0;
    }
    if (high < low) {
        std::swap(low, high);
    }
    if (!from_zero && low > 0.0 && high / low > log_ratio) {
        scale.log_ = true;
        scale.low_ = one_two_five(low, false);
        scale.high_ = one_two_five(high, true);
        return scale;
    }
    if (from_zero) {
        low = std::min(low, 0.0);
    }
    if (high - low <= 0.0) {
        // One value: give it room on both sides.
        const double pad = high == 0.0 ? 1.0 : std::abs(high) * 0.1;
        high += pad;
        low = from_zero ? low : low - pad;
    }
    scale.step_ = nice_step((high - low) / 5.0);
    scale.low_ = std::floor(low / scale.step_ + 1e-9) * scale.step_;
    scale.high_ = std::ceil(high / scale.step_ - 1e-9) * scale.step_;
    if (scale.low_ < 0.0 && low >= 0.0) {
        scale.low_ = 0.0;
    }
    return scale;
}

double Scale::operator()(double value) const {
    double t = 0.0;
    if (log_) {
        const double clamped = std::max(value, low_);
        t = (std::log10(clamped) - std::log10(low_)) / (std::log10(high_) - std::log10(low_));
    } else {
        t = (value - low_) / (high_ - low_);
    }
    return start_ + std::clamp(t, 0.0, 1.0) * (end_ - start_);
}

std::vector<double> Scale::ticks() const {
    std::vector<double> ticks;
    if (log_) {
        const double decades = std::log10(high_) - std::log10(low_);
        // Few decades: 1, 2, 5 of each; many: powers of ten only, so labels never collide.
        const std::vector<double> factors =
            decades <= 3.0 ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
        // Integer exponents, so that no rounding error accumulates from decade to decade.
        const auto first = static_cast<int>(std::floor(std::log10(low_)));
        const auto last = static_cast<int>(std::floor(std::log10(high_ * (1 + 1e-9))));
        for (int exponent = first; exponent <= last; ++exponent) {
            const double power = std::pow(10.0, exponent);
            for (const double factor : factors) {
                const double tick = factor * power;
                if (tick >= low_ * (1 - 1e-9) && tick <= high_ * (1 + 1e-9)) {
                    ticks.push_back(tick);
                }
            }
        }
        return ticks;
    }
    // The i-th tick from its index, not by repeated addition, so errors do not accumulate.
    const auto count = static_cast<long>(std::floor((high_ - low_) / step_ + 1e-6));
    for (long i = 0; i <= count; ++i) {
        const double tick = low_ + static_cast<double>(i) * step_;
        ticks.push_back(std::abs(tick) < step_ * 1e-9 ? 0.0 : tick);
    }
    return ticks;
}

std::string tick_label(double value) {
    const double magnitude = std::abs(value);
    if (magnitude >= 10'000.0) {
        return fmt::format("{:g}k", value / 1000.0);
    }
    if (magnitude >= 1.0 || magnitude == 0.0) {
        return fmt::format("{:g}", value);
    }
    return fmt::format("{:.3g}", value);
}

std::string x_axis(const Scale& scale, double top, double bottom, std::string_view title) {
    std::string out = "<g class=\"axis\">";
    for (const double tick : scale.ticks()) {
        const double x = scale(tick);
        out += fmt::format(
            "<line class=\"gridline\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
            "<text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            num(x), num(top), num(bottom), num(bottom + 15), escape(tick_label(tick)));
    }
    out += fmt::format(R"(<line class="baseline" x1="{0}" x2="{1}" y1="{2}" y2="{2}"/>)",
                       num(scale.range_start()), num(scale.range_end()), num(bottom));
    if (!title.empty()) {
        out += fmt::format(
            R"(<text class="axis-title" x="{}" y="{}" text-anchor="middle">{}{}</text>)",
            num((scale.range_start() + scale.range_end()) / 2.0), num(bottom + 33), escape(title),
            scale.log() ? " (log scale)" : "");
    }
    out += "</g>";
    return out;
}

std::string legend(const std::vector<LegendItem>& items, double x, double y) {
    std::string out = "<g class=\"legend\">";
    double cursor = x;
    for (const auto& item : items) {
        out += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\" "
            "fill-opacity=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            num(cursor), num(y - 10), item.colour, num(item.opacity), num(cursor + 17), num(y),
            escape(item.label));
        // Roughly 6.6 units per character at the legend's 12-unit font size.
        cursor += 17.0 + 6.6 * static_cast<double>(display_length(item.label)) + 18.0;
    }
    out += "</g>";
    return out;
}

std::string emulated_badge(double x, double y) {
    return fmt::format(
        "<g class=\"badge-emulated\"><rect x=\"{}\" y=\"{}\" width=\"58\" height=\"15\" "
        "rx=\"7.5\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">emulated</text></g>",
        num(x), num(y - 11), num(x + 29), num(y));
}

std::size_t display_length(std::string_view text) {
    // UTF-8: count every byte that is not a continuation byte (10xxxxxx).
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

std::string truncate(std::string_view text, std::size_t max_chars) {
    if (display_length(text) <= max_chars || max_chars < 2) {
        return std::string(text);
    }
    // Cut after max_chars - 1 characters, never inside one.
    std::size_t kept = 0;
    std::size_t end = 0;
    while (end < text.size()) {
        const auto byte = static_cast<unsigned char>(text[end]);
        if ((byte & 0xC0U) != 0x80U) {
            if (kept == max_chars - 1) {
                break;
            }
            ++kept;
        }
        ++end;
    }
    return std::string(text.substr(0, end)) + "\u2026";
}

std::string open(double height, std::string_view chart_kind, std::string_view title,
                 const std::vector<std::pair<std::string, std::string>>& data) {
    std::string attributes;
    for (const auto& [key, value] : data) {
        attributes += fmt::format(" data-{}=\"{}\"", key, escape(value));
    }
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" "
        "role=\"img\" data-chart=\"{}\"{}><title>{}</title>",
        num(kChartWidth), num(height), escape(chart_kind), attributes, escape(title));
}

}  // namespace sandbench::harness::svg
