/* eslint-disable @typescript-eslint/no-explicit-any -- answers from a server or a file are checked field by field after this */
/** A JSON object (not null, not an array): what a Kubernetes answer must be before any field of it is read. */
export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
