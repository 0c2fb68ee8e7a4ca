import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/graphql-client';
import { ingestPhoto, waitForBatch, type IngestBatch } from '../api/operations';
import { plural } from './status';

type Phase = 'waiting' | 'uploading' | 'processing' | 'done' | 'failed';

interface Upload {
  key: number;
  file: File;
  phase: Phase;
  /** Share of the bytes sent, 0..1. */
  sent: number;
  faces?: number;
  error?: string;
}

/** Two files in flight: enough to keep the server busy without one slow file holding back the rest. */
const PARALLEL = 2;

/**
 * Photos dropped or picked go up one request each, so every file has its own
 * progress bar and its own outcome: a corrupt file shows the API's error and
 * the others still go in.
 */
export function UploadPanel({ albumId, onStored }: { albumId: string; onStored: () => void }) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const nextKey = useRef(0);
  const running = useRef(new Set<number>());
  const input = useRef<HTMLInputElement>(null);
  const live = useRef(true);
  const leaving = useRef(new AbortController());
  useEffect(
    () => () => {
      live.current = false;
      leaving.current.abort();
    },
    [],
  );

  const patch = (key: number, change: Partial<Upload>) =>
    live.current && setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  // Start waiting files whenever a slot is free.
  useEffect(() => {
    const waiting = uploads.filter((u) => u.phase === 'waiting' && !running.current.has(u.key));
    for (const u of waiting.slice(0, Math.max(0, PARALLEL - running.current.size))) {
      running.current.add(u.key);
      void send(u).finally(() => {
        running.current.delete(u.key);
        if (live.current) setUploads((list) => [...list]); // wake the scheduler
      });
    }
  }, [uploads]);

  async function send(u: Upload): Promise<void> {
    patch(u.key, { phase: 'uploading' });
    try {
      let batch: IngestBatch | null = await ingestPhoto(albumId, u.file, {
        onProgress: (sent, total) => {
          patch(u.key, total ? { sent: sent / total, ...(sent >= total ? { phase: 'processing' } : {}) } : {});
        },
      });
      patch(u.key, { phase: 'processing', sent: 1 });
      // Batches run as jobs: a busy server answers QUEUED or RUNNING, and says when it is done over the subscription.
      if (batch) batch = await waitForBatch(batch, leaving.current.signal);
      const item = batch?.items[0];
      if (item?.error) patch(u.key, { phase: 'failed', error: `${item.error.code}: ${item.error.message}` });
      else if (item?.image) {
        patch(u.key, { phase: 'done', faces: item.image.faces.length });
        onStored();
      } else patch(u.key, { phase: 'failed', error: `the batch ended ${batch?.status ?? 'missing'} without an outcome` });
    } catch (err) {
      patch(u.key, { phase: 'failed', error: describeError(err) });
    }
  }

  function add(files: FileList | File[] | null) {
    if (!files?.length) return;
    const added = [...files].map((file) => ({ key: nextKey.current++, file, phase: 'waiting' as Phase, sent: 0 }));
    setUploads((list) => [...list, ...added]);
  }

  const finished = uploads.filter((u) => u.phase === 'done' || u.phase === 'failed');
  return (
    <section class="upload" aria-label="Upload photos">
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for the mouse; the "choose files" button inside is the keyboard path */}
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        <p>
          Drop photos here or{' '}
          <button type="button" class="link" onClick={() => input.current?.click()}>
            choose files
          </button>
        </p>
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          accept="image/*"
          multiple
          aria-label="Photos to upload"
          data-testid="upload-input"
          onChange={(e) => {
            const el = e.currentTarget;
            add(el.files);
            el.value = '';
          }}
        />
      </div>
      {uploads.length > 0 && (
        <>
          <ul class="upload-list">
            {uploads.map((u) => (
              <li key={u.key} class={`upload-item ${u.phase}`} data-file={u.file.name} data-phase={u.phase}>
                <span class="upload-name" title={u.file.name}>
                  {u.file.name}
                </span>
                <progress
                  max={1}
                  value={u.phase === 'done' || u.phase === 'failed' ? 1 : u.sent}
                  aria-label={`${u.file.name} upload progress`}
                />
                <span class="upload-state">{stateText(u)}</span>
              </li>
            ))}
          </ul>
          {finished.length === uploads.length && (
            <button type="button" class="link" onClick={() => setUploads([])}>
              Clear the list
            </button>
          )}
        </>
      )}
    </section>
  );
}

function stateText(u: Upload): string {
  switch (u.phase) {
    case 'waiting':
      return 'waiting';
    case 'uploading':
      return `${Math.round(u.sent * 100)} %`;
    case 'processing':
      return 'finding faces…';
    case 'done':
      return plural(u.faces ?? 0, 'face');
    case 'failed':
      return u.error ?? 'failed';
  }
}
