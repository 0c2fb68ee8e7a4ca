/** A group's gender evidence: how many of its faces the age/gender net calls confidently male, and female. */
export interface GenderCounts {
  male: number;
  female: number;
}

/**
 * What the faces of each group say of its gender. A face counts when the net is confident (P(male) at least
 * `confidence`, or at most 1 - confidence); a group is male (female) when at least that fraction of its
 * counted faces are. Counts add up as groups merge, so faces the net is unsure of (a child, a profile) dilute
 * nothing, and one odd photo of a person with many cannot swing the person.
 */
export class GenderEvidence {
  private constructor(
    private readonly male: Float64Array,
    private readonly female: Float64Array,
    /** Per starting point, the side of 0.5 its own P(male) lies on: +1, -1, or 0 (unknown, or an anchor). */
    private readonly lean: Int8Array,
    private readonly confidence: number,
  ) {}

  /** Starting clusters of one face each (`p[i]` its P(male), NaN when unknown), then `extra` clusters' counts. */
  static of(p: ArrayLike<number>, extra: readonly GenderCounts[], confidence: number): GenderEvidence {
    const n = p.length;
    const male = new Float64Array(n + extra.length);
    const female = new Float64Array(n + extra.length);
    const lean = new Int8Array(n + extra.length);
    for (let i = 0; i < n; i++) {
      lean[i] = p[i] > 0.5 ? 1 : p[i] < 0.5 ? -1 : 0;
      if (p[i] >= confidence) male[i] = 1;
      else if (p[i] <= 1 - confidence) female[i] = 1;
    }
    extra.forEach((e, q) => {
      male[n + q] = e.male;
      female[n + q] = e.female;
    });
    return new GenderEvidence(male, female, lean, confidence);
  }

  /** +1 confidently male, -1 confidently female, 0 undecided. */
  private verdict(i: number): number {
    const counted = this.male[i] + this.female[i];
    if (counted === 0) return 0;
    if (this.male[i] >= this.confidence * counted) return 1;
    return this.female[i] >= this.confidence * counted ? -1 : 0;
  }

  /** Whether clusters a and b are confidently of opposite genders. */
  apart(a: number, b: number): boolean {
    const va = this.verdict(a);
    return va !== 0 && va === -this.verdict(b);
  }

  /**
   * Whether face `face`, of cluster `own`, is better explained by its own cluster than by cluster `other`: the two
   * clusters are confidently of opposite genders and the face's own P(male), confident or not, leans to its
   * cluster's side. Such an `other` is no rival for the face however near (tight-pairs.ts).
   */
  leansToOwn(face: number, own: number, other: number): boolean {
    const v = this.verdict(own);
    return v !== 0 && v === -this.verdict(other) && this.lean[face] === v;
  }

  /** Cluster `gone` merged into `keep`. */
  merge(keep: number, gone: number): void {
    this.male[keep] += this.male[gone];
    this.female[keep] += this.female[gone];
  }
}
