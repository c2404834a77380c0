// SPDX-License-Identifier: Apache-2.0
//
// The three error tiers of sandbench (docs/architecture.md, "Errors"):
//   1. broken invariants abort through SANDBENCH_CHECK (check.hpp);
//   2. set-up errors (bad flags, config, workloads, unwritable output) are thrown as one of the
//      classes below, caught only in main(), and printed as one line that says what to do;
//   3. expected failures while measuring are values (backends::Outcome), never exceptions.
#pragma once

#include <stdexcept>
#include <string>

namespace sandbench {

/// Base of every set-up error. `what()` is a complete one-line message for the user.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    /// Process exit code main() uses for this error: 2 for usage errors, 1 otherwise.
    [[nodiscard]] virtual int exit_code() const noexcept { return 1; }
};

/// The user asked for something malformed or unknown: flags, config, backend or workload names,
/// workload files. Exit code 2.
class UsageError : public Error {
public:
    using Error::Error;
    [[nodiscard]] int exit_code() const noexcept override { return 2; }
};

/// A configuration file or backend setting is malformed or missing. Exit code 2.
class ConfigError : public UsageError {
public:
    using UsageError::UsageError;
};

/// A workload notebook cannot be parsed. Exit code 2.
class WorkloadError : public UsageError {
public:
    using UsageError::UsageError;
};

/// Reading or writing a file failed (for example an unwritable --out directory). Exit code 2,
/// because the fix is always a different path or permission the user chooses.
class IoError : public UsageError {
public:
    using UsageError::UsageError;
};

/// A backend cannot be used at all (missing interpreter, missing bwrap, no credentials). Exit 1.
class BackendUnavailable : public Error {
public:
    using Error::Error;
};

}  // namespace sandbench
