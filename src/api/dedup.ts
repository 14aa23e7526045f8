/** A bounded, time-limited set: remembers keys for `ttlMs`, forgetting the oldest beyond `max`. */
export class RecentKeys {
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  /** True the first time a key is seen within the window; false for a repeat. */
  firstSeen(key: string, now: number): boolean {
    const at = this.keys.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.keys.delete(key);
    this.keys.set(key, now);
    while (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value as string);
    return true;
  }

  forget(key: string): void {
    this.keys.delete(key);
  }
}
