/**
 * The hardening every storage account of the library shares: Entra ID only on the data plane (no
 * shared keys, OAuth by default, no local users or SFTP), TLS 1.2 and HTTPS only, no public blob
 * access, infrastructure (double) encryption, copies only within the Entra tenant. Public network
 * access stays on for the network rules to admit subnets and deployer ranges (default action Deny).
 */
export const HARDENED_STORAGE = {
  accountKind: 'StorageV2',
  accountTier: 'Standard',
  minTlsVersion: 'TLS1_2',
  httpsTrafficOnlyEnabled: true,
  sharedAccessKeyEnabled: false,
  defaultToOauthAuthentication: true,
  allowNestedItemsToBePublic: false,
  infrastructureEncryptionEnabled: true,
  crossTenantReplicationEnabled: false,
  allowedCopyScope: 'AAD',
  localUserEnabled: false,
  sftpEnabled: false,
  publicNetworkAccessEnabled: true,
} as const;
