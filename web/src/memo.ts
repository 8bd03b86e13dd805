/**
 * One cached value per key: recomputed only when a key part changes (parts are
 * compared with ===, so pass the objects and primitives the value depends on).
 * Replaces hand-kept "key string + value" pairs in the views.
 */
export class Memo<T> {
  private key: readonly unknown[] | null = null;
  private value: T | undefined;

  get(key: readonly unknown[], compute: () => T): T {
    if (this.key === null || key.length !== this.key.length || key.some((k, i) => k !== this.key![i])) {
      this.value = compute();
      this.key = key;
    }
    return this.value as T;
  }

  /** True when `key` is the key of the cached value. */
  has(key: readonly unknown[]): boolean {
    return this.key !== null && key.length === this.key.length && key.every((k, i) => k === this.key![i]);
  }

  clear(): void {
    this.key = null;
    this.value = undefined;
  }
}
