import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, RestError, StorageSharedKeyCredential, type BlobDownloadResponseParsed, type ContainerClient } from '@azure/storage-blob';
import { clip } from '../../router/engine/quote';
import { decodeManifest, encodeManifest, ManifestConflictError, type Manifest, type ManifestStore, type VersionedManifest } from '../manifest';
import type { ListedDocument } from '../plan';
import type { ReadDocument } from '../run';

/*
 * The Blob side of an Azure ingestion run, on @azure/storage-blob (Blob service REST API:
 * learn.microsoft.com/rest/api/storageservices/list-blobs, get-blob, put-blob). The SDK retries
 * throttling and server faults itself (exponential, 4 tries by default), so nothing here does.
 */

/** Name of the manifest blob in the state container. */
export const MANIFEST_BLOB = 'manifest.json';

/** The List Blobs maximum page (`maxresults`). */
export const BLOB_LIST_MAX_PAGE = 5000;

export interface BlobClientOptions {
  /** `https://<account>.blob.core.windows.net`, or azurite's `http://127.0.0.1:<port>/devstoreaccount1`. */
  readonly endpoint: string;
  /**
   * A Microsoft Entra credential (the function's managed identity, which holds "Storage Blob Data
   * Reader" on the source container and "Storage Blob Data Contributor" on the state container), or a shared key (azurite in tests).
   */
  readonly credential: TokenCredential | StorageSharedKeyCredential;
}

export function blobService(options: BlobClientOptions): BlobServiceClient {
  return new BlobServiceClient(options.endpoint.replace(/\/+$/, ''), options.credential);
}

/** A Blob call failed: names the container (and blob) and the service's status and code, never content. */
export class BlobStoreError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'BlobStoreError';
  }
}

function describeRestError(where: string, error: unknown): BlobStoreError {
  if (error instanceof RestError) {
    const code = errorCode(error);
    const hint =
      error.statusCode === 403 || error.statusCode === 401
        ? ': the function identity needs a Storage Blob Data role on this container'
        : error.statusCode === 404 && code === 'ContainerNotFound'
          ? ': the container does not exist (the VectorStore construct creates it)'
          : '';
    return new BlobStoreError(`${where}: HTTP ${error.statusCode ?? 'no answer'}${code ? ` ${code}` : ''}${hint}: ${clip(error.message, 200)}`, error.statusCode);
  }
  return new BlobStoreError(`${where}: ${clip(error instanceof Error ? error.message : String(error), 200)}`);
}

function errorCode(error: RestError): string | undefined {
  const details = error.details as { errorCode?: unknown } | undefined;
  if (typeof details?.errorCode === 'string') return details.errorCode;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * The change token of a blob version: its Content-MD5 when it has one (Put Blob stores it; it changes
 * exactly when the bytes do, so rewriting a blob with the same bytes re-embeds nothing), else its ETag
 * (blobs committed from blocks without an MD5: any rewrite counts as a change). List Blobs gives the
 * ETag bare and Get Blob quoted: it is kept bare, or every such blob would look changed on each run.
 */
export function blobFingerprint(contentMD5: Uint8Array | undefined, etag: string | undefined, where: string): string {
  if (contentMD5 && contentMD5.length > 0) return `md5:${Buffer.from(contentMD5).toString('base64')}`;
  const bare = etag?.replace(/^"(.*)"$/, '$1');
  if (bare) return `etag:${bare}`;
  throw new BlobStoreError(`${where}: the service returned neither Content-MD5 nor ETag`);
}

/**
 * HNS (Data Lake) accounts list directories as zero-length blobs with `hdi_isfolder` metadata; a
 * name ending in `/` is the placeholder some tools write. Neither is a document.
 */
function isFolder(name: string, metadata: Record<string, string> | undefined): boolean {
  return name.endsWith('/') || metadata?.hdi_isfolder === 'true';
}

export interface ListOptions {
  /** Blobs per List Blobs call. @default 5000 (the service's maximum) */
  readonly pageSize?: number;
  /** Names left out (the manifest, were state kept beside the documents). @default - none */
  readonly exclude?: ReadonlySet<string>;
}

/** Every blob of `container` with its change token, one page at a time (flat listing: names are paths). */
export async function listDocuments(container: ContainerClient, options: ListOptions = {}): Promise<ListedDocument[]> {
  const pageSize = Math.min(options.pageSize ?? BLOB_LIST_MAX_PAGE, BLOB_LIST_MAX_PAGE);
  const listed: ListedDocument[] = [];
  try {
    for await (const page of container.listBlobsFlat({ includeMetadata: true }).byPage({ maxPageSize: pageSize })) {
      for (const blob of page.segment.blobItems) {
        if (isFolder(blob.name, blob.metadata) || options.exclude?.has(blob.name)) continue;
        listed.push({ id: blob.name, fingerprint: blobFingerprint(blob.properties.contentMD5, blob.properties.etag, `blob ${container.containerName}/${blob.name}`) });
      }
    }
  } catch (error) {
    if (error instanceof BlobStoreError) throw error;
    throw describeRestError(`listing container ${container.containerName}`, error);
  }
  return listed;
}

async function readBody(response: BlobDownloadResponseParsed): Promise<Buffer> {
  const stream = response.readableStreamBody;
  if (!stream) throw new Error('the download has no body stream (not Node.js?)');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * One blob's bytes and the change token of the version read. The token comes from Get Blob Properties
 * (the stored Content-MD5, as List Blobs shows it: a Get Blob of the whole blob may answer an MD5 it
 * computed, azurite does, which would never match the listing) and the download is conditional on
 * that version's ETag, so the bytes are that version's: a blob rewritten in between is looked at again.
 * One request for the bytes, not ranged in parallel, for the same reason.
 */
export async function readDocument(container: ContainerClient, name: string): Promise<ReadDocument> {
  const where = `blob ${container.containerName}/${name}`;
  const blob = container.getBlobClient(name);
  for (let attempt = 1; ; attempt++) {
    try {
      const props = await blob.getProperties();
      const response = await blob.download(0, undefined, { conditions: { ifMatch: props.etag } });
      const bytes = await readBody(response);
      return { bytes, fingerprint: blobFingerprint(props.contentMD5, props.etag, where), ...(props.contentType ? { contentType: props.contentType } : {}) };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 412 && attempt < 3) continue; // rewritten between the two calls
      if (error instanceof BlobStoreError) throw error;
      throw describeRestError(`reading ${where}`, error);
    }
  }
}

/**
 * The manifest as one blob of the state container, written compare-and-set on its ETag: `If-Match`
 * the ETag read, or `If-None-Match: *` when nothing was stored, so a run that overlaps another fails
 * instead of overwriting its entries.
 */
export class BlobManifestStore implements ManifestStore {
  private readonly where: string;

  constructor(
    private readonly container: ContainerClient,
    private readonly blobName: string = MANIFEST_BLOB,
  ) {
    this.where = `manifest blob ${container.containerName}/${blobName}`;
  }

  async read(): Promise<VersionedManifest | undefined> {
    let response: BlobDownloadResponseParsed;
    let text: string;
    try {
      response = await this.container.getBlobClient(this.blobName).download(0);
      text = (await readBody(response)).toString('utf8');
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404 && errorCode(error) !== 'ContainerNotFound') return undefined;
      throw describeRestError(`reading ${this.where}`, error);
    }
    if (!response.etag) throw new BlobStoreError(`reading ${this.where}: the service returned no ETag`);
    return { manifest: decodeManifest(text), version: response.etag };
  }

  async write(manifest: Manifest, expectedVersion: string | undefined): Promise<string> {
    const json = encodeManifest(manifest);
    try {
      const response = await this.container.getBlockBlobClient(this.blobName).upload(json, Buffer.byteLength(json), {
        conditions: expectedVersion === undefined ? { ifNoneMatch: '*' } : { ifMatch: expectedVersion },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      if (!response.etag) throw new BlobStoreError(`writing ${this.where}: the service returned no ETag`);
      return response.etag;
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 412 || (error.statusCode === 409 && errorCode(error) === 'BlobAlreadyExists'))) {
        throw new ManifestConflictError(
          `${this.where} changed since this run read it (expected ${expectedVersion === undefined ? 'no manifest' : `ETag ${expectedVersion}`}, HTTP ${error.statusCode}): another ingestion run overlapped this one; the next run redoes what this one did not record`,
        );
      }
      if (error instanceof BlobStoreError) throw error;
      throw describeRestError(`writing ${this.where}`, error);
    }
  }
}
