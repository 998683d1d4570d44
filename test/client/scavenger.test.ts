import { expect } from 'chai';
import { createScavenger, exposedGc } from '../../client/scavenger';

describe('client/scavenger: young collections paced by the bytes a download receives', () => {
  it('asks for a young collection each time everyBytes more have been received', () => {
    const asked: unknown[] = [];
    const scavenger = createScavenger({ gc: (options) => void asked.push(options) }, { everyBytes: 1000 });
    for (const bytes of [400, 400, 199]) scavenger.received(bytes);
    expect(asked).to.deep.equal([]);
    scavenger.received(1); // 1000 in all
    expect(asked).to.deep.equal([{ type: 'minor' }]);
    scavenger.received(2500); // counted from the last collection: one more, not two
    expect(asked).to.have.length(2);
    expect(scavenger.collections).to.equal(2);
  });

  it('does nothing without a collector', () => {
    const scavenger = createScavenger({}, { everyBytes: 1 });
    scavenger.received(10);
    expect(scavenger.collections).to.equal(0);
  });

  it('finds the collector only when Node exposes it (--expose-gc)', () => {
    const holder = globalThis as { gc?: unknown };
    const before = holder.gc;
    try {
      const gc = () => {};
      holder.gc = gc;
      expect(exposedGc()).to.equal(gc);
      holder.gc = 'not a function';
      expect(exposedGc()).to.equal(undefined);
      delete holder.gc;
      expect(exposedGc()).to.equal(undefined);
    } finally {
      holder.gc = before;
      if (before === undefined) delete holder.gc;
    }
  });
});
