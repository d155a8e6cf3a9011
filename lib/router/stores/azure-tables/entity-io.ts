import type { TableClient } from '@azure/data-tables';

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
