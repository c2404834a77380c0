// SPDX-License-Identifier: Apache-2.0
#include "e2b/python_literal.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>

namespace sandbench::backends::e2b {
namespace {

using nlohmann::json;

/// Nesting deeper than this is refused: the parser recurses, and a hostile or absurd result must
/// not exhaust the stack.
constexpr int kMaxDepth = 256;

void append_utf8(std::string& out, std::uint32_t code_point) {
    // Lone surrogates (repr shows them as '\ud800') have no UTF-8 form.
    if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        code_point = 0xFFFD;
    }
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

class LiteralParser {
public:
    explicit LiteralParser(std::string_view text) : text_(text) {}

    std::optional<json> parse_all() {
        auto value = parse_value(0);
        skip_space();
        if (!value || pos_ != text_.size()) {
            return std::nullopt;
        }
        return value;
    }

private:
    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }

    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\n' || peek() == '\t' || peek() == '\r')) {
            ++pos_;
        }
    }

    bool consume(char expected) {
        skip_space();
        if (peek() != expected) {
            return false;
        }
        ++pos_;
        return true;
    }

    bool consume_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return false;
        }
        // "Nonesuch" is a name, not None followed by garbage.
        const std::size_t end = pos_ + word.size();
        if (end < text_.size()) {
            const char next = text_[end];
            if (std::isalnum(static_cast<unsigned char>(next)) != 0 || next == '_') {
                return false;
            }
        }
        pos_ = end;
        return true;
    }

    std::optional<json> parse_value(int depth) {
        if (depth > kMaxDepth) {
            return std::nullopt;
        }
        skip_space();
        const char c = peek();
        if (c == '\'' || c == '"') {
            auto text = parse_string();
            return text ? std::optional<json>(std::move(*text)) : std::nullopt;
        }
        if (c == '[') {
            ++pos_;
            return parse_sequence(']', depth);
        }
        if (c == '(') {
            ++pos_;
            return parse_tuple(depth);
        }
        if (c == '{') {
            ++pos_;
            return parse_dict(depth);
        }
        if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
            return parse_number();
        }
        if (consume_word("None")) {
            return json(nullptr);
        }
        if (consume_word("True")) {
            return json(true);
        }
        if (consume_word("False")) {
            return json(false);
        }
        return std::nullopt;
    }

    std::optional<json> parse_sequence(char close, int depth) {
        json array = json::array();
        if (consume(close)) {
            return array;
        }
        while (true) {
            auto item = parse_value(depth + 1);
            if (!item) {
                return std::nullopt;
            }
            array.push_back(std::move(*item));
            if (consume(close)) {
                return array;
            }
            if (!consume(',')) {
                return std::nullopt;
            }
            if (consume(close)) {  // a trailing comma
                return array;
            }
        }
    }

    /// "()" and "(1, 2)" and "(1,)" are tuples; "(1)" is a parenthesised value.
    std::optional<json> parse_tuple(int depth) {
        if (consume(')')) {
            return json::array();
        }
        auto first = parse_value(depth + 1);
        if (!first) {
            return std::nullopt;
        }
        if (consume(')')) {
            return first;
        }
        if (!consume(',')) {
            return std::nullopt;
        }
        json array = json::array({std::move(*first)});
        if (consume(')')) {
            return array;
        }
        auto rest = parse_sequence(')', depth);
        if (!rest) {
            return std::nullopt;
        }
        for (auto& item : *rest) {
            array.push_back(std::move(item));
        }
        return array;
    }

    std::optional<json> parse_dict(int depth) {
        json object = json::object();
        if (consume('}')) {
            return object;
        }
        while (true) {
            auto key = parse_value(depth + 1);
            if (!key || !consume(':')) {
                return std::nullopt;  // also a set such as {1, 2}: JSON has no sets
            }
            auto value = parse_value(depth + 1);
            if (!value) {
                return std::nullopt;
            }
            // The keys json.dumps accepts, converted the same way.
            std::string name;
            if (key->is_string()) {
                name = key->get<std::string>();
            } else if (key->is_number() || key->is_boolean() || key->is_null()) {
                name = key->dump();
            } else {
                return std::nullopt;
            }
            object[name] = std::move(*value);
            if (consume('}')) {
                return object;
            }
            if (!consume(',')) {
                return std::nullopt;
            }
            if (consume('}')) {
                return object;
            }
        }
    }

    std::optional<json> parse_number() {
        const std::size_t start = pos_;
        if (peek() == '-' || peek() == '+') {
            ++pos_;
        }
        bool is_float = false;
        bool digits = false;
        while (!at_end()) {
            const char c = peek();
            if (c >= '0' && c <= '9') {
                digits = true;
            } else if (c == '.' || c == 'e' || c == 'E') {
                is_float = true;
            } else if ((c == '-' || c == '+') &&
                       (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')) {
                // an exponent's sign
            } else {
                break;
            }
            ++pos_;
        }
        if (!digits) {
            return std::nullopt;
        }
        // "1j" (complex) and "1e5x" are not JSON numbers.
        if (!at_end() && (std::isalpha(static_cast<unsigned char>(peek())) != 0 || peek() == '_')) {
            return std::nullopt;
        }
        std::string_view number = text_.substr(start, pos_ - start);
        if (!number.empty() && number.front() == '+') {
            number.remove_prefix(1);
        }
        const char* first = number.data();
        const char* last = number.data() + number.size();
        if (!is_float) {
            std::int64_t value = 0;
            const auto [end, error] = std::from_chars(first, last, value);
            if (error == std::errc{} && end == last) {
                return json(value);
            }
            if (error != std::errc::result_out_of_range) {
                return std::nullopt;
            }
            // Larger than 64 bits: a double, as nlohmann reads such a number from JSON too.
        }
        double value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc{} || end != last) {
            return std::nullopt;
        }
        return json(value);
    }

    std::optional<std::uint32_t> hex_digits(std::size_t count) {
        if (pos_ + count > text_.size()) {
            return std::nullopt;
        }
        std::uint32_t value = 0;
        const auto [end, error] =
            std::from_chars(text_.data() + pos_, text_.data() + pos_ + count, value, 16);
        if (error != std::errc{} || end != text_.data() + pos_ + count) {
            return std::nullopt;
        }
        pos_ += count;
        return value;
    }

    std::optional<std::string> parse_string() {
        const char quote = text_[pos_++];
        std::string out;
        while (!at_end()) {
            const char c = text_[pos_++];
            if (c == quote) {
                return out;
            }
            if (c == '\n') {
                return std::nullopt;  // repr never leaves a raw line break inside quotes
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) {
                return std::nullopt;
            }
            const char escape = text_[pos_++];
            std::optional<std::uint32_t> code_point;
            switch (escape) {
                case '\\':
                case '\'':
                case '"':
                    out += escape;
                    continue;
                case 'n':
                    out += '\n';
                    continue;
                case 'r':
                    out += '\r';
                    continue;
                case 't':
                    out += '\t';
                    continue;
                case 'a':
                    out += '\a';
                    continue;
                case 'b':
                    out += '\b';
                    continue;
                case 'f':
                    out += '\f';
                    continue;
                case 'v':
                    out += '\v';
                    continue;
                case 'x':
                    code_point = hex_digits(2);
                    break;
                case 'u':
                    code_point = hex_digits(4);
                    break;
                case 'U':
                    code_point = hex_digits(8);
                    break;
                default:
                    if (escape >= '0' && escape <= '7') {
                        auto value = static_cast<std::uint32_t>(escape - '0');
                        for (int i = 0; i < 2 && !at_end() && peek() >= '0' && peek() <= '7'; ++i) {
                            value = value * 8 + static_cast<std::uint32_t>(text_[pos_++] - '0');
                        }
                        code_point = value;
                        break;
                    }
                    return std::nullopt;
            }
            if (!code_point) {
                return std::nullopt;
            }
            append_utf8(out, *code_point);
        }
        return std::nullopt;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<nlohmann::json> parse_python_literal(std::string_view text) {
    return LiteralParser(text).parse_all();
}

nlohmann::json result_value(std::string_view text) {
    if (auto value = parse_python_literal(text)) {
        return std::move(*value);
    }
    // Most likely a string whose quotes the server removed, escapes and all: read it as the
    // inside of the quotes repr() would have chosen.
    for (const char quote : {'\'', '"'}) {
        std::string quoted;
        quoted.reserve(text.size() + 2);
        quoted += quote;
        quoted += text;
        quoted += quote;
        if (auto value = parse_python_literal(quoted); value && value->is_string()) {
            return std::move(*value);
        }
    }
    // Not `return {...}`: a braced json of one element is a one-element array.
    return nlohmann::json(std::string(text));  // NOLINT(modernize-return-braced-init-list)
}

}  // namespace sandbench::backends::e2b
