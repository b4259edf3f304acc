// The main side of the IPC transport: ipcMain.handle per invoke channel, webContents.send for
// notifications. Only frames served from app://passerelle/ may call.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { IpcResult, MainTransport } from '../../shared/ipc.js';
import { APP_ORIGIN } from './app-protocol.js';

function trusted(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`);
}

export function electronMainTransport(windows: () => BrowserWindow[]): MainTransport {
  return {
    handle(channel, handler) {
      ipcMain.handle(channel, async (event, request: unknown): Promise<IpcResult<unknown>> => {
        if (!trusted(event)) {
          return {
            type: 'error',
            error: {
              message: `Refused IPC from ${event.senderFrame?.url ?? 'unknown'}`,
              code: 'forbidden',
            },
          };
        }
        return handler(request);
      });
    },
    send(channel, payload) {
      for (const win of windows()) {
        if (!win.isDestroyed()) win.webContents.send(channel, payload);
      }
    },
  };
}
