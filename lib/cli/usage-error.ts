/**
 * A mistake in how the command was called (a missing input file, a bad argument): exit 2 (design.md). Its own
 * file so that runtime.ts and the local stack's callers can throw it without importing the command helpers.
 */
export class UsageError extends Error {}
