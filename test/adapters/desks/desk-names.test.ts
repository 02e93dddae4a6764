/**
 * "A desk is one folder; nothing outside it names the vendor": no registered vendor desk's name
 * appears in bots/ or config/ (code or comments), nor in another desk's folder. The console is
 * the built-in desk and the word is everyday English, so it is not checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { deskRegistry } from '../../../adapters/desks/registry';

const root = join(__dirname, '../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : files(p);
    return /\.(ts|js)$/.test(p) ? [p] : [];
  });
}

describe('vendor names stay in their desk folder', () => {
  const vendors = deskRegistry.map((d) => d.name).filter((name) => name !== 'console');

  it('has vendor desks to check', () => {
    expect(vendors.length).toBeGreaterThan(0);
  });

  it.each(vendors)('%s is named only in its own folder (and the registry that lists it)', (vendor) => {
    const elsewhere = [
      ...files(join(root, 'bots')),
      ...files(join(root, 'config')),
      ...files(join(root, 'adapters', 'desks')).filter(
        (p) => !p.startsWith(join(root, 'adapters', 'desks', vendor)) && !p.endsWith(join('adapters', 'desks', 'registry.ts')),
      ),
    ];
    const naming = elsewhere
      .filter((p) => readFileSync(p, 'utf8').toLowerCase().includes(vendor.toLowerCase()))
      .map((p) => relative(root, p));
    expect(naming).toEqual([]);
  });
});
