import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { SecretReadError, type SecretReader } from './types';

/**
 * `file:<absolute path>`: the file's content, read again on each refresh (a mounted secret volume,
 * e.g. Cloud Run's secret volumes or a Kubernetes secret, is updated in place).
 */
export function fileSecretReader(): SecretReader {
  return async (path) => {
    if (!isAbsolute(path)) throw new SecretReadError(`file: '${path}' is not an absolute path; write file:/path/to/secret`);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new SecretReadError(`file: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
}
