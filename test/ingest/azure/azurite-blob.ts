import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { blobService } from '../../../lib/ingest/azure/blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzuriteService } from '../../support/azurite-process';

export { AZURITE_ACCOUNT, AZURITE_KEY };

export interface AzuriteBlob {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** azurite-blob in a child process, in memory, on a free port (test/support/azurite-process.ts). */
export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  const { port, stop } = await startAzuriteService('blob', ['--extentMemoryLimit', '256', '--silent']);
  return { endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`, stop };
}

/** A Blob service client on azurite, signed with the development account's shared key. */
export function azuriteService(endpoint: string) {
  return blobService({ endpoint, credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY) });
}
