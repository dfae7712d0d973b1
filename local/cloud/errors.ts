/**
 * AWS service errors as the SDK surfaces them (ServiceException semantics): `name` is the AWS error code
 * (`InvalidAMIID.NotFound`, `ParameterNotFound`, …), `$fault` says whose fault, `$metadata.httpStatusCode` is
 * what the service returns. The client plugin rethrows these as the client's own `<Service>ServiceException`
 * class, so `instanceof EC2ServiceException` and `error.name === '…'` both work in handlers.
 */
export interface ServiceErrorOptions {
  /** Default 400. 5xx makes it a server fault (and retryable by the SDK). */
  httpStatusCode?: number;
  /** Extra fields the service's error shape carries (e.g. `Code` for EC2). */
  fields?: Record<string, unknown>;
}

export class ServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
  readonly fields: Record<string, unknown>;

  constructor(code: string, message: string, options: ServiceErrorOptions = {}) {
    super(message);
    this.name = code;
    const httpStatusCode = options.httpStatusCode ?? 400;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode };
    this.fields = options.fields ?? {};
  }
}

/** Throw an AWS error with code `code` (400 unless told). */
export function fail(code: string, message: string, options?: ServiceErrorOptions): never {
  throw new ServiceError(code, message, options);
}

/** Throw `code` unless `condition` holds. */
export function ensure(condition: unknown, code: string, message: string, options?: ServiceErrorOptions): asserts condition {
  if (!condition) throw new ServiceError(code, message, options);
}

/** The operation is not simulated: fails loudly naming service and operation. */
export class UnsupportedOperationError extends Error {
  constructor(service: string, operation: string) {
    super(`The simulated cloud does not implement ${service} ${operation} (local/cloud/services/index.ts lists what it does)`);
    this.name = 'UnsupportedOperationError';
  }
}

/** A client's region is not one of the world's regions (a misconfigured client, or a scenario missing a region). */
export class UnknownRegionError extends Error {
  constructor(region: string, known: readonly string[]) {
    super(`The simulated cloud has no region "${region}" (regions: ${known.join(', ')}); add it to the scenario's regions`);
    this.name = 'UnknownRegionError';
  }
}
