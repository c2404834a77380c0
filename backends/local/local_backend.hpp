// SPDX-License-Identifier: Apache-2.0
//
// The local backend: each session is one persistent Python kernel in a subprocess of this
// machine, optionally inside a bubblewrap sandbox. It is the baseline the remote sandboxes are
// compared with, so its own overhead is kept close to the floors measured by
// bench/local_backend_bench.cpp (starting a bare interpreter; a bare pipe round trip).
//
// Config keys, all optional:
//   python              interpreter; default /usr/bin/python3 if present (Debian's numpy, pandas
//                       and matplotlib are importable only there), else python3 on PATH
//   isolation           "none" (plain subprocess) or "bwrap": no network, read-only system, private
//                       /tmp, an unprivileged uid in a user namespace, and the limits below
//   output_limit_bytes  cap per stream per execution (default 8 MiB); the rest is dropped and a
//                       marker appended; also caps the trailing expression's value
//   startup_timeout_ms  how long create_session waits for the kernel (default 10000)
//   memory_limit_mb     RLIMIT_AS under bwrap (default 2048)
//   max_processes       RLIMIT_NPROC under bwrap (default 256)
//   max_file_size_mb    RLIMIT_FSIZE under bwrap (default 1024)
//   data_root           where per-session data directories are made (default
//                       <temp>/sandbench-<uid>)
//   keep_data           keep each session's data directory after close (default false)
//
// A session's data directory is the kernel's working directory (bound at /mnt/data under bwrap,
// as on Azure Container Apps sessions); upload/download/list_files act on its top-level regular
// files. SessionStart::extra carries "pid", "data_dir" and "python" (the version).
#pragma once

#include <memory>

#include "sandbench/backends/backend.hpp"
#include "sandbench/backends/registry.hpp"

namespace sandbench::backends::local {

/// Builds a local backend from its spec. Starts (and closes) one kernel to check the set-up.
/// Throws ConfigError for a bad setting, BackendUnavailable when the interpreter or bwrap is
/// missing or the kernel cannot start.
[[nodiscard]] std::unique_ptr<Backend> make_local_backend(const BackendSpec& spec);

}  // namespace sandbench::backends::local
