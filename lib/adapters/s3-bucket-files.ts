import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BucketFiles, StoredFile } from '../operations/ports.ts';

/** CopySource is a URL path: encode each segment, keep the slashes. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

/** The runbook's operations on the data bucket: list, inspect, copy (onto itself to fire the trigger again). */
export class S3BucketFiles implements BucketFiles {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(opts: { client: S3Client; bucketName: string }) {
    this.client = opts.client;
    this.bucket = opts.bucketName;
  }

  async head(key: string): Promise<StoredFile | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        etag: unquote(r.ETag),
        size: r.ContentLength ?? 0,
        lastModified: r.LastModified ?? new Date(0),
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        metadata: r.Metadata ?? {},
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredFile> {
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of r.Contents ?? [])
        if (o.Key) yield { key: o.Key, etag: unquote(o.ETag), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0), metadata: {} };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async readText(key: string, maxBytes: number): Promise<string> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${Math.max(0, maxBytes - 1)}` }));
    const chunks: Buffer[] = [];
    for await (const c of r.Body as Readable) chunks.push(c as Buffer);
    return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  }

  async copy(from: string, to: string, opts: { metadata: Record<string, string>; contentType?: string }): Promise<{ etag: string }> {
    const r = await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: to,
        CopySource: copySource(this.bucket, from),
        // REPLACE: a copy onto itself must change something, and the metadata is what carries the arrival time.
        MetadataDirective: 'REPLACE',
        Metadata: opts.metadata,
        ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      }),
    );
    return { etag: unquote(r.CopyObjectResult?.ETag) };
  }

  /** Uploads a local file's bytes (a stream of known length) under `key`. */
  async upload(key: string, body: Readable, length: number): Promise<{ etag: string }> {
    const r = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: length }));
    return { etag: unquote(r.ETag) };
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
