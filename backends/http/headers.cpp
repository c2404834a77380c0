// SPDX-License-Identifier: Apache-2.0
#include "http/headers.hpp"

#include <algorithm>
#include <array>

namespace sandbench::backends::http {
namespace {

constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool icontains(std::string_view text, std::string_view part) noexcept {
    return std::search(text.begin(), text.end(), part.begin(), part.end(), [](char a, char b) {
               return ascii_lower(a) == ascii_lower(b);
           }) != text.end();
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool is_sensitive_header(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 4> kExact{"authorization", "proxy-authorization",
                                                            "cookie", "set-cookie"};
    // Vendors name their key headers freely (X-API-Key, Ocp-Apim-Subscription-Key, X-Access-Token);
    // matching on these words errs on the side of hiding.
    static constexpr std::array<std::string_view, 5> kParts{"key", "token", "secret", "password",
                                                            "signature"};
    return std::any_of(kExact.begin(), kExact.end(),
                       [&](std::string_view exact) { return iequals(name, exact); }) ||
           std::any_of(kParts.begin(), kParts.end(),
                       [&](std::string_view part) { return icontains(name, part); });
}

void Headers::add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string_view name, std::string value) {
    remove(name);
    fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::remove(std::string_view name) {
    std::erase_if(fields_, [&](const Field& field) { return iequals(field.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
    const auto found = std::find_if(fields_.begin(), fields_.end(),
                                    [&](const Field& field) { return iequals(field.first, name); });
    if (found == fields_.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [field_name, value] : fields_) {
        if (iequals(field_name, name)) {
            values.push_back(value);
        }
    }
    return values;
}

bool Headers::contains(std::string_view name) const noexcept {
    return std::any_of(fields_.begin(), fields_.end(),
                       [&](const Field& field) { return iequals(field.first, name); });
}

}  // namespace sandbench::backends::http
