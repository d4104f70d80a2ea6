package com.acme.gateway.ratelimit;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Token bucket rate limiter: every key owns a bucket of at most {@code capacity}
 * tokens that refills continuously at {@code refillPerSecond}. A request costs
 * one token.
 *
 * <p>All state is guarded by the instance monitor; buckets are never evicted, so
 * keys should be bounded (API client ids, not IP addresses).
 */
public class TokenBucketLimiter implements RateLimiter {

    private final Clock clock;
    private final long capacity;
    private final double refillPerSecond;
    private final Map<String, Bucket> buckets = new HashMap<>();

    public TokenBucketLimiter(Clock clock, long capacity, double refillPerSecond) {
        this.clock = clock;
        this.capacity = capacity;
        this.refillPerSecond = refillPerSecond;
    }

    /**
     * Takes one token from the bucket of {@code key}.
     *
     * @param key the client the request is accounted to
     * @return {@code true} if a token was available, {@code false} if the
     *         request should be rejected with 429
     */
    @Override
    public synchronized boolean tryAcquire(String key) {
        long now = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(capacity, now));
        // Refill for the time elapsed since the last call, capped at capacity.
        double elapsed = (now - bucket.updatedAt) / 1000.0;
        bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * refillPerSecond);
        bucket.updatedAt = now;
        if (bucket.tokens < 1) {
            return false;
        }
        bucket.tokens -= 1;
        return true;
    }

    /** Mutable per-key state; only touched under the limiter's monitor. */
    private static final class Bucket {
        double tokens;
        long updatedAt;

        Bucket(double tokens, long updatedAt) {
            this.tokens = tokens;
            this.updatedAt = updatedAt;
        }
    }
}
