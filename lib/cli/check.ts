import { loadConfigDir } from '../config/load-config-dir';
import { ConfigErrors } from '../errors';
import { existingDir, parseFlags, single } from './args';
import type { CliIo } from './args';

/**
 * `koa-bandwidth check --conf DIR` (docs/spec.md §7): exit 0 when the config is valid, 1 after
 * listing every error as `file:line:col: message` on stdout. Warnings (docs/config.md,
 * "Warnings") are listed as `file:line:col: warning: message` and do not fail the check. Country-code conditions are
 * accepted: whether the app passes a `geoip` lookup is not known here.
 */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ['conf']);
  const dir = existingDir('conf', single(flags, 'conf', true));
  try {
    const config = loadConfigDir(dir, { geoip: true });
    const rules = config.vhosts.reduce((n, v) => n + v.rules.length, 0);
    const warnings = config.warnings ?? [];
    for (const w of warnings) io.stdout(`${w.format()}\n`);
    const noted = warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : '';
    io.stdout(`${dir}: OK (${config.vhosts.length} vhost${config.vhosts.length === 1 ? '' : 's'}, ${rules} rule${rules === 1 ? '' : 's'}${noted})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    for (const e of err.errors) io.stdout(`${e.format()}\n`);
    io.stderr(`${err.errors.length} error${err.errors.length === 1 ? '' : 's'} in ${dir}\n`);
    return 1;
  }
}
