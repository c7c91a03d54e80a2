// A hash table keyed by a fixed number of 32-bit words (addresses, ports, protocol), with
// open addressing over typed arrays: a lookup builds no key string and allocates nothing. Used
// for host pairs and 5-tuples. Values are the caller's records, by entry index.

export class FlowTable<V> {
  /** Key words per entry. */
  readonly words: number;
  /** Most entries; further keys are refused (insert returns -1). */
  readonly limit: number;
  private slots: Int32Array; // entry index + 1, 0 = empty
  private mask: number;
  private keys: Uint32Array; // `words` per entry
  private hashes: Uint32Array;
  private readonly values: V[] = [];
  size = 0;

  constructor(words: number, limit: number, initialCapacity = 1024) {
    this.words = words;
    this.limit = limit;
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    const entries = Math.min(initialCapacity, Math.max(limit, 1));
    this.keys = new Uint32Array(entries * words);
    this.hashes = new Uint32Array(entries);
  }

  /** Hash of the first `words` entries of `key`. */
  static hash(key: Uint32Array, words: number): number {
    let h = 0x811c9dc5 ^ words;
    for (let i = 0; i < words; i++) {
      let k = key[i];
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  /** The entry index of `key` (hash `h`), or -1. */
  find(key: Uint32Array, h: number): number {
    const w = this.words;
    const keys = this.keys;
    let i = h & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === 0) return -1;
      const e = s - 1;
      if (this.hashes[e] === h) {
        let o = e * w;
        let j = 0;
        while (j < w && keys[o] === key[j]) {
          o++;
          j++;
        }
        if (j === w) return e;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Adds `key` (not present) with `value`; returns its entry index, or -1 when full. */
  insert(key: Uint32Array, h: number, value: V): number {
    if (this.size >= this.limit) return -1;
    const e = this.size++;
    if ((e + 1) * this.words > this.keys.length) {
      const n = Math.min(Math.max(this.hashes.length * 2, 16), this.limit);
      const keys = new Uint32Array(n * this.words);
      keys.set(this.keys);
      this.keys = keys;
      const hashes = new Uint32Array(n);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.keys.set(key.subarray(0, this.words), e * this.words);
    this.hashes[e] = h;
    this.values.push(value);
    if (this.size * 2 > this.slots.length) this.grow();
    let i = h & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = e + 1;
    return e;
  }

  private grow(): void {
    const cap = this.slots.length * 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let e = 0; e < this.size - 1; e++) {
      let i = this.hashes[e] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** The key words of an entry (a view, valid until the next insert). */
  keyOf(entry: number): Uint32Array {
    return this.keys.subarray(entry * this.words, (entry + 1) * this.words);
  }

  value(entry: number): V {
    return this.values[entry];
  }

  setValue(entry: number, value: V): void {
    this.values[entry] = value;
  }

  /** Every value, in insertion order. */
  allValues(): readonly V[] {
    return this.values;
  }
}
