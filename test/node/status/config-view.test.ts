import { expect } from 'chai';
import { jsonSafe, redactUrl } from '../../../node/status/config-view';

describe('node/status/config-view', () => {
  it('shows an RPC URL without credentials, path or query', () => {
    expect(redactUrl('https://user:secret@rpc.example.org/v3/KEY?x=1')).to.equal('https://rpc.example.org/…');
    expect(redactUrl('https://mainnet.infura.io/v3/abc123')).to.equal('https://mainnet.infura.io/…');
    expect(redactUrl('http://127.0.0.1:8545')).to.equal('http://127.0.0.1:8545');
    expect(redactUrl('not a url')).to.equal('(not a URL)');
  });

  it('turns bigints into decimal strings and drops undefined and functions', () => {
    expect(jsonSafe({ a: 10n ** 18n, b: undefined, c: () => 1, d: [1n, 'x', null], e: { f: true } })).to.deep.equal({
      a: '1000000000000000000',
      d: ['1', 'x', null],
      e: { f: true },
    });
  });
});
