/** Errors of the local stack (emulators, resources, event-source-mapping runtime). */

/** A port an emulator was asked to use is taken by another process. */
export class PortInUseError extends Error {
  readonly port: number;
  constructor(
    readonly service: string,
    port: number,
    readonly flag: string,
    options?: { cause?: unknown },
  ) {
    super(
      `port ${port} is already in use, so ${service} cannot listen on it: stop the process that holds it, or choose another port with ${flag} N`,
      options,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

/** An emulator did not start or did not become ready in time. */
export class EmulatorStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorStartError';
  }
}

/** The local stack was used in a way it does not support (see the message for the fix). */
export class LocalStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

/** A condition awaited by the local stack did not hold before its deadline. */
export class WaitTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WaitTimeoutError';
  }
}
