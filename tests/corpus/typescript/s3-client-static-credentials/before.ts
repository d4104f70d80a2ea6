import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'stream';

const DEFAULT_REGION = 'eu-central-1';
export const UPLOAD_BUCKET = 'acme-customer-uploads';

export function createS3Client(region: string = DEFAULT_REGION, endpoint?: string): S3Client {
  return new S3Client({ region, endpoint, forcePathStyle: endpoint !== undefined });
}

export async function uploadObject(
  client: S3Client,
  key: string,
  body: Buffer,
  contentType: string,
): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: UPLOAD_BUCKET, Key: key, Body: body, ContentType: contentType }),
  );
}

export async function downloadObject(client: S3Client, key: string): Promise<Buffer> {
  const result = await client.send(new GetObjectCommand({ Bucket: UPLOAD_BUCKET, Key: key }));
  const chunks: Buffer[] = [];
  for await (const chunk of result.Body as Readable) {
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
