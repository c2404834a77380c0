// SPDX-License-Identifier: Apache-2.0
//
// The emulated session pool: sessions keyed by identifier, allocated on first use, expired after
// the cooldown with no request (a background reaper destroys the kernel and /mnt/data, notes §8),
// and bounded by max_sessions (the emulator answers 404 beyond it, as the service does).
//
// Locking: the pool's mutex guards the map and each session's bookkeeping (last access, requests
// in flight); a session's own mutex serialises its requests, because one kernel runs one cell at
// a time, and guards its kernel. A session with a request in flight is never expired. The pool
// never takes a session's mutex while holding its own, and callers must release a session's
// mutex before check_in() or discard().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sandbench/backends/backend.hpp"

namespace sandbench::emulators::aca {

struct PoolSettings {
    std::chrono::duration<double> cooldown{300.0};
    std::size_t max_sessions = 600;
};

/// One session of the pool.
struct PoolSession {
    std::string identifier;
    std::string guid;  ///< the "pod name": X-Ms-Session-Guid and the session's etag
    std::chrono::system_clock::time_point created_at;

    std::mutex mutex;  ///< held for each request of this session
    // Guarded by `mutex`:
    std::unique_ptr<backends::Session> kernel;  ///< null until the first request allocates it
    std::string data_dir;
    bool gone = false;  ///< expired or deleted while a request waited for `mutex`

    // Guarded by the pool's mutex:
    std::chrono::system_clock::time_point last_access;
    int active = 0;  ///< requests in flight
};

class SessionPool {
public:
    using Clock = std::chrono::system_clock;

    explicit SessionPool(PoolSettings settings);
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;
    SessionPool(SessionPool&&) = delete;
    SessionPool& operator=(SessionPool&&) = delete;
    /// Stops the reaper and closes every kernel.
    ~SessionPool();

    /// Begins a request on `identifier`: its session, new (not yet allocated) when the
    /// identifier is unknown or its session expired; nullptr when the pool is full. Every
    /// non-null result must be given back with check_in().
    [[nodiscard]] std::shared_ptr<PoolSession> check_out(std::string_view identifier);
    /// Ends a request: the session's idle time starts again now.
    void check_in(const std::shared_ptr<PoolSession>& session);
    /// The live session of `identifier`, or nullptr; does not count as a request.
    [[nodiscard]] std::shared_ptr<PoolSession> find(std::string_view identifier) const;
    /// Removes and destroys the session (DELETE /session). False when there is none.
    bool remove(std::string_view identifier);
    /// Removes `session` if it is still the pool's entry for its identifier (its kernel died),
    /// and destroys it. Call without holding session->mutex.
    void discard(const std::shared_ptr<PoolSession>& session);

    struct View {
        std::string identifier;
        std::string etag;
        Clock::time_point created_at;
        Clock::time_point last_access;
        Clock::time_point expire_at;
    };
    [[nodiscard]] std::vector<View> list() const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] const PoolSettings& settings() const noexcept { return settings_; }

private:
    [[nodiscard]] bool expired(const PoolSession& session, Clock::time_point now) const;
    void reap_loop();
    /// Closes a session's kernel (removes /mnt/data) and marks it gone.
    static void destroy(const std::shared_ptr<PoolSession>& session);

    PoolSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::map<std::string, std::shared_ptr<PoolSession>, std::less<>> sessions_;
    std::thread reaper_;
};

/// A new random (version 4) UUID, for session guids and operation ids.
[[nodiscard]] std::string random_uuid();

}  // namespace sandbench::emulators::aca
