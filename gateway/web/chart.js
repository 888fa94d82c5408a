// The live chart: uPlot (bundled, MIT) over one sensor's metric; history from /api/readings, then live `reading` messages.
const MAX_POINTS = 3000;

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
    this.data = [points.map((p) => p[0] / 1000), points.map((p) => p[1])];
    this.label = label;
    this.unit = unit ?? '';
    this.plot?.destroy();
    this.plot = null;
    if (typeof uPlot === 'undefined') return;
    const css = getComputedStyle(document.documentElement);
    const axis = { stroke: css.getPropertyValue('--muted').trim(), grid: { stroke: css.getPropertyValue('--line').trim(), width: 1 } };
    this.plot = new uPlot({
      ...this.size(),
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      series: [{}, { label: `${label}${this.unit ? ` (${this.unit})` : ''}`, stroke: css.getPropertyValue('--accent').trim(), width: 2, points: { size: 4 } }],
      axes: [axis, { ...axis, size: 55 }],
    }, this.data, this.el);
  }

  push(ts, value) {
    const [xs, ys] = this.data;
    const t = ts / 1000;
    let i = xs.length;
    while (i > 0 && xs[i - 1] > t) i--;
    if (i > 0 && xs[i - 1] === t) ys[i - 1] = value;
    else {
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
    return this.data[0].length;
  }

  last() {
    const n = this.data[0].length;
    return n ? { ts: this.data[0][n - 1] * 1000, value: this.data[1][n - 1] } : null;
  }
}
