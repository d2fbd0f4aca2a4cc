// Where Hearth keeps its database and built models when no --data-dir is given (the CLI and the
// web shell; the Electron app uses its userData folder): $HEARTH_DATA_DIR, else the platform's
// usual place for application data.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.HEARTH_DATA_DIR) return resolve(env.HEARTH_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Hearth');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Hearth');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'hearth');
}
