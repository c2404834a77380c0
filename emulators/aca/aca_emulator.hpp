// SPDX-License-Identifier: Apache-2.0
//
// The Azure Container Apps dynamic sessions emulator: a loopback HTTP server that serves a
// code-interpreter session pool's data plane, both API generations, under the same path shape as
// the real pool management endpoint
// (http://127.0.0.1:<port>/subscriptions/<sub>/resourceGroups/<rg>/sessionPools/<pool>/), and
// runs the code for real in the local backend's Python kernels (bwrap by default: the service
// disables egress by default). Its protocol follows /work/shared/protocols/aca.md ("notes §N")
// and is held to unchanged public clients by tests/conformance/aca/.
//
// Behaviour:
//   - Every request needs `api-version` (400 MissingApiVersionParameter; an unknown version is
//     400 UnsupportedApiVersion) and, except /listSessions and /metadata, `identifier`
//     (400 SessionRequestValidationFailed when missing or outside the 4-128 character pattern).
//     Errors use the Azure-Core envelope {"error":{"code","message"}} plus x-ms-error-code.
//   - `Authorization: Bearer <token>` is required (401 with WWW-Authenticate otherwise). Any
//     non-empty token is accepted unless settings.token is set, then only that one; a JWT whose
//     `aud` is neither https://dynamicsessions.io nor https://acasessions.io is refused.
//     settings.forbid = true answers 403 (a caller without the Session Executor role).
//   - Legacy API (2024-02-02-preview, 2024-08-02-preview; the routes are also served under the
//     newer versions): POST code/execute, POST files/upload (multipart part `file`), GET files,
//     GET files/content/{name}, GET and DELETE files/{name}; responses wrapped in "properties"
//     with $id fields; status Success or Failure.
//   - Pre-2024 routes some clients still call (@llamaindex/azure 0.2, old Semantic Kernel):
//     POST python/execute (body properties.pythonCode or .code; flat response), POST
//     python/uploadFile, GET python/files ({"$values": [...]}), GET python/downloadFile?filename=.
//   - New API (2024-10-02-preview and later): POST executions (202 for 2024-10-02/2025-02-02,
//     200 from 2025-10-02; operation-id and Operation-Location headers; Asynchronous executions
//     run in the background and are polled with GET executions/{id}), POST files, GET files
//     (?path=, &recursive=true), GET/DELETE files/{name}, GET files/{name}/content; from
//     2025-02-02-preview GET/DELETE session (204), GET listSessions (?skip=), GET metadata.
//   - Request variants accepted: bodies wrapped in "properties" or flat, enums in any case,
//     timeoutInSeconds optional, codeInputType InlineBase64, trailing and repeated slashes,
//     "/mnt/data/" or "mnt/data/" before file names, directories in file names ("a/b.txt").
//   - Sessions are keyed by identifier and allocated on first use (after the latency profile's
//     allocation delay); state persists between calls; files live in the session's data
//     directory, which the kernel sees as /mnt/data. settings.cooldown_s (default 300) of
//     inactivity expires a session (a reaper destroys its kernel and files); more than
//     settings.max_sessions (default 600) live sessions is 404 SessionPoolFull. An execution
//     that exceeds min(timeoutInSeconds, settings.max_execution_s = 220) is stopped: status
//     Failure/Failed with "Timeout: ..." as the last line of stderr (new API: error code
//     Timeout), and the session is recycled; a kernel that dies is a 500 and also recycles the
//     session. Uploads above settings.max_upload_bytes (128 MiB) are 413.
//   - Results: the trailing expression's JSON value ("" for none), a displayed figure as
//     {"type":"image","format":"png","base64_data"}; a Python exception is status Failure
//     (legacy) / Failed (new, plus the undocumented rawResult the service adds) with the
//     traceback in stderr. The new API cuts stdout and stderr at outputStreamsMaxLength
//     characters (default settings.output_streams_max_length = 4096); the legacy API does not.
//   - Execution responses carry X-Ms-Allocation-Time, X-Ms-Preparation-Time,
//     X-Ms-Execution-Request-Time, X-Ms-Execution-Read-Response-Time,
//     X-Ms-Total-Execution-Service-Time (milliseconds), X-Ms-Container-Execution-Duration
//     (whole milliseconds), X-Ms-Overall-Execution-Time (a Go duration) and X-Ms-Session-Guid;
//     every response carries X-Sandbench-Emulated: true.
//   - The shared latency profile and fault injection (faults.hpp) run before routing, so a
//     fault can hit any request, authenticated or not.
//   - Connections are kept alive (60 s idle, no request limit) on a pool of settings.threads
//     workers, so a client's reused session keeps its connection as it would on the service.
//     stop() lets executions in flight finish (each is bounded by its time limit), then closes
//     every session's kernel.
//
// Settings (EmulatorOptions::settings; unknown keys are errors): token, forbid, cooldown_s,
// max_sessions, max_upload_bytes, max_execution_s, output_streams_max_length, subscription,
// resource_group, pool, threads (HTTP worker threads, default 64).
//
// Reaching it from sandbench: backend_settings() is {"endpoint", "emulated": true,
// "auth": "static", "token_env": "SANDBENCH_ACA_EMULATOR_TOKEN", "proxy": ""}; the backend
// reads its token from that variable. start_aca_emulator() sets the variable (when it is not
// already set) to the token the emulator accepts, so a backend in the same process needs
// nothing else; environment() lists it with ACA_POOL_MANAGEMENT_ENDPOINT for other processes.
#pragma once

#include <memory>
#include <string_view>

#include "sandbench/emulators/emulator.hpp"

namespace sandbench::emulators {

/// The variable the backend settings name for the emulator's bearer token.
inline constexpr std::string_view kAcaEmulatorTokenVariable = "SANDBENCH_ACA_EMULATOR_TOKEN";

/// Starts an ACA emulator serving on options.host:options.port (0: a free port) until it is
/// stopped or destroyed. Throws UsageError/ConfigError for bad options or settings,
/// BackendUnavailable when the kernels cannot start (no bwrap, say), and IoError when the port
/// cannot be bound.
[[nodiscard]] std::unique_ptr<Emulator> start_aca_emulator(const EmulatorOptions& options);

}  // namespace sandbench::emulators
