/**
 * What every upload route does, whichever protocol it speaks (vmprof's
 * runtime API, its legacy JSON, or our /api/v1): create a runtime, ingest a
 * profile into it, attach side files, freeze it. Routes only translate HTTP.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  asParseError,
  compressedRaw,
  newSpoolDir,
  plainForParsing,
  profileFacts,
  removeSpoolDir,
  safeFileName,
  type SpooledFile,
  spoolUpload,
  UploadError,
  writeModel,
} from './ingest.js';
import { parseLegacyUpload } from '../formats/vmprof/legacy-json.js';
import type { AttachmentRow, BlobSource, ProfileRow, Store } from './store/store.js';
import { StoreConflictError } from './store/store.js';

/** What parsing an upload yields for storage: the listing facts and the gzipped model file. */
export interface ModelBuild {
  facts: ReturnType<typeof profileFacts>;
  model: { source: BlobSource; modelSize: number };
}

/**
 * Parses a spooled, uncompressed profile file (`fileName` is the client's name
 * for it, a sniffing hint) and writes its model into `dir`. In-process below;
 * the server runs it in worker threads (parse-pool.ts).
 */
export type ModelBuilder = (path: string, fileName: string, dir: string) => Promise<ModelBuild>;

export const buildModelInProcess: ModelBuilder = async (path, fileName, dir) => {
  // Loaded on first use: the readers are the bulk of the code and `pyrometer token` never needs them.
  const { loadProfile } = await import('../formats/load.js');
  // Uploaded from another machine: its native libraries are not ours to name frames from.
  const profile = await loadProfile(path, { fileName, nativeSymbols: false });
  return { facts: profileFacts(profile), model: await writeModel(profile, dir) };
};

export interface UploadBody {
  stream: Readable;
  fileName?: string;
  contentEncoding?: string;
  contentLength?: number;
}

/** Side-file kinds we accept and keep beside a profile. */
export const ATTACHMENT_KINDS = ['jitlog', 'pypylog'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** The legacy JSON body is parsed in memory, so it gets a tighter bound than file uploads. */
const LEGACY_JSON_MAX_BYTES = 64 << 20;
/** runtime/new bodies are a name and a VM. */
export const SMALL_JSON_MAX_BYTES = 1 << 20;

export const NAME_MAX = 255; // vmprof-server's limit on argv
export const VM_MAX = 32;

export class ProfileService {
  constructor(
    readonly store: Store,
    private readonly spoolRoot: string,
    readonly maxUploadBytes: number,
    private readonly buildModel: ModelBuilder = buildModelInProcess,
  ) {}

  async createRuntime(name: string, vm: string): Promise<string> {
    const id = randomUUID();
    // NUL cannot be stored in PostgreSQL text, and SQLite's text functions stop at it.
    const clean = (text: string, max: number) => text.replaceAll('\0', '').slice(0, max);
    await this.store.createRuntime({ id, name: clean(name, NAME_MAX), vm: clean(vm, VM_MAX), createdAt: Date.now() });
    return id;
  }

  private async requireOpenRuntime(id: string): Promise<ProfileRow> {
    const row = await this.store.getProfile(id);
    if (!row) throw new UploadError(404, `no runtime ${id}`);
    if (row.completed) throw new UploadError(400, 'the runtime data is already frozen, cannot upload any more files');
    return row;
  }

  /** Spools, parses, stores. Nothing is stored unless all of it succeeded. */
  async ingestProfile(id: string, body: UploadBody, vm?: string): Promise<ProfileRow> {
    const existing = await this.requireOpenRuntime(id);
    if (existing.hasProfile) throw new UploadError(409, 'this runtime already has a profile');
    const fileName = safeFileName(body.fileName, 'profile');
    await this.withSpooledUpload(body, fileName, async ({ spooled, plainPath, dir }) => {
      // Compress the raw bytes (zlib's thread pool) while the reader parses.
      const rawPromise = compressedRaw(spooled);
      rawPromise.catch(() => {});
      let built: ModelBuild;
      try {
        built = await this.buildModel(plainPath, fileName, dir);
      } catch (err) {
        throw asParseError(err, fileName);
      }
      const { model } = built;
      const raw = await rawPromise;
      await this.store.storeProfile(
        id,
        {
          ...built.facts,
          fileName,
          vm,
          rawSize: spooled.size,
          rawSha256: spooled.sha256,
          rawEncoding: raw.encoding,
          modelSize: model.modelSize,
        },
        raw.source,
        model.source,
      );
    });
    return (await this.store.getProfile(id))!;
  }

  /**
   * An upload spooled into a directory of its own, refused when empty and made plain (gunzipped)
   * for the readers, then handed to `work`. The directory goes when `work` is done; a store
   * conflict (a concurrent upload won) becomes a 409.
   */
  private async withSpooledUpload<T>(
    body: UploadBody,
    fileName: string,
    work: (upload: { spooled: SpooledFile; plainPath: string; dir: string }) => Promise<T>,
  ): Promise<T> {
    const dir = await newSpoolDir(this.spoolRoot);
    try {
      const spooled = await spoolUpload(body.stream, dir, {
        maxBytes: this.maxUploadBytes,
        fileName,
        contentEncoding: body.contentEncoding,
        contentLength: body.contentLength,
      });
      if (spooled.size === 0) throw new UploadError(400, `${fileName}: the upload is empty`);
      const plainPath = await plainForParsing(spooled, fileName, this.maxUploadBytes);
      return await work({ spooled, plainPath, dir });
    } catch (err) {
      if (err instanceof StoreConflictError) throw new UploadError(409, err.message);
      throw err;
    } finally {
      await removeSpoolDir(dir);
    }
  }

  /** One call: a new runtime holding this profile, frozen. Used by /api/v1 and `pyrometer upload`. */
  async uploadProfile(name: string, body: UploadBody): Promise<ProfileRow> {
    const id = await this.createRuntime(name || safeFileName(body.fileName, ''), '');
    try {
      await this.ingestProfile(id, body);
    } catch (err) {
      await this.store.deleteProfile(id).catch(() => {});
      throw err;
    }
    await this.store.freeze(id);
    return (await this.store.getProfile(id))!;
  }

  async ingestAttachment(profileId: string, kind: AttachmentKind, body: UploadBody): Promise<AttachmentRow> {
    await this.requireOpenRuntime(profileId);
    const fileName = safeFileName(body.fileName, kind);
    return this.withSpooledUpload(body, fileName, async ({ spooled, plainPath }) => {
      await checkAttachment(kind, plainPath, fileName);
      const raw = await compressedRaw(spooled);
      return await this.store.addAttachment(
        {
          id: randomUUID(),
          profileId,
          kind,
          fileName,
          createdAt: Date.now(),
          size: spooled.size,
          sha256: spooled.sha256,
          encoding: raw.encoding,
        },
        raw.source,
      );
    });
  }

  /** `POST /api/log/`: the whole profile as JSON, stored as a frozen runtime. */
  async ingestLegacy(body: UploadBody): Promise<ProfileRow> {
    const dir = await newSpoolDir(this.spoolRoot);
    try {
      const limit = Math.min(this.maxUploadBytes, LEGACY_JSON_MAX_BYTES);
      const spooled = await spoolUpload(body.stream, dir, {
        maxBytes: limit,
        fileName: 'legacy.json',
        contentEncoding: body.contentEncoding,
        contentLength: body.contentLength,
      });
      let json: unknown;
      try {
        json = JSON.parse((await readFile(spooled.path)).toString('utf8'));
      } catch (err) {
        throw new UploadError(400, `the body is not valid JSON (${(err as Error).message})`);
      }
      let legacy;
      try {
        legacy = parseLegacyUpload(json);
      } catch (err) {
        throw asParseError(err, 'legacy upload');
      }
      const id = await this.createRuntime(legacy.argv, legacy.vm);
      try {
        const raw = await compressedRaw(spooled);
        const model = await writeModel(legacy.profile, dir);
        await this.store.storeProfile(
          id,
          {
            ...profileFacts(legacy.profile),
            fileName: 'legacy-upload.json',
            rawSize: spooled.size,
            rawSha256: spooled.sha256,
            rawEncoding: raw.encoding,
            modelSize: model.modelSize,
          },
          raw.source,
          model.source,
        );
        await this.store.freeze(id);
      } catch (err) {
        await this.store.deleteProfile(id).catch(() => {});
        throw err;
      }
      return (await this.store.getProfile(id))!;
    } finally {
      await removeSpoolDir(dir);
    }
  }
}

/** A light check that a side file is what it claims, so garbage is refused at upload. */
async function checkAttachment(kind: AttachmentKind, path: string, fileName: string): Promise<void> {
  const { open } = await import('node:fs/promises');
  const file = await open(path, 'r');
  const head = Buffer.alloc(64);
  let n: number;
  try {
    n = (await file.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await file.close();
  }
  if (kind === 'jitlog') {
    // Every jitlog starts with the header marker 0x1e, then a u16 version (formats.md §2).
    if (n < 3 || head[0] !== 0x1e)
      throw new UploadError(400, `${fileName}: not a PyPy jitlog (it does not start with the 0x1e header marker)`);
  } else if (kind === 'pypylog') {
    if (n === 0 || head[0] !== 0x5b /* [ */)
      throw new UploadError(400, `${fileName}: not a PYPYLOG (it does not start with "[timestamp]")`);
  }
}
