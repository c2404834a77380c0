// SPDX-License-Identifier: Apache-2.0
//
// HTTP header fields as an ordered list: names compare case-insensitively (RFC 9110 section 5.1)
// and repeated fields are kept in the order they were sent or received, because some services
// repeat fields (Set-Cookie, Server-Timing) and collapsing them would lose data. Used for both
// requests and responses of the HTTP layer (http_client.hpp).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sandbench::backends::http {

/// True when `a` and `b` are equal ignoring ASCII case (header names are ASCII tokens).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// True for fields that carry credentials (Authorization, Cookie, X-API-Key, ...). Their values
/// must never be logged or copied into results; the HTTP layer itself logs nothing.
[[nodiscard]] bool is_sensitive_header(std::string_view name) noexcept;

class Headers {
public:
    using Field = std::pair<std::string, std::string>;
    using const_iterator = std::vector<Field>::const_iterator;

    Headers() = default;
    Headers(std::initializer_list<Field> fields) : fields_(fields) {}

    /// Appends a field, keeping any earlier field of the same name.
    void add(std::string name, std::string value);
    /// Replaces every field named `name` by one field with `value`.
    void set(std::string_view name, std::string value);
    /// Removes every field named `name`.
    void remove(std::string_view name);

    /// The first field named `name`. Returns a copy, so it is safe on temporaries.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    /// Every field named `name`, in order.
    [[nodiscard]] std::vector<std::string> get_all(std::string_view name) const;
    [[nodiscard]] bool contains(std::string_view name) const noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
    [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
    [[nodiscard]] const_iterator begin() const noexcept { return fields_.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return fields_.end(); }
    void clear() noexcept { fields_.clear(); }

private:
    std::vector<Field> fields_;
};

}  // namespace sandbench::backends::http
