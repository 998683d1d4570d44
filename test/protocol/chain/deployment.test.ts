import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { deploymentPath, loadDeployment, writeDeployment } from '../../../protocol/chain/deployment';
import { ChainError } from '../../../protocol/errors';

describe('protocol/chain/deployment', () => {
  let dir: string;
  const deployment = {
    chainId: 31337,
    blockNumber: 3,
    contracts: {
      RewardToken: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      PeerRegistry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      Marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
    },
  } as const;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-deployment-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof ChainError ? e.code : `unexpected ${String(e)}`),
    );

  it('writes and reads back deployments/<chainId>.json', async () => {
    const file = deploymentPath(dir, 31337);
    expect(path.basename(file)).to.equal('31337.json');
    await writeDeployment({ file, deployment: { ...deployment } });
    const read = await loadDeployment({ file, chainId: 31337 });
    expect(read.contracts.PeerRegistry).to.equal(deployment.contracts.PeerRegistry);
    expect(fs.readdirSync(dir)).to.deep.equal(['31337.json']);
  });

  it('refuses a missing file as DEPLOYMENT_MISSING', async () => {
    expect(await codeOf(loadDeployment({ file: path.join(dir, 'none.json') }))).to.equal('DEPLOYMENT_MISSING');
  });

  for (const [label, text] of [
    ['not JSON', '{'],
    ['no contracts', '{"chainId":1,"blockNumber":0}'],
    ['a bad address', '{"chainId":1,"blockNumber":0,"contracts":{"RewardToken":"0x12","PeerRegistry":"0x12","Marketplace":"0x12"}}'],
    [
      'no Marketplace',
      JSON.stringify({ ...deployment, contracts: { RewardToken: deployment.contracts.RewardToken, PeerRegistry: deployment.contracts.PeerRegistry } }),
    ],
    ['a negative block', JSON.stringify({ ...deployment, blockNumber: -1 })],
  ] as const) {
    it(`refuses a file with ${label} as DEPLOYMENT_MALFORMED`, async () => {
      const file = path.join(dir, 'bad.json');
      fs.writeFileSync(file, text);
      expect(await codeOf(loadDeployment({ file }))).to.equal('DEPLOYMENT_MALFORMED');
    });
  }

  it('refuses a file made for another chain as CHAIN_MISMATCH', async () => {
    const file = path.join(dir, '31337.json');
    await writeDeployment({ file, deployment: { ...deployment } });
    expect(await codeOf(loadDeployment({ file, chainId: 1 }))).to.equal('CHAIN_MISMATCH');
  });
});
