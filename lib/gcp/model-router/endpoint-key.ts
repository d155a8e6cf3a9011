import { Construct } from 'constructs';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import type { NamePrefixProps } from '../../design/naming';
import { namePrefixOf } from '../../cdktf/name-prefix';
import { RandomPassword } from '../../cdktf/random-password';
import { endpointKeySecretName } from './plan';

/** Props of {@link EndpointApiKey}. */
export interface EndpointApiKeyProps extends NamePrefixProps {
  /** Name of the GPU endpoint that requires the key (part of the secret's name). */
  readonly endpointName: string;
  /** Region the secret's one replica is kept in (user-managed replication). */
  readonly region: string;
}

/**
 * The API key one GPU endpoint requires and only the router holds: a Secret Manager secret
 * (user-managed replication in `region`) whose first version is a 48-character random value made by
 * Terraform (`random_password`: the value is in the Terraform state, never in the configuration).
 * Give `secretId` to the endpoint (`serverSecrets: { VLLM_API_KEY: key.secretId }`) and to the router
 * (`endpoints.<name>.apiKeySecret`).
 */
export class EndpointApiKey extends Construct {
  public readonly secret: SecretManagerSecret;
  public readonly version: SecretManagerSecretVersion;
  public readonly value: RandomPassword;
  /**
   * `projects/<project>/secrets/<name>`, read from the version, so whatever names it (the endpoint's
   * grant and its VMs' boot, the router's grant) comes after the first version exists.
   */
  public readonly secretId: string;

  constructor(scope: Construct, id: string, props: EndpointApiKeyProps) {
    super(scope, id);
    const prefix = namePrefixOf(this, props.namePrefix);
    this.secret = new SecretManagerSecret(this, 'Secret', {
      secretId: endpointKeySecretName(prefix, props.endpointName),
      replication: { userManaged: { replicas: [{ location: props.region }] } },
      labels: { 'ai-stack-endpoint': props.endpointName },
    });
    this.value = new RandomPassword(this, 'Value', { length: 48 });
    this.version = new SecretManagerSecretVersion(this, 'Version', { secret: this.secret.id, secretData: this.value.result });
    this.secretId = this.version.secret;
  }
}
