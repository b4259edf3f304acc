// The JSON lines between the UI lab test (root namespace) and controller-host.ts (a child
// process inside the lab's client namespace), one object per line:
//   test → host (stdin):  { id, channel, request }       an invoke of the IPC schema
//   host → test (stdout): { id, result }                  its IpcResult
//                         { notify: channel, payload }    a main → renderer notification
//                         { ready: true, pid }            once, when the handlers are in place
// Besides the schema's channels the host answers HOST_ENGINE_CHANNEL, for the test only (the
// page never sees it): the engine's own view, i.e. what the gateway sent.
import type { EngineState, EngineStats } from '../../../src/main/engine/types.js';
import type { IpcResult } from '../../../src/shared/ipc.js';
import type { AllowedResource } from '../../../src/shared/protocol/session.js';

export const HOST_ENGINE_CHANNEL = 'host:engine';

export interface HostRequest {
  id: number;
  channel: string;
  request: unknown;
}

export type HostLine =
  | { id: number; result: IpcResult<unknown> }
  | { notify: string; payload: unknown }
  | { ready: true; pid: number };

export interface EngineView {
  state: EngineState;
  stats: EngineStats;
  resources: AllowedResource[];
}
