import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeSpendStop, encodeSpendStop, SPEND_STOP_KEY, type SpendStopState, type SpendStopStore, type VersionedSpendStop } from '../spend-stop';
import { isConditionFailure } from './errors';
import { dynamoDbSdk } from './sdk';

export interface DynamoDbSpendStopOptions {
  readonly client: DynamoDBClient;
  /** The ledger table: the record is its item `pk = "$stop"`. */
  readonly tableName: string;
}

/**
 * The spend-stop record as one item of the ledger table: `record` (S, the JSON) and `v` (N, its
 * version). A write is a PutItem conditional on `v` (or on no item), so it is compare-and-set.
 */
export class DynamoDbSpendStop implements SpendStopStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(o: DynamoDbSpendStopOptions) {
    this.client = o.client;
    this.table = o.tableName;
  }

  async read(): Promise<VersionedSpendStop | undefined> {
    const out = await this.client.send(new (dynamoDbSdk().GetItemCommand)({ TableName: this.table, Key: { pk: { S: SPEND_STOP_KEY } }, ConsistentRead: true }));
    const item = out.Item;
    if (!item) return undefined;
    return { state: decodeSpendStop(item.record?.S, `table ${this.table}, item ${SPEND_STOP_KEY}`), version: item.v?.N ?? '0' };
  }

  async write(state: SpendStopState, expected: string | undefined): Promise<boolean> {
    const next = expected === undefined ? 1 : Number(expected) + 1;
    try {
      await this.client.send(
        new (dynamoDbSdk().PutItemCommand)({
          TableName: this.table,
          Item: { pk: { S: SPEND_STOP_KEY }, record: { S: encodeSpendStop(state) }, v: { N: String(next) } },
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'v = :expected', ExpressionAttributeValues: { ':expected': { N: expected } } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
