import { token } from './account';
import { el, formatTokens, shortAddress } from './format';
import { type DaemonClient, failure } from './session';

/** Fills the peers table: endpoint, operator, live status, proofs kept / missed, reputation, price. */
export async function showPeers(api: DaemonClient): Promise<void> {
  const res = await api.api.peers.$get();
  if (!res.ok) throw await failure(res);
  const { peers } = await res.json();
  const body = document.querySelector('#peers tbody') as HTMLElement;
  body.replaceChildren(
    ...peers.map((p) => {
      const operator = el('td', { 'data-label': 'Operator', title: p.operator }, shortAddress(p.operator));
      const status = p.live ? `live, ${p.rttMs} ms` : `down: ${p.error ?? 'no answer'}`;
      const score = p.reputation.score === null ? 'new' : `${Math.round(p.reputation.score * 100)} %`;
      return el(
        'tr',
        {},
        el('td', { 'data-label': 'Endpoint' }, p.endpoint),
        operator,
        el('td', { 'data-label': 'Status', class: p.live ? 'ok' : 'bad' }, status),
        el('td', { 'data-label': 'Proofs kept / missed' }, `${p.reputation.proofsKept} / ${p.reputation.proofsMissed}`),
        el('td', { 'data-label': 'Reputation' }, score),
        el('td', { 'data-label': 'Price / GiB·epoch' }, formatTokens(p.pricePerGiBEpoch, token.decimals, token.symbol)),
      );
    }),
  );
}
