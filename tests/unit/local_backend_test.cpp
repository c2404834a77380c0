// SPDX-License-Identifier: Apache-2.0
// The local backend against a real interpreter: notebook semantics, output capture, cells that
// attack the protocol (fake frames, closed fds, killed kernels), timeouts that must kill the
// whole process tree, file transfer, images, concurrent sessions and, tagged [bwrap], what the
// sandbox forbids (network, writes outside /mnt/data, unbounded forking).
#include "local/local_backend.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/filesystem.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"
#include "sandbench/common/error.hpp"

using namespace sandbench::backends;
using nlohmann::json;
using sandbench::backends::local::make_local_backend;

namespace {

const Milliseconds kTimeout{60'000};

std::unique_ptr<Backend> make_backend(json config = json::object()) {
    return make_local_backend({"local-test", "local", std::move(config)});
}

/// A bwrap backend, or null (with a warning) where bubblewrap cannot run.
std::unique_ptr<Backend> make_bwrap_backend(json config = json::object()) {
    config["isolation"] = "bwrap";
    try {
        return make_local_backend({"local-bwrap-test", "local", std::move(config)});
    } catch (const sandbench::BackendUnavailable& error) {
        WARN("skipped: bwrap is unusable here: " << error.what());
        return nullptr;
    }
}

struct Opened {
    std::unique_ptr<Session> session;
    json extra;
};

Opened open_session(Backend& backend) {
    SessionStart start = backend.create_session();
    INFO(start.message);
    REQUIRE(start.ok());
    REQUIRE(start.session != nullptr);
    return {std::move(start.session), start.extra};
}

Execution run(Session& session, const std::string& code, Milliseconds timeout = kTimeout) {
    Execution execution = session.execute(code, timeout);
    INFO("code: " << code);
    INFO("message: " << execution.message);
    INFO("stderr: " << execution.stderr_text);
    INFO("traceback: " << execution.traceback);
    return execution;
}

/// Runs `code` and requires success; returns its value.
json value_of(Session& session, const std::string& code) {
    const Execution execution = session.execute(code, kTimeout);
    INFO("code: " << code << "\nmessage: " << execution.message << "\ntraceback: "
                  << execution.traceback << "\nstderr: " << execution.stderr_text);
    REQUIRE(execution.status == Status::kOk);
    return execution.result;
}

/// Gone, or a zombie: killed, waiting only for whoever adopted it to reap it.
bool process_gone(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

bool group_gone(pid_t group) { return ::kill(-group, 0) != 0 && errno == ESRCH; }

/// Polls `condition` for up to `limit`: processes die asynchronously after SIGKILL.
template <typename Condition>
bool eventually(Condition condition, std::chrono::seconds limit = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return true;
}

/// Processes of `uid` on the host, from /proc (zombies included: they hold a slot too).
int processes_of(uid_t uid) {
    int count = 0;
    boost::system::error_code error;
    for (boost::filesystem::directory_iterator it("/proc", error), end; !error && it != end;
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream status(it->path() / "status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("Uid:", 0) == 0) {
                std::istringstream fields(line.substr(4));
                uid_t real = 0;
                fields >> real;
                count += real == uid ? 1 : 0;
                break;
            }
        }
    }
    return count;
}

}  // namespace

TEST_CASE("local: state persists across executions", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    CHECK(session->alive());
    CHECK(value_of(*session, "x = 41") == nullptr);
    CHECK(value_of(*session, "x + 1") == 42);
    CHECK(value_of(*session, "def double(v):\n    return 2 * v\n") == nullptr);
    CHECK(value_of(*session, "double(x)") == 82);
    CHECK(value_of(*session, "import math\n") == nullptr);
    CHECK(value_of(*session, "math.floor(2.5)") == 2);
    CHECK(session->close().ok());
}

TEST_CASE("local: the trailing expression's value is returned as JSON", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session, "1 + 1") == 2);
    CHECK(value_of(*session, "{'a': [1, 2.5, None, True], 'b': 'text'}") ==
          json{{"a", {1, 2.5, nullptr, true}}, {"b", "text"}});
    CHECK(value_of(*session, "'caf\\u00e9'") == "caf\u00e9");
    CHECK(value_of(*session, "y = 5\ny * 2") == 10);  // statements, then an expression
    CHECK(value_of(*session, "a = 1; a + 2") == 3);   // one line, two statements
    CHECK(value_of(*session, "for i in range(3):\n    i\n") == nullptr);  // nested: no value
    CHECK(value_of(*session, "z = 3") == nullptr);
    CHECK(value_of(*session, "pass") == nullptr);
    CHECK(value_of(*session, "print('hi')") == nullptr);
    CHECK(value_of(*session, "  7") == 7);  // a leading indent is forgiven, as in Jupyter
    const json opaque = value_of(*session, "object()");
    REQUIRE(opaque.is_string());
    CHECK(opaque.get<std::string>().rfind("<object object at", 0) == 0);
    CHECK(value_of(*session, "float('nan')") == "nan");  // not JSON: its repr
    CHECK(value_of(*session, "{1, 2} if False else (1, 2)") == json{1, 2});
    CHECK(value_of(*session, "l = []\nl.append(l)\nl") == "[[...]]");  // circular: repr
}

TEST_CASE("local: an oversized value is truncated", "[unit][local]") {
    auto backend = make_backend({{"output_limit_bytes", 4096}});
    auto [session, extra] = open_session(*backend);
    const Execution execution = run(*session, "list(range(100000))");
    REQUIRE(execution.status == Status::kOk);
    REQUIRE(execution.result.is_string());
    CHECK(execution.result.get<std::string>().size() < 4200);
    CHECK(execution.output_truncated);
}

TEST_CASE("local: stdout and stderr are captured per execution, subprocesses included",
          "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    const Execution first = run(*session,
                                "import os, sys, subprocess\n"
                                "print('from print')\n"
                                "print('to stderr', file=sys.stderr)\n"
                                "os.system('echo hi')\n"
                                "os.system('echo oops 1>&2')\n"
                                "subprocess.run(['echo', 'from subprocess'])\n");
    REQUIRE(first.status == Status::kOk);
    CHECK_THAT(first.stdout_text, Catch::Contains("from print\n"));
    CHECK_THAT(first.stdout_text, Catch::Contains("hi\n"));
    CHECK_THAT(first.stdout_text, Catch::Contains("from subprocess\n"));
    CHECK_THAT(first.stderr_text, Catch::Contains("to stderr\n"));
    CHECK_THAT(first.stderr_text, Catch::Contains("oops\n"));
    CHECK_FALSE(first.output_truncated);
    CHECK(first.backend_time.has_value());
    CHECK(first.backend_time->count() >= 0.0);

    const Execution second = run(*session, "print('second')");
    CHECK(second.stdout_text == "second\n");  // nothing of the first execution
    CHECK(second.stderr_text.empty());

    const Execution binary = run(*session, "os.write(1, b'bad \\xff\\xfe utf8\\n')\n");
    REQUIRE(binary.status == Status::kOk);
    CHECK(binary.stdout_text == "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8\n");  // safe for JSON
    CHECK_NOTHROW(json(binary.stdout_text).dump());
}

TEST_CASE("local: exceptions are user errors with the user's traceback only", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session, "def inner():\n    return 1 / 0\n") == nullptr);
    const Execution execution = run(*session, "print('before')\ninner()\n");
    REQUIRE(execution.status == Status::kUserError);
    CHECK(execution.error_name == "ZeroDivisionError");
    CHECK(execution.error_value == "division by zero");
    CHECK(execution.message == "ZeroDivisionError: division by zero");
    CHECK(execution.stdout_text == "before\n");
    CHECK_THAT(execution.traceback, Catch::Contains("in inner"));
    CHECK_THAT(execution.traceback, Catch::Contains("return 1 / 0"));  // earlier cells' source
    CHECK_THAT(execution.traceback, Catch::EndsWith("ZeroDivisionError: division by zero\n"));
    CHECK_THAT(execution.traceback, !Catch::Contains("<string>"));  // no frame of the driver
    CHECK_THAT(execution.traceback, !Catch::Contains("<sandbench-kernel>"));
    CHECK_THAT(execution.traceback, !Catch::Contains("_compile"));
    CHECK(execution.result == nullptr);

    const Execution syntax = run(*session, "x = = 1");
    REQUIRE(syntax.status == Status::kUserError);
    CHECK(syntax.error_name == "SyntaxError");
    CHECK_THAT(syntax.traceback, Catch::Contains("x = = 1"));
    CHECK_THAT(syntax.traceback, !Catch::Contains("<string>"));

    const Execution custom = run(*session, "class Custom(Exception): pass\nraise Custom('why')");
    CHECK(custom.error_name == "Custom");
    CHECK(custom.error_value == "why");

    // Sources of old cells are forgotten (the kernel keeps 1000), not their functions.
    for (int i = 0; i < 1001; ++i) {
        REQUIRE(session->execute("pass", kTimeout).ok());
    }
    const Execution old = run(*session, "inner()");
    CHECK(old.error_name == "ZeroDivisionError");
    CHECK_THAT(old.traceback, Catch::Contains("in inner"));

    const Execution exit = run(*session, "import sys\nsys.exit(3)");
    CHECK(exit.status == Status::kUserError);
    CHECK(exit.error_name == "SystemExit");
    CHECK(session->alive());  // sys.exit() ends the cell, not the kernel
    CHECK(value_of(*session, "2 + 2") == 4);
}

TEST_CASE("local: hostile cells cannot corrupt the protocol", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);

    SECTION("printing bytes that look like frames") {
        const Execution execution =
            run(*session,
                "import os, sys\n"
                "fake = b'\\x00\\x00\\x00\\x1b{\"status\":\"ok\",\"result\":1}'\n"
                "sys.stdout.buffer.write(fake)\n"
                "sys.stdout.flush()\n"
                "os.write(1, fake)\n"
                "os.write(2, b'\\x00\\x00\\x00\\x02{}' * 1000)\n"
                "'real'\n");
        REQUIRE(execution.status == Status::kOk);
        CHECK(execution.result == "real");
        CHECK_THAT(execution.stdout_text, Catch::Contains(R"({"status":"ok","result":1})"));
        CHECK(value_of(*session, "6 * 7") == 42);
    }
    SECTION("closing sys.stdout, fd 1 and fd 2") {
        const Execution closing = run(*session,
                                      "import os, sys\n"
                                      "sys.stdout.close()\n"
                                      "os.close(1)\n"
                                      "os.close(2)\n");
        REQUIRE(closing.status == Status::kOk);
        const Execution after = run(*session,
                                    "import os, sys\n"
                                    "print('back')\n"
                                    "print('err back', file=sys.stderr)\n"
                                    "os.system('echo child back')\n");
        REQUIRE(after.status == Status::kOk);
        // print() is block-buffered (as in Jupyter), so the child's line may come first.
        CHECK(after.stdout_text.size() == std::string("back\nchild back\n").size());
        CHECK_THAT(after.stdout_text, Catch::Contains("back\n"));
        CHECK_THAT(after.stdout_text, Catch::Contains("child back\n"));
        CHECK(after.stderr_text == "err back\n");
    }
    SECTION("reading stdin sees end of file") {
        const Execution input = run(*session, "input()");
        CHECK(input.status == Status::kUserError);
        CHECK(input.error_name == "EOFError");
        CHECK(value_of(*session, "import sys\nsys.stdin.read()") == "");
        CHECK(session->alive());
    }
    SECTION("a forked child that returns from the cell never answers") {
        const Execution execution = run(*session,
                                        "import os\n"
                                        "pid = os.fork()\n"
                                        "if pid:\n"
                                        "    os.waitpid(pid, 0)\n"
                                        "'parent'\n");
        REQUIRE(execution.status == Status::kOk);
        CHECK(execution.result == "parent");
        CHECK(value_of(*session, "1") == 1);
    }
    SECTION("a forged reply on the protocol fd is detected") {
        const Execution execution = run(*session,
                                        "import os\n"
                                        "body = b'{\"status\":\"ok\",\"id\":999,\"time\":0}'\n"
                                        "os.write(4, len(body).to_bytes(4, 'big') + body)\n");
        CHECK(execution.status == Status::kBackendError);
        CHECK_FALSE(session->alive());
    }
    CHECK(session->close().ok());
}

TEST_CASE("local: a cell that breaks the kernel leaves a dead session and clear errors",
          "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    const auto pid = static_cast<pid_t>(std::stol(session->id()));

    SECTION("closing the protocol fds") {
        const Execution execution = run(*session, "import os\nos.close(3)\nos.close(4)\n");
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Catch::Contains("died"));
    }
    SECTION("exiting the interpreter") {
        const Execution execution = run(*session, "import os\nos._exit(3)");
        CHECK(execution.status == Status::kBackendError);
        CHECK_THAT(execution.message, Catch::Contains("exit code 3"));
    }
    SECTION("killing the kernel between executions") {
        REQUIRE(::kill(pid, SIGKILL) == 0);
        CHECK(eventually([&session = session] { return !session->alive(); }));
    }
    CHECK_FALSE(session->alive());
    const Execution later = run(*session, "1 + 1");
    CHECK(later.status == Status::kBackendError);
    const Execution again = run(*session, "1 + 1");
    CHECK(again.status == Status::kBackendError);
    CHECK_THAT(again.message, Catch::StartsWith("the session is dead: the kernel died"));
    CHECK(group_gone(pid));
    CHECK(session->close().ok());
}

TEST_CASE("local: a timeout kills the kernel's whole process group", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    const auto pid = static_cast<pid_t>(std::stol(session->id()));
    const Execution execution = run(*session,
                                    "import subprocess\n"
                                    "child = subprocess.Popen(['sleep', '600'])\n"
                                    "open('child.pid', 'w').write(str(child.pid))\n"
                                    "print('looping', flush=True)\n"
                                    "while True:\n"
                                    "    pass\n",
                                    Milliseconds{1500});
    REQUIRE(execution.status == Status::kTimeout);
    CHECK_THAT(execution.message, Catch::Contains("timeout"));
    CHECK(execution.stdout_text == "looping\n");  // what it printed before the deadline
    CHECK_FALSE(session->alive());
    CHECK(process_gone(pid));
    const Download child_pid = session->download("child.pid");
    REQUIRE(child_pid.ok());
    const auto child = static_cast<pid_t>(std::stol(child_pid.bytes));
    CHECK(eventually([&] { return process_gone(child); }));
    CHECK(eventually([&] { return group_gone(pid); }));

    const Execution later = run(*session, "1");
    CHECK(later.status == Status::kBackendError);
    CHECK_THAT(later.message, Catch::Contains("timeout"));
    CHECK(session->close().ok());
}

TEST_CASE("local: huge output is capped and the session stays usable", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    const std::size_t limit = 8 << 20;  // the default output_limit_bytes
    const Execution python =
        run(*session, "import sys\nsys.stdout.write('x' * 50_000_000)\n'done'");
    REQUIRE(python.status == Status::kOk);
    CHECK(python.result == "done");
    CHECK(python.output_truncated);
    CHECK(python.stdout_text.size() < limit + 200);
    CHECK(python.stdout_text.rfind(std::string(1000, 'x'), 0) == 0);
    CHECK_THAT(python.stdout_text, Catch::Contains("output truncated at 8388608 bytes"));
    CHECK_THAT(python.stdout_text, Catch::Contains("41611392 more bytes dropped"));

    const Execution shell = run(*session,
                                "import os\n"
                                "os.system('head -c 50000000 /dev/zero | tr \"\\\\0\" y 1>&2')\n");
    REQUIRE(shell.status == Status::kOk);
    CHECK(shell.output_truncated);
    CHECK(shell.stderr_text.size() < limit + 200);
    CHECK(shell.stdout_text.empty());

    const Execution after = run(*session, "print('small')\n3 * 3");
    CHECK(after.status == Status::kOk);
    CHECK(after.result == 9);
    CHECK(after.stdout_text == "small\n");
    CHECK_FALSE(after.output_truncated);
}

TEST_CASE("local: files round trip through the session's data directory", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    const std::string binary("\x00\x01\xff payload", 11);
    REQUIRE(session->upload("input.bin", binary).ok());
    REQUIRE(session->upload("notes.txt", "hello").ok());
    CHECK(value_of(*session, "open('notes.txt').read()") == "hello");
    CHECK(value_of(*session, "len(open('input.bin', 'rb').read())") == 11);
    CHECK(value_of(*session, "open('out.bin', 'wb').write(bytes(range(256)))") == 256);
    CHECK(value_of(*session, "import os\nos.mkdir('subdir')\nos.symlink('/etc/passwd', 'link')") ==
          nullptr);

    const Download out = session->download("out.bin");
    REQUIRE(out.ok());
    REQUIRE(out.bytes.size() == 256);
    CHECK(static_cast<unsigned char>(out.bytes[255]) == 255);
    CHECK(session->download("input.bin").bytes == binary);

    const FileListing listing = session->list_files();
    REQUIRE(listing.ok());
    std::vector<std::string> names;
    for (const auto& file : listing.files) {
        names.push_back(file.name);
    }
    CHECK(names == std::vector<std::string>{"input.bin", "notes.txt", "out.bin"});
    CHECK(listing.files[0].size == 11);
    CHECK(listing.files[2].size == 256);

    SECTION("names that leave the directory are refused") {
        for (const std::string name : {"../escape", "a/b", "..", ".", "", "/etc/passwd", "a\\b"}) {
            INFO("name: " << name);
            CHECK(session->upload(name, "x").status == Status::kBackendError);
            CHECK(session->download(name).status == Status::kBackendError);
        }
    }
    SECTION("links and directories a cell planted are not files") {
        const Download link = session->download("link");
        CHECK(link.status == Status::kBackendError);
        CHECK(link.bytes.empty());
        CHECK(session->upload("link", "overwrite?").status == Status::kBackendError);
        CHECK(session->download("subdir").status == Status::kBackendError);
        CHECK(session->download("missing").status == Status::kBackendError);
    }
}

TEST_CASE("local: the data directory is the working directory and goes away on close",
          "[unit][local]") {
    SECTION("removed by default") {
        auto backend = make_backend();
        auto [session, extra] = open_session(*backend);
        const std::string data_dir = extra.at("data_dir").get<std::string>();
        CHECK(boost::filesystem::is_directory(data_dir));
        CHECK(boost::filesystem::equivalent(
            value_of(*session, "import os\nos.getcwd()").get<std::string>(), data_dir));
        CHECK(session->close().ok());
        CHECK_FALSE(boost::filesystem::exists(data_dir));
    }
    SECTION("kept with keep_data") {
        const auto root = boost::filesystem::temp_directory_path() /
                          boost::filesystem::unique_path("sandbench-test-%%%%%%");
        auto backend = make_backend({{"keep_data", true}, {"data_root", root.string()}});
        CHECK(backend->info().config.at("keep_data") == true);
        auto [session, extra] = open_session(*backend);
        const std::string data_dir = extra.at("data_dir").get<std::string>();
        CHECK(value_of(*session, "open('kept.txt', 'w').write('k')") == 1);
        CHECK(session->close().ok());
        CHECK(boost::filesystem::exists(boost::filesystem::path(data_dir) / "kept.txt"));
        // Only that session's directory: the factory's probe session left nothing behind.
        CHECK(std::distance(boost::filesystem::directory_iterator(root),
                            boost::filesystem::directory_iterator()) == 1);
        boost::filesystem::remove_all(root);
    }
}

TEST_CASE("local: matplotlib figures come back as PNG images", "[unit][local]") {
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    // Not imported eagerly: it would cost every cold start a third of a second.
    CHECK(value_of(*session, "import sys\n'matplotlib' in sys.modules") == false);
    const Execution probe = run(*session, "import matplotlib.pyplot as plt");
    if (probe.status != Status::kOk) {
        WARN("skipped: matplotlib is not importable: " << probe.message);
        return;
    }
    const Execution plot = run(*session,
                               "plt.plot([1, 2, 3], [1, 4, 9])\n"
                               "plt.figure()\n"
                               "plt.bar(['a', 'b'], [3, 5])\n");
    REQUIRE(plot.status == Status::kOk);
    REQUIRE(plot.images.size() == 2);
    for (const auto& image : plot.images) {
        CHECK(image.format == "png");
        CHECK(image.base64.rfind("iVBORw0KGgo", 0) == 0);  // the PNG signature, in base64
    }
    CHECK(run(*session, "1").images.empty());  // figures are closed once returned
    CHECK(value_of(*session, "import matplotlib\nmatplotlib.get_backend().lower()") == "agg");
}

TEST_CASE("local: sessions of one backend run in parallel threads", "[unit][local]") {
    auto backend = make_backend();
    constexpr std::size_t kThreads = 4;
    constexpr int kSteps = 25;
    std::vector<std::string> failures(kThreads);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&backend, &failure = failures[t], ident = std::to_string(t)] {
            SessionStart start = backend->create_session();
            if (!start.ok()) {
                failure = "create: " + start.message;
                return;
            }
            Session& session = *start.session;
            if (!session.execute("total = 0\nident = " + ident, kTimeout).ok()) {
                failure = "set-up failed";
            }
            for (int step = 1; step <= kSteps && failure.empty(); ++step) {
                const Execution execution = session.execute(
                    "total += " + std::to_string(step) + "\nprint(ident)\n(ident, total)",
                    kTimeout);
                const json expected = {std::stoi(ident), step * (step + 1) / 2};
                if (!execution.ok() || execution.result != expected ||
                    execution.stdout_text != ident + "\n") {
                    failure = "step " + std::to_string(step) + ": " + execution.message +
                              " result " + execution.result.dump();
                }
            }
            if (!session.close().ok()) {
                failure = "close failed";
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (std::size_t t = 0; t < kThreads; ++t) {
        INFO("thread " << t);
        CHECK(failures[t].empty());
    }
}

TEST_CASE("local: sessions give back every descriptor and directory", "[unit][local]") {
    auto backend = make_backend();
    const auto open_fds = [] {
        return std::distance(boost::filesystem::directory_iterator("/proc/self/fd"),
                             boost::filesystem::directory_iterator());
    };
    const auto before = open_fds();
    for (int i = 0; i < 10; ++i) {
        auto [session, extra] = open_session(*backend);
        CHECK(value_of(*session, "print('x')\n1") == 1);
        if (i % 2 == 0) {  // dead sessions too
            CHECK(run(*session, "while True: pass", Milliseconds{200}).status == Status::kTimeout);
        }
        CHECK(session->close().ok());
        CHECK_FALSE(boost::filesystem::exists(extra.at("data_dir").get<std::string>()));
    }
    CHECK(open_fds() == before);
}

TEST_CASE("local: configuration is validated and echoed", "[unit][local]") {
    CHECK_THROWS_AS(make_backend({{"pyhton", "/usr/bin/python3"}}), sandbench::ConfigError);
    CHECK_THROWS_AS(make_backend({{"isolation", "docker"}}), sandbench::ConfigError);
    CHECK_THROWS_AS(make_backend({{"output_limit_bytes", -1}}), sandbench::ConfigError);
    CHECK_THROWS_AS(make_backend({{"keep_data", "yes"}}), sandbench::ConfigError);
    CHECK_THROWS_AS(make_backend({{"python", "/nonexistent/python3"}}),
                    sandbench::BackendUnavailable);
    CHECK_THROWS_AS(make_backend({{"python", "no-such-python-anywhere"}}),
                    sandbench::BackendUnavailable);
    // An executable that is not Python fails the start-up probe, with its stderr quoted.
    CHECK_THROWS_WITH(make_backend({{"python", "/bin/false"}}), Catch::Contains("does not start"));

    auto backend = make_backend({{"output_limit_bytes", 2048}});
    const BackendInfo& info = backend->info();
    CHECK(info.name == "local-test");
    CHECK(info.type == "local");
    CHECK(info.capabilities.files);
    CHECK(info.capabilities.images);
    CHECK(info.capabilities.explicit_create);
    CHECK(info.capabilities.server_timing);
    CHECK(info.capabilities.isolation == "none");
    CHECK_FALSE(info.emulated);
    CHECK_THAT(info.description, Catch::StartsWith("Python 3."));
    CHECK(info.config.at("output_limit_bytes") == 2048);
    CHECK(info.config.at("isolation") == "none");
    CHECK(info.config.at("max_processes") == 256);
    if (::access("/usr/bin/python3", X_OK) == 0) {
        CHECK(info.config.at("python") == "/usr/bin/python3");
    }
}

TEST_CASE("local: the kernel starts from code compiled once per backend", "[unit][local]") {
    // Compiling the kernel's source at every start would cost each cold session ~1.5 ms; a
    // silent fallback to -c <source> would only show as a slower benchmark.
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session, "import sys\nsys.orig_argv[1:3]") == json{"-I", "-c"});
    CHECK(value_of(*session, "sys.orig_argv[3].startswith('import marshal')") == true);
    CHECK(value_of(*session, "len(sys.orig_argv[3]) < 1000") == true);
}

TEST_CASE("local: the environment reaches the kernel unless bwrap clears it", "[unit][local]") {
    ::setenv("SANDBENCH_TEST_SECRET", "s3cret", 1);
    auto backend = make_backend();
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session, "import os\nos.environ.get('SANDBENCH_TEST_SECRET')") == "s3cret");
    CHECK(value_of(*session, "os.environ['MPLBACKEND']") == "Agg");
    // The kernel has no controlling terminal and a process group of its own.
    const auto pid = std::stol(session->id());
    CHECK(value_of(*session, "os.getpgid(0) == os.getpid() == os.getsid(0)") == true);
    CHECK(value_of(*session, "os.getpid()") == pid);
}

TEST_CASE("bwrap: the sandbox has no network and a read-only system",
          "[integration][bwrap][local]") {
    ::setenv("SANDBENCH_TEST_SECRET", "s3cret", 1);
    auto backend = make_bwrap_backend();
    if (!backend) {
        return;
    }
    CHECK(backend->info().capabilities.isolation == "bwrap");
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session, "import os\nos.getcwd()") == "/mnt/data");
    CHECK(value_of(*session, "os.getuid(), os.getgid()") == json{1000, 1000});
    CHECK(value_of(*session, "os.environ.get('SANDBENCH_TEST_SECRET')") == nullptr);
    CHECK(value_of(*session,
                   "import socket\n"
                   "def connect(host):\n"
                   "    try:\n"
                   "        socket.create_connection((host, 80), timeout=3).close()\n"
                   "        return 'connected'\n"
                   "    except OSError as error:\n"
                   "        return type(error).__name__\n"
                   "[connect('1.1.1.1'), connect('example.com')]") == json{"OSError", "gaierror"});

    const std::string host_tmp_marker = "sandbench-private-tmp-" + std::to_string(::getpid());
    const json writes = value_of(*session,
                                 "def write(path):\n"
                                 "    try:\n"
                                 "        with open(path, 'w') as f:\n"
                                 "            f.write('x')\n"
                                 "        return 'written'\n"
                                 "    except OSError as error:\n"
                                 "        return type(error).__name__\n"
                                 "[write(p) for p in ('/usr/evil', '/etc/evil', '/evil',\n"
                                 "                    '/mnt/evil', '/mnt/data/ok.txt',\n"
                                 "                    '/dev/shm/ok', '/tmp/" +
                                     host_tmp_marker + "')]");
    REQUIRE(writes.size() == 7);
    CHECK(writes[0] != "written");
    CHECK(writes[1] != "written");
    CHECK(writes[2] != "written");
    CHECK(writes[3] != "written");
    CHECK(writes[4] == "written");
    CHECK(writes[5] == "written");  // multiprocessing needs /dev/shm
    CHECK(writes[6] == "written");  // a private /tmp ...
    CHECK_FALSE(boost::filesystem::exists("/tmp/" + host_tmp_marker));  // ... not the host's
    CHECK(session->download("ok.txt").bytes == "x");
    REQUIRE(session->upload("up.txt", "from host").ok());
    CHECK(value_of(*session, "open('/mnt/data/up.txt').read()") == "from host");
    CHECK(value_of(*session, "open('/mnt/data/up.txt', 'a').write('!')") == 1);  // writable
    CHECK(value_of(*session, "import os\nos.path.exists('/root') or os.path.exists('/home')") ==
          false);
    CHECK(session->close().ok());
}

TEST_CASE("bwrap: resource limits are in force", "[integration][bwrap][local]") {
    auto backend = make_bwrap_backend(
        {{"memory_limit_mb", 512}, {"max_processes", 64}, {"max_file_size_mb", 1}});
    if (!backend) {
        return;
    }
    auto [session, extra] = open_session(*backend);
    CHECK(value_of(*session,
                   "import resource\n"
                   "[resource.getrlimit(r)[0] for r in (resource.RLIMIT_AS, "
                   "resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE)]") ==
          json{512LL << 20, 64, 1LL << 20});
    const Execution memory = run(*session, "block = bytearray(1024 * 1024 * 1024)");
    CHECK(memory.status == Status::kUserError);
    CHECK(memory.error_name == "MemoryError");
    const Execution big_file = run(*session, "open('big', 'wb').write(b'x' * (2 << 20))");
    CHECK(big_file.status == Status::kUserError);  // EFBIG, not a kernel killed by SIGXFSZ
    CHECK(session->alive());
    CHECK(session->close().ok());
}

TEST_CASE("bwrap: a fork bomb is contained and the host is unharmed",
          "[integration][bwrap][local]") {
    auto backend = make_bwrap_backend({{"max_processes", 64}});
    if (!backend) {
        return;
    }
    const bool as_root = ::geteuid() == 0;
    const int nobody_before = as_root ? processes_of(65534) : 0;
    auto [session, extra] = open_session(*backend);
    const auto pid = static_cast<pid_t>(std::stol(session->id()));

    SECTION("forking until the limit refuses") {
        const Execution bomb = run(*session,
                                   "import os\n"
                                   "while True:\n"
                                   "    os.fork()\n",
                                   Milliseconds{20'000});
        CHECK((bomb.status == Status::kUserError || bomb.status == Status::kTimeout));
        if (bomb.status == Status::kUserError) {
            CHECK(bomb.error_name == "BlockingIOError");
        }
    }
    SECTION("forking forever") {
        const Execution bomb = run(*session,
                                   "import os\n"
                                   "while True:\n"
                                   "    try:\n"
                                   "        os.fork()\n"
                                   "    except OSError:\n"
                                   "        pass\n",
                                   Milliseconds{3000});
        CHECK(bomb.status == Status::kTimeout);
        CHECK(eventually([&] { return group_gone(pid); }));
    }
    CHECK(session->close().ok());
    CHECK(group_gone(pid));
    if (as_root) {  // every process of the sandbox is gone (they run as nobody on the host)
        CHECK(eventually([&] { return processes_of(65534) <= nobody_before; }));
    }
    // The host can still start processes and the backend still makes sessions.
    CHECK(std::system("true") == 0);
    auto [fresh, fresh_extra] = open_session(*backend);
    CHECK(value_of(*fresh, "1 + 1") == 2);
}

TEST_CASE("bwrap: a timeout kills everything in the sandbox", "[integration][bwrap][local]") {
    auto backend = make_bwrap_backend();
    if (!backend) {
        return;
    }
    auto [session, extra] = open_session(*backend);
    const auto pid = static_cast<pid_t>(std::stol(session->id()));
    const Execution execution = run(*session,
                                    "import subprocess\n"
                                    "subprocess.Popen(['sleep', '600'])\n"
                                    "while True:\n"
                                    "    pass\n",
                                    Milliseconds{1500});
    CHECK(execution.status == Status::kTimeout);
    CHECK_FALSE(session->alive());
    CHECK(eventually([&] { return group_gone(pid); }));
    CHECK(session->close().ok());
}
