// rate_limiter.cpp - per-client request rate limiting for the admin API.

#include <algorithm>
#include <chrono>
#include <mutex>

namespace tide::server {

/**
 * Token bucket: holds at most `burst` tokens and refills at `rate_per_sec`
 * tokens per second. Each request takes one token; a request that finds the
 * bucket empty is rejected with 429.
 *
 * Thread-safe: every public method takes the internal mutex.
 */
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    /// Starts with a full bucket.
    RateLimiter(double rate_per_sec, double burst)
        : rate_(rate_per_sec), burst_(burst), tokens_(burst), last_(Clock::now()) {}

    /// Takes a token if one is available; never blocks.
    /// @return true when the request may proceed.
    bool try_acquire() {
        std::lock_guard<std::mutex> lock(mu_);
        refill(Clock::now());
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

    /// Tokens currently in the bucket (fractional), after refilling.
    double available() {
        std::lock_guard<std::mutex> lock(mu_);
        refill(Clock::now());
        return tokens_;
    }

private:
    // Adds the tokens earned since the last refill, capped at burst_.
    // Caller must hold mu_.
    void refill(Clock::time_point now) {
        const std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        last_ = now;
    }

    const double rate_;
    const double burst_;
    double tokens_;        // guarded by mu_
    Clock::time_point last_;  // guarded by mu_
    std::mutex mu_;
};

}  // namespace tide::server
