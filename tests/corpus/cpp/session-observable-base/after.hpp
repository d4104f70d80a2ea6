#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tide::net {

class Connection {
public:
    explicit Connection(int fd) : fd_(fd) {}
    virtual ~Connection() = default;

    int fd() const { return fd_; }
    virtual bool write_all(const std::string& data) = 0;

protected:
    int fd_;
};

class Observable {
public:
    using Listener = std::function<void(const std::string&, const std::string&)>;

    void subscribe(Listener listener) {
        std::lock_guard<std::mutex> lock(listeners_mu_);
        listeners_.push_back(std::move(listener));
    }

protected:
    void notify(const std::string& event, const std::string& detail) {
        std::lock_guard<std::mutex> lock(listeners_mu_);
        for (const auto& listener : listeners_) {
            listener(event, detail);
        }
    }

private:
    std::mutex listeners_mu_;
    std::vector<Listener> listeners_;
};

class Session : public Connection, public Observable {
public:
    explicit Session(int fd) : Connection(fd) { reset(); }

    bool write_all(const std::string& data) override {
        if (closed_) {
            return false;
        }
        bytes_sent_ += data.size();
        last_activity_ = std::chrono::steady_clock::now();
        return true;
    }

    void reset() {
        bytes_sent_ = 0;
        idle_timeout_s_ = 120;
        closed_ = false;
    }

    void close(const std::string& reason) {
        closed_ = true;
        notify("session.closed", reason);
    }

    std::uint64_t bytes_sent() const { return bytes_sent_; }

private:
    std::uint64_t bytes_sent_ = 0;
    int idle_timeout_s_ = 30;
    bool closed_ = false;
    std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace tide::net
