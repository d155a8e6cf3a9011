// The API key of a GPU endpoint the router calls: one generated secret, given to the endpoint's
// replicas (they require it) and to the router (it sends it).
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledgeEndpointKeySecret } from './findings';

/** Length of a generated endpoint key: letters and digits, about 285 bits. */
export const ENDPOINT_KEY_LENGTH = 48;

/**
 * A secret holding a generated key of letters and digits only (no punctuation or spaces, so it
 * needs no quoting in an `Authorization` header or an env file). Secrets Manager generates the value
 * at deploy: it never appears in the template.
 */
export function createEndpointKeySecret(scope: Construct, id: string, endpointName: string, namePrefix: string): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: `${namePrefix}: API key of GPU endpoint ${endpointName}; its replicas require it, the model router sends it`,
    generateSecretString: { passwordLength: ENDPOINT_KEY_LENGTH, excludePunctuation: true, includeSpace: false },
  });
  acknowledgeEndpointKeySecret(secret);
  return secret;
}
