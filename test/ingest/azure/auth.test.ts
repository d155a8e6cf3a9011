const constructed: unknown[] = [];
const asked: string[][] = [];

// The credential chain itself is @azure/identity's: what is checked here is which identity is asked
// for, how many credentials a process makes, when the library loads, and the audiences requested.
jest.mock('@azure/identity', () => ({
  ...jest.requireActual('@azure/identity'),
  DefaultAzureCredential: class {
    constructor(options: unknown) {
      constructed.push(options);
    }
    async getToken(scopes: string | string[]) {
      const list = Array.isArray(scopes) ? scopes : [scopes];
      asked.push(list);
      return { token: `token-for-${list.join(',')}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    }
  },
}));

import { azureIngestAuth, SEARCH_TOKEN_SCOPE, STORAGE_TOKEN_SCOPE } from '../../../lib/ingest/azure/auth';

beforeEach(() => {
  constructed.length = 0;
  asked.length = 0;
});

test('one credential on the user-assigned identity, made on the first token, one token per audience and cached', async () => {
  const auth = azureIngestAuth('client-1');
  expect(constructed).toEqual([]); // nothing loaded or made until a token is asked for

  expect(await auth.searchToken()).toBe(`token-for-${SEARCH_TOKEN_SCOPE}`);
  expect(await auth.storageToken()).toBe(`token-for-${STORAGE_TOKEN_SCOPE}`);
  expect(await auth.openAiToken()).toBe('token-for-https://cognitiveservices.azure.com/.default');
  expect(await auth.searchToken()).toBe(`token-for-${SEARCH_TOKEN_SCOPE}`);
  // The Blob SDK asks the shared credential itself.
  expect((await auth.credential.getToken(STORAGE_TOKEN_SCOPE))?.token).toBe(`token-for-${STORAGE_TOKEN_SCOPE}`);

  expect(constructed).toEqual([{ managedIdentityClientId: 'client-1' }]);
  expect(asked).toEqual([[SEARCH_TOKEN_SCOPE], [STORAGE_TOKEN_SCOPE], ['https://cognitiveservices.azure.com/.default'], [STORAGE_TOKEN_SCOPE]]);
  expect(azureIngestAuth('client-1')).toBe(auth);
});
