// SPDX-License-Identifier: Apache-2.0
//
// What the integration tests share: running the real sandbench binary as a user would (stdout,
// stderr and exit code captured) and a scratch directory removed at the end of a test.
#pragma once

#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>

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

/// A scratch directory under the system temp dir, removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device random;
        path =
            std::filesystem::temp_directory_path() / ("sandbench-test-" + std::to_string(random()));
        std::filesystem::create_directories(path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace sandbench_test
