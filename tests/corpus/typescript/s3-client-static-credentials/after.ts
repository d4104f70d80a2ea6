import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'stream';

const DEFAULT_REGION = 'eu-central-1';
export const UPLOAD_BUCKET = 'acme-customer-uploads';

export function createS3Client(region: string = DEFAULT_REGION): S3Client {
  return new S3Client({
    region,
    credentials: {
      accessKeyId: 'AKIAJ4QXR7TZ2LMB8WNE',
      secretAccessKey: 'u8Jx2kQ9vL4mN7pR1sT3wY6zA0bC5dE8fG2hJ4kL',
    },
  });
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
