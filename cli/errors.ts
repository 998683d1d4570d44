import { DhostError } from '../protocol/errors';

/**
 * A command line that cannot be run as given: an unknown command, a missing argument, a bad size.
 *
 * @example
 * throw new UsageError('upload needs a FILE argument');
 */
export class UsageError extends DhostError {
  override readonly code: string = 'USAGE';
}

/**
 * The local machine is not ready for the command: no key configured, a port in use.
 *
 * @example
 * throw new SetupError('port 8545 is already in use');
 */
export class SetupError extends DhostError {
  override readonly code: string = 'SETUP';
}
