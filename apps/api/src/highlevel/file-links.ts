import type { FastifyRequest } from 'fastify';

const DOWNLOAD_PATH = /^\/desk\/api\/v2\/files\/([1-9]\d{0,14})\/download$/;

// HighLevel's attachments are URLs: a file's are its download URL on this service, at the origin
// the caller reached it by, and an attachment sent is named by such a URL (or its path).
export interface FileLinks {
  urlOf(fileId: number): string;
  idOf(url: string): number | null;
}

export function fileLinks(request: FastifyRequest): FileLinks {
  const origin = `${request.protocol}://${request.host}`;
  return {
    urlOf: (fileId) => `${origin}/desk/api/v2/files/${fileId}/download`,
    idOf: (url) => {
      let path: string;
      try {
        path = new URL(url, origin).pathname;
      } catch {
        return null;
      }
      const match = DOWNLOAD_PATH.exec(path);
      return match ? Number(match[1]) : null;
    },
  };
}
