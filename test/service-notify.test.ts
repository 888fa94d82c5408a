import { afterEach, describe, expect, it } from 'vitest';
import { SdNotifier, watchdogIntervalMs } from '../gateway/service/notify.js';
import { ProgressTracker, Watchdog } from '../gateway/service/watchdog.js';
import { NotifyListener } from './support/notify-listener.js';

const warnings: object[] = [];
const log = { warn: (obj: object) => void warnings.push(obj) };

describe('sd_notify over a real unix datagram socket', () => {
  let listener: NotifyListener | undefined;
  let notifier: SdNotifier | undefined;
  afterEach(async () => {
    await notifier?.close();
    listener?.close();
  });

  it.each([false, true])('delivers READY, STATUS, WATCHDOG and STOPPING (abstract socket: %s)', async (abstract) => {
    listener = await NotifyListener.start(abstract);
    notifier = SdNotifier.fromEnv(log, { NOTIFY_SOCKET: listener.socketPath });
    notifier.ready('broker, store and drivers up');
    for (let i = 0; i < 50; i++) notifier.watchdog();
    notifier.stopping();
    await listener.waitFor('STOPPING=1');
    expect(listener.assignments[0]).toBe('READY=1');
    expect(listener.assignments[1]).toBe('STATUS=broker, store and drivers up');
    expect(listener.count('WATCHDOG=1')).toBe(50);
    expect(listener.datagrams.every((d) => d.endsWith('\n'))).toBe(true);
  });

  it('is a no-op without $NOTIFY_SOCKET', async () => {
    notifier = SdNotifier.fromEnv(log, {});
    expect(notifier.enabled).toBe(false);
    notifier.ready();
    await notifier.close();
  });

  it('reads WatchdogSec from $WATCHDOG_USEC for this PID only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000' })).toBe(20_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) })).toBe(20_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '1' })).toBeNull();
    expect(watchdogIntervalMs({})).toBeNull();
  });
});

describe('watchdog fed only while the pipeline makes progress', () => {
  it('counts idle and committing as progress, pending work without a commit as a stall', () => {
    const progress = new ProgressTracker(10_000, 0);
    expect(progress.check(0, 5_000)).toBe(true);
    expect(progress.check(3, 14_000)).toBe(true);
    expect(progress.check(3, 15_001)).toBe(false);
    progress.committed(16_000);
    expect(progress.check(7, 20_000)).toBe(true);
    expect(progress.check(7, 26_001)).toBe(false);
  });

  it('feeds, stops feeding on a stall, and resumes', () => {
    let healthy = true;
    const events: string[] = [];
    const dog = new Watchdog({ intervalMs: 1_000_000, healthy: () => healthy, feed: () => events.push('feed'), onStall: () => events.push('stall'), onRecover: () => events.push('recover') });
    dog.beat();
    healthy = false;
    dog.beat();
    dog.beat();
    healthy = true;
    dog.beat();
    expect(events).toEqual(['feed', 'stall', 'recover', 'feed']);
  });
});
