import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RiskSeries } from '../../../src/web/api-types.js';
import { axisSizeFor } from '../axis.js';
import { fmtNumber, fmtTime } from '../format.js';

let measuring: CanvasRenderingContext2D | null = null;

/** Width of `text` in `font`, on a canvas of its own (uPlot caches the font it last set on the chart's). */
function textWidth(font: string, text: string): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return text.length * 8;
  measuring.font = font;
  return measuring.measureText(text).width;
}

/** A uPlot axis `size` that fits its tick labels; the labels are also left on `el` (`data-axis-labels`) for tests. */
function fittedAxisSize(el: HTMLElement): uPlot.Axis.Size {
  return (u, values, axisIdx) => {
    const axis = u.axes[axisIdx]!;
    // After init uPlot holds the font as [font scaled to the pixel ratio, px, css px].
    const font = axis.font as unknown as string | [string];
    const scaled = typeof font === 'string' ? font : font[0];
    if (values) el.dataset.axisLabels = JSON.stringify(values);
    return axisSizeFor(values, (t) => textWidth(scaled, t) / uPlot.pxRatio, axis.ticks?.size ?? 10, axis.gap ?? 5);
  };
}

/**
 * Risk over time as bars (uPlot: small, fast, canvas, no network). The figure has a text summary for
 * screen readers; the numbers are also in the page's tables.
 */
export function RiskChart({ series, label, height = 180 }: { series: RiskSeries; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = series.buckets.map((b) => b.time);
    const ys = series.buckets.map((b) => b.score);
    const bars = uPlot.paths.bars?.({ size: [0.8, 40], align: 1 });
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [
        { stroke: '#5b6478', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dfe3ea' } },
        { stroke: '#5b6478', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dfe3ea' }, size: fittedAxisSize(el) },
      ],
      series: [{}, { label: 'risk', stroke: '#c2410c', fill: 'rgba(234, 88, 12, 0.55)', width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } }],
    };
    const plot = new uPlot(opts, [xs, ys], el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [series, height]);
  const total = series.buckets.reduce((s, b) => s + b.score, 0);
  const peak = series.buckets.reduce((m, b) => (b.score > m.score ? b : m), { time: 0, score: 0, count: 0 });
  const summary = `${label}: total ${fmtNumber(total)} risk in ${series.buckets.length} buckets of ${series.span / 60} minutes` + (peak.score ? `; peak ${fmtNumber(peak.score)} at ${fmtTime(peak.time)}` : '');
  return (
    <figure className="chart" role="img" aria-label={summary}>
      <div ref={box} className="chart-canvas" />
      <figcaption className="muted">{summary}</figcaption>
    </figure>
  );
}
