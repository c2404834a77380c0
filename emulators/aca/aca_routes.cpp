// SPDX-License-Identifier: Apache-2.0
//
// Every request's way in: the steps that hold for all routes (the pool's path, the bearer token,
// api-version, identifier, ?path=), applied once in serve(), then the route table, which maps a
// method and a path pattern to its handler and says since which API generation the route exists.
#include <httplib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aca_data_dir.hpp"
#include "aca_emulator_impl.hpp"
#include "aca_wire.hpp"

namespace sandbench::emulators::aca {
namespace {

using nlohmann::json;

/// The API versions the service has published (notes §2). Another version is a 400, as on Azure.
constexpr std::array<KnownVersion, 5> kVersions{{
    {"2024-02-02-preview", false, false, 200},
    {"2024-08-02-preview", false, false, 200},
    {"2024-10-02-preview", true, false, 202},
    {"2025-02-02-preview", true, true, 202},
    {"2025-10-02-preview", true, true, 200},
}};
constexpr std::string_view kIdentifierPunctuation = "_|}{[]:\";'<>?/.,@#$%^&*()-+=!~`";

/// Since which API generation a route exists.
enum class Since { kFirstVersion, kNewApi, kSessionManagement };
/// What a route is under an older api-version.
enum class Before {
    kNotInVersion,  ///< 404 naming the version
    kAbsent,        ///< no match: the path means another route there (GET files/a/content is the
                    ///< legacy file "a/content")
};

using Handler = void (*)(AcaEmulator&, const Call&);

struct Route {
    Verb verb;
    /// Segments matched case-insensitively; "*" is one segment, "**" one or more (a file name
    /// with directories). What they match is Call::wildcard.
    std::string_view pattern;
    Handler handler;
    Since since = Since::kFirstVersion;
    Before before = Before::kNotInVersion;
    bool pool_wide = false;  ///< needs no identifier
};

/// The file a route names, or a 400 when it is not a name the service accepts.
std::optional<FilePath> file_path(const Call& call, std::string_view name) {
    std::string problem;
    auto file = split_file_name(call.directory, name, problem);
    if (!file) {
        send_error(call.response, 400, "SessionRequestValidationFailed", problem);
    }
    return file;
}

/// python/downloadFile names its file in a parameter, in either spelling.
std::string download_parameter(const httplib::Request& request) {
    return request.has_param("filename") ? request.get_param_value("filename")
                                         : request.get_param_value("fileName");
}

// Tried in order: the first route whose method and pattern match (and that exists in the
// request's api-version, or says it is not part of it) handles the request.
constexpr std::array kRoutes{
    // Legacy and pre-2024 routes, also served under the newer versions.
    Route{.verb = Verb::kPost,
          .pattern = "code/execute",
          .handler = [](AcaEmulator& self, const Call& call) { self.execute_legacy(call, false); }},
    Route{.verb = Verb::kPost,
          .pattern = "python/execute",
          .handler = [](AcaEmulator& self, const Call& call) { self.execute_legacy(call, true); }},
    Route{.verb = Verb::kPost,
          .pattern = "files/upload",
          .handler = [](AcaEmulator& self, const Call& call) { self.upload(call, "legacy"); }},
    Route{.verb = Verb::kPost,
          .pattern = "python/uploadFile",
          .handler = [](AcaEmulator& self, const Call& call) { self.upload(call, "python"); }},
    // The new API.
    Route{.verb = Verb::kPost,
          .pattern = "executions",
          .handler = [](AcaEmulator& self, const Call& call) { self.execute_new(call); },
          .since = Since::kNewApi},
    Route{.verb = Verb::kPost,
          .pattern = "files",
          .handler = [](AcaEmulator& self, const Call& call) { self.upload(call, "new"); },
          .since = Since::kNewApi},
    Route{.verb = Verb::kGet,
          .pattern = "files",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  self.list_files(call, call.version.new_api ? "new" : "legacy");
              }},
    Route{.verb = Verb::kGet,
          .pattern = "python/files",
          .handler = [](AcaEmulator& self, const Call& call) { self.list_files(call, "python"); }},
    Route{.verb = Verb::kGet,
          .pattern = "python/downloadFile",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  if (const auto file = file_path(call, download_parameter(call.request))) {
                      self.download(call, *file, true);
                  }
              }},
    Route{.verb = Verb::kGet,
          .pattern = "files/content/**",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  if (const auto file = file_path(call, call.wildcard)) {
                      self.download(call, *file, true);
                  }
              }},
    Route{.verb = Verb::kGet,
          .pattern = "files/**/content",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  if (const auto file = file_path(call, call.wildcard)) {
                      self.download(call, *file, false);
                  }
              },
          .since = Since::kNewApi,
          .before = Before::kAbsent},
    Route{.verb = Verb::kGet,
          .pattern = "files/**",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  if (const auto file = file_path(call, call.wildcard)) {
                      self.file_metadata(call, *file);
                  }
              }},
    Route{.verb = Verb::kGet,
          .pattern = "executions/*",
          .handler = [](AcaEmulator& self, const Call& call) { self.get_execution(call); },
          .since = Since::kNewApi},
    // Session management (2025-02-02-preview and later).
    Route{.verb = Verb::kGet,
          .pattern = "session",
          .handler = [](AcaEmulator& self, const Call& call) { self.get_session(call); },
          .since = Since::kSessionManagement},
    Route{.verb = Verb::kGet,
          .pattern = "listSessions",
          .handler = [](AcaEmulator& self, const Call& call) { self.list_sessions(call); },
          .since = Since::kSessionManagement,
          .pool_wide = true},
    Route{.verb = Verb::kGet,
          .pattern = "metadata",
          .handler = [](AcaEmulator& self, const Call& call) { self.metadata(call); },
          .since = Since::kSessionManagement,
          .pool_wide = true},
    Route{.verb = Verb::kDelete,
          .pattern = "files/**",
          .handler =
              [](AcaEmulator& self, const Call& call) {
                  if (const auto file = file_path(call, call.wildcard)) {
                      self.delete_file(call, *file);
                  }
              }},
    Route{.verb = Verb::kDelete,
          .pattern = "session",
          .handler = [](AcaEmulator& self, const Call& call) { self.delete_session(call); },
          .since = Since::kSessionManagement},
};

std::vector<std::string> segments(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        if (slash != 0) {
            parts.emplace_back(path.substr(0, slash));
        }
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
    std::string joined;
    for (std::size_t i = from; i < to; ++i) {
        joined += (i == from ? "" : "/") + parts[i];
    }
    return joined;
}

/// Whether `parts` match `pattern`; what its "*" or "**" matched goes to `wildcard`.
bool matches(std::string_view pattern, const std::vector<std::string>& parts,
             std::string& wildcard) {
    const auto want = segments(pattern);
    const auto rest = std::find_if(want.begin(), want.end(),
                                   [](const std::string& part) { return part.starts_with('*'); });
    const std::size_t before = static_cast<std::size_t>(rest - want.begin());
    const bool many = rest != want.end() && *rest == "**";
    const std::size_t after = rest == want.end() ? 0 : want.size() - before - 1;
    const std::size_t matched = parts.size() - std::min(parts.size(), before + after);
    if (rest == want.end() ? parts.size() != want.size()
                           : parts.size() < want.size() || (!many && matched != 1)) {
        return false;
    }
    for (std::size_t i = 0; i < before; ++i) {
        if (!iequals(parts[i], want[i])) {
            return false;
        }
    }
    for (std::size_t i = 0; i < after; ++i) {
        if (!iequals(parts[parts.size() - after + i], want[before + 1 + i])) {
            return false;
        }
    }
    wildcard = rest == want.end() ? "" : join(parts, before, parts.size() - after);
    return true;
}

bool exists_in(const Route& route, const KnownVersion& version) {
    switch (route.since) {
        case Since::kNewApi:
            return version.new_api;
        case Since::kSessionManagement:
            return version.session_management;
        case Since::kFirstVersion:
            break;
    }
    return true;
}

std::string_view verb_name(Verb verb) {
    return verb == Verb::kGet ? "GET" : verb == Verb::kPost ? "POST" : "DELETE";
}

/// The path's segments below the pool, or a 404 when the path is not the pool's.
std::optional<std::vector<std::string>> pool_segments(const httplib::Request& request,
                                                      httplib::Response& response,
                                                      const std::string& prefix) {
    if (!request.path.starts_with(prefix) ||
        (request.path.size() > prefix.size() && request.path[prefix.size()] != '/')) {
        send_error(response, 404, "ResourceNotFound",
                   fmt::format("no session pool at {}", request.path));
        return std::nullopt;
    }
    return segments(std::string_view(request.path).substr(prefix.size()));
}

/// The request's api-version, or a 400 when it is missing or unknown.
const KnownVersion* api_version(const httplib::Request& request, httplib::Response& response) {
    if (!request.has_param("api-version")) {
        send_error(response, 400, "MissingApiVersionParameter",
                   "the api-version query parameter (?api-version=) is required for all "
                   "requests");
        return nullptr;
    }
    const std::string text = request.get_param_value("api-version");
    const auto* version = std::find_if(kVersions.begin(), kVersions.end(),
                                       [&](const auto& known) { return known.text == text; });
    if (version != kVersions.end()) {
        return version;
    }
    std::string known;
    for (const auto& entry : kVersions) {
        known += (known.empty() ? "" : ", ") + std::string(entry.text);
    }
    send_error(
        response, 400, "UnsupportedApiVersion",
        fmt::format("api-version '{}' is not supported; supported versions: {}", text, known));
    return nullptr;
}

/// Whether `parts` name a pool-wide route (by path alone: a wrong method there is a 404, not a
/// missing identifier).
bool pool_wide(const std::vector<std::string>& parts) {
    std::string ignored;
    return std::any_of(kRoutes.begin(), kRoutes.end(), [&](const Route& route) {
        return route.pool_wide && matches(route.pattern, parts, ignored);
    });
}

/// The identifier parameter, or a 400 when it is missing or outside the service's pattern.
std::optional<std::string> identifier_of(const httplib::Request& request,
                                         httplib::Response& response) {
    if (!request.has_param("identifier")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   "the identifier query parameter is required");
        return std::nullopt;
    }
    std::string identifier = request.get_param_value("identifier");
    bool valid = identifier.size() >= 4 && identifier.size() <= 128;
    for (const char c : identifier) {
        valid = valid && (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                          kIdentifierPunctuation.find(c) != std::string_view::npos);
    }
    if (!valid) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   "the identifier must be 4 to 128 characters: letters, digits and "
                   "_|}{[]:\";'<>?/.,@#$%^&*()-+=!~`");
        return std::nullopt;
    }
    return identifier;
}

/// Hands `call` to the first route that matches it, or answers 404.
void dispatch(AcaEmulator& emulator, Verb verb, const std::vector<std::string>& parts, Call& call) {
    for (const auto& route : kRoutes) {
        if (route.verb != verb || !matches(route.pattern, parts, call.wildcard)) {
            continue;
        }
        if (exists_in(route, call.version)) {
            return route.handler(emulator, call);
        }
        if (route.before == Before::kNotInVersion) {
            return send_error(call.response, 404, "NotFound",
                              fmt::format("{} {} is not part of api-version {}", verb_name(verb),
                                          join(parts, 0, parts.size()), call.version.text));
        }
    }
    send_error(call.response, 404, "NotFound",
               fmt::format("no route for {} /{}", verb_name(verb), join(parts, 0, parts.size())));
}

/// False when `token` is a JWT for another audience than dynamic sessions (notes §7): a token
/// for Azure Resource Manager is a common mistake, and the service refuses it.
bool audience_accepted(std::string_view token) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) {
        return true;  // not a JWT: an opaque test token
    }
    const auto payload = base64_decode(token.substr(first + 1, second - first - 1));
    const json claims =
        payload ? json::parse(*payload, nullptr, /*allow_exceptions=*/false) : json();
    if (claims.is_discarded() || !claims.is_object() || !claims.contains("aud")) {
        return true;
    }
    const auto accepted = [](const json& audience) {
        if (!audience.is_string()) {
            return false;
        }
        std::string text = audience.get<std::string>();
        while (text.ends_with('/')) {
            text.pop_back();
        }
        return text == "https://dynamicsessions.io" || text == "https://acasessions.io";
    };
    if (claims["aud"].is_array()) {
        return std::any_of(claims["aud"].begin(), claims["aud"].end(), accepted);
    }
    return accepted(claims["aud"]);
}

}  // namespace

std::string AcaEmulator::pool_path() const {
    return fmt::format("/subscriptions/{}/resourceGroups/{}/sessionPools/{}",
                       settings_.subscription, settings_.resource_group, settings_.pool);
}

bool AcaEmulator::authenticate(const httplib::Request& request, httplib::Response& response) const {
    const std::string header = request.get_header_value("Authorization");
    std::string_view token;
    if (header.size() > 7 && iequals(std::string_view(header).substr(0, 7), "Bearer ")) {
        token = std::string_view(header).substr(7);
        while (!token.empty() && token.front() == ' ') {
            token.remove_prefix(1);
        }
    }
    if (token.empty()) {
        response.set_header("WWW-Authenticate", "Bearer");
        send_error(response, 401, "Unauthorized",
                   "an Authorization header with a Bearer token for https://dynamicsessions.io "
                   "is required");
        return false;
    }
    if ((settings_.token && token != *settings_.token) || !audience_accepted(token)) {
        response.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        send_error(response, 401, "InvalidAuthenticationToken",
                   "the access token is invalid or not for https://dynamicsessions.io");
        return false;
    }
    if (settings_.forbid) {
        send_error(response, 403, "PermissionDenied",
                   "the caller needs the Azure ContainerApps Session Executor role on the pool");
        return false;
    }
    return true;
}

void AcaEmulator::serve(Verb verb, const httplib::Request& request, httplib::Response& response) {
    const auto received = SteadyClock::now();
    const auto parts = pool_segments(request, response, pool_path());
    if (!parts || !authenticate(request, response)) {
        return;
    }
    const KnownVersion* version = api_version(request, response);
    if (version == nullptr) {
        return;
    }
    std::optional<std::string> identifier = "";
    if (!pool_wide(*parts)) {
        identifier = identifier_of(request, response);
    }
    if (!identifier) {
        return;
    }
    std::string problem;
    auto directory = relative_directory(request.get_param_value("path"), problem);
    if (!directory) {
        return send_error(response, 400, "SessionRequestValidationFailed", problem);
    }
    Call call{
        request,        response, received, *version, std::move(*identifier), std::move(*directory),
        /*wildcard=*/{}};
    dispatch(*this, verb, *parts, call);
}

}  // namespace sandbench::emulators::aca
