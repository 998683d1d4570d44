import { expect } from 'chai';
import { createKeyedLock } from '../../../node/store/keyed-lock';

describe('createKeyedLock', () => {
  describe('when sections share a key', () => {
    it('runs them one at a time, in order, even after a failure', async () => {
      const locks = createKeyedLock();
      const events: string[] = [];
      const section =
        (name: string, fail = false) =>
        async () => {
          events.push(`start ${name}`);
          await new Promise((r) => setImmediate(r));
          events.push(`end ${name}`);
          if (fail) throw new Error(name);
          return name;
        };
      const results = await Promise.allSettled([locks.run('k', section('a')), locks.run('k', section('b', true)), locks.run('k', section('c'))]);
      expect(events).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    });
  });

  describe('when sections have different keys', () => {
    it('runs them concurrently', async () => {
      const locks = createKeyedLock();
      const events: string[] = [];
      const section = (name: string) => async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setImmediate(r));
        events.push(`end ${name}`);
      };
      await Promise.all([locks.run('a', section('a')), locks.run('b', section('b'))]);
      expect(events.slice(0, 2)).to.deep.equal(['start a', 'start b']);
    });
  });
});
