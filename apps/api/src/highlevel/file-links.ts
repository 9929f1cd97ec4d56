import { AppConfig, trustedProxy } from '@app/config';
import type { FastifyRequest } from 'fastify';

const DOWNLOAD_PATH = /^\/desk\/api\/v2\/files\/([1-9]\d{0,14})\/download$/;

// HighLevel's attachments are URLs: a file's are its download URL on this service, under its
// public base URL, and an attachment sent is named by such a URL (or its path; any origin).
export interface FileLinks {
  urlOf(fileId: number): string;
  idOf(url: string): number | null;
}

export function fileLinks(config: AppConfig, request: FastifyRequest): FileLinks {
  const base = publicBaseUrl(config, request);
  const basePath = new URL(base).pathname.replace(/\/$/, '');
  return {
    urlOf: (fileId) => `${base}/desk/api/v2/files/${fileId}/download`,
    idOf: (url) => {
      let path: string;
      try {
        path = new URL(url, base).pathname;
      } catch {
        return null;
      }
      const match = DOWNLOAD_PATH.exec(path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path);
      return match ? Number(match[1]) : null;
    },
  };
}

// The origin (and path prefix) links start with, without a trailing slash: PUBLIC_BASE_URL; else,
// behind a trusted proxy, the request's origin as the proxy forwarded it; else loopback on PORT.
// A client's Host header alone never makes a link: it would let anyone point answers elsewhere.
function publicBaseUrl(config: AppConfig, request: FastifyRequest): string {
  if (config.PUBLIC_BASE_URL) return config.PUBLIC_BASE_URL.replace(/\/+$/, '');
  if (trustedProxy(config)(request.socket.remoteAddress) && request.host) return `${request.protocol}://${request.host}`;
  return `http://127.0.0.1:${config.PORT}`;
}
