// The traffic graph's data: one sample per engine stats tick (about a second), kept for the
// last minutes. The main process keeps the history (so a window opened later sees it) and the
// renderer appends the samples that arrive after its snapshot, both with this one function.
export interface TrafficSample {
  /** Epoch ms of the sample. */
  at: number;
  inPerSecond: number;
  outPerSecond: number;
  /** HTTP/2 PING round trip, null before the first answer. */
  rttMs: number | null;
}

/** How far back the graph goes. */
export const HISTORY_WINDOW_MS = 5 * 60_000;
/** A bound on memory whatever the tick rate (a tick every 250 ms still fits the window). */
export const HISTORY_MAX_SAMPLES = 1200;

/** The history with `sample` added and what fell out of the window dropped. */
export function appendSample(
  history: readonly TrafficSample[],
  sample: TrafficSample,
  windowMs = HISTORY_WINDOW_MS,
): TrafficSample[] {
  const from = sample.at - windowMs;
  const kept = history.filter((s) => s.at > from && s.at < sample.at);
  kept.push(sample);
  return kept.length > HISTORY_MAX_SAMPLES ? kept.slice(-HISTORY_MAX_SAMPLES) : kept;
}
