import { createReadStream, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStore } from '../ingest/ports.ts';

/** CopySource is a URL path: encode each segment, keep the slashes. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(opts: { client: S3Client; bucketName: string }) {
    this.client = opts.client;
    this.bucket = opts.bucketName;
  }

  async *read(key: string): AsyncIterable<Buffer> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    for await (const chunk of r.Body as Readable) yield chunk as Buffer;
  }

  async put(key: string, body: string | Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  openWriter(key: string, contentType: string) {
    const body = new PassThrough();
    // Multipart upload of a body of unknown length; only a 5 MiB part is ever buffered.
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType } });
    const done = upload.done();
    done.catch(() => undefined);
    return {
      write: async (chunk: string) => {
        if (!body.write(chunk)) await new Promise<void>((r) => body.once('drain', () => r()));
      },
      close: async () => {
        body.end();
        await done;
      },
    };
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Uploads a local file as it is (the CLI's `ingest`); its ETag, which the ingest ledger is keyed by. */
  async putFile(key: string, path: string): Promise<string> {
    const put = await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(path), ContentLength: statSync(path).size }),
    );
    return (put.ETag ?? '').replace(/"/g, '');
  }

  async copy(from: string, to: string): Promise<void> {
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: copySource(this.bucket, from) }));
  }
}
