/**
 * A boolean setting that may come from an environment variable. Environment variables arrive as
 * strings, and "false" must not become `true`: the usual spellings are read, anything else is an
 * error naming what is expected.
 */
import { z } from 'zod';

export const flag = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    return v;
  },
  z.boolean({ invalid_type_error: 'true or false' }),
);
