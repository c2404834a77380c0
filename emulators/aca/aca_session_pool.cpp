// SPDX-License-Identifier: Apache-2.0
#include "aca_session_pool.hpp"

#include <algorithm>
#include <array>
#include <random>

#include <fmt/format.h>

namespace sandbench::emulators::aca {

std::string random_uuid() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::array<unsigned char, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        auto word = random();
        for (std::size_t j = 0; j < 8; ++j, word >>= 8U) {
            bytes[i + j] = static_cast<unsigned char>(word & 0xFFU);
        }
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0FU) | 0x40U);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3FU) | 0x80U);
    std::string uuid;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            uuid += '-';
        }
        uuid += fmt::format("{:02x}", bytes[i]);
    }
    return uuid;
}

SessionPool::SessionPool(PoolSettings settings) : settings_(settings) {
    reaper_ = std::thread([this] { reap_loop(); });
}

SessionPool::~SessionPool() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    reaper_.join();
    std::map<std::string, std::shared_ptr<PoolSession>, std::less<>> sessions;
    {
        const std::lock_guard lock(mutex_);
        sessions.swap(sessions_);
    }
    for (const auto& [identifier, session] : sessions) {
        destroy(session);
    }
}

bool SessionPool::expired(const PoolSession& session, Clock::time_point now) const {
    return session.active == 0 &&
           now - session.last_access >
               std::chrono::duration_cast<Clock::duration>(settings_.cooldown);
}

std::shared_ptr<PoolSession> SessionPool::check_out(std::string_view identifier) {
    std::shared_ptr<PoolSession> stale;
    std::shared_ptr<PoolSession> session;
    {
        const std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        auto it = sessions_.find(identifier);
        if (it != sessions_.end() && expired(*it->second, now)) {
            // The reaper has not come round yet, but the session is over: the identifier gets a
            // fresh one, as on the service.
            stale = std::move(it->second);
            sessions_.erase(it);
            it = sessions_.end();
        }
        if (it == sessions_.end()) {
            if (sessions_.size() >= settings_.max_sessions) {
                session = nullptr;
            } else {
                session = std::make_shared<PoolSession>();
                session->identifier = std::string(identifier);
                session->guid = random_uuid();
                session->created_at = now;
                sessions_.emplace(session->identifier, session);
            }
        } else {
            session = it->second;
        }
        if (session) {
            session->last_access = now;
            ++session->active;
        }
    }
    if (stale) {
        destroy(stale);
    }
    return session;
}

void SessionPool::check_in(const std::shared_ptr<PoolSession>& session) {
    const std::lock_guard lock(mutex_);
    session->last_access = Clock::now();
    --session->active;
}

std::shared_ptr<PoolSession> SessionPool::find(std::string_view identifier) const {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(identifier);
    if (it == sessions_.end() || expired(*it->second, Clock::now())) {
        return nullptr;
    }
    return it->second;
}

bool SessionPool::remove(std::string_view identifier) {
    std::shared_ptr<PoolSession> session;
    bool was_live = false;
    {
        const std::lock_guard lock(mutex_);
        const auto it = sessions_.find(identifier);
        if (it == sessions_.end()) {
            return false;
        }
        was_live = !expired(*it->second, Clock::now());
        session = std::move(it->second);
        sessions_.erase(it);
    }
    // Outside the pool's lock: a request of this session may hold session->mutex and will take
    // the pool's lock in check_in().
    destroy(session);
    return was_live;
}

void SessionPool::discard(const std::shared_ptr<PoolSession>& session) {
    {
        const std::lock_guard lock(mutex_);
        const auto it = sessions_.find(session->identifier);
        if (it != sessions_.end() && it->second == session) {
            sessions_.erase(it);
        }
    }
    destroy(session);
}

std::vector<SessionPool::View> SessionPool::list() const {
    std::vector<View> views;
    const std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    const auto cooldown = std::chrono::duration_cast<Clock::duration>(settings_.cooldown);
    for (const auto& [identifier, session] : sessions_) {
        if (!expired(*session, now)) {
            views.push_back({identifier, session->guid, session->created_at, session->last_access,
                             session->last_access + cooldown});
        }
    }
    return views;
}

std::size_t SessionPool::size() const {
    const std::lock_guard lock(mutex_);
    return sessions_.size();
}

void SessionPool::destroy(const std::shared_ptr<PoolSession>& session) {
    const std::lock_guard lock(session->mutex);
    if (session->kernel) {
        static_cast<void>(session->kernel->close());  // kills the kernel, removes /mnt/data
        session->kernel.reset();
    }
    session->gone = true;
}

void SessionPool::reap_loop() {
    // Often enough that an expiry is late by a small part of the cooldown, at most a second.
    const auto tick = std::chrono::duration_cast<Clock::duration>(
        std::clamp(settings_.cooldown / 4.0, std::chrono::duration<double>{0.01},
                   std::chrono::duration<double>{1.0}));
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, tick, [this] { return stopping_; });
        if (stopping_) {
            break;
        }
        std::vector<std::shared_ptr<PoolSession>> over;
        const auto now = Clock::now();
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            if (expired(*it->second, now)) {
                over.push_back(std::move(it->second));
                it = sessions_.erase(it);
            } else {
                ++it;
            }
        }
        lock.unlock();
        for (const auto& session : over) {
            destroy(session);
        }
        lock.lock();
    }
}

}  // namespace sandbench::emulators::aca
