// SPDX-License-Identifier: Apache-2.0
//
// Where E2B traffic goes, by the rules of the official SDKs (connectionConfig.ts), so that the
// environment that points an SDK at a self-hosted E2B or an emulator points sandbench there too:
//
//   control plane   E2B_API_URL, else https://api.<domain>; domain = E2B_DOMAIN, else e2b.app
//   envd (49983)    E2B_SANDBOX_URL, else https://sandbox.<domain> for E2B's own domains (e2b.app,
//                   e2b.dev, e2b.pro, e2b-staging.dev), else https://49983-<id>.<domain>
//   interpreter     E2B_SANDBOX_URL, else https://49999-<id>.<domain> (the "direct" URL)
//
// The sandbox's domain is the `domain` its create response names, else the connection's. Every
// sandbox request also carries E2b-Sandbox-Id and E2b-Sandbox-Port, which is what routes it when
// the host is shared (sandbox.<domain>, or E2B_SANDBOX_URL).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sandbench::backends::e2b {

inline constexpr int kEnvdPort = 49983;
inline constexpr int kInterpreterPort = 49999;

struct Endpoints {
    std::string api_url;                     ///< no trailing slash
    std::optional<std::string> sandbox_url;  ///< no trailing slash; overrides every sandbox host
    std::string domain = "e2b.app";

    /// Base URL (no trailing slash) of `port` in sandbox `sandbox_id` whose domain is
    /// `sandbox_domain` (empty: the connection's). `shared_host` selects the envd rule (the
    /// shared sandbox.<domain> host for E2B's own domains) over the direct per-port host.
    [[nodiscard]] std::string sandbox_base(std::string_view sandbox_id, int port,
                                           std::string_view sandbox_domain, bool shared_host) const;
};

/// Endpoints from optional settings, falling back to E2B_API_URL, E2B_SANDBOX_URL, E2B_DOMAIN
/// and then the SDK defaults. Trailing slashes are removed.
[[nodiscard]] Endpoints resolve_endpoints(std::optional<std::string> api_url,
                                          std::optional<std::string> sandbox_url,
                                          std::optional<std::string> domain);

/// Percent-encodes `text` for a URL query value (RFC 3986 unreserved characters are kept).
[[nodiscard]] std::string url_encode(std::string_view text);

}  // namespace sandbench::backends::e2b
