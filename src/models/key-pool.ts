// API key pools per provider: stick to the last key that worked, put failing keys on cooldown, and
// order the keys to try. Plain state owned by one router; no timers, the clock is passed in.

export interface KeyPool {
  /**
   * Keys to try, in order: the last good key first, then the rest in configured order (rotating after
   * it). Keys on cooldown are left out while any other key is available; if all are cooling down, all
   * are returned, soonest-to-recover first.
   */
  orderKeys(providerId: string, keys: readonly string[], now: number): string[];
  /** The key worked: later calls start with it. */
  markGood(providerId: string, key: string): void;
  /** The key was rejected or rate limited: skip it until `until` (epoch ms). */
  markCoolingDown(providerId: string, key: string, until: number): void;
}

interface ProviderKeys {
  lastGood: string | undefined;
  cooldownUntil: Map<string, number>; // key → epoch ms
}

export function createKeyPool(): KeyPool {
  const byProvider = new Map<string, ProviderKeys>();
  const stateOf = (providerId: string): ProviderKeys => {
    let state = byProvider.get(providerId);
    if (!state) {
      state = { lastGood: undefined, cooldownUntil: new Map() };
      byProvider.set(providerId, state);
    }
    return state;
  };

  return {
    orderKeys(providerId, keys, now) {
      const state = stateOf(providerId);
      const start = state.lastGood === undefined ? 0 : Math.max(0, keys.indexOf(state.lastGood));
      const rotated = [...keys.slice(start), ...keys.slice(0, start)];
      const until = (key: string): number => state.cooldownUntil.get(key) ?? 0;
      const ready = rotated.filter((key) => until(key) <= now);
      if (ready.length > 0) return ready;
      return rotated.sort((a, b) => until(a) - until(b));
    },
    markGood(providerId, key) {
      const state = stateOf(providerId);
      state.lastGood = key;
      state.cooldownUntil.delete(key);
    },
    markCoolingDown(providerId, key, until) {
      const state = stateOf(providerId);
      state.cooldownUntil.set(key, until);
      if (state.lastGood === key) state.lastGood = undefined;
    },
  };
}
