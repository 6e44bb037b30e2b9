import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A conditional write that lost: the stored version or revision was newer. Expected, not an error. */
export function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
