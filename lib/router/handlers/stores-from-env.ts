import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { NamedKeyCredential, SASCredential, TokenCredential } from '@azure/core-auth';
import { ROUTER_ENV, ROUTER_STORES, type RouterStore } from '../deploy-env';
import { resolveFromHere, type PackageResolver } from '../providers/dependencies';
import type { Ledger } from '../stores/ledger';
import { MemoryLedger } from '../stores/memory-ledger';
import { MemoryRateLimiter } from '../stores/memory-rate-limiter';
import type { RateLimiter } from '../stores/rate-limiter';
import { MemorySpendStop, type SpendStopStore } from '../stores/spend-stop';
import type { FirestoreConnectionOptions } from '../stores/firestore/rest';

type Env = Readonly<Record<string, string | undefined>>;

/** The ledger and rate limiter a deployed router shares with its other instances. */
export interface RouterStores {
  readonly store: RouterStore;
  readonly ledger: Ledger;
  readonly limiter: RateLimiter;
  /** The stack's spend-stop record, in the ledger's table or collection. */
  readonly spendStop: SpendStopStore;
}

/** Credential of the Azure Table storage clients. */
export type AzureTablesCredential = TokenCredential | NamedKeyCredential | SASCredential;

/** Connection seams of the shared stores (tests point them at emulators). */
export interface StoresFromEnvOptions {
  /**
   * Added to the DynamoDB client's configuration (tests: `endpoint` and static `credentials`).
   * @default - region from `AWS_REGION`, the SDK's default credentials (the Lambda role)
   */
  readonly dynamoDb?: DynamoDBClientConfig;
  /**
   * Credential of the Azure Table storage clients (tests: azurite's shared key).
   * @default - `ManagedIdentityCredential` with the client id in `AZURE_CLIENT_ID` (system-assigned when unset)
   */
  readonly azureTablesCredential?: AzureTablesCredential;
  /**
   * Added to the Firestore stores' connection options (tests: `baseUrl`, `getAccessToken`, `fetch`).
   * @default - the public API with the metadata server's token
   */
  readonly firestore?: Omit<Partial<FirestoreConnectionOptions>, 'database'>;
  /** Start-up messages (the warning of the memory store). @default console.warn */
  readonly log?: (message: string) => void;
  /** Finds the store's packages before they load, for one `npm i` line; `false` skips (bundles). @default - Node's resolution */
  readonly resolvePackage?: PackageResolver | false;
  /**
   * The stores this build carries, with what to say about the others (a cloud bundle carries its
   * own cloud's store and `memory`).
   * @default - every store
   */
  readonly carried?: { readonly stores: readonly RouterStore[]; readonly where: string };
}

/** The optional packages each store loads. */
export function storePackages(store: RouterStore, options: Pick<StoresFromEnvOptions, 'azureTablesCredential'> = {}): readonly string[] {
  switch (store) {
    case 'dynamodb':
      return ['@aws-sdk/client-dynamodb'];
    case 'azure-tables':
      return options.azureTablesCredential ? ['@azure/data-tables'] : ['@azure/data-tables', '@azure/identity'];
    default:
      // memory is in-process; Firestore is called over REST with the metadata server's token.
      return [];
  }
}

function missingPackagesError(store: RouterStore, missing: readonly string[]): Error {
  return new Error(`${ROUTER_ENV.store}=${store} needs ${missing.length === 1 ? 'the package' : 'the packages'} ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed; run: npm i ${missing.join(' ')}`);
}

/** `require(name)`, or the store's one-line install message when the package is missing. */
function load<T>(store: RouterStore, name: string, all: readonly string[]): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (err as Error).message.includes(name)) throw missingPackagesError(store, all);
    throw err;
  }
}

function required(env: Env, name: string, store: RouterStore, hint: string): string {
  const v = env[name]?.trim();
  if (!v) throw new Error(`${ROUTER_ENV.store}=${store} needs ${name}: ${hint}`);
  return v;
}

/** `AI_STACK_MAX_REQUEST_MS`: the ledgers' `maxRequestMs`, or undefined (their default) when unset. */
export function maxRequestMsFromEnv(env: Env): number | undefined {
  const raw = env[ROUTER_ENV.maxRequestMs];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${ROUTER_ENV.maxRequestMs} must be a whole number of milliseconds >= 1, the function's timeout (got '${raw.slice(0, 50)}')`);
  return n;
}

/** `AI_STACK_ROUTER_STORE`, checked; `memory` when unset. */
export function storeFromEnv(env: Env): RouterStore {
  const raw = env[ROUTER_ENV.store]?.trim();
  if (!raw) return 'memory';
  if (!(ROUTER_STORES as readonly string[]).includes(raw)) throw new Error(`${ROUTER_ENV.store} must be one of ${ROUTER_STORES.join(', ')} (got '${raw.slice(0, 50)}')`);
  return raw as RouterStore;
}

/**
 * The ledger and rate limiter named by `AI_STACK_ROUTER_STORE` (see `ROUTER_ENV`):
 * - `memory` (the default): this instance's own, with a warning, since every instance then keeps
 *   its own budgets and rate limits;
 * - `dynamodb`: tables `AI_STACK_LEDGER_TABLE` and `AI_STACK_RATE_TABLE` in `AWS_REGION`;
 * - `azure-tables`: the same table names at `AI_STACK_TABLES_ENDPOINT`, with the managed identity;
 * - `firestore`: database `AI_STACK_FIRESTORE_DATABASE`, collections `AI_STACK_LEDGER_COLLECTION`
 *   and `AI_STACK_RATE_COLLECTION` (defaults `ai-stack-ledger`, `ai-stack-rate`).
 * `AI_STACK_MAX_REQUEST_MS` is each ledger's `maxRequestMs`. A store's SDK loads only when it is
 * chosen; a missing one, or a missing variable, throws naming it.
 */
export function storesFromEnv(env: Env = process.env, options: StoresFromEnvOptions = {}): RouterStores {
  const store = storeFromEnv(env);
  if (options.carried && !options.carried.stores.includes(store)) {
    throw new Error(`${ROUTER_ENV.store}=${store}: ${options.carried.where} carries only the stores ${options.carried.stores.join(', ')}; deploy the router bundle of the store's cloud`);
  }
  const maxRequestMs = maxRequestMsFromEnv(env);
  const expiry = maxRequestMs === undefined ? {} : { maxRequestMs };
  const packages = storePackages(store, options);
  const resolve = options.resolvePackage ?? resolveFromHere;
  if (resolve) {
    const missing = packages.filter((p) => !resolve(p));
    if (missing.length > 0) throw missingPackagesError(store, missing);
  }
  switch (store) {
    case 'memory': {
      (options.log ?? ((m: string) => console.warn(m)))(
        `${ROUTER_ENV.store} is ${env[ROUTER_ENV.store] ? "'memory'" : 'not set'}: budgets and rate limits are kept per instance, so each instance lets a tenant spend its whole budget; set it to ${ROUTER_STORES.filter((s) => s !== 'memory').join(', ')} for a shared ledger`,
      );
      return { store, ledger: new MemoryLedger(), limiter: new MemoryRateLimiter(), spendStop: new MemorySpendStop() };
    }
    case 'dynamodb': {
      const ledgerTable = required(env, ROUTER_ENV.ledgerTable, store, 'the DynamoDB ledger table name');
      const rateTable = required(env, ROUTER_ENV.rateTable, store, 'the DynamoDB rate-limit table name');
      const region = options.dynamoDb?.region ?? required(env, 'AWS_REGION', store, "the tables' region (Lambda sets it)");
      const { DynamoDBClient } = load<typeof import('@aws-sdk/client-dynamodb')>(store, '@aws-sdk/client-dynamodb', packages);
      const { DynamoDbLedger, DynamoDbRateLimiter, DynamoDbSpendStop } = require('../stores/dynamodb') as typeof import('../stores/dynamodb');
      const client = new DynamoDBClient({ ...options.dynamoDb, region });
      return {
        store,
        ledger: new DynamoDbLedger({ client, tableName: ledgerTable, ...expiry }),
        limiter: new DynamoDbRateLimiter({ client, tableName: rateTable }),
        spendStop: new DynamoDbSpendStop({ client, tableName: ledgerTable }),
      };
    }
    case 'azure-tables': {
      const endpoint = required(env, ROUTER_ENV.tablesEndpoint, store, 'the Table storage endpoint, https://<account>.table.core.windows.net');
      const ledgerTable = required(env, ROUTER_ENV.ledgerTable, store, 'the ledger table name');
      const rateTable = required(env, ROUTER_ENV.rateTable, store, 'the rate-limit table name');
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        throw new Error(`${ROUTER_ENV.tablesEndpoint} must be a URL such as https://<account>.table.core.windows.net (got '${endpoint.slice(0, 100)}')`);
      }
      const { TableClient } = load<typeof import('@azure/data-tables')>(store, '@azure/data-tables', packages);
      let credential: AzureTablesCredential | undefined = options.azureTablesCredential;
      if (!credential) {
        const { ManagedIdentityCredential } = load<typeof import('@azure/identity')>(store, '@azure/identity', packages);
        const clientId = env[ROUTER_ENV.azureClientId];
        credential = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
      }
      const { AzureTablesLedger, AzureTablesRateLimiter, AzureTablesSpendStop } = require('../stores/azure-tables') as typeof import('../stores/azure-tables');
      // Plain http only reaches a local emulator (azurite); Azure itself is https.
      const clientOptions = url.protocol === 'http:' ? { allowInsecureConnection: true } : {};
      const table = (name: string) => new TableClient(endpoint, name, credential as TokenCredential, clientOptions);
      return {
        store,
        ledger: new AzureTablesLedger({ client: table(ledgerTable), ...expiry }),
        limiter: new AzureTablesRateLimiter({ client: table(rateTable) }),
        spendStop: new AzureTablesSpendStop({ client: table(ledgerTable) }),
      };
    }
    case 'firestore': {
      const database = required(env, ROUTER_ENV.firestoreDatabase, store, 'projects/<project>/databases/<database>');
      const collection = env[ROUTER_ENV.ledgerCollection]?.trim() || undefined;
      const rateCollection = env[ROUTER_ENV.rateCollection]?.trim() || undefined;
      const { FirestoreLedger, FirestoreRateLimiter, FirestoreSpendStop } = require('../stores/firestore') as typeof import('../stores/firestore');
      const connection = { ...options.firestore, database, ...(collection ? { collection } : {}), ...(rateCollection ? { rateCollection } : {}) };
      return { store, ledger: new FirestoreLedger({ ...connection, ...expiry }), limiter: new FirestoreRateLimiter(connection), spendStop: new FirestoreSpendStop(connection) };
    }
  }
}
