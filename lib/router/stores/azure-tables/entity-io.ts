import type { TableClient } from '@azure/data-tables';
import { GroupCommit, type GroupCommitOptions } from '../distributed/group-commit';

/** The status codes of "someone else wrote first": ETag mismatch, or the entity was inserted. */
export function isConflict(err: unknown): boolean {
  const status = (err as { statusCode?: number } | null)?.statusCode;
  return status === 412 || status === 409;
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | null)?.statusCode === 404;
}

export type Props = Record<string, unknown>;

/** Reads an entity's properties and ETag; undefined etag when it does not exist. */
export async function readEntity(client: TableClient, partitionKey: string, rowKey: string): Promise<{ props: Props | undefined; etag: string | undefined }> {
  try {
    const e = await client.getEntity<Props>(partitionKey, rowKey);
    return { props: e, etag: e.etag };
  } catch (err) {
    if (isNotFound(err)) return { props: undefined, etag: undefined };
    throw err;
  }
}

/** Insert when `etag` is undefined, else Replace with If-Match: false when another writer won. */
export async function writeEntity(client: TableClient, partitionKey: string, rowKey: string, props: Props, etag: string | undefined): Promise<boolean> {
  const entity = { partitionKey, rowKey, ...props };
  try {
    if (etag === undefined) await client.createEntity(entity);
    else await client.updateEntity(entity, 'Replace', { etag });
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

/** How a store's state is kept in an entity's properties; `undefined` props: the entity does not exist. */
export interface EntityCodec<S> {
  decode(props: Props | undefined): S;
  encode(state: S): Props;
}

/**
 * The group commit (distributed/group-commit.ts) on entities: read with their ETag, written with
 * Replace + If-Match (or an insert); 412/409 is a conflict. Every other failure fails the batch,
 * and a conflict is retried after up to 1, 2, 4 … 50 ms of jittered backoff.
 */
export function entityCommits<S>(client: TableClient, entityOf: (key: string) => [partitionKey: string, rowKey: string], codec: EntityCodec<S>, o: GroupCommitOptions): GroupCommit<S, string> {
  return new GroupCommit<S, string>(
    {
      async read(key) {
        const { props, etag } = await readEntity(client, ...entityOf(key));
        return { state: codec.decode(props), version: etag };
      },
      write: (key, state, etag) => writeEntity(client, ...entityOf(key), codec.encode(state), etag),
    },
    { label: 'azure tables', maxBatch: o.maxBatch, maxConflicts: o.maxConflicts, backoff: { firstMs: 1, capMs: 50 } },
  );
}
