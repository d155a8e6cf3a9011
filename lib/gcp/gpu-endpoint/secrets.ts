/**
 * `serverSecrets`: environment variables of the model server whose values live in Secret Manager.
 * The construct grants the replicas' service account access to each secret and the startup script
 * reads them at boot; the values never appear in the configuration or the instance metadata.
 */

/** Role granted on each secret, and only on it. */
export const SECRET_ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';


/** A Secret Manager secret id: letters, digits, `-` and `_`, at most 255 characters. */
const SECRET_ID = '[A-Za-z0-9_-]{1,255}';
const BARE_SECRET = new RegExp(`^${SECRET_ID}$`);
const SECRET_PATH = new RegExp(`^projects/([a-z0-9][a-z0-9.:-]*)/secrets/(${SECRET_ID})$`);

/** A secret named by `serverSecrets`: its project (undefined: the stack's project) and its id. */
export interface SecretRef {
  readonly project?: string;
  readonly secretId: string;
}

/**
 * Parses `projects/<project>/secrets/<name>` or a bare `<name>`; undefined for anything else
 * (e.g. a version suffix, which is not accepted: replicas always read `latest`).
 */
export function parseSecretRef(value: string): SecretRef | undefined {
  const full = SECRET_PATH.exec(value);
  if (full) return { project: full[1], secretId: full[2] };
  if (BARE_SECRET.test(value)) return { secretId: value };
  return undefined;
}
