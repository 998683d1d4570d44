import { expect } from 'chai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { PeerRequestError } from '../../../client/errors';
import { getStatus } from '../../../client/transport/get-status';
import type { HttpRequester } from '../../../client/transport/http-requester';
import { type StatusFields, signStatus } from '../../../protocol/status-signing';

const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;

/** A requester answering every request with `body` as JSON (status 200). */
const answering =
  (body: unknown): HttpRequester =>
  async () => ({
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json' },
    body: (async function* () {
      yield new TextEncoder().encode(JSON.stringify(body));
    })(),
    cancel: () => {},
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('transport/get-status with an expected signer', () => {
  const operator = privateKeyToAccount(generatePrivateKey());
  const other = privateKeyToAccount(generatePrivateKey());
  const fields = (address = operator.address): StatusFields => ({
    address,
    chainId: 31337,
    version: '0.1.0',
    capacityBytes: 1000,
    usedBytes: 100,
    freeBytes: 900,
    slots: 1,
    shards: 2,
    maxShardBytes: 512,
    uptimeSeconds: 12.345,
  });
  const probe = (body: unknown, params: { expectedSigner?: `0x${string}`; chainId?: number; clockMs?: number } = {}) =>
    getStatus(
      { request: answering(body), clock: () => params.clockMs ?? NOW_MS },
      { endpoint: 'http://peer.example', expectedSigner: params.expectedSigner, chainId: params.chainId },
    );
  const expectInvalid = async (promise: Promise<unknown>, why: RegExp) => {
    const err = await rejection(promise);
    expect(err).to.be.instanceOf(PeerRequestError);
    expect((err as PeerRequestError).peerCode).to.equal('STATUS_SIGNATURE_INVALID');
    expect((err as PeerRequestError).message).to.match(why);
  };

  it('accepts a status signed by the expected operator for the expected chain', async () => {
    const body = await signStatus({ signer: operator }, { status: fields(), signedAt: NOW_S - 10 });
    const { status } = await probe(body, { expectedSigner: operator.address, chainId: 31337 });
    expect(status).to.deep.equal(body);
  });

  it('refuses a status signed by another key (an endpoint answering for another node)', async () => {
    const body = await signStatus({ signer: other }, { status: fields(other.address), signedAt: NOW_S });
    await expectInvalid(probe(body, { expectedSigner: operator.address }), /not signed by/);
  });

  it('refuses a status whose fields were altered after signing', async () => {
    const body = await signStatus({ signer: operator }, { status: fields(), signedAt: NOW_S });
    await expectInvalid(probe({ ...body, freeBytes: 10 ** 12 }, { expectedSigner: operator.address }), /not signed by/);
    await expectInvalid(probe({ ...body, signedAt: NOW_S - 1 }, { expectedSigner: operator.address }), /not signed by/);
  });

  it('refuses a status for another chain', async () => {
    const body = await signStatus({ signer: operator }, { status: { ...fields(), chainId: 1 }, signedAt: NOW_S });
    await expectInvalid(probe(body, { expectedSigner: operator.address, chainId: 31337 }), /chain 1/);
  });

  it('refuses an unsigned status', async () => {
    await expectInvalid(probe(fields(), { expectedSigner: operator.address }), /not signed/);
  });

  it('refuses a signature older than 5 minutes or from the future', async () => {
    const old = await signStatus({ signer: operator }, { status: fields(), signedAt: NOW_S - 301 });
    await expectInvalid(probe(old, { expectedSigner: operator.address }), /ago/);
    const ahead = await signStatus({ signer: operator }, { status: fields(), signedAt: NOW_S + 120 });
    await expectInvalid(probe(ahead, { expectedSigner: operator.address }), /future/);
  });

  it('checks nothing without an expected signer (compatible with nodes that do not sign)', async () => {
    const { status } = await probe(fields());
    expect(status.signature).to.equal(undefined);
  });
});
