// The CLI's view of the error classes: they live in src/errors.ts so that lower layers need not import the CLI.
export { EXIT, UserError, UsageError, NotFoundError } from '../errors.js';
