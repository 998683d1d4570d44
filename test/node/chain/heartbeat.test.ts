import { expect } from 'chai';
import { nextBeatDelay, startHeartbeats } from '../../../node/chain/heartbeat';

/** A heartbeat sender driven by the test: each call waits until the test settles it. */
function controlledSender() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const waiters: (() => void)[] = [];
  return {
    calls,
    get maxActive() {
      return maxActive;
    },
    send: () =>
      new Promise<void>((resolve, reject) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const done = () => active--;
        calls.push({
          resolve: () => {
            done();
            resolve();
          },
          reject: (e) => {
            done();
            reject(e);
          },
        });
        for (const w of waiters.splice(0)) w();
      }),
    nextCall: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (calls.length >= n ? resolve() : waiters.push(check));
        check();
      }),
  };
}

describe('startHeartbeats', () => {
  describe('when heartbeats succeed', () => {
    it('sends them one at a time, never overlapping', async () => {
      const sender = controlledSender();
      const heartbeats = startHeartbeats({ sendHeartbeat: sender.send, log: () => {} }, { intervalMs: 1, beatFirst: true });
      for (let n = 1; n <= 5; n++) {
        await sender.nextCall(n);
        sender.calls[n - 1].resolve();
      }
      await heartbeats.stop();
      expect(sender.maxActive).to.equal(1);
    });
  });

  describe('when a heartbeat fails', () => {
    it('logs the failure, does not throw, and retries', async () => {
      const sender = controlledSender();
      const logged: string[] = [];
      const outcomes: boolean[] = [];
      const heartbeats = startHeartbeats(
        { sendHeartbeat: sender.send, log: (line) => logged.push(line) },
        { intervalMs: 60_000, retryMs: 1, beatFirst: true, onBeat: (o) => outcomes.push(o.ok) },
      );
      await sender.nextCall(1);
      sender.calls[0].reject(new Error('rpc down'));
      await sender.nextCall(2);
      sender.calls[1].resolve();
      await heartbeats.stop();
      expect(outcomes).to.deep.equal([false, true]);
      expect(logged[0]).to.match(/heartbeat failed \(attempt 1\).*rpc down/);
      expect(logged[1]).to.match(/heartbeat sent after 1 failed attempt/);
    });
  });

  describe('when stopped', () => {
    it('waits for the heartbeat in flight and sends no more', async () => {
      const sender = controlledSender();
      const heartbeats = startHeartbeats({ sendHeartbeat: sender.send, log: () => {} }, { intervalMs: 1, beatFirst: true });
      await sender.nextCall(1);
      let stopped = false;
      const stopping = heartbeats.stop().then(() => {
        stopped = true;
      });
      await Promise.resolve();
      expect(stopped).to.equal(false);
      sender.calls[0].resolve();
      await stopping;
      await new Promise((r) => setTimeout(r, 20));
      expect(sender.calls).to.have.length(1);
    });

    it('sends nothing when stopped before the first beat', async () => {
      const sender = controlledSender();
      const heartbeats = startHeartbeats({ sendHeartbeat: sender.send, log: () => {} }, { intervalMs: 10 });
      await heartbeats.stop();
      await new Promise((r) => setTimeout(r, 30));
      expect(sender.calls).to.have.length(0);
    });
  });
});

describe('nextBeatDelay', () => {
  it('stays within the interval ± jitter for any random value', () => {
    for (const random of [0, 0.25, 0.5, 0.999]) {
      const delay = nextBeatDelay({ intervalMs: 200_000, jitter: 0.1, random: () => random });
      expect(delay).to.be.within(180_000, 220_000);
    }
    expect(nextBeatDelay({ intervalMs: 200_000, jitter: 0.1, random: () => 0.5 })).to.equal(200_000);
  });
});
