/**
 * Recently opened models, kept as their stored (gzipped) bytes. A stored
 * model never changes (a new upload gets a new blob id), so a hit needs no
 * check against the database; with PostgreSQL it saves moving the model over
 * the network on every open. Least recently used entries go first once the
 * byte budget is spent.
 */
import type { Store } from './store/store.js';
import { readBlobBytes } from './store/store.js';

export class ModelCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly store: Store,
    private readonly budgetBytes = 64 << 20,
  ) {}

  async get(blob: string): Promise<Buffer> {
    const hit = this.entries.get(blob);
    if (hit) {
      this.entries.delete(blob);
      this.entries.set(blob, hit); // most recently used last
      return hit;
    }
    const bytes = await readBlobBytes(this.store, blob);
    if (bytes.length <= this.budgetBytes / 4) {
      this.entries.set(blob, bytes);
      this.bytes += bytes.length;
      for (const [key, value] of this.entries) {
        if (this.bytes <= this.budgetBytes) break;
        this.entries.delete(key);
        this.bytes -= value.length;
      }
    }
    return bytes;
  }

  forget(blob: string | null): void {
    if (!blob) return;
    const value = this.entries.get(blob);
    if (value) {
      this.entries.delete(blob);
      this.bytes -= value.length;
    }
  }
}
