import type { Redis } from 'ioredis';

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  resetAt: number;
}

const KEY_PREFIX = 'rl:';

// sliding window
export class RedisRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async hit(key: string, now: number = Date.now()): Promise<RateLimitResult> {
    const redisKey = KEY_PREFIX + key;
    const windowStart = now - this.windowMs;
    const results = await this.redis
      .multi()
      .zremrangebyscore(redisKey, 0, windowStart)
      .zadd(redisKey, now, `${now}-${Math.random()}`)
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

  async reset(key: string): Promise<void> {
    await this.redis.del(KEY_PREFIX + key);
  }
}
