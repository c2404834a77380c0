// SPDX-License-Identifier: Apache-2.0
//
// What the integration tests share: running the real sandbench binary as a user would (stdout,
// stderr and exit code captured) and a scratch directory removed at the end of a test.
#pragma once

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>

#include "support/temp_dir.hpp"

namespace sandbench_test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(std::istream& in) {
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Runs SANDBENCH_BINARY with `args`, stdin closed, and waits for it.
inline CliResult run_sandbench(const std::vector<std::string>& args) {
    namespace bp = boost::process;
    bp::ipstream out;
    bp::ipstream err;
    bp::child child(SANDBENCH_BINARY, bp::args(args), bp::std_out > out, bp::std_err > err,
                    bp::std_in < bp::null);
    CliResult result;
    // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
    std::thread err_reader([&] { result.err = slurp(err); });
    result.out = slurp(out);
    err_reader.join();
    child.wait();
    result.exit_code = child.exit_code();
    return result;
}

}  // namespace sandbench_test
