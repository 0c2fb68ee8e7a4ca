import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/graphql-client';
import { addFace, albumPeople, albumPhotos, clusterFaces, deleteFace, followAlbum, getAlbum, type Box } from '../api/operations';
import { PeopleStrip } from '../components/people-strip';
import { PhotoCard } from '../components/photo-card';
import { SamePersonReview } from '../components/same-person-review';
import { ErrorNote, Loading, plural } from '../components/status';
import { UploadPanel } from '../components/upload-panel';
import { WhoIsThisReview } from '../components/who-is-this-review';
import { useAsync, usePaged } from '../hooks';

export function AlbumView({ id }: { id: string }) {
  const album = useAsync(() => getAlbum(id), [id]);
  const people = useAsync(() => albumPeople(id), [id]);
  const photos = usePaged((after) => albumPhotos(id, after), [id]);
  const [clustering, setClustering] = useState(false);
  const [clusterError, setClusterError] = useState<unknown>();
  const [clusterNote, setClusterNote] = useState('');
  const [minFaces, setMinFaces] = useState('');
  const [editing, setEditing] = useState(false);
  const [editBusy, setEditBusy] = useState(false);
  const [editError, setEditError] = useState<unknown>();
  /** A drawn box where the server found no face: added only if the user insists. */
  const [unsure, setUnsure] = useState<{ imageId: string; box: Box } | null>(null);

  /** Bumped whenever people change, so that the "Same person?" review asks again. */
  const [peopleVersion, setPeopleVersion] = useState(0);

  // After uploads or clustering, counts, people and the grid all change: fetch them again.
  const refresh = () => {
    album.reload();
    people.reload();
    photos.reset();
    setPeopleVersion((v) => v + 1);
  };

  // People are placed by clustering on the server after each batch: show them when the server says so.
  useEffect(() => {
    const stop = new AbortController();
    followAlbum(
      id,
      (event) => {
        if (event.kind !== 'PEOPLE_CHANGED') return;
        album.reload();
        people.reload();
        setPeopleVersion((v) => v + 1);
      },
      stop.signal,
    );
    return () => stop.abort();
  }, [id]);

  async function cluster() {
    setClustering(true);
    setClusterError(undefined);
    try {
      const r = await clusterFaces(id, minFaces ? Number(minFaces) : null);
      setClusterNote(
        `${plural(r.newPeople, 'new person', 'new people')}, ${plural(r.joinedExisting, 'face')} joined people already known, ` +
          `${plural(r.unassigned, 'face')} wait for more similar faces.`,
      );
      refresh();
    } catch (err) {
      setClusterError(err);
    } finally {
      setClustering(false);
    }
  }

  /** Runs a correction, then refreshes; a drawn box where the server found no face asks whether to add it anyway. */
  async function correct(what: () => Promise<unknown>, drawn?: { imageId: string; box: Box }) {
    setEditBusy(true);
    setEditError(undefined);
    setUnsure(null);
    try {
      await what();
      refresh();
    } catch (err) {
      if (drawn && err instanceof ApiError && err.code === 'BAD_USER_INPUT' && err.errors[0]?.extensions?.rejection) setUnsure(drawn);
      else setEditError(err);
    } finally {
      setEditBusy(false);
    }
  }

  if (album.loading && !album.data)
    return (
      <main>
        <Loading />
      </main>
    );
  if (album.error && !album.data)
    return (
      <main>
        <ErrorNote error={album.error} />
      </main>
    );
  const a = album.data;
  if (!a)
    return (
      <main>
        <h1>Album not found</h1>
        <p>
          <a href="#/">All albums</a>
        </p>
      </main>
    );

  return (
    <main>
      <p class="crumbs">
        <a href="#/">Albums</a> /
      </p>
      <h1>{a.name}</h1>
      <p class="muted" data-testid="album-counts">
        {plural(a.imageCount, 'photo')} · {plural(a.faceCount, 'face')}
        {people.data && ` · ${plural(people.data.length, 'person', 'people')}`}
      </p>
      <UploadPanel albumId={id} onStored={refresh} />

      <section aria-label="People">
        <div class="section-head">
          <h2>People</h2>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void cluster();
            }}
          >
            <label class="muted min-faces">
              at least{' '}
              <input
                type="number"
                min={1}
                max={1000}
                inputMode="numeric"
                placeholder="3"
                value={minFaces}
                aria-label="Fewest faces that make a person"
                onInput={(e) => setMinFaces(e.currentTarget.value)}
              />{' '}
              faces a person
            </label>
            <button type="submit" disabled={clustering || a.faceCount === 0}>
              {clustering ? 'Grouping faces…' : 'Group faces into people'}
            </button>
          </form>
        </div>
        <ErrorNote error={clusterError} />
        {clusterNote && (
          <p class="muted" role="status" data-testid="cluster-note">
            {clusterNote}
          </p>
        )}
        <ErrorNote error={people.error} />
        {people.data?.length ? (
          <>
            <PeopleStrip people={people.data} albumId={id} />
            <SamePersonReview albumId={id} version={peopleVersion} onMerged={refresh} />
            <WhoIsThisReview albumId={id} version={peopleVersion} onChanged={refresh} />
          </>
        ) : people.loading ? (
          <Loading what="Loading people" />
        ) : (
          <p class="muted">No people yet. {a.faceCount ? 'Group the faces to find them.' : 'Upload photos first.'}</p>
        )}
      </section>

      <section aria-label="Photos">
        <div class="section-head">
          <h2>Photos</h2>
          <button
            type="button"
            aria-pressed={editing}
            onClick={() => {
              setEditing(!editing);
              setUnsure(null);
            }}
          >
            {editing ? 'Done correcting' : 'Correct faces'}
          </button>
        </div>
        {editing && (
          <p class="muted" data-testid="edit-help">
            Remove a box that is not a face with its ×; drag on a photo (mouse or finger) to draw a box around a face that was missed.
          </p>
        )}
        <ErrorNote error={editError} />
        {unsure && (
          <p class="notice" role="alert" data-testid="force-prompt">
            No face found in the box you drew.{' '}
            <button
              type="button"
              class="small"
              disabled={editBusy}
              onClick={() => void correct(() => addFace(unsure.imageId, unsure.box, true))}
            >
              Add it anyway
            </button>{' '}
            <button type="button" class="small" onClick={() => setUnsure(null)}>
              Cancel
            </button>
          </p>
        )}
        <div class="photo-grid">
          {photos.items.map((p) => (
            <PhotoCard
              key={p.id}
              src={p.url}
              alt={p.fileName}
              width={p.width}
              height={p.height}
              caption={`${p.fileName} · ${plural(p.faces.length, 'face')}`}
              faces={p.faces.map((f) => ({ id: f.id, box: f.box, label: f.person?.name, thumbnail: f.thumbnail }))}
              editing={
                editing
                  ? {
                      busy: editBusy,
                      onRemove: (faceId) => void correct(() => deleteFace(faceId)),
                      onDraw: (box) => void correct(() => addFace(p.id, box), { imageId: p.id, box }),
                    }
                  : undefined
              }
            />
          ))}
        </div>
        <ErrorNote error={photos.error} />
        {photos.loading && <Loading what="Loading photos" />}
        {!photos.done && <div ref={photos.sentinel} class="sentinel" />}
      </section>
    </main>
  );
}
