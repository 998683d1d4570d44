import { expect } from 'chai';
import { rowBuffers } from '../../client/row-buffers';

describe('client/row-buffers: reused buffers for an upload’s rows', () => {
  it('hands a given-back buffer out again instead of making a new one', () => {
    const rows = rowBuffers({ rowBytes: 1024, keep: 2 });
    const a = rows.take();
    expect(a.length).to.equal(1024);
    rows.give(a);
    expect(rows.take()).to.equal(a);
    expect(rows.made).to.equal(1);
  });

  it('makes new buffers while none is free, and keeps at most `keep` of those given back', () => {
    const rows = rowBuffers({ rowBytes: 16, keep: 2 });
    const taken = [rows.take(), rows.take(), rows.take()];
    expect(new Set(taken).size).to.equal(3);
    for (const b of taken) rows.give(b);
    const again = [rows.take(), rows.take(), rows.take()];
    // Two came back from the pool; the third is new.
    expect(again.filter((b) => taken.includes(b))).to.have.length(2);
    expect(rows.made).to.equal(4);
  });

  it('ignores a buffer of another size, and a buffer given back twice', () => {
    const rows = rowBuffers({ rowBytes: 16, keep: 4 });
    rows.give(Buffer.alloc(8));
    const a = rows.take();
    rows.give(a);
    rows.give(a);
    expect(rows.take()).to.equal(a);
    const b = rows.take();
    expect(b).to.not.equal(a);
    expect(b.length).to.equal(16);
  });

  it('ignores a view into a larger buffer even when its length is the row size (a rebuilt shard)', () => {
    const rows = rowBuffers({ rowBytes: 16, keep: 4 });
    const view = Buffer.alloc(64).subarray(16, 32);
    rows.give(view);
    rows.give(new Uint8Array(16));
    expect(rows.take()).to.not.equal(view);
    expect(rows.made).to.equal(1);
  });
});
