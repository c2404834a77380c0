// SPDX-License-Identifier: Apache-2.0
//
// The token sources that speak HTTP: Entra's token endpoint with a client secret, the
// managed-identity endpoint of Container Apps and App Service, and IMDS.
#include <algorithm>
#include <string>
#include <utility>

#include <fmt/core.h>

#include "auth/sources.hpp"
#include "http/http_client.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends::auth::detail {
namespace {

constexpr std::string_view kClientSecretName = "client-secret";
constexpr std::string_view kManagedIdentityName = "managed-identity";
constexpr std::string_view kImdsName = "imds";

/// Tenant ids are GUIDs or domain names; anything else would change the token URL's path.
bool valid_tenant(std::string_view tenant) {
    return !tenant.empty() && !tenant.starts_with('-') &&
           std::all_of(tenant.begin(), tenant.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
           });
}

std::string without_trailing_slashes(std::string text) {
    while (text.ends_with('/')) {
        text.pop_back();
    }
    return text;
}

std::string join_names(const std::vector<std::string_view>& names) {
    std::string joined;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            joined += i + 1 == names.size() ? " and " : ", ";
        }
        joined += names[i];
    }
    return joined;
}

/// POST {authority}/{tenant}/oauth2/v2.0/token with grant_type=client_credentials.
class ClientSecretSource final : public TokenSource {
public:
    explicit ClientSecretSource(const CredentialOptions& options)
        : authority_host_(options.authority_host),
          tenant_id_(options.tenant_id),
          client_id_(options.client_id),
          client_(options.http) {}

    [[nodiscard]] std::string_view name() const override { return kClientSecretName; }

    [[nodiscard]] TokenResult fetch(std::string_view resource) override {
        const auto tenant = tenant_id_ ? tenant_id_ : env("AZURE_TENANT_ID");
        const auto client = client_id_ ? client_id_ : env("AZURE_CLIENT_ID");
        const auto secret = env("AZURE_CLIENT_SECRET");
        if (secret) {
            register_secret(*secret);
        }
        std::vector<std::string_view> missing;
        if (!tenant) {
            missing.emplace_back("AZURE_TENANT_ID");
        }
        if (!client) {
            missing.emplace_back("AZURE_CLIENT_ID");
        }
        if (!secret) {
            missing.emplace_back("AZURE_CLIENT_SECRET");
        }
        if (!missing.empty()) {
            return failure(name(), fmt::format("{} {} not set", join_names(missing),
                                               missing.size() == 1 ? "is" : "are"));
        }
        if (!valid_tenant(*tenant)) {
            return failure(name(), "the tenant id may contain only letters, digits, '.' and '-'");
        }
        if (resource.empty()) {
            return failure(name(), "no resource was asked for");
        }
        // A host given in the options wins; the default yields to AZURE_AUTHORITY_HOST
        // (sovereign clouds, and test fakes).
        std::string authority = authority_host_;
        if (authority == kDefaultAuthorityHost) {
            authority = env("AZURE_AUTHORITY_HOST").value_or(authority);
        }
        authority = without_trailing_slashes(std::move(authority));
        if (auto invalid = check_endpoint(authority, /*allow_http=*/false)) {
            return failure(name(), "authority host " + *invalid);
        }
        const std::string url = fmt::format("{}/{}/oauth2/v2.0/token", authority, *tenant);
        const std::string scope = resource_of(resource) + "/.default";
        const std::string body =
            "grant_type=client_credentials&client_id=" + percent_encode(*client) +
            "&client_secret=" + percent_encode(*secret) + "&scope=" + percent_encode(scope);
        auto request = http::Request::post(url, body, "application/x-www-form-urlencoded");
        request.headers.set("Accept", "application/json");
        return token_from_response(name(), url, client_.send(request));
    }

private:
    std::string authority_host_;
    std::optional<std::string> tenant_id_;
    std::optional<std::string> client_id_;
    http::HttpClient client_;
};

/// The managed-identity endpoint and IMDS are on this host (or its link-local network) by design,
/// and IMDS must not be reached through a proxy, so these requests never use one.
http::ClientOptions without_proxy(http::ClientOptions options) {
    options.proxy = "";
    return options;
}

bool imds_enabled_by_environment() {
    const auto value = env("SANDBENCH_ENABLE_IMDS");
    return value && (*value == "1" || *value == "true");
}

/// GET $IDENTITY_ENDPOINT (api 2019-08-01, X-IDENTITY-HEADER); without it, IMDS when allowed.
class ManagedIdentitySource final : public TokenSource {
public:
    ManagedIdentitySource(const CredentialOptions& options, bool imds_always)
        : client_id_(options.client_id),
          imds_endpoint_(options.imds_endpoint.value_or(std::string(kDefaultImdsEndpoint))),
          imds_always_(imds_always),
          client_(without_proxy(options.http)) {}

    [[nodiscard]] std::string_view name() const override { return kManagedIdentityName; }

    [[nodiscard]] TokenResult fetch(std::string_view resource) override {
        if (resource.empty()) {
            return failure(name(), "no resource was asked for");
        }
        // As in DefaultAzureCredential, AZURE_CLIENT_ID also selects a user-assigned identity.
        const auto client_id = client_id_ ? client_id_ : env("AZURE_CLIENT_ID");
        if (const auto endpoint = env("IDENTITY_ENDPOINT")) {
            return fetch_app_service(*endpoint, resource, client_id);
        }
        if (imds_always_ || imds_enabled_by_environment()) {
            return fetch_imds(resource, client_id);
        }
        return failure(name(),
                       "IDENTITY_ENDPOINT is not set (IMDS at 169.254.169.254 is only tried "
                       "with SANDBENCH_ENABLE_IMDS=1 or mode managed-identity)");
    }

private:
    TokenResult fetch_app_service(const std::string& endpoint, std::string_view resource,
                                  const std::optional<std::string>& client_id) {
        const auto header = env("IDENTITY_HEADER");
        if (!header) {
            return failure(name(),
                           "IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not (Azure Arc's "
                           "IMDS_ENDPOINT form is not supported)");
        }
        register_secret(*header);
        if (auto invalid = check_endpoint(endpoint, /*allow_http=*/true)) {
            return failure(name(), "IDENTITY_ENDPOINT " + *invalid);
        }
        std::string url = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") +
                          "resource=" + percent_encode(resource_of(resource)) +
                          "&api-version=2019-08-01";
        if (client_id) {
            url += "&client_id=" + percent_encode(*client_id);
        }
        auto request = http::Request::get(url);
        request.headers.set("X-IDENTITY-HEADER", *header);
        return token_from_response(name(), endpoint, client_.send(request));
    }

    TokenResult fetch_imds(std::string_view resource, const std::optional<std::string>& client_id) {
        if (auto invalid = check_endpoint(imds_endpoint_, /*allow_http=*/true)) {
            return failure(kImdsName, "endpoint " + *invalid);
        }
        std::string url =
            imds_endpoint_ + (imds_endpoint_.find('?') == std::string::npos ? "?" : "&") +
            "api-version=2018-02-01&resource=" + percent_encode(resource_of(resource));
        if (client_id) {
            url += "&client_id=" + percent_encode(*client_id);
        }
        auto request = http::Request::get(url);
        request.headers.set("Metadata", "true");
        return token_from_response(kImdsName, imds_endpoint_, client_.send(request));
    }

    std::optional<std::string> client_id_;
    std::string imds_endpoint_;
    bool imds_always_;
    http::HttpClient client_;
};

}  // namespace

std::unique_ptr<TokenSource> make_client_secret_source(const CredentialOptions& options) {
    return std::make_unique<ClientSecretSource>(options);
}

std::unique_ptr<TokenSource> make_managed_identity_source(const CredentialOptions& options,
                                                          bool imds_always) {
    return std::make_unique<ManagedIdentitySource>(options, imds_always);
}

std::optional<std::string> check_tenant(std::string_view tenant) {
    if (valid_tenant(tenant)) {
        return std::nullopt;
    }
    return "may contain only letters, digits, '.' and '-', and must not start with '-'";
}

}  // namespace sandbench::backends::auth::detail
