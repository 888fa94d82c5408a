// The live chart: uPlot (bundled, MIT) over one sensor's metric; history from /api/readings, then live `reading` messages.
const MAX_POINTS = 3000;
/** A silence longer than this breaks the line instead of drawing a straight segment across it. */
const GAP_S = 120;

function withGaps(points) {
  const xs = [];
  const ys = [];
  for (const [ts, value] of points) {
    const t = ts / 1000;
    if (xs.length && t - xs[xs.length - 1] > GAP_S) {
      xs.push(xs[xs.length - 1] + 1);
      ys.push(null);
    }
    xs.push(t);
    ys.push(value);
  }
  return [xs, ys];
}

export class LiveChart {
  constructor(el) {
    this.el = el;
    this.data = [[], []];
    this.plot = null;
    this.label = '';
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(el);
  }

  size() {
    const width = Math.max(240, this.el.clientWidth);
    return { width, height: width < 500 ? 200 : 260 };
  }

  reset(points, label, unit) {
    this.data = withGaps(points);
    this.label = label;
    this.unit = unit ?? '';
    this.plot?.destroy();
    this.plot = null;
    if (typeof uPlot === 'undefined') return;
    const css = getComputedStyle(document.documentElement);
    const axis = { stroke: css.getPropertyValue('--muted').trim(), grid: { stroke: css.getPropertyValue('--line').trim(), width: 1 } };
    this.plot = new uPlot({
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      series: [{}, { label, stroke: css.getPropertyValue('--accent').trim(), width: 2, points: { size: 6, filter: (u, _i, show) => (show ? null : [u.data[0].length - 1]) }, spanGaps: false }],
      axes: [axis, { ...axis, size: 60, label: this.unit || undefined, labelSize: 20 }],
    }, this.data, this.el);
  }

  push(ts, value) {
    const [xs, ys] = this.data;
    const t = ts / 1000;
    let i = xs.length;
    while (i > 0 && xs[i - 1] > t) i--;
    if (i > 0 && xs[i - 1] === t) ys[i - 1] = value;
    else if (i === xs.length && i > 0 && t - xs[i - 1] > GAP_S) {
      xs.push(xs[i - 1] + 1, t);
      ys.push(null, value);
    } else {
      xs.splice(i, 0, t);
      ys.splice(i, 0, value);
    }
    if (xs.length > MAX_POINTS) {
      xs.splice(0, xs.length - MAX_POINTS);
      ys.splice(0, ys.length - MAX_POINTS);
    }
    this.plot?.setData(this.data);
  }

  get length() {
    return this.data[1].filter((v) => v !== null).length;
  }

  last() {
    const n = this.data[0].length;
    return n ? { ts: this.data[0][n - 1] * 1000, value: this.data[1][n - 1] } : null;
  }
}
