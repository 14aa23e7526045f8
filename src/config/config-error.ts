/** A configuration problem (the file, the environment): the processes exit 2 with its message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
