// SPDX-License-Identifier: Apache-2.0
//
// Small SVG building blocks for the HTML report's charts: escaping, linear and logarithmic
// scales with readable ticks, axes, legends and the palette. Charts are drawn in a fixed
// coordinate system (kChartWidth wide) and scaled to the page's width by the browser, so the
// same file reads on a laptop and a large screen.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sandbench::harness::svg {

inline constexpr double kChartWidth = 960.0;

/// Escapes text for XML character data and attribute values.
[[nodiscard]] std::string escape(std::string_view text);

/// A number for an SVG attribute: at most two decimals, no trailing zeros.
[[nodiscard]] std::string num(double value);

/// The colour of the i-th backend: Okabe–Ito, readable by people with colour-vision deficiency.
[[nodiscard]] std::string_view backend_colour(std::size_t index);

/// Maps values to pixels, linearly or logarithmically, with ticks at readable values.
class Scale {
public:
    /// Chooses a log scale when all values are positive and span more than `log_ratio` times;
    /// the domain is widened to readable tick values around [low, high].
    static Scale for_values(double low, double high, double range_start, double range_end,
                            bool from_zero, double log_ratio = 20.0);

    [[nodiscard]] double operator()(double value) const;
    [[nodiscard]] std::vector<double> ticks() const;
    [[nodiscard]] bool log() const noexcept { return log_; }
    [[nodiscard]] double domain_low() const noexcept { return low_; }
    [[nodiscard]] double domain_high() const noexcept { return high_; }
    [[nodiscard]] double range_start() const noexcept { return start_; }
    [[nodiscard]] double range_end() const noexcept { return end_; }

private:
    bool log_ = false;
    double low_ = 0.0;
    double high_ = 1.0;
    double start_ = 0.0;
    double end_ = 1.0;
    double step_ = 0.2;  ///< linear tick step
};

/// A tick label: 0.5, 12, 250, 1.5k, 20k.
[[nodiscard]] std::string tick_label(double value);

/// Vertical grid lines and tick labels of a horizontal axis from y `top` to `bottom`, labels
/// under `bottom`, and the axis title centred below them.
[[nodiscard]] std::string x_axis(const Scale& scale, double top, double bottom,
                                 std::string_view title);

struct LegendItem {
    std::string label;
    std::string colour;
    double opacity = 1.0;
};

/// A row of swatches and labels starting at (x, y); returns the SVG.
[[nodiscard]] std::string legend(const std::vector<LegendItem>& items, double x, double y);

/// A rounded "emulated" badge whose left edge is at (x, y - 9); returns the SVG.
[[nodiscard]] std::string emulated_badge(double x, double y);

/// Characters (UTF-8 code points) in `text`, for estimating its width.
[[nodiscard]] std::size_t display_length(std::string_view text);

/// Text shortened with an ellipsis to at most `max_chars` characters.
[[nodiscard]] std::string truncate(std::string_view text, std::size_t max_chars);

/// Opens an <svg> element with the viewBox, a role, a title for screen readers, and data-*
/// attributes that tests and tools can select charts by.
[[nodiscard]] std::string open(double height, std::string_view chart_kind, std::string_view title,
                               const std::vector<std::pair<std::string, std::string>>& data = {});

}  // namespace sandbench::harness::svg
