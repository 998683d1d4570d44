import { expect } from 'chai';
import { collectorOf, createScavenger, exposedGc } from '../../protocol/scavenger';

describe('protocol/scavenger: collections paced by the bytes received', () => {
  it('asks for a young collection each time everyBytes more have been received', () => {
    const asked: unknown[] = [];
    const scavenger = createScavenger({ gc: (options) => void asked.push(options) }, { everyBytes: 1000 });
    for (const bytes of [400, 400, 199]) scavenger.progressed(bytes);
    expect(asked).to.deep.equal([]);
    scavenger.progressed(1); // 1000 in all
    expect(asked).to.deep.equal([{ type: 'minor' }]);
    scavenger.progressed(2500); // counted from the last collection: one more, not two
    expect(asked).to.have.length(2);
    expect(scavenger.collections).to.equal(2);
  });

  it('asks for a full collection after the first young one, then whenever the collectable memory grew past the bound since the last', () => {
    const asked: unknown[] = [];
    let collectable = 50_000; // garbage from before: the first full collection clears it
    const scavenger = createScavenger(
      {
        gc: (options) => {
          asked.push(options);
          if (options?.type === 'major') collectable = afterMajor;
        },
        collectable: () => collectable,
      },
      { everyBytes: 100, majorAfterGrowthBytes: 5_000 },
    );
    let afterMajor = 10_000;
    scavenger.progressed(99);
    expect(asked).to.deep.equal([]);
    scavenger.progressed(1);
    expect(asked).to.deep.equal([{ type: 'minor' }, { type: 'major' }]); // reference: 10 000
    collectable = 15_000; // grown by exactly the bound: not past it
    scavenger.progressed(100);
    expect(asked.slice(2)).to.deep.equal([{ type: 'minor' }]);
    collectable = 15_001;
    afterMajor = 12_000; // the working set grew for good
    scavenger.progressed(100);
    expect(asked.slice(3)).to.deep.equal([{ type: 'minor' }, { type: 'major' }]);
    // The new reference is what that full collection left (12 000): 17 000 is within the bound of it.
    collectable = 17_000;
    scavenger.progressed(100);
    expect(asked).to.have.length(6);
    collectable = 17_001;
    scavenger.progressed(100);
    expect(asked.slice(6)).to.deep.equal([{ type: 'minor' }, { type: 'major' }]);
    expect(scavenger.collections).to.equal(5);
    expect(scavenger.majorCollections).to.equal(3);
  });

  it('with young: false (a sender) asks only for the full collections of the bound', () => {
    const asked: unknown[] = [];
    let collectable = 1_000;
    const scavenger = createScavenger(
      { gc: (options) => void asked.push(options), collectable: () => collectable },
      { everyBytes: 100, majorAfterGrowthBytes: 5_000, young: false },
    );
    scavenger.progressed(100);
    expect(asked).to.deep.equal([{ type: 'major' }]);
    collectable = 6_000;
    scavenger.progressed(100);
    expect(asked).to.have.length(1);
    collectable = 6_001;
    scavenger.progressed(100);
    expect(asked).to.deep.equal([{ type: 'major' }, { type: 'major' }]);
    expect(scavenger.collections).to.equal(0);
    expect(scavenger.majorCollections).to.equal(2);
  });

  it('never reads the memory or asks for a full collection without a bound', () => {
    const asked: unknown[] = [];
    const scavenger = createScavenger(
      {
        gc: (options) => void asked.push(options),
        collectable: () => {
          throw new Error('read without a bound');
        },
      },
      { everyBytes: 1 },
    );
    scavenger.progressed(1);
    expect(asked).to.deep.equal([{ type: 'minor' }]);
    expect(scavenger.majorCollections).to.equal(0);
  });

  it('does nothing without a collector', () => {
    const scavenger = createScavenger({}, { everyBytes: 1 });
    scavenger.progressed(10);
    expect(scavenger.collections).to.equal(0);
    expect(scavenger.majorCollections).to.equal(0);
  });

  it('takes the collector a collectGarbage option asks for: the given one, the exposed one by default, none for false', () => {
    const holder = globalThis as { gc?: unknown };
    const before = holder.gc;
    try {
      const exposed = () => {};
      const given = () => {};
      holder.gc = exposed;
      expect(collectorOf(given)).to.equal(given);
      expect(collectorOf(undefined)).to.equal(exposed);
      expect(collectorOf(false)).to.equal(undefined);
    } finally {
      holder.gc = before;
      if (before === undefined) delete holder.gc;
    }
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
