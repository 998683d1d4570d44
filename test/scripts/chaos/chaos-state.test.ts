import { expect } from 'chai';
import { randomFileId } from '../../../protocol/ids';
import { badColumns, type ChaosFile, type ChaosState, mayCorrupt, mayTakeDown } from '../../../scripts/chaos/chaos-state';

function file(index: number, holders: number[], corrupt: [number, number][] = []): ChaosFile {
  return {
    index,
    size: 1,
    sha256: '',
    user: 0,
    handle: 'dhost://x',
    fileId: randomFileId(),
    stripes: 1,
    holders: new Map(holders.map((peer, column) => [column, peer])),
    corrupt: new Map(corrupt),
    uploadErrors: [],
  };
}

function state(files: ChaosFile[], out: number[] = []): ChaosState {
  return { files, outage: new Map(out.map((p) => [p, 'killed'])), uploading: 0, tolerance: 2, dataColumns: 4, maxOut: 5 };
}

describe('chaos tolerance bookkeeping', () => {
  it('counts a column bad when its holder is out or its copy there is corrupt', () => {
    const f = file(0, [0, 1, 2, 3, 4, 5], [[2, 2]]);
    expect(badColumns(f, new Set([0]))).to.equal(2);
    // Column 2 moved to peer 9 by a repair: the corrupt copy on peer 2 no longer counts.
    f.holders.set(2, 9);
    expect(badColumns(f, new Set([0]))).to.equal(1);
  });

  it('takes a peer down only while every file stays within m bad columns', () => {
    const s = state([file(0, [0, 1, 2, 3, 4, 5], [[0, 0]])], [1]);
    expect(mayTakeDown(s, 2)).to.equal(false);
    expect(mayTakeDown(s, 7)).to.equal(true);
  });

  it('never has more than m peers out at once, whatever the placement', () => {
    expect(mayTakeDown(state([], [8, 9]), 10)).to.equal(false);
    expect(mayTakeDown({ ...state([], [8]), maxOut: 1 }, 10)).to.equal(false);
  });

  it('corrupts a file at most once, and only within its tolerance', () => {
    const clean = file(0, [0, 1, 2, 3, 4, 5]);
    expect(mayCorrupt(state([clean], [0]), clean)).to.equal(true);
    expect(mayCorrupt(state([clean], [0, 1]), clean)).to.equal(false);
    const once = file(1, [0, 1, 2, 3, 4, 5], [[3, 3]]);
    expect(mayCorrupt(state([once]), once)).to.equal(false);
  });
});
