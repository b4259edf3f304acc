// The window's copy of the app state: loaded once, then kept current by notifications.
import { useEffect, useState } from 'react';
import type {
  AppInfo,
  LogLine,
  Preferences,
  ProfilesSnapshot,
  TunnelSnapshot,
} from '../shared/ipc-schema.js';
import { appendSample } from '../shared/traffic-history.js';
import { api } from './api.js';

export interface AppModel {
  info: AppInfo;
  tunnel: TunnelSnapshot;
  profiles: ProfilesSnapshot;
  prefs: Preferences;
  logs: LogLine[];
}

const MAX_LOG_LINES = 1000;

export function useAppModel(): [AppModel | null, (fn: (m: AppModel) => AppModel) => void] {
  const [model, setModel] = useState<AppModel | null>(null);

  useEffect(() => {
    const p = api();
    let alive = true;
    // Subscribe first so nothing between the loads and the subscriptions is missed.
    const update = (fn: (m: AppModel) => AppModel) => setModel((m) => (m ? fn(m) : m));
    const offs = [
      p.tunnel.onState((state) =>
        update((m) => ({
          ...m,
          tunnel: {
            ...m.tunnel,
            state,
            stats: state.kind === 'disconnected' ? null : m.tunnel.stats,
            history: state.kind === 'disconnected' ? [] : m.tunnel.history,
          },
        })),
      ),
      p.tunnel.onStats((stats) =>
        update((m) => ({
          ...m,
          tunnel: {
            ...m.tunnel,
            stats,
            // The same rule as the main process's history, one sample per stats notification.
            history: appendSample(m.tunnel.history, {
              at: stats.at,
              inPerSecond: stats.bytesInPerSecond,
              outPerSecond: stats.bytesOutPerSecond,
              rttMs: stats.rttMs,
            }),
          },
        })),
      ),
      p.tunnel.onResources((resources) =>
        update((m) => ({ ...m, tunnel: { ...m.tunnel, resources } })),
      ),
      p.profiles.onChanged((profiles) => update((m) => ({ ...m, profiles }))),
      p.app.onInfoChanged((info) => update((m) => ({ ...m, info }))),
      p.preferences.onChanged((prefs) => update((m) => ({ ...m, prefs }))),
      p.logs.onLine((line) =>
        update((m) => ({ ...m, logs: [...m.logs, line].slice(-MAX_LOG_LINES) })),
      ),
    ];
    void Promise.all([
      p.app.info(),
      p.tunnel.snapshot(),
      p.profiles.list(),
      p.preferences.get(),
      p.logs.list(),
    ]).then(([info, tunnel, profiles, prefs, logs]) => {
      if (alive) setModel({ info, tunnel, profiles, prefs, logs });
    });
    return () => {
      alive = false;
      for (const off of offs) off();
    };
  }, []);

  const change = (fn: (m: AppModel) => AppModel) => setModel((m) => (m ? fn(m) : m));
  return [model, change];
}
