// SPDX-License-Identifier: Apache-2.0
//
// The E2B emulator: one loopback HTTP port that serves what the official E2B SDKs
// (`e2b`, `@e2b/code-interpreter`) and sandbench's E2B backend need, running the code for real in
// the local backend's kernels (bwrap-isolated by default):
//
//   control plane      POST /sandboxes and /v2/sandboxes (201), GET/DELETE /sandboxes/{id},
//                      POST /sandboxes/{id}/timeout, /refreshes, /connect (and /v2/.../connect),
//                      GET /sandboxes and /v2/sandboxes (metadata filter), GET /health; X-API-Key
//                      required; errors as {"code", "message"}
//   envd (49983)       GET /health, /envs, GET/POST /files (multipart or octet-stream), Connect
//                      JSON filesystem.Filesystem/{ListDir,Stat,MakeDir,Remove}; X-Access-Token
//   interpreter (49999) POST /execute (NDJSON, one line flushed per event, keepalives),
//                      /contexts create, list, restart, delete, GET /health
//
// Sandbox traffic is told apart from control-plane traffic the way E2B's proxy does: by the
// E2b-Sandbox-Id and E2b-Sandbox-Port headers (the SDKs send them whenever E2B_SANDBOX_URL
// is set), or by a Host of the form <port>-<sandboxID>.<domain>. An unknown or killed sandbox is
// answered 502 {"sandboxId", "message": "The sandbox was not found", "code": 502}, a port with
// nothing behind it 502 "The sandbox is running but port is not open". Sandboxes end at their
// timeout (a reaper thread kills them), as on E2B. Every response carries
// X-Sandbench-Emulated: true.
//
// EmulatorOptions::settings (validated; unknown keys are errors):
//   api_key             the only X-API-Key accepted; default: any non-empty key
//   default_timeout_s   lifetime of a v2 create without `timeout` (default 300; v1: 15, as E2B)
//   max_timeout_s       longest lifetime accepted (default 3600, the Hobby plan's hour)
//   max_sandboxes       concurrent sandboxes before 429 (default 20, the Hobby plan's)
//   keepalive_ms        keepalive period of an execution stream (default 5000, as E2B)
//   reaper_interval_ms  how often expired sandboxes are looked for (default 250)
//   stream_faults       E2B-specific corruptions of /execute streams, a list (or a string of
//                       ';'-separated items) of KIND[@RATE][#N,...]: truncated_line,
//                       unknown_line_type, missing_end, disconnect (see wire.hpp)
// The latency profile's allocation delay is added to every create; fault rules (faults.hpp) apply
// to every request, sandbox traffic included.
#pragma once

#include <memory>

#include "sandbench/emulators/emulator.hpp"

namespace sandbench::emulators {

/// The X-API-Key the emulator's environment() offers when no api_key is set: the SDKs' key shape
/// (e2b_ and 40 hex digits), so that a client that validates keys accepts it.
inline constexpr const char* kE2bEmulatorApiKey = "e2b_73616e6462656e636820656d756c61746f720000";

/// Starts the emulator on options.host:options.port (0: a free port). Throws ConfigError for bad
/// settings, BackendUnavailable when the local kernels cannot start, IoError when the port cannot
/// be bound. environment() lists E2B_API_URL, E2B_SANDBOX_URL (both the emulator's base URL) and
/// E2B_API_KEY; backend_settings() gives api_url, sandbox_url and "emulated": true.
[[nodiscard]] std::unique_ptr<Emulator> start_e2b_emulator(const EmulatorOptions& options);

}  // namespace sandbench::emulators
