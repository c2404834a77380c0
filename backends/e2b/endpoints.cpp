// SPDX-License-Identifier: Apache-2.0
#include "e2b/endpoints.hpp"

#include <array>
#include <cstdlib>

#include <fmt/format.h>

namespace sandbench::backends::e2b {
namespace {

/// The domains whose envd traffic the SDKs send through the shared sandbox.<domain> host.
constexpr std::array<std::string_view, 4> kSharedHostDomains{"e2b.app", "e2b.dev", "e2b.pro",
                                                             "e2b-staging.dev"};

std::optional<std::string> from_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

std::string without_trailing_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

}  // namespace

std::string Endpoints::sandbox_base(std::string_view sandbox_id, int port,
                                    std::string_view sandbox_domain, bool shared_host) const {
    if (sandbox_url) {
        return *sandbox_url;
    }
    const std::string_view chosen =
        sandbox_domain.empty() ? std::string_view(domain) : sandbox_domain;
    if (shared_host) {
        for (const auto known : kSharedHostDomains) {
            if (chosen == known) {
                return fmt::format("https://sandbox.{}", chosen);
            }
        }
    }
    return fmt::format("https://{}-{}.{}", port, sandbox_id, chosen);
}

Endpoints resolve_endpoints(std::optional<std::string> api_url,
                            std::optional<std::string> sandbox_url,
                            std::optional<std::string> domain) {
    Endpoints endpoints;
    endpoints.domain = domain ? std::move(*domain) : from_env("E2B_DOMAIN").value_or("e2b.app");
    if (!api_url) {
        api_url = from_env("E2B_API_URL");
    }
    endpoints.api_url = without_trailing_slashes(
        api_url ? std::move(*api_url) : fmt::format("https://api.{}", endpoints.domain));
    if (!sandbox_url) {
        sandbox_url = from_env("E2B_SANDBOX_URL");
    }
    if (sandbox_url) {
        endpoints.sandbox_url = without_trailing_slashes(std::move(*sandbox_url));
    }
    return endpoints;
}

std::string url_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
            (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

}  // namespace sandbench::backends::e2b
