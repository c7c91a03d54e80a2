// Repeat-interval statistics: how regularly something happens (a conversation of an application
// starts, a packet of an application is seen). Streaming (Welford), so memory is constant no
// matter how many events there are.

/** Mean and spread of the intervals between successive events, in seconds. */
export interface IntervalStats {
  /** Events seen (the number of intervals is one less). */
  events: number;
  /** Intervals measured (events - 1, or 0). */
  intervals: number;
  /** Mean interval in seconds; null with fewer than 2 events. */
  mean: number | null;
  /**
   * Sample standard deviation of the intervals in seconds (n - 1 in the denominator, like
   * Python's statistics.stdev); null with fewer than 2 intervals.
   */
  stdev: number | null;
  /** Shortest and longest interval in seconds; null with fewer than 2 events. */
  min: number | null;
  max: number | null;
}

/**
 * Accumulates the intervals between events given in time order (nanoseconds on any fixed
 * origin). Events given out of order make negative intervals, which are counted as given.
 */
export class IntervalAccumulator {
  events = 0;
  private last = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;

  /** Records an event at time `ns`. */
  add(ns: number): void {
    if (this.events++ > 0) {
      const x = ns - this.last;
      const n = ++this.n;
      const delta = x - this.mean;
      this.mean += delta / n;
      this.m2 += delta * (x - this.mean);
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
    this.last = ns;
  }

  /** The statistics in seconds. */
  result(): IntervalStats {
    const n = this.n;
    return {
      events: this.events,
      intervals: n,
      mean: n > 0 ? this.mean / 1e9 : null,
      stdev: n > 1 ? Math.sqrt(this.m2 / (n - 1)) / 1e9 : null,
      min: n > 0 ? this.min / 1e9 : null,
      max: n > 0 ? this.max / 1e9 : null,
    };
  }
}
