package com.acme.gateway.ratelimit;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Token bucket rate limiter.
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
     * Try to acquire a token.
     */
    @Override
    public synchronized boolean tryAcquire(String key) {
        long now = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(capacity, now));
        // refill
        double elapsed = (now - bucket.updatedAt) / 1000.0;
        bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * refillPerSecond);
        bucket.updatedAt = now;
        if (bucket.tokens < 1) {
            return false;
        }
        bucket.tokens -= 1;
        return true;
    }

    private static final class Bucket {
        double tokens;
        long updatedAt;

        Bucket(double tokens, long updatedAt) {
            this.tokens = tokens;
            this.updatedAt = updatedAt;
        }
    }
}
