import type { Manifest } from './manifest';

/** A source object as listed: its id (object path) and its change token (see `DocumentEntry.fingerprint`). */
export interface ListedDocument {
  readonly id: string;
  readonly fingerprint: string;
}

export interface RunPlan {
  /** New or changed documents, in listing order. */
  readonly embed: readonly ListedDocument[];
  /** Unchanged documents (same fingerprint as in the manifest). */
  readonly skip: readonly string[];
  /** Documents in the manifest that the listing no longer has. */
  readonly removed: readonly string[];
}

/** What a run must do to bring the index from `previous` to `listing`. Pure. */
export function planRun(previous: Manifest, listing: readonly ListedDocument[]): RunPlan {
  const seen = new Set<string>();
  const embed: ListedDocument[] = [];
  const skip: string[] = [];
  for (const doc of listing) {
    if (seen.has(doc.id)) throw new Error(`listing names document ${JSON.stringify(doc.id)} twice`);
    seen.add(doc.id);
    const entry = Object.prototype.hasOwnProperty.call(previous.documents, doc.id) ? previous.documents[doc.id] : undefined;
    if (entry && entry.fingerprint === doc.fingerprint) skip.push(doc.id);
    else embed.push(doc);
  }
  const removed: string[] = [];
  for (const id of Object.keys(previous.documents)) if (!seen.has(id)) removed.push(id);
  return { embed, skip, removed };
}
