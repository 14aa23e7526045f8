/** Where Temporal is: the Temporal CLI's environment variable names, for every client and worker. */
export const temporalAddress = (): string => process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
export const temporalNamespace = (): string => process.env.TEMPORAL_NAMESPACE ?? 'default';
