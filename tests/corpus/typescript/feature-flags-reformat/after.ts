import { FlagDefinition, FlagContext } from './flag.types';

export const DEFAULT_FLAGS: Record<string, FlagDefinition> = {
  newCheckout: { enabled: false, rolloutPercent: 0 },
  darkMode: { enabled: true, rolloutPercent: 100 },
  bulkExport: {
    enabled: true,
    rolloutPercent: 25,
    allowTenants: ['acme', 'globex'],
  },
};

function bucketFor(userId: string, flag: string): number {
  let hash = 2166136261;
  const input = `${flag}:${userId}`;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % 100;
}

export class FeatureFlags {
  constructor(
    private readonly flags: Record<string, FlagDefinition> = DEFAULT_FLAGS,
  ) {}

  isEnabled(name: string, context: FlagContext): boolean {
    const flag = this.flags[name];
    if (!flag || !flag.enabled) {
      return false;
    }
    if (
      flag.allowTenants &&
      !flag.allowTenants.includes(context.tenantId)
    ) {
      return false;
    }
    return bucketFor(context.userId, name) < flag.rolloutPercent;
  }

  enabledFlags(context: FlagContext): string[] {
    return Object.keys(this.flags).filter((name) =>
      this.isEnabled(name, context),
    );
  }
}
