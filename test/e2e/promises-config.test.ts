// A config file cac cannot read is a usage error (exit 2, ERR_CONFIG_READ) through bin/cac: a file the
// user may not read (the test runs cac as nobody: root reads any file), and a directory given as the
// config. Needs no engine.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, runBin, tempHome } from '../helpers/run-cli.js';

const NOBODY = '65534';

describe('an unreadable config exits 2 (bin/cac)', () => {
  it.skipIf(process.getuid?.() !== 0)('a file the user may not read: ERR_CONFIG_READ naming the file and EACCES', async () => {
    const { home } = tempHome();
    chmodSync(home, 0o755); // nobody reaches the file, and may not read it
    const file = join(home, 'config.toml');
    writeFileSync(file, '[agents]\nenabled = true\n');
    chmodSync(file, 0o600);
    for (const argv of [
      ['config', 'show'],
      ['config', 'validate', file],
      ['pool', 'status'],
    ]) {
      const r = await execa('setpriv', ['--reuid', NOBODY, '--regid', NOBODY, '--clear-groups', '--', process.execPath, BIN, ...argv, '--config', file, '--json'], {
        env: { PATH: process.env.PATH ?? '', HOME: home, XDG_STATE_HOME: join(home, 'state'), NO_COLOR: '1' },
        extendEnv: false,
        cwd: REPO_ROOT,
        reject: false,
      });
      expect(r.exitCode, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({
        outcome: 'error',
        code: 'ERR_CONFIG_READ',
        message: `${file}: cannot read config (EACCES)`,
        hint: 'check the file permissions, or point --config / $CAC_CONFIG at another file',
      });
    }
  });

  it('a directory given as the config: exit 2 with the error and hint on stderr', async () => {
    const { env, home } = tempHome();
    const dir = join(home, 'cac.d');
    mkdirSync(dir);
    const r = await runBin(['config', 'show'], { env: { ...env, CAC_CONFIG: dir } });
    expect(r).toMatchObject({ exitCode: 2, stdout: '' });
    expect(r.stderr).toBe(`error: ${dir}: cannot read config (EISDIR)\nhint: that is a directory: point --config / $CAC_CONFIG at a file\n`);
  });
});
