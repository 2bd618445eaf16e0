/**
 * A time-series chart drawn with uPlot (small, fast, canvas) once the page is in the browser,
 * with the same numbers in a table for screen readers and for when scripts are off.
 */
import { useEffect, useRef } from "react";

/** One line or bar series of a chart. */
export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  bars?: boolean;
  format?: (v: number | null) => string;
}

/** Props of `TimeChart`. */
export interface TimeChartProps {
  title: string;
  /** Start of each bucket, ISO. */
  times: string[];
  series: Series[];
  height?: number;
}

export function TimeChart({ title, times, series, height = 200 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let chart: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let observer: ResizeObserver | undefined;
    let cancelled = false;
    void import("uplot").then(({ default: uPlot }) => {
      if (cancelled) return;
      const xs = times.map((t) => Date.parse(t) / 1000);
      const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
      chart = new uPlot(
        {
          width: el.clientWidth || 300,
          height,
          legend: { show: true },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true } },
          axes: [{ stroke: "#4f5868" }, { stroke: "#4f5868", size: 60 }],
          series: [
            {},
            ...series.map((s) => ({
              label: s.label,
              stroke: s.color,
              fill: s.bars ? `${s.color}99` : undefined,
              width: 2,
              paths: s.bars ? bars : undefined,
              points: { show: !s.bars },
              value: s.format ? (_u: unknown, v: number | null) => s.format!(v) : undefined,
            })),
          ],
        },
        [xs, ...series.map((s) => s.values)],
        el,
      );
      observer = new ResizeObserver(() => chart?.setSize({ width: el.clientWidth, height }));
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart?.destroy();
    };
  }, [times, series, height]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-canvas" ref={box} aria-hidden="true" />
      <details>
        <summary>Show the numbers</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Period starting</th>
              {series.map((s) => (
                <th scope="col" className="num" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {times.map((t, i) => (
              <tr key={t}>
                <td>{t.replace("T", " ").slice(0, 16)}</td>
                {series.map((s) => (
                  <td className="num" key={s.label}>
                    {s.format ? s.format(s.values[i] ?? null) : (s.values[i] ?? "—")}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
