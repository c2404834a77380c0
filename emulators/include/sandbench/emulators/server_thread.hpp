// SPDX-License-Identifier: Apache-2.0
//
// How every emulator starts serving: its cpp-httplib server bound to a loopback port and
// accepting on a background thread, so that start_*_emulator() returns with the endpoint live.
#pragma once

#include <string>
#include <string_view>
#include <thread>

namespace httplib {
class Server;
}  // namespace httplib

namespace sandbench::emulators {

/// Runs a configured server's accept loop on a thread of its own from construction until
/// stop() or destruction. The server must outlive it.
class ServerThread {
public:
    /// Binds `server` to host:port (0: any free port) and starts accepting; returns once the
    /// accept loop runs (at most 10 s), so a stop() right after is not lost. Throws IoError
    /// "<owner>: cannot listen on host:port" when the port cannot be bound.
    ServerThread(httplib::Server& server, const std::string& host, int port,
                 std::string_view owner);
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;
    ServerThread(ServerThread&&) = delete;
    ServerThread& operator=(ServerThread&&) = delete;
    ~ServerThread() { stop(); }

    /// Stops the server and joins its thread; idempotent.
    void stop() noexcept;

    /// The port bound (the free one chosen when 0 was asked for).
    [[nodiscard]] int port() const noexcept { return port_; }
    /// "http://host:port", an IPv6 host in brackets.
    [[nodiscard]] std::string base_url() const;

private:
    httplib::Server& server_;
    std::string host_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace sandbench::emulators
