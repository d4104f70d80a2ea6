const { RateLimiter } = require('../src/rateLimiter');

describe('RateLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('allows requests under the limit', () => {
    const limiter = new RateLimiter({ limit: 3, windowMs: 1000 });
    expect(limiter.tryAcquire('alice')).toBe(true);
    expect(limiter.tryAcquire('alice')).toBe(true);
    expect(limiter.tryAcquire('alice')).toBe(true);
  });

  it('blocks the request over the limit', () => {
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000 });
    limiter.tryAcquire('bob');
    limiter.tryAcquire('bob');
    expect(limiter.tryAcquire('bob')).toBe(false);
  });

  test('resets after the window elapses', () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000 });
    limiter.tryAcquire('carol');
    jest.advanceTimersByTime(1001);
    expect(limiter.tryAcquire('carol')).toBe(true);
  });
});
