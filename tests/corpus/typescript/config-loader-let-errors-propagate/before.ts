import { readFileSync } from 'fs';
import { logger } from '../logging';
import { AppConfig } from './app-config';
import { ConfigError } from './config-error';

const DEFAULTS: AppConfig = {
  port: 3000,
  logLevel: 'info',
  databaseUrl: 'postgres://localhost:5432/app',
  features: {},
};

export function loadConfig(path: string): AppConfig {
  const raw = readFileSync(path, 'utf8');
  try {
    const parsed = JSON.parse(raw) as Partial<AppConfig>;
    return { ...DEFAULTS, ...parsed };
  } catch (err) {
    logger.error(`failed to parse ${path}`, err);
    throw new ConfigError(`invalid JSON in ${path}`);
  }
}

export function validateConfig(config: AppConfig): AppConfig {
  if (!Number.isInteger(config.port) || config.port <= 0) {
    throw new ConfigError(`invalid port: ${config.port}`);
  }
  if (!config.databaseUrl.startsWith('postgres://')) {
    throw new ConfigError('databaseUrl must be a postgres:// URL');
  }
  logger.debug('configuration validated');
  return config;
}
