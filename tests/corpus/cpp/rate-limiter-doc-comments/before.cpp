// rate_limiter.cpp

#include <algorithm>
#include <chrono>
#include <mutex>

namespace tide::server {

// Token bucket.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    RateLimiter(double rate_per_sec, double burst)
        : rate_(rate_per_sec), burst_(burst), tokens_(burst), last_(Clock::now()) {}

    // Takes a token if one is available.
    bool try_acquire() {
        std::lock_guard<std::mutex> lock(mu_);
        refill(Clock::now());
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

    double available() {
        std::lock_guard<std::mutex> lock(mu_);
        refill(Clock::now());
        return tokens_;
    }

private:
    void refill(Clock::time_point now) {
        const std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        last_ = now;
    }

    const double rate_;
    const double burst_;
    double tokens_;
    Clock::time_point last_;
    std::mutex mu_;
};

}  // namespace tide::server
