// SPDX-License-Identifier: Apache-2.0
//
// Micro-benchmarks of the local backend against the floors it is judged by (the targets):
//   BM_ReusedExecutePass  execute("pass") on one warm session, at most 1.5x BM_PipeRoundTripFloor
//                         (one line echoed by a persistent interpreter over a pipe, through bare
//                         os.read/os.write: the cheapest round trip Python can do);
//   BM_PipeCompileExecFloor  the same loop compiling and running each line: the floor of any
//                         kernel that executes code (informational);
//   BM_ColdSession        create_session + execute("pass") + close, at most 1.3x
//                         BM_InterpreterStartFloor (spawn `python3 -c pass` and wait). Both sides
//                         start an interpreter, run `pass` and reap it, so they compare like with
//                         like; the session also makes and removes its data directory.
// Every floor uses the backend's own interpreter (/usr/bin/python3 by default). The bwrap
// variant is informational; it is skipped where bubblewrap cannot run.
// Run: sandbench_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/posix.hpp>

#include "local/local_backend.hpp"
#include "sandbench/backends/backend.hpp"
#include "sandbench/common/error.hpp"

namespace {

namespace bp = boost::process;
using sandbench::backends::Backend;
using sandbench::backends::Milliseconds;

const Milliseconds kTimeout{30'000};

/// A local backend, or nullptr when it cannot start (bwrap missing, for example).
std::unique_ptr<Backend> make_backend(bool bwrap) {
    nlohmann::json config = nlohmann::json::object();
    if (bwrap) {
        config["isolation"] = "bwrap";
    }
    try {
        return sandbench::backends::local::make_local_backend({"bench", "local", config});
    } catch (const sandbench::Error&) {
        return nullptr;
    }
}

/// The backend, built once: its factory starts a probe kernel, which is not what is measured.
Backend* local_backend(bool bwrap) {
    static const std::unique_ptr<Backend> kPlain = make_backend(false);
    static const std::unique_ptr<Backend> kSandboxed = make_backend(true);
    return bwrap ? kSandboxed.get() : kPlain.get();
}

std::string interpreter() {
    return local_backend(false)->info().config.at("python").get<std::string>();
}

/// A pipe whose ends close themselves.
struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() {
        std::array<int, 2> fds{};
        if (::pipe2(fds.data(), O_CLOEXEC) == 0) {
            read = fds[0];
            write = fds[1];
        }
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    Pipe(Pipe&&) = delete;
    Pipe& operator=(Pipe&&) = delete;
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read >= 0) {
            ::close(std::exchange(read, -1));
        }
    }
    void close_write() {
        if (write >= 0) {
            ::close(std::exchange(write, -1));
        }
    }
};

void BM_ReusedExecutePass(benchmark::State& state) {
    Backend* backend = local_backend(state.range(0) != 0);
    if (backend == nullptr) {
        state.SkipWithError("backend unavailable");
        return;
    }
    auto start = backend->create_session();
    if (!start.ok()) {
        state.SkipWithError(start.message.c_str());
        return;
    }
    auto& session = *start.session;
    // The first execution belongs to the cold start (it warms the compiler's caches).
    benchmark::DoNotOptimize(session.execute("pass", kTimeout));
    for ([[maybe_unused]] auto _ : state) {
        auto execution = session.execute("pass", kTimeout);
        if (!execution.ok()) {
            state.SkipWithError(execution.message.c_str());
            break;
        }
        benchmark::DoNotOptimize(execution);
    }
    session.close();
}
BENCHMARK(BM_ReusedExecutePass)
    ->ArgName("bwrap")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

/// Round trips of "pass\n" to a persistent interpreter running `loop` on fds 0 and 1, which
/// must answer each line with exactly one line.
void pipe_round_trips(benchmark::State& state, const std::string& loop) {
    Pipe to_child;
    Pipe from_child;
    bp::child child(bp::exe = interpreter(), bp::args = {"-I", "-c", loop},
                    bp::posix::fd.bind(0, to_child.read), bp::posix::fd.bind(1, from_child.write));
    to_child.close_read();
    from_child.close_write();
    static constexpr std::string_view kLine = "pass\n";
    std::array<char, 64> reply{};
    for ([[maybe_unused]] auto _ : state) {
        if (::write(to_child.write, kLine.data(), kLine.size()) !=
            static_cast<ssize_t>(kLine.size())) {
            state.SkipWithError("write failed");
            break;
        }
        std::size_t got = 0;
        while (got == 0 || reply[got - 1] != '\n') {
            const ssize_t n = ::read(from_child.read, reply.data() + got, reply.size() - got);
            if (n <= 0) {
                state.SkipWithError("read failed");
                break;
            }
            got += static_cast<std::size_t>(n);
        }
    }
    to_child.close_write();
    child.wait();
}

void BM_PipeRoundTripFloor(benchmark::State& state) {
    pipe_round_trips(state,
                     "import os\n"
                     "while True:\n"
                     "    data = os.read(0, 65536)\n"
                     "    if not data:\n"
                     "        break\n"
                     "    os.write(1, data)\n");
}
BENCHMARK(BM_PipeRoundTripFloor)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Not one of the floors: the same loop, but compiling and running each line as a cell,
// which any kernel that executes code must do. The distance from here to BM_ReusedExecutePass
// is what the kernel protocol itself costs (framing, JSON, capture, bookkeeping).
void BM_PipeCompileExecFloor(benchmark::State& state) {
    pipe_round_trips(state,
                     "import os\n"
                     "namespace = {}\n"
                     "while True:\n"
                     "    data = os.read(0, 65536)\n"
                     "    if not data:\n"
                     "        break\n"
                     "    exec(compile(data, '<cell>', 'exec', 0, True), namespace)\n"
                     "    os.write(1, b'ok\\n')\n");
}
BENCHMARK(BM_PipeCompileExecFloor)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_ColdSession(benchmark::State& state) {
    Backend* backend = local_backend(state.range(0) != 0);
    if (backend == nullptr) {
        state.SkipWithError("backend unavailable");
        return;
    }
    for ([[maybe_unused]] auto _ : state) {
        auto start = backend->create_session();
        if (!start.ok()) {
            state.SkipWithError(start.message.c_str());
            break;
        }
        const auto execution = start.session->execute("pass", kTimeout);
        if (!execution.ok()) {
            state.SkipWithError(execution.message.c_str());
            break;
        }
        if (!start.session->close().ok()) {
            state.SkipWithError("close failed");
            break;
        }
    }
}
BENCHMARK(BM_ColdSession)
    ->ArgName("bwrap")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_InterpreterStartFloor(benchmark::State& state) {
    const std::string python = interpreter();
    for ([[maybe_unused]] auto _ : state) {
        bp::child child(bp::exe = python, bp::args = {"-c", "pass"});
        child.wait();
        if (child.exit_code() != 0) {
            state.SkipWithError("python3 -c pass failed");
            break;
        }
    }
}
BENCHMARK(BM_InterpreterStartFloor)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
