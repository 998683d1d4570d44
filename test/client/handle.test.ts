import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidHandleError } from '../../client/errors';
import { formatHandle, parseHandle } from '../../client/handle';
import { type FileId, randomFileId } from '../../protocol/ids';

describe('handle', () => {
  describe('when formatted and parsed back', () => {
    it('gives the same file id and key for any id and key', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (id, key) => {
          const fileId = `0x${Buffer.from(id).toString('hex')}` as FileId;
          const handle = formatHandle({ fileId, fileKey: key });
          expect(handle).to.match(/^dhost:\/\/[0-9a-f]{64}#[A-Za-z0-9_-]{43}$/);
          const parsed = parseHandle(handle);
          expect(parsed.fileId).to.equal(fileId);
          expect(Buffer.from(parsed.fileKey).equals(Buffer.from(key))).to.equal(true);
        }),
      );
    });

    it('ignores white space around a pasted handle', () => {
      const handle = formatHandle({ fileId: randomFileId(), fileKey: new Uint8Array(32).fill(9) });
      expect(parseHandle(`  ${handle}\n`).fileId).to.equal(parseHandle(handle).fileId);
    });
  });

  describe('when the handle is malformed', () => {
    const good = formatHandle({ fileId: `0x${'ab'.repeat(32)}` as FileId, fileKey: new Uint8Array(32).fill(1) });
    const [idPart, keyPart] = good.slice('dhost://'.length).split('#');
    const bad: Record<string, string> = {
      'an empty string': '',
      'another scheme': good.replace('dhost://', 'https://'),
      'a 0x prefix in the id': `dhost://0x${idPart}#${keyPart}`,
      'upper-case hex': `dhost://${idPart.toUpperCase()}#${keyPart}`,
      'a short id': `dhost://${idPart.slice(2)}#${keyPart}`,
      'no key': `dhost://${idPart}`,
      'an empty key': `dhost://${idPart}#`,
      'a short key': `dhost://${idPart}#${keyPart.slice(1)}`,
      'a long key': `dhost://${idPart}#${keyPart}A`,
      'base64 padding': `dhost://${idPart}#${keyPart}=`,
      'standard base64 characters': `dhost://${idPart}#+${keyPart.slice(1)}`,
      'a non-canonical last character': `dhost://${idPart}#${keyPart.slice(0, 42)}B`,
      'a query part': `dhost://${idPart}?x=1#${keyPart}`,
    };
    for (const [what, handle] of Object.entries(bad)) {
      it(`refuses ${what} with InvalidHandleError`, () => {
        expect(() => parseHandle(handle)).to.throw(InvalidHandleError);
      });
    }

    it('never echoes the key in the error', () => {
      try {
        parseHandle(`dhost://${idPart.slice(1)}#${keyPart}`);
        expect.fail('parseHandle accepted a malformed handle');
      } catch (err) {
        expect(JSON.stringify((err as InvalidHandleError).details)).not.to.include(keyPart);
      }
    });
  });
});
