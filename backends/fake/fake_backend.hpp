// SPDX-License-Identifier: Apache-2.0
//
// The fake backend: deterministic, instant, and scriptable, for testing the runner, the
// statistics pipeline and the CLI without Python. Instead of Python it runs a line-based
// directive language, one directive per line:
//
//   sleep 5                      wait 5 ms (wall time the runner measures)
//   print some text              append "some text\n" to stdout (eprint: to stderr)
//   result {"a": 1}              set the trailing-expression value (JSON)
//   set name 42 / get name       keep state in the session / return it as the result
//   raise ValueError: bad        fail as user code would (Status::kUserError)
//   fail timeout some message    return that status (any name from to_string(Status))
//   image png                    return a one-pixel PNG image
//   # comment                    ignored
//
// Freshness probes (code whose first line is "# sandbench: freshness probe") return true the
// first time a marker is seen; with `leak_state = true` the marker is shared by every session of
// the backend, which simulates a provider that hands out used sandboxes as "new".
//
// Settings: create_ms, close_ms (delays), fail_create_every (N: every Nth create fails),
// fail_first_uploads (N: the backend's first N uploads fail), leak_state, emulated (label
// results as emulated, for report tests).
#pragma once

#include <memory>

#include "sandbench/backends/backend.hpp"
#include "sandbench/backends/registry.hpp"

namespace sandbench::backends::fake {

/// Builds a fake backend. Throws ConfigError for bad settings.
[[nodiscard]] std::unique_ptr<Backend> make_fake_backend(const BackendSpec& spec);

/// First line of the runner's freshness probe, recognised by the fake backend.
inline constexpr std::string_view kFreshnessProbeMarker = "# sandbench: freshness probe";

}  // namespace sandbench::backends::fake
