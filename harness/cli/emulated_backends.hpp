// SPDX-License-Identifier: Apache-2.0
//
// Which cloud backends run against their emulators. A backend of type "aca" or "e2b" that is not
// configured to reach the real service (no endpoint in its settings or the environment, no API
// key) is pointed at an emulator that this process starts on a free loopback port, and its
// results are labelled emulated. The `emulator` setting overrides the choice: "auto" (default),
// "always", or "never" (then an unconfigured backend fails with the backend's own message).
#pragma once

#include <memory>
#include <vector>

#include "sandbench/backends/registry.hpp"
#include "sandbench/emulators/emulator.hpp"

namespace sandbench::cli {

/// Starts the emulators `specs` need and rewrites those specs to target them. The emulators must
/// outlive every backend created from the rewritten specs. Throws UsageError for a bad
/// `emulator` setting.
[[nodiscard]] std::vector<std::unique_ptr<emulators::Emulator>> start_emulators_for(
    std::vector<backends::BackendSpec>& specs);

}  // namespace sandbench::cli
