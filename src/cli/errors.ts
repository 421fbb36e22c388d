// Errors a user can cause, mapped to DESIGN.md's exit codes. Their messages are shown as one line, no stack.

export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, INCOMPLETE: 3 } as const;

export class UserError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Bad flags, arguments or input files: exit 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

/** The cluster could not be reached or the kubeconfig could not be used: exit 3. */
export class ClusterError extends UserError {
  constructor(message: string) {
    super(message, EXIT.INCOMPLETE);
  }
}
