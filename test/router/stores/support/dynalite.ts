import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../../../lib/router/stores/dynamodb/schema';

// The SDK warns once per process that later versions need Node 22; the tests run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface Dynalite {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** dynalite in this process, in memory, on a free port. */
export async function startDynalite(): Promise<Dynalite> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (o: object) => import('node:http').Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // DYNALITE_COUNT=1 prints the requests per operation when the server closes (request budgets).
  if (process.env.DYNALITE_COUNT) {
    const counts: Record<string, number> = {};
    server.on('request', (req) => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '?';
      counts[op] = (counts[op] ?? 0) + 1;
    });
    server.on('close', () => console.info(`dynalite requests: ${JSON.stringify(counts)}`));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(name)));
}
