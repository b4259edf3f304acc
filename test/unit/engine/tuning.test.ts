import { describe, expect, it } from 'vitest';
import { dataPlaneTuning } from '../../../src/main/engine/tuning.js';

describe('data plane tuning', () => {
  it('uses the measured defaults', () => {
    const tuning = dataPlaneTuning({});
    expect(tuning.offloads).toBe(true);
    expect(tuning.link.streamWindow).toBe(8 << 20);
    expect(tuning.link.notsentLowat).toBe(128 * 1024);
  });

  it('takes overrides from the environment', () => {
    const tuning = dataPlaneTuning({
      PASSERELLE_STREAM_WINDOW: '1048576',
      PASSERELLE_NOTSENT_LOWAT: '0',
      PASSERELLE_TUN_OFFLOADS: '0',
    });
    expect(tuning.link.streamWindow).toBe(1 << 20);
    expect(tuning.link.notsentLowat).toBe(0);
    expect(tuning.offloads).toBe(false);
  });

  it('refuses an override out of range or not a number, saying which', () => {
    expect(() => dataPlaneTuning({ PASSERELLE_STREAM_WINDOW: '100' })).toThrow(
      /PASSERELLE_STREAM_WINDOW must be an integer from 65535/,
    );
    expect(() => dataPlaneTuning({ PASSERELLE_WRITE_BUDGET: 'lots' })).toThrow(/"lots"/);
    expect(() => dataPlaneTuning({ PASSERELLE_TUN_OFFLOADS: 'yes' })).toThrow(/0 or 1/);
  });
});
