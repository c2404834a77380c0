// SPDX-License-Identifier: Apache-2.0
//
// The Azure Container Apps dynamic sessions backend: each Session is one session identifier of
// a code-interpreter session pool, reached over HTTPS with an Entra token (backends/auth). The
// wire protocol is in aca_protocol.hpp and /work/shared/protocols/aca.md.
//
// Cold and reused. The service has no "create session" call: the first request that carries a
// new identifier allocates a session from the pool's pre-warmed ones, and later requests with
// the same identifier reuse it (kernel state and /mnt/data). So create_session() makes no
// request (Capabilities::explicit_create is false): it generates a new identifier (a UUID, as
// every public client does), and the allocation is part of the session's first request, which
// Outcome::extra marks with "first_request": true. A cold session is a new identifier; a reused
// session is the same identifier again. close() deletes the session (DELETE /session) where the
// API version has that call (2025-02-02-preview and later); with the legacy API the session is
// left to expire after the pool's cooldown, and the close outcome says so in
// extra["close"] = "expire_by_cooldown". A session is also recycled by the service when an
// execution hits its time limit (Status::kTimeout; alive() turns false).
//
// Each Session owns one http::HttpClient, so a reused session keeps its connection. Samples get
// the HTTP breakdown (http::fill_outcome), the time the service reported
// (executionTimeInMilliseconds as backend_time) and the service's X-Ms-* timing headers in
// extra["x_ms"].
//
// Config keys, all optional:
//   endpoint                  the pool management endpoint; else the environment:
//                             ACA_POOL_MANAGEMENT_ENDPOINT, then the names public tools read:
//                             AZURE_CONTAINER_APP_SESSION_POOL_MANAGEMENT_ENDPOINT (Semantic
//                             Kernel, LlamaIndex), AZURE_POOL_MANAGEMENT_ENDPOINT
//                             (@llamaindex/azure), POOL_MANAGEMENT_ENDPOINT (LangChain and
//                             Azure samples)
//   api_version               default "2024-02-02-preview" (the legacy API public clients use);
//                             any YYYY-MM-DD[-preview]: from 2024-10-02 the new API
//   auth                      token source: "default" (DefaultAzureCredential's order), "static",
//                             "client-secret", "managed-identity", "azure-cli"
//   token_env                 the variable holding a static token (default ACA_ACCESS_TOKEN)
//   tenant_id, client_id, authority_host, az_path, az_timeout_s, imds_endpoint
//                             passed to the token sources (backends/auth/token_source.hpp)
//   identifier_prefix         text put before each generated identifier (default none)
//   close                     "auto" (delete where the API version can), "delete" (always; with
//                             the legacy API through 2025-10-02-preview, as LangChain does),
//                             "expire" (never delete: let the cooldown expire the session)
//   retries                   retries of a failed request (default 0: a retry would hide the
//                             failure a benchmark counts); 429/503 honour Retry-After
//   connect_timeout_ms        default 10000
//   request_timeout_ms        limit of uploads, downloads, listings and deletes (default 60000)
//   execution_grace_ms        how much longer than the execution's own limit the client waits
//                             for its answer (default 10000)
//   output_streams_max_length new API: outputStreamsMaxLength asked for (default 8388608, the
//                             local backend's cap; the service's default is 4096, and its
//                             maximum is not documented)
//   proxy                     proxy URL; "" for none (default: the environment's)
//   ca_file                   PEM file of CAs to trust instead of the system store
//   emulated                  label results as emulated (the harness sets it for the emulator)
// A `token` key is refused: secrets come from the environment, never from a config file.
//
// make_aca_backend() fetches one token, so that missing credentials are one clear
// BackendUnavailable before anything is measured; the token is never logged or recorded.
#pragma once

#include <array>
#include <memory>
#include <string_view>

#include "sandbench/backends/backend.hpp"
#include "sandbench/backends/registry.hpp"

namespace sandbench::backends::aca {

/// Builds an ACA backend from its spec. Throws ConfigError for a bad setting and
/// BackendUnavailable when no endpoint is configured or no token can be had.
[[nodiscard]] std::unique_ptr<Backend> make_aca_backend(const BackendSpec& spec);

/// Environment variables the pool management endpoint is read from, in order, when the
/// `endpoint` setting is absent: sandbench's own, then the names public ACA tools read.
inline constexpr std::array<std::string_view, 4> kEndpointVariables = {
    "ACA_POOL_MANAGEMENT_ENDPOINT",
    "AZURE_CONTAINER_APP_SESSION_POOL_MANAGEMENT_ENDPOINT",
    "AZURE_POOL_MANAGEMENT_ENDPOINT",  // @llamaindex/azure
    "POOL_MANAGEMENT_ENDPOINT",
};

}  // namespace sandbench::backends::aca
