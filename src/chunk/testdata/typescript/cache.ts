import { createHash } from "crypto";
import type { Clock } from "./clock";

/** Options of a TTL cache. */
export interface CacheOptions {
  /** Entries older than this are stale (milliseconds). */
  ttlMs: number;
  maxEntries?: number;
  onEvict?: (key: string, reason: EvictReason) => void;
}

export type EvictReason = "expired" | "capacity" | "manual";

export enum CacheState {
  Empty,
  Warm,
  Full,
}

interface Entry<V> {
  value: V;
  storedAt: number;
  hits: number;
}

export function cacheKey(parts: readonly unknown[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(JSON.stringify(p));
  return h.digest("hex").slice(0, 16);
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly maxEntries: number;

  constructor(private readonly clock: Clock, private readonly options: CacheOptions) {
    this.maxEntries = options.maxEntries ?? 1000;
  }

  get state(): CacheState {
    if (this.entries.size === 0) return CacheState.Empty;
    return this.entries.size >= this.maxEntries ? CacheState.Full : CacheState.Warm;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.clock.now() - entry.storedAt > this.options.ttlMs) {
      this.evict(key, "expired");
      return undefined;
    }
    entry.hits++;
    return entry.value;
  }

  set(key: string, value: V): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      this.evictColdest();
    }
    this.entries.set(key, { value, storedAt: this.clock.now(), hits: 0 });
  }

  async getOrLoad(key: string, load: (key: string) => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const value = await load(key);
    this.set(key, value);
    return value;
  }

  private evictColdest(): void {
    let coldest: string | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.entries) {
      if (entry.hits < fewest) {
        fewest = entry.hits;
        coldest = key;
      }
    }
    if (coldest !== undefined) this.evict(coldest, "capacity");
  }

  evict(key: string, reason: EvictReason = "manual"): boolean {
    const existed = this.entries.delete(key);
    if (existed) this.options.onEvict?.(key, reason);
    return existed;
  }
}

export const memoize = <A extends unknown[], R>(fn: (...args: A) => R, cache: TtlCache<R>) =>
  (...args: A): R => {
    const key = cacheKey(args);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(...args);
    cache.set(key, value);
    return value;
  };

export namespace CacheStats {
  export function hitRatio(hits: number, misses: number): number {
    return hits + misses === 0 ? 0 : hits / (hits + misses);
  }
}
