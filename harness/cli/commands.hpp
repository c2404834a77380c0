// SPDX-License-Identifier: Apache-2.0
//
// The sandbench command line: `run`, `list`, `exec`. main() only calls run_cli(); this is the one
// place where set-up errors (sandbench::Error) are caught and turned into one line and an exit
// code: 0 success, 1 runtime failure, 2 usage error, 130 interrupted.
#pragma once

namespace sandbench::cli {

[[nodiscard]] int run_cli(int argc, char** argv);

}  // namespace sandbench::cli
