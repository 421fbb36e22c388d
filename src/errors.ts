// Error classes on the ground floor: readers, the remedy layer and the CLI all raise them; only src/cli maps
// them to exit codes and one-line messages.

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

/** The object the user named does not exist (a 404 for it, or a complete dump without it): exit 2, as kubectl. */
export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }

  /** kubectl's words for a missing object, e.g. pods "web-0" not found in namespace "shop". */
  static of(resource: string, name: string, namespace?: string): NotFoundError {
    return new NotFoundError(`${resource} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''}`);
  }
}

/** The cluster could not be reached, answered in a way we could not understand, or the kubeconfig could not be used: exit 3. */
export class ClusterError extends UserError {
  constructor(message: string) {
    super(message, EXIT.INCOMPLETE);
  }
}

/** One request ran past its timeout: the server (or whatever it proxies to) did not finish answering. */
export class RequestTimeoutError extends ClusterError {}

/**
 * The API server answered, but not in a way we can understand (empty or non-JSON body, a LIST without items,
 * an endless continue token, an answer over the size cap). Never taken as "absent": the resource is unknown,
 * so the run is incomplete and nothing destructive is planned from it.
 */
export class UnreadableAnswerError extends Error {
  constructor(message: string) {
    super(message);
  }
}
