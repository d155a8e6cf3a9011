import { clip } from '../router/engine/quote';

/** What the index holds for one source document, as of the run that embedded it. */
export interface DocumentEntry {
  /** Object path in the source bucket or container. */
  readonly id: string;
  /** sha256 of the object's bytes, lowercase hex: its chunks' ids are made from it. */
  readonly sha256: string;
  /**
   * The source's change token of the version that was read (`md5:<base64>`, `etag:<etag>`, `sha256:<hex>`):
   * a document is re-embedded exactly when its listing shows another one.
   */
  readonly fingerprint: string;
  /**
   * Chunks this version put into the index: their ids are `chunkId(id, sha256, 0 .. chunks-1)`, so
   * the manifest stays small however large the corpus.
   */
  readonly chunks: number;
  /** ISO time its chunks were upserted. */
  readonly embeddedAt: string;
  /**
   * Why this version has no chunks: its content cannot be read (an unsupported type, an encrypted or
   * broken PDF). It is tried again only when it changes.
   */
  readonly skipped?: string;
}

/** The chunks one version of a document put into the index: ids `chunkId(documentId, sha256, 0 .. chunks-1)`. */
export interface ChunkGroup {
  readonly documentId: string;
  readonly sha256: string;
  readonly chunks: number;
}

/** A document a run left out, and why (never any of its text). */
export interface SkippedDocument {
  readonly id: string;
  readonly reason: string;
}

/** What one finished run did; the freshness metrics and alarms are published from it. */
export interface RunRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly documentsSeen: number;
  readonly documentsChanged: number;
  readonly documentsRemoved: number;
  /** Changed documents whose content could not be read: recorded, left out of the index. */
  readonly documentsSkipped: number;
  /** The first of them (at most `SKIPPED_SAMPLE`), so the run event says which. */
  readonly skipped?: readonly SkippedDocument[];
  readonly chunksEmbedded: number;
  readonly embeddingTokens: number;
  readonly costUsd: number;
  /** finishedAt of the last run that completed: the index's age is measured from it. */
  readonly lastSuccessAt: string;
}

export interface Manifest {
  readonly formatVersion: 1;
  /** Keyed by document id. */
  readonly documents: Readonly<Record<string, DocumentEntry>>;
  /**
   * Chunk groups no document refers to any more (or only in part) but that may still be in the index:
   * kept across a crash so the next run deletes them instead of leaving orphans behind. A group of a
   * document's live version stands for its chunks beyond the live count only.
   */
  readonly pendingDeletes: readonly ChunkGroup[];
  readonly lastRun?: RunRecord;
}

/** Skipped documents a run record names. */
export const SKIPPED_SAMPLE = 20;

export const EMPTY_MANIFEST: Manifest = { formatVersion: 1, documents: {}, pendingDeletes: [] };

/** A manifest as read, with the version a compare-and-set write must name. */
export interface VersionedManifest {
  readonly manifest: Manifest;
  readonly version: string;
}

/** Another writer changed the manifest since it was read: two runs overlapped. */
export class ManifestConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestConflictError';
  }
}

/**
 * Where the manifest lives (an object next to the source, a table row). Writes are compare-and-set so
 * an overlapping run fails instead of silently losing the other's entries.
 */
export interface ManifestStore {
  /** undefined when no manifest was ever written. */
  read(): Promise<VersionedManifest | undefined>;
  /**
   * Writes `manifest` if the stored version is still `expectedVersion` (undefined: nothing stored yet);
   * returns the new version, or throws `ManifestConflictError`.
   */
  write(manifest: Manifest, expectedVersion: string | undefined): Promise<string>;
}

/** A ManifestStore in memory; it stores the encoded JSON so that encoding is exercised as in a real store. */
export class InMemoryManifestStore implements ManifestStore {
  private stored: { json: string; version: string } | undefined;
  private counter = 0;
  /** Number of successful writes, for tests. */
  writes = 0;

  async read(): Promise<VersionedManifest | undefined> {
    if (!this.stored) return undefined;
    return { manifest: decodeManifest(this.stored.json), version: this.stored.version };
  }

  async write(manifest: Manifest, expectedVersion: string | undefined): Promise<string> {
    if (this.stored?.version !== expectedVersion) {
      throw new ManifestConflictError(`manifest is at version ${this.stored?.version ?? 'none'}, expected ${expectedVersion ?? 'none'}`);
    }
    const version = String(++this.counter);
    this.stored = { json: encodeManifest(manifest), version };
    this.writes++;
    return version;
  }
}

export function encodeManifest(manifest: Manifest): string {
  return JSON.stringify(manifest);
}

/** A manifest field that is missing or of the wrong type; `path` names it. */
export class ManifestFormatError extends Error {
  constructor(
    public readonly path: string,
    problem: string,
  ) {
    super(`manifest ${path}: ${problem}`);
    this.name = 'ManifestFormatError';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Parses and checks a stored manifest: a corrupt one must stop the run, not re-embed the corpus or orphan chunks. */
export function decodeManifest(json: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ManifestFormatError('(root)', `is not JSON: ${clip((error as Error).message, 200)}`);
  }
  const root = object(raw, '(root)');
  if (root.formatVersion !== 1) throw new ManifestFormatError('formatVersion', `must be 1 (got ${clip(JSON.stringify(root.formatVersion) ?? 'nothing', 40)})`);
  const docs = object(root.documents, 'documents');
  const documents: Record<string, DocumentEntry> = {};
  for (const [key, value] of Object.entries(docs)) {
    const path = `documents[${JSON.stringify(clip(key, 100))}]`;
    const e = object(value, path);
    const id = string(e.id, `${path}.id`);
    if (id !== key) throw new ManifestFormatError(`${path}.id`, 'must equal its key');
    const sha256 = string(e.sha256, `${path}.sha256`);
    if (!SHA256.test(sha256)) throw new ManifestFormatError(`${path}.sha256`, 'must be 64 lowercase hex digits');
    const fingerprint = string(e.fingerprint, `${path}.fingerprint`);
    const chunks = wholeNumber(e.chunks, `${path}.chunks`);
    const embeddedAt = time(e.embeddedAt, `${path}.embeddedAt`);
    const skipped = e.skipped === undefined ? undefined : string(e.skipped, `${path}.skipped`);
    documents[key] = { id, sha256, fingerprint, chunks, embeddedAt, ...(skipped !== undefined ? { skipped } : {}) };
  }
  if (!Array.isArray(root.pendingDeletes)) throw new ManifestFormatError('pendingDeletes', 'must be an array of chunk groups');
  const pendingDeletes = root.pendingDeletes.map((g, i) => {
    const path = `pendingDeletes[${i}]`;
    const o = object(g, path);
    const sha256 = string(o.sha256, `${path}.sha256`);
    if (!SHA256.test(sha256)) throw new ManifestFormatError(`${path}.sha256`, 'must be 64 lowercase hex digits');
    return { documentId: string(o.documentId, `${path}.documentId`), sha256, chunks: wholeNumber(o.chunks, `${path}.chunks`) };
  });
  const manifest: Manifest = { formatVersion: 1, documents, pendingDeletes };
  if (root.lastRun === undefined) return manifest;
  const r = object(root.lastRun, 'lastRun');
  const count = (k: keyof RunRecord) => nonNegative(r[k], `lastRun.${k}`);
  const lastRun: RunRecord = {
    startedAt: time(r.startedAt, 'lastRun.startedAt'),
    finishedAt: time(r.finishedAt, 'lastRun.finishedAt'),
    documentsSeen: count('documentsSeen'),
    documentsChanged: count('documentsChanged'),
    documentsRemoved: count('documentsRemoved'),
    documentsSkipped: r.documentsSkipped === undefined ? 0 : count('documentsSkipped'),
    ...(r.skipped === undefined ? {} : { skipped: skippedList(r.skipped) }),
    chunksEmbedded: count('chunksEmbedded'),
    embeddingTokens: count('embeddingTokens'),
    costUsd: count('costUsd'),
    lastSuccessAt: time(r.lastSuccessAt, 'lastRun.lastSuccessAt'),
  };
  return { ...manifest, lastRun };
}

function skippedList(v: unknown): SkippedDocument[] {
  if (!Array.isArray(v)) throw new ManifestFormatError('lastRun.skipped', 'must be an array');
  return v.map((item, i) => {
    const o = object(item, `lastRun.skipped[${i}]`);
    return { id: string(o.id, `lastRun.skipped[${i}].id`), reason: string(o.reason, `lastRun.skipped[${i}].reason`) };
  });
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ManifestFormatError(path, 'must be an object');
  return v as Record<string, unknown>;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') throw new ManifestFormatError(path, 'must be a non-empty string');
  return v;
}

function wholeNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ManifestFormatError(path, 'must be a whole number >= 0');
  return v;
}

function time(v: unknown, path: string): string {
  const s = string(v, path);
  if (Number.isNaN(Date.parse(s))) throw new ManifestFormatError(path, 'must be an ISO date-time');
  return s;
}

function nonNegative(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ManifestFormatError(path, 'must be a number >= 0');
  return v;
}
