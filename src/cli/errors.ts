// Exit codes and error reporting for every command. Only the CLI layer prints or exits.
import { InputError } from '../pipeline/input.js';
import { DetectionError } from '../pipeline/detect.js';
import { UsageError } from '../pipeline/run.js';

export const EXIT_OK = 0;
/** check: thresholds not met; verify: bundle invalid; collect: a source partial or failed. */
export const EXIT_FINDINGS = 1;
/** Usage error, unreadable input, or anything that stopped the command from running. */
export const EXIT_ERROR = 2;

/** An error whose message is meant for the user as it is (one sentence, no stack). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_ERROR,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserFacing(e: unknown): e is Error {
  return e instanceof UserError || e instanceof InputError || e instanceof DetectionError || e instanceof UsageError;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};

/** A short human description of a file-system error ('permission denied'), else its message. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err?.code && ERRNO_TEXT[err.code]) || err?.message || String(e);
}

/** Prints an error as one sentence and returns the exit code; a stack only with AUDIT_EVIDENCE_DEBUG=1. */
export function reportError(e: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const debug = process.env.AUDIT_EVIDENCE_DEBUG === '1';
  if (isUserFacing(e)) {
    stderr.write(`audit-evidence: error: ${e.message}\n`);
    if (debug && e.stack) stderr.write(`${e.stack}\n`);
    return e instanceof UserError ? e.exitCode : EXIT_ERROR;
  }
  const err = e as NodeJS.ErrnoException;
  if (
    err &&
    (err.code === 'ENOENT' ||
      err.code === 'EACCES' ||
      err.code === 'EISDIR' ||
      err.code === 'ENOSPC' ||
      err.code === 'EPIPE')
  ) {
    if (err.code === 'EPIPE') return EXIT_OK;
    stderr.write(
      `audit-evidence: error: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOSPC' ? 'no space left on device' : 'is a directory'}${err.path ? `: ${err.path}` : ''}\n`,
    );
    return EXIT_ERROR;
  }
  stderr.write(
    `audit-evidence: internal error: ${err?.message ?? String(e)} (this is a bug; run with AUDIT_EVIDENCE_DEBUG=1 for details and report it)\n`,
  );
  if (debug && err?.stack) stderr.write(`${err.stack}\n`);
  return EXIT_ERROR;
}
