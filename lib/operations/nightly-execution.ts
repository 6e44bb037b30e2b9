/**
 * On AWS the nightly runs in its state machine (infra/constructs/nightly-workflow.ts): the segments there plan
 * and queue the night's touches. A night is (re-)run by starting an execution; the plan step reads this input.
 */
export function nightlyExecutionInput(opts: { asOf?: string; force?: boolean }): string {
  return JSON.stringify({ ...(opts.asOf ? { asOf: opts.asOf } : {}), ...(opts.force ? { force: true } : {}) });
}

/** The command that starts it, with the state machine's ARN (the stack's NightlyStateMachineArn output). */
export function startNightlyCommand(opts: { asOf?: string; force?: boolean; stateMachineArn?: string }): string {
  const arn = opts.stateMachineArn ?? '<NightlyStateMachineArn>';
  return `aws stepfunctions start-execution --state-machine-arn ${arn} --input '${nightlyExecutionInput(opts)}'`;
}
