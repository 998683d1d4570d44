/**
 * The dhost client SDK: upload a file to peers (encrypted, replicated), download it back from its
 * handle, and keep the local keystore.
 *
 * @example
 * import { download, fileSource, masterFromPrivateKey, upload } from './client';
 * const { handle } = await upload({ account, chainId, master: masterFromPrivateKey(key), peers }, { source: await fileSource(p), name: 'a.txt' });
 * for await (const piece of download({ peers }, { handle })) process.stdout.write(piece);
 */
export { type Chunk, checkChunkSize, chunkCountOf, chunkStream, lastChunkLengthOf } from './chunker';
export { chunkAssociatedData, chunkNonce, decryptChunk, encryptChunk, FORMAT_VERSION, NONCE_BYTES, TAG_BYTES } from './cipher';
export { type DownloadDeps, type DownloadParams, download } from './download';
export { downloadToFile } from './download-to-file';
export { isPublicEndpoint } from './endpoint-policy';
export {
  ChunksLostError,
  type ColumnFailure,
  DecryptionError,
  FileChangedError,
  IntegrityError,
  InvalidHandleError,
  KeystoreError,
  ManifestError,
  NoColumnsFoundError,
  NoSparePeerError,
  NotEnoughPeersError,
  PeerRequestError,
} from './errors';
export { bytesSource, type FileSource, fileSource } from './file-source';
export { formatHandle, HANDLE_SCHEME, parseHandle } from './handle';
export { deriveChunkKey, deriveFileKey, deriveManifestKey, KEY_BYTES, KEY_INFO, masterFromPrivateKey } from './keys';
export { KEYSTORE_FILES, type Keystore, openKeystore, type UploadEntry, uploadEntrySchema } from './keystore';
export {
  decryptManifest,
  encryptManifest,
  MANIFEST_MAGIC,
  MANIFEST_VERSION,
  MAX_NAME_LENGTH,
  type Manifest,
  manifestAssociatedData,
  manifestSchema,
  shardHashesOf,
} from './manifest';
export { chainPeerSource, type PeerSource, staticPeerSource } from './peer-source';
export { type PlacedPeer, type Placement, placeColumns } from './placement';
export type { OnProgress, Progress } from './progress';
export { getHoldings } from './transport/get-holdings';
export { getShard } from './transport/get-shard';
export { getStatus } from './transport/get-status';
export { fetchRequester, type HttpAnswer, type HttpRequester, nodeHttpRequester } from './transport/http-requester';
export { type PeerTarget, putShard, type ShardReceipt } from './transport/put-shard';
export { type PeerResponse, peerRequest } from './transport/request';
export { type ColumnMove, type UploadColumn, type UploadDeps, type UploadParams, type UploadResult, upload } from './upload';
