import net from 'node:net';

/** What a fault proxy injected so far, by kind. */
export interface ProxyFaultCounts {
  /** Exchanges (request and answer) whose every forwarded piece was held back by an added delay. */
  proxyLatency: number;
  /** Connections reset (TCP RST) as a request arrived or in the middle of its answer. */
  proxyReset: number;
  /** Answers cut short: headers and part of the body forwarded, then the connection closed. */
  proxyTruncate: number;
}

/** How often each fault hits an exchange (a request and its answer), while faults are on. */
export interface ProxyFaultRates {
  /** Share of exchanges delayed, 0..1. */
  latency: number;
  /** Delay range added to each forwarded piece of a delayed exchange, milliseconds. */
  latencyMs: [number, number];
  /** Share of exchanges reset, 0..1. */
  reset: number;
  /** Share of exchanges whose answer is truncated, 0..1 (answers without a body are left whole). */
  truncate: number;
}

/** A running fault-injecting TCP proxy in front of one peer node. */
export interface FaultProxy {
  /** The URL clients use (what the peer announces on chain). */
  url: string;
  port: number;
  /** A copy of the counts so far. */
  counts(): ProxyFaultCounts;
  /** Turns fault injection on or off (off: a plain pipe). */
  setFaults(on: boolean): void;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1:`port` (0: any free port) forwarding to 127.0.0.1:`targetPort`. While faults are
 * on, each exchange (a request and its answer; a kept-alive connection carries many) draws at most
 * one fault (with `random`): a delay added to every piece forwarded in both directions (order
 * kept), a reset (RST to the client) as the request arrives or part-way through the answer, or a
 * truncated answer (the status line, the headers and part of the declared body forwarded, then a
 * clean close, so the client sees a short body). Faults work below HTTP, so they hit uploads (PUT),
 * downloads (GET) and repairs alike. Counts say how many exchanges got each fault (resets and
 * truncations when they fired).
 *
 * @example
 * const proxy = await startFaultProxy({ random: seededRandom(1) }, { port: 7701, targetPort: 7601, rates: { latency: 0.2, latencyMs: [20, 200], reset: 0.03, truncate: 0.03 } });
 * proxy.setFaults(true);
 */
export async function startFaultProxy(
  deps: { random: () => number },
  params: { port: number; targetPort: number; rates: ProxyFaultRates },
): Promise<FaultProxy> {
  const counts: ProxyFaultCounts = { proxyLatency: 0, proxyReset: 0, proxyTruncate: 0 };
  const sockets = new Set<net.Socket>();
  let faultsOn = false;
  const { rates, targetPort } = params;
  const between = (lo: number, hi: number) => lo + Math.floor(deps.random() * (hi - lo + 1));

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', () => {
      // The peer is down (killed) or reset us: reset the client too, as a dead peer would.
      if (!client.destroyed) client.resetAndDestroy();
      drop();
    });
    client.on('close', drop);
    upstream.on('close', () => sockets.delete(upstream));

    // One exchange = a request and its answer (keep-alive connections carry many): each draws at most one fault.
    let mode: 'none' | 'latency' | 'reset' | 'truncate' = 'none';
    let delayMs = 0;
    /** Answer bytes still forwarded before the fault fires (Infinity: no limit). */
    let budget = Number.POSITIVE_INFINITY;
    /** The next client bytes start a new exchange (set once answer bytes have flowed). */
    let newExchange = true;
    /** The next answer bytes are the start of the answer (status line and headers). */
    let answerStart = true;
    let dead = false;
    const kill = (how: 'reset' | 'truncate') => {
      if (dead) return;
      dead = true;
      if (how === 'reset') {
        counts.proxyReset += 1;
        client.resetAndDestroy();
      } else {
        counts.proxyTruncate += 1;
        client.end();
      }
      upstream.destroy();
    };
    const drawExchange = () => {
      mode = 'none';
      delayMs = 0;
      budget = Number.POSITIVE_INFINITY;
      answerStart = true;
      if (!faultsOn) return;
      const draw = deps.random();
      if (draw < rates.reset) mode = 'reset';
      else if (draw < rates.reset + rates.truncate) mode = 'truncate';
      else if (draw < rates.reset + rates.truncate + rates.latency) {
        mode = 'latency';
        delayMs = between(rates.latencyMs[0], rates.latencyMs[1]);
        counts.proxyLatency += 1;
      }
    };
    /** At the start of an answer: where a reset or a truncation cuts it (inside its body when it has one). */
    const placeCut = (piece: Buffer) => {
      answerStart = false;
      if (mode !== 'reset' && mode !== 'truncate') return;
      const headEnd = piece.indexOf('\r\n\r\n');
      const head = headEnd < 0 ? piece.length : headEnd + 4;
      const declared = /\r\ncontent-length:\s*(\d+)/i.exec(piece.subarray(0, head).toString('latin1'));
      const body = declared ? Number(declared[1]) : piece.length - head;
      if (body <= 1) {
        // Nothing to cut short: a reset still cuts the status line, a truncation is not possible.
        if (mode === 'reset') budget = Math.floor(deps.random() * head);
        else mode = 'none';
        return;
      }
      budget = head + Math.floor(deps.random() * body);
    };

    /** Forwards in order, each piece `delayMs` late (0: at once, keeping back-pressure). */
    const pipe = (from: net.Socket, to: net.Socket, answer: boolean) => {
      let chain = Promise.resolve();
      from.on('data', (piece: Buffer) => {
        if (dead || to.destroyed) return;
        if (!answer && newExchange) {
          newExchange = false;
          drawExchange();
          if (mode === 'reset' && deps.random() < 0.5) {
            // Reset as the request arrives: the client sees its connection reset before any answer.
            kill('reset');
            return;
          }
        }
        let out = piece;
        let cut = false;
        if (answer) {
          newExchange = true;
          if (answerStart) placeCut(piece);
          if (out.length >= budget) {
            out = out.subarray(0, budget);
            cut = true;
          }
          budget -= out.length;
        }
        const how = mode === 'reset' ? 'reset' : 'truncate';
        const send = () => {
          if (dead || to.destroyed) return;
          if (out.length > 0 && !to.write(out)) {
            from.pause();
            to.once('drain', () => from.resume());
          }
          if (cut) kill(how);
        };
        if (delayMs === 0) send();
        else {
          from.pause();
          chain = chain.then(
            () =>
              new Promise<void>((resolve) =>
                setTimeout(() => {
                  send();
                  from.resume();
                  resolve();
                }, delayMs),
              ),
          );
        }
      });
      from.on('end', () => {
        void chain.then(() => {
          if (!to.destroyed && !dead) to.end();
        });
      });
    };
    pipe(client, upstream, false);
    pipe(upstream, client, true);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(params.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts: () => ({ ...counts }),
    setFaults: (on) => {
      faultsOn = on;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
