// Throughput in and out and the round trip to the gateway over the last minutes, drawn as SVG
// in the renderer. CSP-safe: geometry is in attributes, colours come from CSS classes that read
// the theme's variables, and nothing is inline style. Sized to its container in CSS pixels, so
// text stays readable from 640 px wide up.
import { useId, type ReactNode } from 'react';
import { HISTORY_WINDOW_MS, type TrafficSample } from '../../shared/traffic-history.js';
import { formatMs, formatRate } from '../format.js';
import { useElementWidth } from '../hooks.js';
import { useI18n } from '../i18n/context.js';

const THROUGHPUT_HEIGHT = 140;
const RTT_HEIGHT = 90;
/** Room for the value labels on the left and, under the lower chart only, the time labels. */
const MARGIN = { left: 72, right: 10, top: 10 };
const TIME_LABELS = 22;
/** A hole in the samples longer than this (a reconnect) breaks the line. */
const GAP_MS = 5000;
const MINUTES = Math.round(HISTORY_WINDOW_MS / 60_000);

/**
 * The smallest 1, 2, 4 or 5 × 10ⁿ at or above `value`: round axis labels, whose halves (the
 * middle line) are round too.
 */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 4, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}

type Pick = (s: TrafficSample) => number | null;

/** Polyline segments through the samples, broken where a value is missing or time jumps. */
function segments(samples: TrafficSample[], pick: Pick): TrafficSample[][] {
  const out: TrafficSample[][] = [];
  let current: TrafficSample[] = [];
  let previous: TrafficSample | null = null;
  for (const s of samples) {
    const value = pick(s);
    if (value === null || (previous && s.at - previous.at > GAP_MS)) {
      if (current.length) out.push(current);
      current = [];
    }
    if (value !== null) current.push(s);
    previous = s;
  }
  if (current.length) out.push(current);
  return out;
}

interface Plot {
  width: number;
  height: number;
  /** Space under the plot (time labels), 0 for the upper chart. */
  bottom: number;
  start: number;
  max: number;
}

function x(plot: Plot, at: number): number {
  const inner = plot.width - MARGIN.left - MARGIN.right;
  return MARGIN.left + ((at - plot.start) / HISTORY_WINDOW_MS) * inner;
}

function y(plot: Plot, value: number): number {
  const inner = plot.height - MARGIN.top - plot.bottom;
  return MARGIN.top + inner - (Math.min(value, plot.max) / plot.max) * inner;
}

function linePath(plot: Plot, samples: TrafficSample[], pick: Pick): string {
  return segments(samples, pick)
    .map((seg) =>
      seg
        .map(
          (s, i) =>
            `${i ? 'L' : 'M'}${x(plot, s.at).toFixed(1)},${y(plot, pick(s) ?? 0).toFixed(1)}`,
        )
        .join(''),
    )
    .join('');
}

function areaPath(plot: Plot, samples: TrafficSample[], pick: Pick): string {
  const base = y(plot, 0).toFixed(1);
  return segments(samples, pick)
    .map((seg) => {
      const first = seg[0] as TrafficSample;
      const last = seg[seg.length - 1] as TrafficSample;
      const line = seg
        .map((s) => `L${x(plot, s.at).toFixed(1)},${y(plot, pick(s) ?? 0).toFixed(1)}`)
        .join('');
      return `M${x(plot, first.at).toFixed(1)},${base}${line}L${x(plot, last.at).toFixed(1)},${base}Z`;
    })
    .join('');
}

function Axes({
  plot,
  label,
  times,
}: {
  plot: Plot;
  label: (value: number) => string;
  times: boolean;
}) {
  const { m } = useI18n();
  const end = plot.start + HISTORY_WINDOW_MS;
  // Every minute when there is room, every other one in a narrow window.
  const step = plot.width < 480 ? 2 : 1;
  const ticks: number[] = [];
  for (let k = 0; k <= MINUTES; k += step) ticks.push(k);
  return (
    <g className="graph-axes">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line
            className="graph-grid"
            x1={MARGIN.left}
            x2={plot.width - MARGIN.right}
            y1={y(plot, plot.max * f)}
            y2={y(plot, plot.max * f)}
          />
          <text
            className="graph-label"
            x={MARGIN.left - 6}
            y={y(plot, plot.max * f)}
            textAnchor="end"
            dominantBaseline="middle"
          >
            {label(plot.max * f)}
          </text>
        </g>
      ))}
      {times &&
        ticks.map((k) => (
          <text
            key={k}
            className="graph-label"
            x={x(plot, end - k * 60_000)}
            y={plot.height - 4}
            textAnchor={k === 0 ? 'end' : k === MINUTES ? 'start' : 'middle'}
          >
            {k === 0 ? m.traffic.now : m.traffic.ago(k)}
          </text>
        ))}
    </g>
  );
}

/** One chart: its axes (time labels under it when it has room for them) and its lines. */
function Chart(props: {
  className: string;
  plot: Plot;
  label: (value: number) => string;
  /** The text alternative: what the chart shows, in words. */
  description: string;
  children: ReactNode;
}) {
  const { plot } = props;
  return (
    <svg
      className={props.className}
      width={plot.width}
      height={plot.height}
      viewBox={`0 0 ${plot.width} ${plot.height}`}
      role="img"
      aria-label={props.description}
    >
      <Axes plot={plot} label={props.label} times={plot.bottom >= TIME_LABELS} />
      {props.children}
    </svg>
  );
}

export function TrafficGraph({ history, now }: { history: TrafficSample[]; now: number }) {
  const { m, lang } = useI18n();
  const id = useId();
  const [ref, measured] = useElementWidth<HTMLDivElement>();
  const width = Math.max(280, measured || 560);
  const last = history[history.length - 1];
  const end = Math.max(now, last?.at ?? now);
  const samples = history.filter((s) => s.at >= end - HISTORY_WINDOW_MS);
  const rate = (v: number) => formatRate(v, lang, m);
  const axisRate = (v: number) => formatRate(v, lang, m, true);
  const ms = (v: number) => formatMs(v, lang, m);

  const peakIn = Math.max(0, ...samples.map((s) => s.inPerSecond));
  const peakOut = Math.max(0, ...samples.map((s) => s.outPerSecond));
  const rtts = samples.map((s) => s.rttMs).filter((v): v is number => v !== null);
  const throughput: Plot = {
    width,
    height: THROUGHPUT_HEIGHT,
    bottom: 8,
    start: end - HISTORY_WINDOW_MS,
    max: niceCeiling(Math.max(peakIn, peakOut, 1000) * 1.1),
  };
  const rttPlot: Plot = {
    width,
    height: RTT_HEIGHT,
    bottom: TIME_LABELS,
    start: end - HISTORY_WINDOW_MS,
    max: niceCeiling(Math.max(...rtts, 10) * 1.2),
  };
  const pickIn: Pick = (s) => s.inPerSecond;
  const pickOut: Pick = (s) => s.outPerSecond;
  const pickRtt: Pick = (s) => s.rttMs;

  return (
    <section className="card traffic" aria-labelledby={`${id}-title`}>
      <div className="traffic-head">
        <h2 id={`${id}-title`}>{m.traffic.title}</h2>
        <p className="muted">{m.traffic.window(MINUTES)}</p>
      </div>
      <ul className="legend">
        <li>
          <span className="swatch swatch-in" aria-hidden="true" />
          {m.traffic.received} <strong>{rate(last?.inPerSecond ?? 0)}</strong>
        </li>
        <li>
          <span className="swatch swatch-out" aria-hidden="true" />
          {m.traffic.sent} <strong>{rate(last?.outPerSecond ?? 0)}</strong>
        </li>
        <li>
          <span className="swatch swatch-rtt" aria-hidden="true" />
          {m.traffic.rtt} <strong>{last?.rttMs != null ? ms(last.rttMs) : '…'}</strong>
        </li>
      </ul>
      <div ref={ref} className="graph">
        {samples.length < 2 && <p className="muted graph-waiting">{m.traffic.waiting}</p>}
        <Chart
          className="graph-throughput"
          plot={throughput}
          label={axisRate}
          description={`${m.traffic.throughput}: ${m.traffic.summary(
            rate(last?.inPerSecond ?? 0),
            rate(last?.outPerSecond ?? 0),
            rate(peakIn),
            rate(peakOut),
          )}`}
        >
          <path className="graph-area-in" d={areaPath(throughput, samples, pickIn)} />
          <path className="graph-line-in" d={linePath(throughput, samples, pickIn)} />
          <path className="graph-line-out" d={linePath(throughput, samples, pickOut)} />
        </Chart>
        <Chart
          className="graph-rtt"
          plot={rttPlot}
          label={ms}
          description={
            rtts.length && last?.rttMs != null
              ? m.traffic.rttSummary(ms(last.rttMs), ms(Math.min(...rtts)), ms(Math.max(...rtts)))
              : m.traffic.rtt
          }
        >
          <path className="graph-line-rtt" d={linePath(rttPlot, samples, pickRtt)} />
        </Chart>
      </div>
    </section>
  );
}
