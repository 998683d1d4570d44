import http from 'node:http';
import { listenLocal } from './local-server';

interface JsonRpcCall {
  method?: string;
  params?: unknown;
}

/** One JSON-RPC call seen by `startRpcRecorder`: its method and, for a call or transaction, its data. */
export interface RecordedCall {
  method: string;
  data?: string;
}

/**
 * An HTTP JSON-RPC proxy that forwards to `target` and records every method called through it, so
 * a test can check that runtime code uses only standard Ethereum JSON-RPC (no `hardhat_*`, `evm_*`),
 * or which contract calls it made.
 *
 * @example
 * const rec = await startRpcRecorder({ target: net.rpcUrl });
 * // … run a command with DHOST_RPC_URL = rec.rpcUrl …
 * expect(rec.methods().every((m) => /^(eth|net|web3)_/.test(m))).to.equal(true);
 * rec.calls().filter((c) => c.method === 'eth_call'); // each call in order, with its data
 * await rec.close();
 */
export async function startRpcRecorder(params: {
  target: string;
}): Promise<{ rpcUrl: string; methods: () => string[]; calls: () => RecordedCall[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const calls: RecordedCall[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!call.method) continue;
        seen.push(call.method);
        const first = Array.isArray(call.params) ? (call.params[0] as { data?: string; input?: string } | undefined) : undefined;
        calls.push({ method: call.method, data: first?.data ?? first?.input });
      }
    } catch {
      seen.push('<unparseable>');
    }
    const upstream = await fetch(params.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  const local = await listenLocal(server);
  return { rpcUrl: local.url, methods: () => [...new Set(seen)].sort(), calls: () => [...calls], close: local.close };
}
