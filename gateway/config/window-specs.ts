import type { WindowSpec } from '../windows/index.js';
import type { GatewayConfig, WindowSpecConfig } from './schema.js';

function toSpec(c: WindowSpecConfig): WindowSpec {
  return {
    tumblingMs: c.tumbling,
    sliding: c.sliding ? { sizeMs: c.sliding.size, slideMs: c.sliding.slide } : null,
    sessionGapMs: c.sessionGap,
    allowedLatenessMs: c.allowedLateness,
    revisionHorizonMs: c.revisionHorizon,
    idleCloseMs: c.idleClose,
  };
}

/** `windows.defaults` with each metric's overrides laid over it, resolved once per metric. */
export function windowSpecResolver(windows: GatewayConfig['windows']): (metric: string) => WindowSpec {
  const defaults = toSpec(windows.defaults);
  const cache = new Map<string, WindowSpec>();
  return (metric) => {
    let spec = cache.get(metric);
    if (!spec) {
      const override = windows.metrics[metric];
      spec = override ? toSpec({ ...windows.defaults, ...override }) : defaults;
      cache.set(metric, spec);
    }
    return spec;
  };
}

export function allWindowSpecs(windows: GatewayConfig['windows']): WindowSpec[] {
  const resolve = windowSpecResolver(windows);
  return [toSpec(windows.defaults), ...Object.keys(windows.metrics).map(resolve)];
}
