/**
 * Key Vault secrets the model server reads at boot: parsing of the versionless secret id and the
 * Azure resource id a role assignment on one secret is scoped to. Pure functions, no constructs.
 */

/** A Key Vault secret exposed to the model server container as one environment variable. */
export interface KeyVaultSecretRef {
  /**
   * Versionless id of the secret, `https://<vault>.vault.azure.net/secrets/<name>` (the secret's
   * `versionless_id`). Each replica reads the current version at boot, so rotating the secret needs
   * no redeploy (only a replica restart). Must be a literal string: it is written into the replicas'
   * cloud-init, which is rendered at synth.
   */
  readonly secretId: string;
  /**
   * Azure resource id of the vault that holds the secret,
   * `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>` (e.g.
   * `keyVault.id`; may be a token). The role assignment that lets the replicas read the secret is scoped
   * to `<keyVaultId>/secrets/<name>`, and the secret id alone does not tell the vault's subscription and
   * resource group.
   */
  readonly keyVaultId: string;
}


/** `https://<vault>.vault.azure.net/secrets/<name>` (Azure public cloud), without a version. */
const SECRET_ID = /^https:\/\/([a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])\.vault\.azure\.net\/secrets\/([a-zA-Z0-9-]{1,127})\/?$/;
const VERSIONED_SECRET_ID = /^https:\/\/[^/]+\.vault\.azure\.net\/secrets\/[^/]+\/[^/]+$/;
const VAULT_RESOURCE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i;

/** Vault and secret name of a versionless secret id, or why it is not one. */
export function parseSecretId(secretId: string): { vault: string; name: string; url: string } | { error: string } {
  const m = SECRET_ID.exec(secretId);
  if (m) return { vault: m[1].toLowerCase(), name: m[2], url: `https://${m[1].toLowerCase()}.vault.azure.net/secrets/${m[2]}` };
  if (VERSIONED_SECRET_ID.test(secretId)) {
    return { error: `must be the versionless secret id, without the version segment (got '${secretId}'): replicas read the current version at boot` };
  }
  return { error: `must be a versionless Key Vault secret id such as 'https://kv-ml.vault.azure.net/secrets/hf-token' (got '${secretId}')` };
}

/** Vault name of a literal vault resource id, or undefined when it is not one. */
export function vaultNameOf(keyVaultId: string): string | undefined {
  return VAULT_RESOURCE_ID.exec(keyVaultId)?.[1].toLowerCase();
}

/** Azure resource id of one secret: the scope of a role assignment on that secret alone. */
export function secretResourceId(keyVaultId: string, secretName: string): string {
  return `${keyVaultId}/secrets/${secretName}`;
}
