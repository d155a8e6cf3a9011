/**
 * The admin SSH key used when no `sshPublicKey` is given.
 *
 * Azure requires every Linux VM profile to carry an admin password or SSH key ("Authentication using
 * either SSH or by user name and password must be enabled in Linux profile"), and the azurerm provider
 * enforces it. A password is never used. Generating a key pair at synth or apply time (`tls_private_key`)
 * would put a private key in the Terraform state. Instead this is an Ed25519 public key that nobody holds
 * the private key of: its 32 bytes are the first 32 bytes of
 * `SHA-512("ai-stack-constructs/azure/gpu-endpoint: an Ed25519 public key nobody holds the private key of #1")`
 * with the sign bit cleared (counter 0 does not decode to a curve point, 1 does). The point comes from a
 * hash, so its discrete logarithm (the private key) is unknown to anyone, the authors included; the tests
 * re-derive it. On top of that, cloud-init disables the SSH daemon when this key is in use, and the
 * network security group admits no SSH.
 */
export const NO_LOGIN_SSH_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIsTt9mbMzOjaOfdgHz7kDtox0K6D3I09WuZzUZDYakA ai-stack-no-login';

/** The label hashed to derive {@link NO_LOGIN_SSH_PUBLIC_KEY} (counter appended). */
export const NO_LOGIN_KEY_LABEL = 'ai-stack-constructs/azure/gpu-endpoint: an Ed25519 public key nobody holds the private key of #';
