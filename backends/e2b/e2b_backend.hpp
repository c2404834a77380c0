// SPDX-License-Identifier: Apache-2.0
//
// The E2B backend: each session is an E2B sandbox (a Firecracker microVM resumed from a template)
// whose Code Interpreter runs the cells, spoken to over E2B's public wire protocol with libcurl
// (no SDK): the control plane creates and kills sandboxes (X-API-Key), the Code Interpreter on
// port 49999 executes code and streams newline-delimited JSON (parsed as it arrives,
// execution_stream.hpp), and envd on port 49983 moves files (GET/POST /files) and lists them
// (Connect-RPC filesystem.Filesystem/ListDir, JSON codec). URLs follow the SDKs' rules and
// environment variables (endpoints.hpp), so E2B_API_URL / E2B_SANDBOX_URL point sandbench at a
// self-hosted E2B or at sandbench's own emulator (emulators/e2b) without code changes.
//
// Phases. create_session() is the control-plane call POST /v2/sandboxes (the path the current JS
// SDK uses): explicit_create, cold = a new sandbox, reused = the same sandbox. close() kills it
// (DELETE /sandboxes/{id}); a session that is destroyed unclosed kills it too, and a kill that
// fails is retried a few times outside the configured policy, because a sandbox left alive costs
// money until its timeout. A create whose answer is lost (a time-out, a dropped connection) may
// still have made a sandbox: the backend tags every sandbox with a random metadata value and kills
// whatever carries it. A reused sandbox whose lifetime nears its end is extended
// (POST /sandboxes/{id}/timeout) before the next call.
//
// Every outcome carries the HTTP breakdown of its call (transport timing, http_* extras, see
// http/outcome.hpp); executions add http_first_body_byte_ms (first streamed byte),
// e2b_first_event_ms (first non-keepalive line), e2b_execution_count and the line counts.
//
// Secrets. The API key comes only from the environment variable E2B_API_KEY (an `api_key` setting
// is refused, so that it never lands in a config file or in results); it and every sandbox's
// envd access token are registered with sandbench::redact() and never logged.
//
// Config keys, all optional:
//   template            template ID or alias; default "code-interpreter-v1" (the SDK's default)
//   sandbox_timeout_s   sandbox lifetime asked for at creation (default 300, as the SDKs; 1..86400)
//   metadata            object of strings attached to every sandbox
//   env_vars            object of strings: environment of the sandbox's processes
//   api_url             control plane; default E2B_API_URL, else https://api.<domain>
//   sandbox_url         every sandbox port; default E2B_SANDBOX_URL, else per-host URLs
//   domain              default E2B_DOMAIN, else e2b.app
//   session_scope       "sandbox" (default): each session is a new sandbox. "context": the backend
//                       keeps one sandbox and each session is a new Code Interpreter context in it
//                       (a fresh kernel without a fresh sandbox, with a working directory of its
//                       own); the shared sandbox is killed when the backend is destroyed
//   retries             extra attempts for requests that failed without doing work (0 = off, the
//                       default: a retry hides the failure a benchmark exists to count)
//   request_timeout_ms  limit of each control-plane and file request (default 60000, the SDK's)
//   connect_timeout_ms  limit of connection set-up (default 10000)
//   output_limit_bytes  cap per stream per execution (default 64 MiB; E2B itself has none)
//   proxy               HTTP proxy URL, "" for none; default from the environment, but never for
//                       a loopback host (an emulator)
//   ca_file             PEM file of CAs to trust (a self-hosted E2B with a private CA)
//   emulated            set by the harness when the URLs point at sandbench's emulator; marks
//                       every result as emulated
//
// After a timed-out execution, the sandbox lives: the Code Interpreter interrupts the kernel when
// the client disconnects. With session_scope "context", the backend also restarts its context
// (POST /contexts/{id}/restart) so that the next call finds an idle kernel.
#pragma once

#include <memory>

#include "sandbench/backends/backend.hpp"
#include "sandbench/backends/registry.hpp"

namespace sandbench::backends::e2b {

/// Builds an E2B backend from its spec. Makes no request. Throws ConfigError for a bad setting
/// (including `api_key`) and BackendUnavailable when E2B_API_KEY is not set.
[[nodiscard]] std::unique_ptr<Backend> make_e2b_backend(const BackendSpec& spec);

}  // namespace sandbench::backends::e2b
