/**
 * Gas per file of a batch against single uploads (docs/batches.md): starts a real test network
 * (chain + seven peers), uploads BATCH_FILES one-byte files as one batch and SINGLE_FILES one-byte
 * files one by one, all under RS(4,2), and prints the receipt `gasUsed` per file: the owner's
 * transactions (approve or permit, openDeal, commitRoot) plus the peers' fillSlot calls.
 *
 *   npx hardhat run scripts/bench/batch.ts            # 100 and 100 (about eight minutes)
 *   BATCH_FILES=1000 SINGLE_FILES=10 npx hardhat run scripts/bench/batch.ts
 */
import { randomBytes } from 'node:crypto';
import hre from 'hardhat';
import type { Hex } from 'viem';
import { bytesSource, chainPeerSource, masterFromPrivateKey, type Redundancy, upload } from '../../client';
import { uploadBatch } from '../../client/upload-batch';
import { marketAbi } from '../../protocol/chain/market';
import { startTestNetwork } from '../testkit/network';

const CHUNK = 64 * 1024;

async function main(): Promise<void> {
  const batchFiles = Number(process.env.BATCH_FILES ?? 100);
  const singleFiles = Number(process.env.SINGLE_FILES ?? 100);
  const net = await startTestNetwork(hre, { peers: 7 });
  try {
    const user = await net.user();
    const marketplace = net.marketplaceFor(user.account);
    const { publicClient } = marketplace;
    const peers = chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry });
    const deps = { account: user.account, chainId: net.chainId, master: masterFromPrivateKey(user.key), peers, marketplace };
    const redundancy: Redundancy = { scheme: 'rs', dataShards: 4, parityShards: 2 };

    /** Gas of the owner's transactions since `fromBlock` and of the fills of these deals. */
    const gasOf = async (dealIds: Hex[], fromBlock: bigint): Promise<bigint> => {
      const hashes = new Set<Hex>();
      const to = await publicClient.getBlockNumber();
      for (let n = fromBlock; n <= to; n++) {
        const block = await publicClient.getBlock({ blockNumber: n, includeTransactions: true });
        for (const tx of block.transactions) if (tx.from.toLowerCase() === user.account.address.toLowerCase()) hashes.add(tx.hash);
      }
      for (const id of dealIds) {
        const fills = await publicClient.getContractEvents({ address: marketplace.market, abi: marketAbi, eventName: 'SlotFilled', args: { id }, fromBlock });
        for (const e of fills) hashes.add(e.transactionHash);
      }
      let gas = 0n;
      for (const hash of hashes) gas += (await publicClient.getTransactionReceipt({ hash })).gasUsed;
      return gas;
    };

    let from = (await publicClient.getBlockNumber()) + 1n;
    const batch = await uploadBatch(deps, {
      files: Array.from({ length: batchFiles }, (_, i) => ({ source: bytesSource(randomBytes(1)), name: `one-${i}` })),
      redundancy,
      chunkSize: CHUNK,
      pollIntervalMs: 200,
    });
    const batchGas = await gasOf([batch.dealId], from);

    from = (await publicClient.getBlockNumber()) + 1n;
    const singles: Hex[] = [];
    for (let i = 0; i < singleFiles; i++) {
      const r = await upload(deps, { source: bytesSource(randomBytes(1)), name: `single-${i}`, redundancy, chunkSize: CHUNK, pollIntervalMs: 200 });
      singles.push(r.fileId as Hex);
    }
    const singleGas = await gasOf(singles, from);
    const rows = [
      { way: `batch of ${batchFiles}`, files: batchFiles, totalGas: batchGas, gasPerFile: batchGas / BigInt(batchFiles) },
      { way: `${singleFiles} single uploads`, files: singleFiles, totalGas: singleGas, gasPerFile: singleGas / BigInt(singleFiles) },
    ];
    console.log('one-byte files under RS(4,2); gas = owner transactions + fillSlot calls (receipt gasUsed)');
    console.table(rows.map((r) => ({ ...r, totalGas: r.totalGas.toString(), gasPerFile: r.gasPerFile.toString() })));
  } finally {
    await net.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
