/** An error meant for the user: `code` lets the renderer pick words, `message` says what failed. */
export class ControllerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControllerError';
  }
}
