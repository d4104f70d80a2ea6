import type { Redis } from 'ioredis';

/** Outcome of counting one request against a key's window. */
export interface RateLimitResult {
  /** Whether the request fits within the limit. */
  allowed: boolean;
  /** Requests still allowed in the current window. */
  remaining: number;
  /** Epoch milliseconds at which the window has fully slid past this request. */
  resetAt: number;
}

const KEY_PREFIX = 'rl:';

/**
 * Sliding-window rate limiter backed by a Redis sorted set per key.
 *
 * Each hit is stored with its timestamp as score; hits older than the window are
 * trimmed in the same MULTI so concurrent callers see a consistent count.
 */
export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Records a request for `key` and reports whether it is allowed.
   *
   * @param key - caller identity, e.g. an API key id or client IP
   * @param now - current time in epoch milliseconds (injectable for tests)
   */
  async hit(key: string, now: number = Date.now()): Promise<RateLimitResult> {
    const redisKey = KEY_PREFIX + key;
    const windowStart = now - this.windowMs;
    const results = await this.redis
      .multi()
      .zremrangebyscore(redisKey, 0, windowStart)
      .zadd(redisKey, now, `${now}-${Math.random()}`) // random suffix keeps same-ms hits distinct
      .zcard(redisKey)
      .pexpire(redisKey, this.windowMs)
      .exec();
    const count = Number(results?.[2]?.[1] ?? 0);
    return {
      allowed: count <= this.limit,
      remaining: Math.max(0, this.limit - count),
      resetAt: now + this.windowMs,
    };
  }

  /** Forgets every recorded hit for `key`. */
  async reset(key: string): Promise<void> {
    await this.redis.del(KEY_PREFIX + key);
  }
}
