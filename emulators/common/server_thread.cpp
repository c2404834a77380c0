// SPDX-License-Identifier: Apache-2.0
#include "sandbench/emulators/server_thread.hpp"

#include <httplib.h>

#include <chrono>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench::emulators {

ServerThread::ServerThread(httplib::Server& server, const std::string& host, int port,
                           std::string_view owner)
    : server_(server), host_(host), port_(port) {
    if (port_ == 0) {
        port_ = server_.bind_to_any_port(host);
    } else if (!server_.bind_to_port(host, port_)) {
        port_ = -1;
    }
    if (port_ <= 0) {
        throw IoError(fmt::format("{}: cannot listen on {}:{}", owner, host, port));
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost, and the thread never joined.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
}

void ServerThread::stop() noexcept {
    server_.stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::string ServerThread::base_url() const {
    const bool ipv6 = host_.find(':') != std::string::npos;
    return fmt::format("http://{}:{}", ipv6 ? "[" + host_ + "]" : host_, port_);
}

}  // namespace sandbench::emulators
