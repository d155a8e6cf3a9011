type Sdk = typeof import('@aws-sdk/client-dynamodb');

let sdk: Sdk | undefined;

/**
 * The DynamoDB client package, loaded on the first command rather than on import: the stores are
 * exported from the router's entry point, which must load no optional SDK (the caller who built the
 * `DynamoDBClient` has loaded it already, so this costs nothing).
 */
export function dynamoDbSdk(): Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sdk ??= require('@aws-sdk/client-dynamodb') as Sdk);
}
