/** The SDK's name for a failed ConditionExpression: the protocol's "someone else changed it". */
export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
