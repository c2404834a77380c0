// SPDX-License-Identifier: Apache-2.0
//
// Secret redaction. API keys and tokens must never reach logs, results or error messages; every
// message that may carry one passes through redact() before it leaves the process.
#pragma once

#include <string>
#include <string_view>

namespace sandbench {

/// Registers a secret value so that redact() hides it. Thread-safe; empty values are ignored.
void register_secret(std::string_view secret);

/// Returns `text` with every registered secret, and anything that looks like a bearer token or
/// an `api_key=`/`token=` parameter, replaced by `***`.
[[nodiscard]] std::string redact(std::string_view text);

}  // namespace sandbench
