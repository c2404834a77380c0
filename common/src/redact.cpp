// SPDX-License-Identifier: Apache-2.0
#include "sandbench/common/redact.hpp"

#include <mutex>
#include <regex>
#include <vector>

namespace sandbench {
namespace {

struct SecretStore {
    std::mutex mutex;
    std::vector<std::string> secrets;
};

SecretStore& secret_store() {
    static SecretStore store;
    return store;
}

}  // namespace

void register_secret(std::string_view secret) {
    // Very short values would redact ordinary words; real keys and tokens are long.
    if (secret.size() < 6) {
        return;
    }
    auto& store = secret_store();
    const std::lock_guard lock(store.mutex);
    store.secrets.emplace_back(secret);
}

std::string redact(std::string_view text) {
    std::string result(text);
    {
        auto& store = secret_store();
        const std::lock_guard lock(store.mutex);
        for (const auto& secret : store.secrets) {
            for (auto pos = result.find(secret); pos != std::string::npos;
                 pos = result.find(secret, pos)) {
                result.replace(pos, secret.size(), "***");
            }
        }
    }
    static const std::regex kBearer(R"((Bearer\s+)[A-Za-z0-9._~+/=-]+)", std::regex::icase);
    static const std::regex kKeyParam(
        R"(((?:api[_-]?key|token|secret|password)["']?\s*[=:]\s*["']?)[^&"'\s,}]+)",
        std::regex::icase);
    // A JWT (Entra access tokens are JWTs) is a secret even if nobody registered it.
    static const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)");
    result = std::regex_replace(result, kBearer, "$1***");
    result = std::regex_replace(result, kJwt, "***");
    result = std::regex_replace(result, kKeyParam, "$1***");
    return result;
}

}  // namespace sandbench
