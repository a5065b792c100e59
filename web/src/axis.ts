/**
 * uPlot draws a left axis' tick labels right-aligned, `tickSize + gap` px left of the plot, inside a box of
 * the axis' `size`: a label wider than the rest of the box is cut on the left (a fixed 50 px showed 75,000
 * as "5,000"). So the box is sized from the labels actually drawn, measured in the axis' font. Labels keep
 * every digit, as Splunk's charts show them, rather than abbreviating to "75k".
 */

/** uPlot's default axis size, used before any label is known (its first call passes no labels). */
export const DEFAULT_AXIS_SIZE = 50;

/** Room for antialiasing at the canvas' left edge. */
const EDGE = 2;

/** The axis size (CSS px) that shows every label whole: tick, gap, the widest label, an edge. */
export function axisSizeFor(labels: readonly (string | null)[] | null, measure: (text: string) => number, tickSize: number, gap: number): number {
  if (labels === null) return DEFAULT_AXIS_SIZE;
  let widest = 0;
  for (const label of labels) {
    // A label may span lines ("\n"); each line is drawn on its own.
    if (label) for (const line of label.split('\n')) widest = Math.max(widest, measure(line));
  }
  return Math.ceil(tickSize + gap + widest + EDGE);
}
