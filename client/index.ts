/**
 * The dhost client SDK: quote and open a deal, upload a file to the deal's assigned peers
 * (encrypted, erasure-coded or replicated, slot roots committed, fills awaited), download it back from its handle
 * through the chain, list, extend and cancel the owner's deals, and keep the local keystore.
 *
 * @example
 * import { download, fileSource, listDeals, masterFromPrivateKey, upload } from './client';
 * const marketplace = { publicClient, walletClient, market: deployment.contracts.Marketplace, token: deployment.contracts.RewardToken };
 * const { handle } = await upload({ account, chainId, master: masterFromPrivateKey(key), peers, marketplace }, { source: await fileSource(p), name: 'a.txt' });
 * for await (const piece of download({ peers, marketplace: { publicClient, market, registry } }, { handle })) process.stdout.write(piece);
 * const deals = await listDeals({ publicClient, market }, { owner: account.address });
 */

export { type CollectGarbage, createScavenger, exposedGc, MAJOR_AFTER_GROWTH_BYTES, SCAVENGE_EVERY_BYTES, type Scavenger } from '../protocol/scavenger';
export { accessForLink } from './access/access-for-link';
export { createShareLink, type ShareLink } from './access/create-share-link';
export { type ReadAccess, readAccessHeaders } from './access/read-access';
export { revokeTokens } from './access/revoke-tokens';
export { SELF_ISSUED_TTL_SECONDS, selfIssuedAccess } from './access/self-issued-access';
export { setDelegate } from './access/set-delegate';
export { BATCH_HEADER_BYTES, BATCH_HEADER_MAGIC, type BatchLayout, decodeBatchHeader, encodeBatchHeader } from './batch/batch-header';
export { type Chunk, checkChunkSize, chunkCountOf, chunkStream, lastChunkLengthOf } from './chunker';
export { chunkAssociatedData, chunkNonce, decryptChunk, encryptChunk, FORMAT_VERSION, NONCE_BYTES, TAG_BYTES } from './cipher';
export { cancelDeal } from './deal/cancel-deal';
export type { ChainReader, ChainWriter, MarketContracts } from './deal/chain-deps';
export { commitRoot } from './deal/commit-root';
export { extendDeal } from './deal/extend-deal';
export { ENDS_SOON_EPOCHS, listDeals, type OwnedDeal } from './deal/list-deals';
export { type OpenDealDeps, type OpenedDeal, openDeal } from './deal/open-deal';
export { bytesPerSlotOf, type DealQuote, GIB, quoteDeal, slotPriceAt } from './deal/quote';
export { type ChainHolder, readChainHolders } from './deal/read-holders';
export { decodeRevert, sendTransaction } from './deal/send-transaction';
export { type SignedAssignment, signAssignment } from './deal/sign-assignment';
export { type PermitSignature, signPermit } from './deal/sign-permit';
export { type DownloadDeps, type DownloadParams, download } from './download';
export { downloadToFile } from './download-to-file';
export { isPublicEndpoint } from './endpoint-policy';
export { createCodec, type ErasureCodec, MAX_DATA_SHARDS, MAX_PARITY_SHARDS, SHARD_ALIGNMENT } from './erasure';
export {
  ChainUnavailableError,
  ChunksLostError,
  type ColumnFailure,
  ContractRevertError,
  DealNotFoundError,
  DealOpenError,
  DecryptionError,
  FileChangedError,
  IntegrityError,
  InvalidHandleError,
  KeystoreError,
  ManifestError,
  NoColumnsFoundError,
  NoSparePeerError,
  NotEnoughPeersError,
  NotEnoughShardsError,
  PeerRequestError,
  SlotNotFilledError,
  StripesLostError,
  UploadJournalError,
} from './errors';
export { type ColumnHealth, type ColumnHealthState, type FileHealth, readFileHealth } from './file-health';
export { bytesSource, type FileSource, fileSource } from './file-source';
export { type FileLocation, formatBatchHandle, formatHandle, HANDLE_SCHEME, handleOfUpload, parseAnyHandle, parseHandle } from './handle';
export {
  deriveChunkKey,
  deriveErasureChunkKey,
  deriveErasureManifestKey,
  deriveFileKey,
  deriveManifestKey,
  KEY_BYTES,
  KEY_INFO,
  masterFromPrivateKey,
} from './keys';
export { KEYSTORE_FILES, type Keystore, openKeystore, type UploadEntry, uploadEntrySchema } from './keystore';
export {
  decryptManifest,
  ERASURE_HEADER_BYTES,
  ERASURE_MANIFEST_MAGIC,
  ERASURE_MANIFEST_VERSION,
  type ErasureLayout,
  type ErasureManifest,
  encryptManifest,
  erasureHeaderOf,
  erasureManifestAssociatedData,
  erasureManifestSchema,
  MANIFEST_MAGIC,
  MANIFEST_VERSION,
  MAX_NAME_LENGTH,
  type Manifest,
  manifestAssociatedData,
  manifestBytesBound,
  manifestSchema,
  type ReplicatedManifest,
  readErasureHeader,
  redundancyOf,
  replicatedManifestSchema,
  shardHashesOf,
  stripeCountOf,
} from './manifest';
export { memoryExperience, type PeerExperience, type PeerExperienceLog } from './peer-experience';
export {
  type CandidatePeer,
  chainPeerSource,
  hasRepeatedMisses,
  type PeerLedger,
  type PeerSource,
  type RegistryRules,
  staticPeerSource,
} from './peer-source';
export { type PlacedPeer, type Placement, placeColumns, type StatusProbe } from './placement';
export {
  AGE_HALF_SECONDS,
  LATENCY_HALF_MS,
  LATENCY_WEIGHT,
  PRICE_WEIGHT,
  placementScore,
  REPUTATION_PRIOR,
  REPUTATION_WEIGHT,
  type ScoreFactors,
  type ScoreInputs,
  SPACE_WEIGHT,
  scoreFactors,
  UPTIME_WEIGHT,
} from './placement-score';
export type { OnProgress, Progress } from './progress';
export { readManifest } from './read-manifest';
export {
  checkRedundancy,
  chooseRedundancy,
  columnCountOf,
  formatRedundancy,
  parseRedundancy,
  type Redundancy,
  type RedundancyChoice,
} from './redundancy';
export { type ResumedUpload, resumeUpload } from './resume-upload';
export { seededRandom } from './seeded-random';
export { formatShareLink, formatWebShareLink, type ParsedLink, parseLink } from './share-link';
export { getHoldings } from './transport/get-holdings';
export { getShard } from './transport/get-shard';
export { getStatus } from './transport/get-status';
export { fetchRequester, type HttpAnswer, type HttpRequester, nodeHttpRequester } from './transport/http-requester';
export { type PeerTarget, putShard, type ShardReceipt } from './transport/put-shard';
export { type PeerResponse, peerRequest } from './transport/request';
export {
  type ColumnMove,
  DEFAULT_DEAL_EPOCHS,
  DEFAULT_FILL_TIMEOUT_SECONDS,
  type UploadCheckpoints,
  type UploadColumn,
  type UploadDeal,
  type UploadDeps,
  type UploadMarketplaceDeps,
  type UploadParams,
  type UploadResult,
  type UploadResumeState,
  upload,
} from './upload';
export { type BatchFile, type UploadBatchParams, type UploadBatchResult, uploadBatch } from './upload-batch';
export {
  type LoadedUploadJournal,
  readUploadJournal,
  UPLOAD_JOURNAL_DIR,
  type UploadJournalRecord,
  uploadJournalPath,
} from './upload-journal';
export { listUploadJournals } from './upload-journal-list';
export { type UploadJournalWriter, uploadJournalWriter } from './upload-journal-writer';
export { type JournaledUploadDeps, uploadEntryOf, uploadWithJournal } from './upload-journaled';
