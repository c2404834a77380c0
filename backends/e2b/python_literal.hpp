// SPDX-License-Identifier: Apache-2.0
//
// From the text of an E2B execution result to a JSON value. The Code Interpreter returns the
// trailing expression of a cell as Jupyter's "text/plain" representation, which for Python is
// repr(): `{'sum': 10, 'ok': True}`, `(1, 2)`, `0.75`. The server strips one pair of quotes
// around it, so the string 'hello' arrives as `hello`. sandbench compares results as JSON
// (workloads' expect_result), so this header reads the Python literals repr() produces for the
// JSON-like types (None, bools, ints, floats, strings, lists, tuples, dicts) and keeps any other
// text (an object's repr, a quote-stripped string) as a JSON string, which is also what the local
// backend returns for values that are not JSON. A quote-stripped string keeps repr()'s escapes,
// which are undone; the price is that an object's repr with a backslash in it loses the backslash.
//
// One ambiguity is the service's, not ours: a string whose content looks like a literal ('123',
// 'True') arrives without its quotes and reads as the number or boolean.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sandbench::backends::e2b {

/// Parses one Python literal as repr() writes it: None, True, False, ints, floats, strings with
/// either quote and Python escapes, lists, tuples (as arrays) and dicts whose keys are strings,
/// numbers, booleans or None (as JSON object keys, the way json.dumps converts them). Returns
/// nothing for anything else: sets, nan/inf, calls, names, trailing text.
[[nodiscard]] std::optional<nlohmann::json> parse_python_literal(std::string_view text);

/// The value of a main result's text: the literal when parse_python_literal() reads it; else the
/// text read as the inside of a quoted string (the server strips the quotes, not the escapes, so
/// 'a\tb' arrives as `a\tb`); else the text itself as a JSON string.
[[nodiscard]] nlohmann::json result_value(std::string_view text);

}  // namespace sandbench::backends::e2b
