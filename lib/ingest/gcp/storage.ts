import { isObject } from '../../router/providers/errors';
import { ProviderError } from '../../router/providers/types';
import { googleAccessToken } from '../embed/auth';
import type { RetryOptions } from '../embed/retry';
import { decodeManifest, encodeManifest, ManifestConflictError, type Manifest, type ManifestStore, type VersionedManifest } from '../manifest';
import type { ListedDocument } from '../plan';
import type { ReadDocument } from '../run';
import { answerJson, GoogleApiError, googleRequest, retried, type GoogleAnswer } from './http';

/*
 * Cloud Storage JSON API (cloud.google.com/storage/docs/json_api/v1):
 *   objects.list    GET  {base}/storage/v1/b/{bucket}/o?pageToken=…&fields=…   → {items:[Object], nextPageToken?}
 *   objects.get     GET  {base}/storage/v1/b/{bucket}/o/{url-encoded name}?alt=media
 *                        → the bytes; x-goog-hash: crc32c=…,md5=…; x-goog-generation; x-goog-stored-content-length
 *   objects.insert  POST {base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=…&ifGenerationMatch=…
 *                        → the Object resource; 412 (reason conditionNotMet) when the precondition fails
 *   objects.delete  DELETE {base}/storage/v1/b/{bucket}/o/{url-encoded name}
 *                        → 204, empty body; 404 (reason notFound) when no live object has the name
 *                        (cloud.google.com/storage/docs/json_api/v1/objects/delete)
 * Preconditions: cloud.google.com/storage/docs/request-preconditions (`ifGenerationMatch=0`: only if
 * no live object exists). Hashes: cloud.google.com/storage/docs/hashes-etags (composite objects have a
 * CRC32C but no MD5).
 */
export const STORAGE_BASE_URL = 'https://storage.googleapis.com';

/** Name of the manifest object in the state bucket. */
export const MANIFEST_OBJECT = 'manifest.json';

/** Only what the plan needs of each object: responses stay small on a corpus of millions. */
const LIST_FIELDS = 'nextPageToken,items(name,md5Hash,crc32c,size)';

export interface GcsClientOptions {
  /** Tests point it at a local server speaking the same API. @default 'https://storage.googleapis.com' */
  readonly baseUrl?: string;
  /** @default - Application Default Credentials (the job's service account), shared with the embedding client */
  readonly accessToken?: () => Promise<string>;
  /** Retries of 429, 408, 5xx and lost connections. @default - 5 attempts, exponential backoff from 500 ms */
  readonly retry?: RetryOptions;
  /** Per request, the body's download included. @default 120000 */
  readonly timeoutMs?: number;
}

/** The hashes and size Cloud Storage reports for an object, from a listing or a download's headers. */
export interface ObjectHashes {
  /** base64 MD5 of the content; absent on composite objects. */
  readonly md5?: string;
  /** base64 big-endian CRC32C of the content; present on every object. */
  readonly crc32c?: string;
  /** Bytes stored. */
  readonly size?: string | number;
}

/**
 * The change token of an object (see `DocumentEntry.fingerprint`): `md5:<md5Hash>`, or for composite
 * objects, which have no MD5, `crc32c:<crc32c>:<size>`. Content hashes rather than the generation: a
 * rewrite with the same bytes (a re-upload, a sync tool) does not re-embed the document. CRC32C is not
 * cryptographic, but the source bucket's writers are trusted: what it must catch is an edit, which
 * changes a CRC32C or the size but for a 1 in 2^32 chance.
 */
export function gcsFingerprint(object: string, hashes: ObjectHashes): string {
  if (hashes.md5) return `md5:${hashes.md5}`;
  if (hashes.crc32c && hashes.size !== undefined && hashes.size !== '') return `crc32c:${hashes.crc32c}:${hashes.size}`;
  throw new ProviderError('server', `cloud storage: ${object} has neither an MD5 nor a CRC32C with its size: its changes cannot be told`);
}

/** The hashes of a download's `x-goog-hash` header (`crc32c=…,md5=…`, possibly sent as two headers, which fetch joins with `, `). */
export function parseGoogHash(header: string | null): { md5?: string; crc32c?: string } {
  const out: { md5?: string; crc32c?: string } = {};
  for (const part of (header ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    // base64 values end in '=': split on the first one only.
    const key = part.slice(0, at).trim().toLowerCase();
    const value = part.slice(at + 1).trim();
    if (key === 'md5') out.md5 = value;
    else if (key === 'crc32c') out.crc32c = value;
  }
  return out;
}

const gs = (bucket: string, name?: string) => `gs://${bucket}${name === undefined ? '' : `/${name}`}`;

export class GcsClient {
  private readonly base: string;
  private readonly token: () => Promise<string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: GcsClientOptions = {}) {
    this.base = (options.baseUrl ?? STORAGE_BASE_URL).replace(/\/+$/, '');
    this.token = options.accessToken ?? googleAccessToken;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /**
   * Every object of `bucket` with its change token, page by page (`nextPageToken`), in name order.
   * Folder placeholders (names ending in `/`, made by the console's "Create folder") hold no document.
   */
  async listDocuments(bucket: string): Promise<ListedDocument[]> {
    const documents: ListedDocument[] = [];
    let pageToken: string | undefined;
    let page = 0;
    do {
      page++;
      const query = new URLSearchParams({ fields: LIST_FIELDS });
      if (pageToken) query.set('pageToken', pageToken);
      const url = `${this.base}/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`;
      const where = `cloud storage: listing ${gs(bucket)} (page ${page})`;
      const answer = await retried(where, async () => answerJson(where, await this.request('GET', url, where)), this.options.retry);
      if (!isObject(answer)) throw new GoogleApiError(`${where}: the answer is not an object`);
      const items = answer.items ?? [];
      if (!Array.isArray(items)) throw new GoogleApiError(`${where}: items is not an array`);
      for (const [i, item] of items.entries()) {
        if (!isObject(item) || typeof item.name !== 'string' || item.name === '') throw new GoogleApiError(`${where}: items[${i}] has no name`);
        if (item.name.endsWith('/')) continue;
        const hashes = { md5: str(item.md5Hash), crc32c: str(item.crc32c), size: str(item.size) };
        documents.push({ id: item.name, fingerprint: fingerprintOrThrow(gs(bucket, item.name), hashes) });
      }
      const next = answer.nextPageToken;
      if (next !== undefined && (typeof next !== 'string' || next === '')) throw new GoogleApiError(`${where}: nextPageToken is not a string`);
      // A server handing back the token it was given would page forever.
      if (next !== undefined && next === pageToken) throw new GoogleApiError(`${where}: nextPageToken repeats the page's own token`);
      pageToken = next;
    } while (pageToken);
    return documents;
  }

  /**
   * One object's bytes, content type, and the change token of the generation served (from the same
   * answer's `x-goog-hash`, so a rewrite between listing and download is recorded as what was read).
   */
  async readDocument(bucket: string, name: string): Promise<ReadDocument> {
    const where = `cloud storage: reading ${gs(bucket, name)}`;
    const answer = await retried(where, () => this.request('GET', this.mediaUrl(bucket, name), where), this.options.retry);
    const hashes = parseGoogHash(answer.headers.get('x-goog-hash'));
    const size = answer.headers.get('x-goog-stored-content-length') ?? String(answer.bytes.length);
    const contentType = answer.headers.get('content-type') ?? undefined;
    return { bytes: answer.bytes, fingerprint: fingerprintOrThrow(gs(bucket, name), { ...hashes, size }), ...(contentType ? { contentType } : {}) };
  }

  /** The object's bytes and generation, or undefined when it does not exist (404). */
  async readObject(bucket: string, name: string): Promise<{ bytes: Uint8Array; generation: string } | undefined> {
    const where = `cloud storage: reading ${gs(bucket, name)}`;
    const answer = await retried(
      where,
      async () => {
        try {
          return await this.request('GET', this.mediaUrl(bucket, name), where);
        } catch (error) {
          if (error instanceof ProviderError && error.status === 404) return undefined;
          throw error;
        }
      },
      this.options.retry,
    );
    if (!answer) return undefined;
    const generation = answer.headers.get('x-goog-generation');
    if (!generation || !/^\d+$/.test(generation)) throw new GoogleApiError(`${where}: the answer has no x-goog-generation header`);
    return { bytes: answer.bytes, generation };
  }

  /**
   * Uploads `bytes` as `name` if the live generation is still `ifGenerationMatch` (`'0'`: if no object
   * exists); returns the new generation. A failed precondition (412) throws `ManifestConflictError`.
   * Retrying a 5xx is safe because of the precondition: if the first attempt did land, the retry fails
   * with 412 and the run stops as if another had raced it; the next run starts from what was written.
   */
  async writeObject(bucket: string, name: string, bytes: Uint8Array | string, contentType: string, ifGenerationMatch: string): Promise<string> {
    try {
      return await this.upload(bucket, name, bytes, contentType, ifGenerationMatch);
    } catch (error) {
      if (error instanceof GoogleApiError && error.status === 412) {
        throw new ManifestConflictError(`${gs(bucket, name)} is no longer at generation ${ifGenerationMatch === '0' ? '(none)' : ifGenerationMatch}: another ingestion run wrote it since this one read it`);
      }
      throw error;
    }
  }

  /**
   * Uploads `bytes` as `name` whatever is there (a new generation replaces the live one); returns the
   * new generation. For objects only the run writes and whose content is a function of their name (the
   * chunk texts), so a retried upload that had landed writes the same bytes again.
   */
  async putObject(bucket: string, name: string, bytes: Uint8Array | string, contentType: string): Promise<string> {
    return this.upload(bucket, name, bytes, contentType);
  }

  /**
   * Deletes the live object `name`; resolves false when there is none (404), so a retried delete whose
   * first attempt did land, or a delete of what a crashed run already deleted, is no error.
   */
  async deleteObject(bucket: string, name: string): Promise<boolean> {
    const where = `cloud storage: deleting ${gs(bucket, name)}`;
    const url = `${this.base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;
    return retried(
      where,
      async () => {
        try {
          await this.request('DELETE', url, where);
          return true;
        } catch (error) {
          if (error instanceof ProviderError && error.status === 404) return false;
          throw error;
        }
      },
      this.options.retry,
    );
  }

  private async upload(bucket: string, name: string, bytes: Uint8Array | string, contentType: string, ifGenerationMatch?: string): Promise<string> {
    const where = `cloud storage: writing ${gs(bucket, name)}`;
    const query = new URLSearchParams({ uploadType: 'media', name, ...(ifGenerationMatch === undefined ? {} : { ifGenerationMatch }), fields: 'generation' });
    const url = `${this.base}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`;
    const answer = await retried(where, async () => answerJson(where, await this.request('POST', url, where, bytes, contentType)), this.options.retry);
    const generation = isObject(answer) ? answer.generation : undefined;
    if (typeof generation !== 'string' || !/^\d+$/.test(generation)) throw new GoogleApiError(`${where}: the answer has no generation`);
    return generation;
  }

  private mediaUrl(bucket: string, name: string): string {
    return `${this.base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`;
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', url: string, where: string, body?: Uint8Array | string, contentType?: string): Promise<GoogleAnswer> {
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      throw new ProviderError('auth', `${where}: no Google credentials: ${(error as Error).message}`);
    }
    return googleRequest(where, { method, url, token, body, headers: contentType ? { 'content-type': contentType } : undefined }, this.timeoutMs);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function fingerprintOrThrow(object: string, hashes: ObjectHashes): string {
  try {
    return gcsFingerprint(object, hashes);
  } catch (error) {
    throw new GoogleApiError((error as Error).message);
  }
}

/**
 * The run's manifest as one object of the state bucket (`manifest.json`): its generation is the
 * version, and each write names the generation it read (`ifGenerationMatch`), so two overlapping runs
 * cannot both win.
 */
export class GcsManifestStore implements ManifestStore {
  constructor(
    private readonly client: GcsClient,
    private readonly bucket: string,
    private readonly object: string = MANIFEST_OBJECT,
  ) {}

  async read(): Promise<VersionedManifest | undefined> {
    const stored = await this.client.readObject(this.bucket, this.object);
    if (!stored) return undefined;
    return { manifest: decodeManifest(new TextDecoder().decode(stored.bytes)), version: stored.generation };
  }

  async write(manifest: Manifest, expectedVersion: string | undefined): Promise<string> {
    return this.client.writeObject(this.bucket, this.object, encodeManifest(manifest), 'application/json', expectedVersion ?? '0');
  }
}
