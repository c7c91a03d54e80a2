// Application time series: bytes and packets per application per time bucket.
//
// While packets stream in, counts are kept per application in base buckets of `resolution`
// seconds (default 1 s), sparse (a Map per application: only buckets that saw traffic take
// memory). When the number of base buckets over all applications passes `maxBuckets`, the
// resolution doubles and the buckets are merged, so memory stays bounded however long the
// capture. dataSeries({ bucket }) then sums base buckets into buckets of any multiple of the
// resolution.

import { PcapError } from '../errors';

/** Options of dataSeries(). */
export interface DataSeriesOptions {
  /**
   * Bucket width in seconds; a multiple of the analysis' resolution (rounded to one). Default:
   * a round width (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 6, 12 h, 1 d...)
   * giving at most `maxBuckets` buckets.
   */
  bucket?: number;
  /** When choosing the default bucket: at most this many buckets (default 120). */
  maxBuckets?: number;
  /** Only these applications (default: all, most bytes first). */
  applications?: readonly string[];
  /**
   * Keep the `top` applications with the most bytes and sum the others into one series named
   * `otherName` (default: keep all).
   */
  top?: number;
  /** Name of the series that sums the applications beyond `top` (default '(others)'). */
  otherName?: string;
}

/** One application's series. */
export interface ApplicationSeries {
  application: string;
  /** Bytes on the wire per bucket (same length as DataSeries.times). */
  bytes: number[];
  /** Packets per bucket. */
  packets: number[];
  /** Sum of `bytes`. */
  totalBytes: number;
  /** Sum of `packets`. */
  totalPackets: number;
}

/** Bytes per application per time bucket. */
export interface DataSeries {
  /** Bucket width in seconds. */
  bucket: number;
  /** Start of the first bucket, seconds since the epoch (the first packet's time). */
  start: number;
  /** Start of each bucket, seconds since the epoch. */
  times: number[];
  /** One series per application, most bytes first. */
  series: ApplicationSeries[];
}

const NICE_SECONDS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800,
];
/** A dense series longer than this is refused (ask for a wider bucket). */
export const MAX_DENSE_BUCKETS = 1_000_000;

export class SeriesAccumulator {
  /** Base bucket width in ns. */
  resolutionNs: number;
  private readonly maxBuckets: number;
  // Per application id: base bucket index -> [bytes, packets].
  private readonly perApp: Array<Map<number, Float64Array> | undefined> = [];
  private total = 0;

  constructor(resolutionSeconds = 1, maxBuckets = 100_000) {
    if (!(resolutionSeconds > 0) || !Number.isFinite(resolutionSeconds)) {
      throw new PcapError('EINVAL', 'seriesResolution must be a positive number of seconds');
    }
    if (!(maxBuckets >= 16)) throw new PcapError('EINVAL', 'maxSeriesBuckets must be at least 16');
    this.resolutionNs = Math.round(resolutionSeconds * 1e9);
    this.maxBuckets = maxBuckets;
  }

  /** Resolution in seconds (may have grown from the one asked for). */
  get resolution(): number {
    return this.resolutionNs / 1e9;
  }

  /** Adds a packet of `bytes` of application `app` at time `t` (ns from the first packet). */
  add(app: number, t: number, bytes: number): void {
    let m = this.perApp[app];
    if (m === undefined) m = this.perApp[app] = new Map();
    const k = Math.floor(t / this.resolutionNs);
    let cell = m.get(k);
    if (cell === undefined) {
      cell = new Float64Array(2);
      m.set(k, cell);
      cell[0] = bytes;
      cell[1] = 1;
      // count first: merging may fold this cell into another
      if (++this.total > this.maxBuckets) this.coarsen();
      return;
    }
    cell[0] += bytes;
    cell[1]++;
  }

  // Doubles the resolution until the buckets fit in half the budget.
  private coarsen(): void {
    while (this.total > this.maxBuckets / 2) {
      this.resolutionNs *= 2;
      let total = 0;
      for (let a = 0; a < this.perApp.length; a++) {
        const m = this.perApp[a];
        if (!m) continue;
        const merged = new Map<number, Float64Array>();
        for (const [k, cell] of m) {
          const nk = Math.floor(k / 2);
          const got = merged.get(nk);
          if (got) {
            got[0] += cell[0];
            got[1] += cell[1];
          } else merged.set(nk, cell);
        }
        this.perApp[a] = merged;
        total += merged.size;
      }
      this.total = total;
    }
  }

  /** Builds the dense series; `names` maps application ids to names, `t0` is the origin in epoch seconds. */
  build(names: readonly string[], t0: number, options: DataSeriesOptions = {}): DataSeries {
    let minK = Infinity;
    let maxK = -Infinity;
    const apps: Array<{ id: number; bytes: number }> = [];
    for (let a = 0; a < this.perApp.length; a++) {
      const m = this.perApp[a];
      if (!m || m.size === 0) continue;
      let bytes = 0;
      for (const [k, cell] of m) {
        if (k < minK) minK = k;
        if (k > maxK) maxK = k;
        bytes += cell[0];
      }
      apps.push({ id: a, bytes });
    }
    const res = this.resolution;
    let bucket: number;
    if (options.bucket !== undefined) {
      if (!(options.bucket > 0) || !Number.isFinite(options.bucket)) throw new PcapError('EINVAL', 'bucket must be a positive number of seconds');
      bucket = Math.max(1, Math.round(options.bucket / res)) * res;
    } else {
      const span = apps.length ? (maxK - minK + 1) * res : res;
      const want = options.maxBuckets ?? 120;
      bucket = res;
      for (const s of NICE_SECONDS) {
        bucket = Math.max(res, Math.ceil(s / res) * res);
        if (span / bucket <= want) break;
      }
      while (span / bucket > want) bucket *= 2;
    }
    const per = Math.round(bucket / res); // base buckets per bucket
    // Bucket 0 starts at the first packet (base bucket 0); earlier packets (out of order) get
    // negative bucket indices.
    const first = apps.length ? Math.floor(minK / per) : 0;
    const last = apps.length ? Math.floor(maxK / per) : -1;
    const n = last - first + 1;
    if (n > MAX_DENSE_BUCKETS) {
      throw new PcapError('EINVAL', `dataSeries: ${n} buckets of ${bucket} s; ask for a wider bucket`);
    }
    const times: number[] = new Array(n);
    for (let i = 0; i < n; i++) times[i] = t0 + (first + i) * bucket;
    apps.sort((x, y) => y.bytes - x.bytes || x.id - y.id);
    let chosen = apps;
    if (options.applications) {
      const wanted = new Set(options.applications);
      chosen = apps.filter((x) => wanted.has(names[x.id]));
    }
    const series: ApplicationSeries[] = [];
    const fill = (ids: number[], name: string) => {
      const bytes = new Array<number>(n).fill(0);
      const packets = new Array<number>(n).fill(0);
      let tb = 0;
      let tp = 0;
      for (const id of ids) {
        for (const [k, cell] of this.perApp[id]!) {
          const i = Math.floor(k / per) - first;
          bytes[i] += cell[0];
          packets[i] += cell[1];
          tb += cell[0];
          tp += cell[1];
        }
      }
      series.push({ application: name, bytes, packets, totalBytes: tb, totalPackets: tp });
    };
    const top = options.top !== undefined && options.top >= 0 ? Math.floor(options.top) : chosen.length;
    for (const x of chosen.slice(0, top)) fill([x.id], names[x.id]);
    if (chosen.length > top) fill(chosen.slice(top).map((x) => x.id), options.otherName ?? '(others)');
    return { bucket, start: times.length ? times[0] : t0, times, series };
  }
}
