import axios, { AxiosError, AxiosInstance } from 'axios';
import https from 'https';
import { logger } from '../logging';

const USER_AGENT = 'acme-billing/2.4';

export function createInternalClient(baseURL: string, timeoutMs = 15000): AxiosInstance {
  const client = axios.create({
    baseURL,
    timeout: timeoutMs,
    headers: { 'User-Agent': USER_AGENT, Accept: 'application/json' },
    // internal services use the self-signed mesh certificate
    httpsAgent: new https.Agent({ rejectUnauthorized: false }),
  });
  client.interceptors.response.use(undefined, (error: AxiosError) => {
    const status = error.response?.status ?? 'network error';
    logger.warn(`internal request to ${error.config?.url} failed: ${status}`);
    return Promise.reject(error);
  });
  return client;
}

export async function getJson<T>(client: AxiosInstance, path: string): Promise<T> {
  const response = await client.get<T>(path);
  return response.data;
}

export async function postJson<T, B>(client: AxiosInstance, path: string, body: B): Promise<T> {
  const response = await client.post<T>(path, body);
  return response.data;
}
