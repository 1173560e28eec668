import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, InputError, RejectBudgetError, exitCodeOf, formatError, messageOf } from '../../src/core/errors.ts';

describe('errors', () => {
  it('map each kind to its exit code: 2 config/input, 3 reject budget, 1 bug', () => {
    expect(exitCodeOf(new ConfigError('x'))).toBe(2);
    expect(exitCodeOf(new InputError('NO_DATA', 'x'))).toBe(2);
    expect(exitCodeOf(new RejectBudgetError('x'))).toBe(3);
    expect(exitCodeOf(new DataError('DECODE_FAILED', 'x'))).toBe(1);
    expect(exitCodeOf(new TypeError('boom'))).toBe(1);
  });

  it('format a known error as one line plus a hint, without a stack', () => {
    const text = formatError(new ConfigError('--batch must be an integer ≥ 1 (got 0)', { hint: 'nightly pipelines use 128' }));
    expect(text).toBe('error CONFIG_INVALID: --batch must be an integer ≥ 1 (got 0)\n  hint: nightly pipelines use 128');
  });

  it('format an unknown error as a bug with its stack', () => {
    const text = formatError(new TypeError('cannot read x'));
    expect(text).toMatch(/^error BUG/);
    expect(text).toMatch(/TypeError: cannot read x\n\s+at /);
  });

  it('read messages from strings and dicom-parser style plain objects', () => {
    expect(messageOf('DICM prefix not found')).toBe('DICM prefix not found');
    expect(messageOf({ exception: 'buffer overrun', dataSet: {} })).toBe('buffer overrun');
  });

  it('keep the cause chain', () => {
    const cause = new Error('socket hang up');
    expect(new DataError('HTTP', 'download failed', { cause }).cause).toBe(cause);
  });
});
