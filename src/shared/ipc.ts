// Generic machinery for a typed IPC boundary: a schema lists every channel once, and both
// sides are derived from it. The main side registers one handler per invoke channel (the
// compiler and registerHandlers() refuse a missing one) and gets typed notifiers; the
// renderer side gets one function per invoke channel and one subscriber per notification.
// Nothing here knows about Electron: each side plugs in a small transport.
import type { z } from 'zod';

/** A renderer → main call answered by main. `request` validates what the renderer sent. */
export interface InvokeChannel<Req, Res> {
  readonly kind: 'invoke';
  readonly request: z.ZodType<Req>;
  /** Never set: carries the response type. */
  readonly response?: Res;
}

/** A main → renderer message nobody answers. */
export interface NotifyChannel<Payload> {
  readonly kind: 'notify';
  /** Never set: carries the payload type. */
  readonly payload?: Payload;
}

type AnyChannel = InvokeChannel<any, any> | NotifyChannel<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type IpcSchema = Record<string, Record<string, AnyChannel>>;

/** Declares an invoke channel: `invoke<Response>()(requestSchema)`. */
export function invoke<Res>() {
  return <Req>(request: z.ZodType<Req>): InvokeChannel<Req, Res> => ({ kind: 'invoke', request });
}

/** Declares a main → renderer notification carrying `Payload`. */
export function notifyRenderer<Payload>(): NotifyChannel<Payload> {
  return { kind: 'notify' };
}

/** What crosses the wire for every invoke: a value or an error, never a thrown exception. */
export type IpcResult<T> =
  { type: 'success'; value: T } | { type: 'error'; error: { message: string; code: string } };

/** Thrown on the renderer side when main answered `{ type: 'error' }`. */
export class IpcError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'IpcError';
  }
}

export function channelName(group: string, name: string): string {
  return `passerelle:${group}.${name}`;
}

export interface ChannelInfo {
  group: string;
  name: string;
  channel: string;
  kind: 'invoke' | 'notify';
}

/** Every channel of a schema, flattened; used by both sides and by the coverage test. */
export function listChannels(schema: IpcSchema): ChannelInfo[] {
  const out: ChannelInfo[] = [];
  for (const [group, channels] of Object.entries(schema)) {
    for (const [name, ch] of Object.entries(channels)) {
      out.push({ group, name, channel: channelName(group, name), kind: ch.kind });
    }
  }
  return out;
}

// ---- types derived from a schema ----

type InvokeKeys<G> = {
  [K in keyof G]: G[K] extends InvokeChannel<any, any> ? K : never; // eslint-disable-line @typescript-eslint/no-explicit-any
}[keyof G];
type NotifyKeys<G> = {
  [K in keyof G]: G[K] extends NotifyChannel<any> ? K : never; // eslint-disable-line @typescript-eslint/no-explicit-any
}[keyof G];

export type RequestOf<C> = C extends InvokeChannel<infer Req, unknown> ? Req : never;
export type ResponseOf<C> = C extends InvokeChannel<unknown, infer Res> ? Res : never;
export type PayloadOf<C> = C extends NotifyChannel<infer P> ? P : never;

/** A call with no useful request (schema `z.null()`) takes no argument. */
type Call<Req, Res> = [Req] extends [null] ? () => Promise<Res> : (request: Req) => Promise<Res>;

type OnName<K> = K extends string ? `on${Capitalize<K>}` : never;

/** The renderer's view: `api.group.call(req)` and `api.group.onEvent(listener) → unsubscribe`. */
export type IpcRendererApi<S extends IpcSchema> = {
  readonly [G in keyof S]: {
    readonly [K in InvokeKeys<S[G]>]: Call<RequestOf<S[G][K]>, ResponseOf<S[G][K]>>;
  } & {
    readonly [K in NotifyKeys<S[G]> as OnName<K>]: (
      listener: (payload: PayloadOf<S[G][K]>) => void,
    ) => () => void;
  };
};

/** What main must provide: one handler per invoke channel. */
export type IpcHandlers<S extends IpcSchema> = {
  [G in keyof S]: {
    [K in InvokeKeys<S[G]>]: (
      request: RequestOf<S[G][K]>,
    ) => ResponseOf<S[G][K]> | Promise<ResponseOf<S[G][K]>>;
  };
};

/** What main gets back: one function per notification. */
export type IpcNotifiers<S extends IpcSchema> = {
  [G in keyof S]: {
    [K in NotifyKeys<S[G]>]: (payload: PayloadOf<S[G][K]>) => void;
  };
};

// ---- transports ----

export interface MainTransport {
  /** Registers the single handler of a channel; the value it resolves crosses as is. */
  handle(channel: string, handler: (request: unknown) => Promise<IpcResult<unknown>>): void;
  /** Sends a notification to every renderer that listens. */
  send(channel: string, payload: unknown): void;
}

export interface RendererTransport {
  invoke(channel: string, request: unknown): Promise<unknown>;
  /** Returns a function that removes the listener. */
  subscribe(channel: string, listener: (payload: unknown) => void): () => void;
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return 'internal';
}

/**
 * Registers every invoke handler of `schema` on `transport`, validating requests first, and
 * returns typed notifiers. Throws if a handler is missing, so a channel declared in the schema
 * can never be left unanswered at run time either.
 */
export function registerHandlers<S extends IpcSchema>(
  schema: S,
  transport: MainTransport,
  handlers: IpcHandlers<S>,
): IpcNotifiers<S> {
  const notifiers: Record<string, Record<string, (payload: unknown) => void>> = {};
  const table = handlers as unknown as Record<
    string,
    Record<string, ((req: unknown) => unknown) | undefined> | undefined
  >;
  for (const info of listChannels(schema)) {
    const declared = schema[info.group]?.[info.name];
    if (info.kind === 'notify') {
      (notifiers[info.group] ??= {})[info.name] = (payload) =>
        transport.send(info.channel, payload);
      continue;
    }
    const handler = table[info.group]?.[info.name];
    if (typeof handler !== 'function' || declared?.kind !== 'invoke') {
      throw new Error(`IPC channel ${info.group}.${info.name} has no handler in main`);
    }
    const requestSchema = declared.request;
    transport.handle(info.channel, async (raw) => {
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
        return {
          type: 'error',
          error: {
            message: `Invalid request for ${info.group}.${info.name}${where}: ${issue?.message ?? 'rejected'}`,
            code: 'invalid-request',
          },
        };
      }
      try {
        const value: unknown = await handler(parsed.data);
        return { type: 'success', value };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { type: 'error', error: { message, code: errorCode(err) } };
      }
    });
  }
  return notifiers as IpcNotifiers<S>;
}

function isResult(value: unknown): value is IpcResult<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    (value.type === 'success' || value.type === 'error')
  );
}

/** Builds the renderer API of `schema` over `transport`; `{ type: 'error' }` is rethrown. */
export function createRendererApi<S extends IpcSchema>(
  schema: S,
  transport: RendererTransport,
): IpcRendererApi<S> {
  const api: Record<string, Record<string, unknown>> = {};
  for (const info of listChannels(schema)) {
    const group = (api[info.group] ??= {});
    if (info.kind === 'invoke') {
      group[info.name] = async (request?: unknown) => {
        const result = await transport.invoke(info.channel, request ?? null);
        if (!isResult(result)) throw new IpcError(`Malformed answer on ${info.channel}`, 'ipc');
        if (result.type === 'error') throw new IpcError(result.error.message, result.error.code);
        return result.value;
      };
    } else {
      const on = `on${info.name.charAt(0).toUpperCase()}${info.name.slice(1)}`;
      group[on] = (listener: (payload: unknown) => void) =>
        transport.subscribe(info.channel, listener);
    }
  }
  return api as IpcRendererApi<S>;
}
