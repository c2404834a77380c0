// SPDX-License-Identifier: Apache-2.0
//
// Parser for Jupytext percent-format workloads and the checker of cell expectations. The parser
// is deliberately strict (unknown keys, malformed JSON, stray '=' are errors): a typo in an
// expectation that silently disables it would make a broken sandbox look healthy.
#include "sandbench/harness/workload.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "sandbench/common/error.hpp"
#include "sandbench/common/text.hpp"

namespace sandbench::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kHeaderFence = "# ---";
constexpr std::size_t kMaxShown = 80;  // characters of a got-value quoted in a message
constexpr double kRelativeTolerance = 1e-9;

constexpr std::array<std::string_view, 7> kHeaderKeys = {
    "description", "requires", "files", "downloads", "tags", "timeout", "isolation"};
constexpr std::array<std::string_view, 6> kCellKeys = {"expect_stdout", "expect_stdout_regex",
                                                       "expect_stderr", "expect_result",
                                                       "expect_error",  "expect_image"};

// The regex flags used both to validate expect_stdout_regex at parse time and to check it, so
// that a pattern accepted by the parser never throws later. Multiline: stdout is lines.
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex::multiline;

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_identifier_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += separator;
        }
        out += item;
    }
    return out;
}

template <std::size_t N>
std::string join_keys(const std::array<std::string_view, N>& keys) {
    std::string out;
    for (const auto key : keys) {
        if (!out.empty()) {
            out += ", ";
        }
        out += key;
    }
    return out;
}

template <std::size_t N>
bool contains_key(const std::array<std::string_view, N>& keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

/// Cuts `text` to kMaxShown bytes without splitting a UTF-8 sequence.
std::string_view truncated(std::string_view text) {
    if (text.size() <= kMaxShown) {
        return text;
    }
    std::size_t cut = kMaxShown;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
        --cut;
    }
    return text.substr(0, cut);
}

/// `text` as a double-quoted, escaped string (so newlines and control characters stay visible
/// on one line), cut to ~kMaxShown characters with the full size noted.
std::string quote(std::string_view text) {
    const auto cut = truncated(text);
    std::string out = json(std::string(cut)).dump(-1, ' ', false, json::error_handler_t::replace);
    if (cut.size() < text.size()) {
        out += "... (" + std::to_string(text.size()) + " bytes)";
    }
    return out;
}

/// `text` cut to ~kMaxShown characters, with "..." when something was cut.
std::string abbreviated(std::string_view text) {
    const auto cut = truncated(text);
    return std::string(cut) + (cut.size() < text.size() ? "..." : "");
}

/// A JSON value on one line, cut like quote().
std::string shown(const json& value) {
    return abbreviated(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

/// If `line` is a cell marker (`# %%`, or `#%%` as Jupytext and VS Code also accept), returns
/// the text after the `%%`.
std::optional<std::string_view> marker_rest(std::string_view line) {
    if (line.empty() || line.front() != '#') {
        return std::nullopt;
    }
    std::size_t i = 1;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
        ++i;
    }
    if (line.substr(i, 2) != "%%") {
        return std::nullopt;
    }
    i += 2;
    if (i < line.size() && !is_space(line[i])) {
        return std::nullopt;  // `# %%%` or `# %%foo`: an ordinary comment
    }
    return line.substr(i);
}

/// A file name under data/ or in the session's working directory: a plain name, because the
/// harness joins it to directories on both sides and must not be steered elsewhere.
bool is_plain_file_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

/// Dotted Python module name. Checked because it is spliced into the probe code that decides
/// whether a workload is skipped.
bool is_module_name(std::string_view name) {
    bool at_start = true;
    for (const char c : name) {
        if (c == '.') {
            if (at_start) {
                return false;
            }
            at_start = true;
        } else if (at_start ? is_identifier_start(c) : is_identifier_char(c)) {
            at_start = false;
        } else {
            return false;
        }
    }
    return !at_start;
}

bool is_tag(std::string_view tag) {
    return !tag.empty() && std::all_of(tag.begin(), tag.end(), [](char c) {
        return is_identifier_char(c) || c == '-' || c == '.';
    });
}

/// Where a JSON value that starts at `begin` ends: a string or a bracketed value may contain
/// spaces, anything else ends at whitespace. nullopt when a string or bracket is never closed.
std::optional<std::size_t> json_value_end(std::string_view text, std::size_t begin) {
    const char first = text[begin];
    if (first != '"' && first != '{' && first != '[') {
        std::size_t i = begin;
        while (i < text.size() && !is_space(text[i])) {
            ++i;
        }
        return i;
    }
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = begin; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
                if (depth == 0) {
                    return i + 1;
                }
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }
    }
    return std::nullopt;
}

class Parser {
public:
    Parser(std::string_view text, std::string name, const fs::path& path)
        : text_(text), path_(path.string()) {
        workload_.name = std::move(name);
        workload_.path = path;
    }

    Workload parse() && {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
            text_.remove_prefix(3);  // a UTF-8 BOM some editors add
        }
        lines_ = split_lines(text_);
        std::size_t next = 0;
        while (next < lines_.size() && is_blank(lines_[next])) {
            ++next;
        }
        if (next < lines_.size() && trim_right(lines_[next]) == kHeaderFence) {
            next = parse_header(next);
        }
        parse_cells(next);
        if (workload_.cells.empty()) {
            fail(1, "the notebook has no code cells (a cell starts at a '# %%' line)");
        }
        return std::move(workload_);
    }

private:
    struct Marker {
        std::string title;
        bool executable = true;
        std::vector<Expectation> expectations;
    };

    [[noreturn]] void fail(int line, const std::string& what) const {
        throw WorkloadError(path_ + ":" + std::to_string(line) + ": " + what);
    }

    // ----- header -----------------------------------------------------------------------------

    /// Parses the header whose opening fence is at index `open`; returns the index after it.
    std::size_t parse_header(std::size_t open) {
        const int open_line = static_cast<int>(open) + 1;
        std::string yaml_text;
        for (std::size_t i = open + 1; i < lines_.size(); ++i) {
            const auto line = lines_[i];
            if (trim_right(line) == kHeaderFence) {
                parse_header_yaml(yaml_text, open_line + 1);
                return i + 1;
            }
            if (marker_rest(line) || is_blank(line)) {
                // The comment block ended without its closing fence.
                fail(open_line,
                     "the YAML header is not closed by a '# ---' line (it ends at line " +
                         std::to_string(i + 1) + ")");
            }
            if (trim_right(line) == "#") {
                yaml_text += '\n';
            } else if (line.substr(0, 2) == "# ") {
                yaml_text.append(line.substr(2));
                yaml_text += '\n';
            } else {
                fail(static_cast<int>(i) + 1,
                     "a header line must start with '# ' (or is the closing '# ---' missing?)");
            }
        }
        fail(open_line, "the YAML header is not closed by a '# ---' line");
    }

    /// File line of a YAML node (yaml-cpp counts from 0 within the header text).
    int line_of(const YAML::Node& node, int fallback) const {
        const auto mark = node.Mark();
        return mark.line < 0 ? fallback : yaml_first_line_ + mark.line;
    }

    void parse_header_yaml(const std::string& yaml_text, int first_line) {
        yaml_first_line_ = first_line;
        YAML::Node root;
        try {
            root = YAML::Load(yaml_text);
        } catch (const YAML::Exception& error) {
            const int line = error.mark.line < 0 ? first_line - 1 : first_line + error.mark.line;
            fail(line, "invalid YAML header: " + error.msg);
        }
        if (root.IsNull()) {
            return;
        }
        if (!root.IsMap()) {
            fail(first_line - 1, "the YAML header must be a mapping of keys to values");
        }
        std::set<std::string> seen;
        for (const auto& entry : root) {
            const int key_line = line_of(entry.first, first_line - 1);
            if (!entry.first.IsScalar()) {
                fail(key_line, "header keys must be plain words");
            }
            const auto key = entry.first.Scalar();
            if (!seen.insert(key).second) {
                fail(key_line, "header key '" + key + "' is given twice");
            }
            if (key == "jupyter") {
                continue;  // Jupytext's own metadata (kernelspec, formats)
            }
            if (!contains_key(kHeaderKeys, key)) {
                fail(key_line,
                     "unknown header key '" + key + "' (known: " + join_keys(kHeaderKeys) + ")");
            }
            // yaml-cpp marks an empty value at the next key; the key's line is the useful one.
            const int value_line =
                entry.second.IsNull() ? key_line : line_of(entry.second, key_line);
            header_value(key, entry.second, value_line);
        }
    }

    void header_value(const std::string& key, const YAML::Node& value, int line) {
        if (key == "description") {
            workload_.description = scalar(key, value, line);
        } else if (key == "requires") {
            for (auto& module : string_list(key, value, line)) {
                if (!is_module_name(module.first)) {
                    fail(module.second,
                         "'" + module.first + "' in requires is not a Python module name");
                }
                workload_.required_modules.push_back(std::move(module.first));
            }
        } else if (key == "files") {
            for (auto& file : string_list(key, value, line)) {
                check_file_name("files", file.first, file.second);
                if (std::find(workload_.uploads.begin(), workload_.uploads.end(), file.first) !=
                    workload_.uploads.end()) {
                    fail(file.second, "file '" + file.first + "' is listed twice");
                }
                workload_.uploads.push_back(std::move(file.first));
            }
        } else if (key == "downloads") {
            parse_downloads(value, line);
        } else if (key == "tags") {
            for (auto& tag : string_list(key, value, line)) {
                if (!is_tag(tag.first)) {
                    fail(tag.second, "tag '" + tag.first +
                                         "' may only contain letters, digits, '_', '-' and '.'");
                }
                workload_.tags.push_back(std::move(tag.first));
            }
        } else if (key == "timeout") {
            const auto text = scalar(key, value, line);
            double seconds = 0;
            try {
                seconds = value.as<double>();
            } catch (const YAML::Exception&) {
                fail(line, "timeout must be a number of seconds (got '" + text + "')");
            }
            if (!std::isfinite(seconds) || seconds <= 0) {
                fail(line, "timeout must be a positive number of seconds (got " + text + ")");
            }
            workload_.cell_timeout = backends::Milliseconds(seconds * 1000.0);
        } else if (key == "isolation") {
            const auto text = scalar(key, value, line);
            if (text != "required" && text != "none") {
                fail(line, "isolation must be 'required' or 'none' (got '" + text + "')");
            }
            workload_.requires_isolation = text == "required";
        }
    }

    std::string scalar(const std::string& key, const YAML::Node& value, int line) const {
        if (value.IsNull()) {
            fail(line, key + " needs a value");
        }
        if (!value.IsScalar()) {
            fail(line, key + " must be a single value, not a list or mapping");
        }
        return value.Scalar();
    }

    /// A YAML sequence of scalars, each with its file line.
    std::vector<std::pair<std::string, int>> string_list(const std::string& key,
                                                         const YAML::Node& value, int line) const {
        if (!value.IsSequence()) {
            fail(line, key + " must be a list, e.g. " + key + ": [a, b]");
        }
        std::vector<std::pair<std::string, int>> items;
        for (const auto& item : value) {
            const int item_line = line_of(item, line);
            if (!item.IsScalar()) {
                fail(item_line, "each entry of " + key + " must be a single value");
            }
            items.emplace_back(item.Scalar(), item_line);
        }
        return items;
    }

    void check_file_name(const std::string& key, const std::string& name, int line) const {
        if (!is_plain_file_name(name)) {
            fail(line,
                 key + " entry '" + name + "' must be a plain file name (no directories, no '..')");
        }
    }

    void parse_downloads(const YAML::Node& value, int line) {
        if (!value.IsSequence()) {
            fail(line, "downloads must be a list of {name, contains} entries");
        }
        for (const auto& item : value) {
            const int item_line = line_of(item, line);
            DownloadCheck check;
            if (item.IsScalar()) {
                check.name = item.Scalar();  // `- report.txt`: a name alone
            } else if (item.IsMap()) {
                bool has_name = false;
                for (const auto& field : item) {
                    const auto field_key = field.first.Scalar();
                    const int field_line = line_of(field.first, item_line);
                    if (field_key == "name") {
                        check.name = scalar("downloads name", field.second, field_line);
                        has_name = true;
                    } else if (field_key == "contains") {
                        check.contains = scalar("downloads contains", field.second, field_line);
                    } else {
                        fail(field_line, "unknown key '" + field_key +
                                             "' in a downloads entry (known: name, contains)");
                    }
                }
                if (!has_name) {
                    fail(item_line, "a downloads entry needs a name");
                }
            } else {
                fail(item_line, "a downloads entry must be {name: ..., contains: ...}");
            }
            check_file_name("downloads", check.name, item_line);
            workload_.downloads.push_back(std::move(check));
        }
    }

    // ----- cells ------------------------------------------------------------------------------

    void parse_cells(std::size_t begin) {
        std::size_t first_marker = begin;
        while (first_marker < lines_.size() && !marker_rest(lines_[first_marker])) {
            ++first_marker;
        }
        // Code before the first marker counts only when it would do something, so a notebook
        // may open with a comment block (licence, notes) without creating an empty cell.
        const bool has_code = std::any_of(
            lines_.begin() + static_cast<std::ptrdiff_t>(begin),
            lines_.begin() + static_cast<std::ptrdiff_t>(first_marker),
            [](std::string_view line) { return !is_blank(line) && trim(line).front() != '#'; });
        if (has_code) {
            std::size_t start = begin;
            while (is_blank(lines_[start])) {
                ++start;
            }
            add_cell(static_cast<int>(start) + 1, Marker{}, start, first_marker);
        }

        for (std::size_t i = first_marker; i < lines_.size();) {
            const int line = static_cast<int>(i) + 1;
            auto marker = parse_marker(*marker_rest(lines_[i]), line);
            std::size_t end = i + 1;
            while (end < lines_.size() && !marker_rest(lines_[end])) {
                ++end;
            }
            if (!marker.executable) {
                if (!marker.expectations.empty()) {
                    fail(line,
                         "a markdown or raw cell is not executed, so it cannot have "
                         "expectations");
                }
            } else {
                add_cell(line, std::move(marker), i + 1, end);
            }
            i = end;
        }
    }

    /// Adds the code in lines [begin, end) as a cell, trimming trailing blank lines.
    void add_cell(int line, Marker marker, std::size_t begin, std::size_t end) {
        while (end > begin && is_blank(lines_[end - 1])) {
            --end;
        }
        if (end == begin) {
            if (!marker.expectations.empty()) {
                fail(line, "the cell has expectations but no code");
            }
            return;  // an empty `# %%` cell has nothing to run or measure
        }
        Cell cell;
        cell.index = static_cast<int>(workload_.cells.size()) + 1;
        cell.title = std::move(marker.title);
        cell.line = line;
        cell.expectations = std::move(marker.expectations);
        for (std::size_t i = begin; i < end; ++i) {
            cell.code.append(lines_[i]);
            if (i + 1 < end) {
                cell.code += '\n';
            }
        }
        workload_.cells.push_back(std::move(cell));
    }

    /// Splits the text after `# %%` into title words, the cell type and key=value metadata.
    Marker parse_marker(std::string_view rest, int line) const {
        Marker marker;
        std::vector<std::string> title;
        std::set<std::string, std::less<>> seen;
        std::size_t i = 0;
        while (true) {
            while (i < rest.size() && is_space(rest[i])) {
                ++i;
            }
            if (i >= rest.size()) {
                break;
            }
            std::size_t key_end = i;
            if (is_identifier_start(rest[i])) {
                while (key_end < rest.size() && is_identifier_char(rest[key_end])) {
                    ++key_end;
                }
            }
            if (key_end > i && key_end < rest.size() && rest[key_end] == '=') {
                const auto key = std::string(rest.substr(i, key_end - i));
                i = parse_metadata(rest, key, key_end + 1, line, marker);
                if (!seen.insert(key).second) {
                    fail(line, "cell metadata '" + key + "' is given twice");
                }
                continue;
            }
            std::size_t word_end = i;
            while (word_end < rest.size() && !is_space(rest[word_end])) {
                ++word_end;
            }
            const auto word = rest.substr(i, word_end - i);
            i = word_end;
            if (word.front() == '=') {
                fail(line, "stray '=' in the cell marker (write key=value without spaces)");
            }
            if (word == "[markdown]" || word == "[md]" || word == "[raw]") {
                marker.executable = false;
            } else if (contains_key(kCellKeys, word)) {
                fail(line, "cell metadata '" + std::string(word) + "' needs a value (" +
                               std::string(word) + "=<json>)");
            } else {
                title.emplace_back(word);
            }
        }
        marker.title = join(title, " ");
        return marker;
    }

    /// Parses the JSON value of `key` starting at `begin`; returns the index after it.
    std::size_t parse_metadata(std::string_view rest, const std::string& key, std::size_t begin,
                               int line, Marker& marker) const {
        if (!contains_key(kCellKeys, key)) {
            fail(line, "unknown cell metadata '" + key + "' (known: " + join_keys(kCellKeys) + ")");
        }
        if (begin >= rest.size() || is_space(rest[begin])) {
            fail(line, "cell metadata '" + key + "' has no value (write key=value without spaces)");
        }
        const auto end = json_value_end(rest, begin);
        if (!end) {
            fail(line, "the value of '" + key + "' is missing a closing quote or bracket");
        }
        if (*end < rest.size() && !is_space(rest[*end])) {
            fail(line, "unexpected text after the value of '" + key + "'");
        }
        const auto text = rest.substr(begin, *end - begin);
        json value;
        try {
            value = json::parse(text);
        } catch (const json::exception&) {
            fail(line, "the value of '" + key + "' is not valid JSON: " + std::string(text) +
                           (text.front() == '\'' ? " (JSON strings use double quotes)" : ""));
        }
        marker.expectations.push_back(expectation(key, std::move(value), line));
        return *end;
    }

    Expectation expectation(const std::string& key, json value, int line) const {
        Expectation expectation;
        if (key == "expect_result") {
            expectation.kind = ExpectationKind::kResultEquals;
            expectation.value = std::move(value);
            return expectation;
        }
        if (key == "expect_image") {
            if (value != json(true)) {
                fail(line, "expect_image only takes true (leave it out when no image is expected)");
            }
            expectation.kind = ExpectationKind::kImage;
            return expectation;
        }
        if (!value.is_string()) {
            fail(line, key + " needs a JSON string, e.g. " + key + "=\"text\"");
        }
        expectation.text = value.get<std::string>();
        if (key == "expect_stdout") {
            expectation.kind = ExpectationKind::kStdoutContains;
        } else if (key == "expect_stdout_regex") {
            expectation.kind = ExpectationKind::kStdoutMatches;
            try {
                const std::regex compiled(expectation.text, kRegexFlags);
            } catch (const std::regex_error& error) {
                fail(line, "expect_stdout_regex is not a valid ECMAScript regex: " +
                               std::string(error.what()));
            }
        } else if (key == "expect_stderr") {
            expectation.kind = ExpectationKind::kStderrContains;
        } else {
            expectation.kind = ExpectationKind::kErrorName;
            if (expectation.text.empty()) {
                fail(line, "expect_error needs an exception class name, e.g. \"ValueError\"");
            }
        }
        return expectation;
    }

    std::string_view text_;
    std::string path_;
    std::vector<std::string_view> lines_;
    int yaml_first_line_ = 1;  // file line of the header's first YAML line
    Workload workload_;
};

// ----- check_cell -----------------------------------------------------------------------------

/// JSON equality where numbers compare by value: 2 equals 2.0 (Python may return either for
/// the same computation) and floats agree to a relative 1e-9 (printing and re-parsing a float
/// on another platform may change its last digit).
bool json_equal(const json& actual, const json& expected) {
    if (actual.is_number() && expected.is_number()) {
        if (!actual.is_number_float() && !expected.is_number_float()) {
            return actual == expected;
        }
        const auto a = actual.get<double>();
        const auto b = expected.get<double>();
        return a == b ||
               std::fabs(a - b) <= kRelativeTolerance * std::max({1.0, std::fabs(a), std::fabs(b)});
    }
    if (actual.type() != expected.type()) {
        return false;
    }
    if (actual.is_array()) {
        return actual.size() == expected.size() &&
               std::equal(actual.begin(), actual.end(), expected.begin(), json_equal);
    }
    if (actual.is_object()) {
        if (actual.size() != expected.size()) {
            return false;
        }
        const auto items = actual.items();
        return std::all_of(items.begin(), items.end(), [&](const auto& item) {
            const auto other = expected.find(item.key());
            return other != expected.end() && json_equal(item.value(), *other);
        });
    }
    return actual == expected;
}

/// Python reports some exceptions with their module (`json.decoder.JSONDecodeError`); the
/// expectation may name the class alone.
bool error_matches(std::string_view actual, std::string_view expected) {
    if (actual == expected) {
        return true;
    }
    return actual.size() > expected.size() && actual.ends_with(expected) &&
           actual[actual.size() - expected.size() - 1] == '.';
}

std::string raised(const backends::Execution& execution) {
    std::string out = execution.error_name.empty() ? "an exception" : execution.error_name;
    if (!execution.error_value.empty()) {
        out += ": " + abbreviated(execution.error_value);
    }
    return out;
}

std::string truncation_note(const backends::Execution& execution) {
    return execution.output_truncated ? " (output was truncated)" : "";
}

}  // namespace

Workload parse_workload(std::string_view text, std::string name, const fs::path& path) {
    return Parser(text, std::move(name), path).parse();
}

Workload load_workload(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
        throw WorkloadError(file.string() + ": " +
                            (fs::exists(file, ec) ? "not a regular file" : "no such file"));
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) {
        text << in.rdbuf();
    }
    if (!in || in.bad()) {
        throw WorkloadError(file.string() + ": cannot read the file");
    }
    return parse_workload(text.str(), file.stem().string(), file);
}

std::vector<std::string> check_cell(const Cell& cell, const backends::Execution& execution) {
    using backends::Status;
    std::vector<std::string> failures;
    const auto expected_error =
        std::find_if(cell.expectations.begin(), cell.expectations.end(),
                     [](const Expectation& e) { return e.kind == ExpectationKind::kErrorName; });
    if (execution.status != Status::kOk && execution.status != Status::kUserError) {
        std::string message =
            "the cell did not complete: " + std::string(backends::to_string(execution.status));
        if (!execution.message.empty()) {
            message += " (" + abbreviated(execution.message) + ")";
        }
        failures.push_back(std::move(message));
        return failures;
    }
    if (execution.status == Status::kUserError && expected_error == cell.expectations.end()) {
        // Other expectations would only echo this failure; the exception is the news.
        failures.push_back("the cell raised " + raised(execution));
        return failures;
    }

    for (const auto& expectation : cell.expectations) {
        switch (expectation.kind) {
            case ExpectationKind::kStdoutContains:
                if (execution.stdout_text.find(expectation.text) == std::string::npos) {
                    failures.push_back("stdout does not contain " + quote(expectation.text) +
                                       " (got " + quote(execution.stdout_text) + ")" +
                                       truncation_note(execution));
                }
                break;
            case ExpectationKind::kStdoutMatches: {
                bool matched = false;
                try {
                    const std::regex pattern(expectation.text, kRegexFlags);
                    matched = std::regex_search(execution.stdout_text, pattern);
                } catch (const std::regex_error& error) {
                    // error_complexity or error_stack on a pathological pattern and output.
                    failures.push_back("stdout regex " + quote(expectation.text) +
                                       " could not be evaluated: " + error.what());
                    break;
                }
                if (!matched) {
                    failures.push_back("stdout does not match /" + expectation.text + "/ (got " +
                                       quote(execution.stdout_text) + ")" +
                                       truncation_note(execution));
                }
                break;
            }
            case ExpectationKind::kStderrContains:
                if (execution.stderr_text.find(expectation.text) == std::string::npos) {
                    failures.push_back("stderr does not contain " + quote(expectation.text) +
                                       " (got " + quote(execution.stderr_text) + ")" +
                                       truncation_note(execution));
                }
                break;
            case ExpectationKind::kResultEquals:
                if (!json_equal(execution.result, expectation.value)) {
                    failures.push_back("result is " + shown(execution.result) + ", expected " +
                                       shown(expectation.value) +
                                       (execution.result.is_null()
                                            ? " (the cell must end with an expression)"
                                            : ""));
                }
                break;
            case ExpectationKind::kErrorName:
                if (execution.status != Status::kUserError) {
                    failures.push_back("expected " + expectation.text +
                                       " to be raised, but the cell completed without error");
                } else if (!error_matches(execution.error_name, expectation.text)) {
                    failures.push_back("expected " + expectation.text + " to be raised, got " +
                                       raised(execution));
                }
                break;
            case ExpectationKind::kImage:
                if (execution.images.empty()) {
                    failures.emplace_back("expected an image, but the cell returned none");
                }
                break;
        }
    }
    return failures;
}

WorkloadCatalog::WorkloadCatalog(fs::path directory) : directory_(std::move(directory)) {}

std::vector<std::string> WorkloadCatalog::names() const {
    std::vector<std::string> names;
    std::error_code ec;
    // Not recursive: data/ holds uploads, and a .py file there is data, not a workload.
    for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
        const auto& file = it->path();
        const auto stem = file.stem().string();
        if (file.extension() == ".py" && !stem.empty() && stem.front() != '.' &&
            it->is_regular_file(ec)) {
            names.push_back(stem);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

Workload WorkloadCatalog::load(const std::string& name_or_path) const {
    std::error_code ec;
    const bool is_path = name_or_path.find('/') != std::string::npos ||
                         (name_or_path.ends_with(".py") && fs::exists(name_or_path, ec));
    if (is_path) {
        return load_workload(name_or_path);
    }
    const auto known = names();
    if (std::find(known.begin(), known.end(), name_or_path) == known.end()) {
        throw UsageError("unknown workload '" + name_or_path + "' (" +
                         (known.empty() ? "no workloads in " + directory_.string()
                                        : "known: " + join(known, ", ")) +
                         ")");
    }
    return load_workload(directory_ / (name_or_path + ".py"));
}

fs::path WorkloadCatalog::data_directory() const { return directory_ / "data"; }

}  // namespace sandbench::harness
