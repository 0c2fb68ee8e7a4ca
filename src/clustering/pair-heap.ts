/**
 * A binary min-heap of candidate merges `(priority, a, b, stampA, stampB)` in
 * parallel typed arrays: millions of entries without an object each. Equal
 * priorities are ordered by `(a, b)`, so the order in which entries were pushed
 * never decides which comes out first.
 */
export class PairHeap {
  private priority = new Float64Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private stampA = new Int32Array(1024);
  private stampB = new Int32Array(1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(priority: number, a: number, b: number, stampA: number, stampB: number): void {
    if (this.length === this.priority.length) this.grow();
    let i = this.length++;
    // Sift up, moving parents down instead of swapping.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(priority, a, b, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, priority, a, b, stampA, stampB);
  }

  /** Priority of the smallest entry (Infinity when empty). */
  peekPriority(): number {
    return this.length === 0 ? Number.POSITIVE_INFINITY : this.priority[0];
  }

  /** Removes the smallest entry and writes it to `out` as `[priority, a, b, stampA, stampB]`. */
  pop(out: Float64Array): boolean {
    if (this.length === 0) return false;
    out[0] = this.priority[0];
    out[1] = this.a[0];
    out[2] = this.b[0];
    out[3] = this.stampA[0];
    out[4] = this.stampB[0];
    const last = --this.length;
    if (last === 0) return true;
    const p = this.priority[last];
    const a = this.a[last];
    const b = this.b[last];
    const sa = this.stampA[last];
    const sb = this.stampB[last];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && this.lessAt(child + 1, child)) child++;
      if (!this.lessThanEntry(child, p, a, b)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, p, a, b, sa, sb);
    return true;
  }

  /** Whether `(priority, a, b)` sorts before the entry at `i`. */
  private less(priority: number, a: number, b: number, i: number): boolean {
    const q = this.priority[i];
    if (priority !== q) return priority < q;
    if (a !== this.a[i]) return a < this.a[i];
    return b < this.b[i];
  }

  /** Whether the entry at `i` sorts before `(priority, a, b)`. */
  private lessThanEntry(i: number, priority: number, a: number, b: number): boolean {
    const q = this.priority[i];
    if (q !== priority) return q < priority;
    if (this.a[i] !== a) return this.a[i] < a;
    return this.b[i] < b;
  }

  private lessAt(i: number, j: number): boolean {
    return this.less(this.priority[i], this.a[i], this.b[i], j);
  }

  private move(from: number, to: number): void {
    this.priority[to] = this.priority[from];
    this.a[to] = this.a[from];
    this.b[to] = this.b[from];
    this.stampA[to] = this.stampA[from];
    this.stampB[to] = this.stampB[from];
  }

  private set(i: number, priority: number, a: number, b: number, stampA: number, stampB: number): void {
    this.priority[i] = priority;
    this.a[i] = a;
    this.b[i] = b;
    this.stampA[i] = stampA;
    this.stampB[i] = stampB;
  }

  private grow(): void {
    const size = this.priority.length * 2;
    const grow = <T extends Float64Array | Int32Array>(arr: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(arr);
      return next;
    };
    this.priority = grow(this.priority, (n) => new Float64Array(n));
    this.a = grow(this.a, (n) => new Int32Array(n));
    this.b = grow(this.b, (n) => new Int32Array(n));
    this.stampA = grow(this.stampA, (n) => new Int32Array(n));
    this.stampB = grow(this.stampB, (n) => new Int32Array(n));
  }
}
