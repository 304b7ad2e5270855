/**
 * Per-token token bucket: `ratePerSecond` sustained, twice that as burst. In memory per API
 * process, which is what a single host needs; API Gateway usage plans do this on AWS.
 */
export interface RateLimiter {
  /** Returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number;
}

export function createRateLimiter(ratePerSecond: number, now: () => number = Date.now): RateLimiter {
  const burst = ratePerSecond * 2;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      if (ratePerSecond <= 0) return 0;
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size > 100_000) buckets.clear(); // bounded memory under token churn
        buckets.set(key, (b = { tokens: burst, at: t }));
      }
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSecond);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - b.tokens) / ratePerSecond);
    },
  };
}
